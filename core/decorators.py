from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def moderator_required(view):
    """Staff with the moderation permission only; anyone else gets the site's own 404 page, which
    confirms nothing.

    The page is rendered here rather than raised as Http404, so it is the same page with DEBUG on,
    where Django would otherwise answer with its technical 404 listing every URL pattern.
    Two-factor authentication is enforced for these paths by core.middleware.StaffMFAMiddleware.
    """

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.is_staff and user.has_perm("accounts.moderate")):
            return render(request, "404.html", status=404)
        return view(request, *args, **kwargs)

    return wrapped
