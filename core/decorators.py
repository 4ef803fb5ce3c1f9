from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404


def moderator_required(view):
    """Staff with the moderation permission only; anyone else gets a 404 that confirms nothing.

    Two-factor authentication is enforced for these paths by core.middleware.StaffMFAMiddleware.
    """

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.is_staff and user.has_perm("accounts.moderate")):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
