from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from notifications import selectors, services
from notifications.kinds import KINDS


@login_required
def notification_list(request):
    page = Paginator(selectors.notifications_for_user(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_open(request, pk: int):
    notification = get_object_or_404(selectors.notifications_for_user(request.user), pk=pk)
    services.notification_mark_read(notification=notification, user=request.user)
    if request.htmx:
        return render(request, "notifications/_item.html", {"notification": notification})
    target = notification.url if request.POST.get("go") and notification.url else None
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notification_list")


@login_required
@require_POST
def notification_mark_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("notification_list")


@login_required
def notification_preferences(request):
    if request.method == "POST":
        chosen = {key for key in request.POST.getlist("email") if key in KINDS}
        services.notification_preferences_update(user=request.user, email_kinds=chosen)
        messages.success(request, "Your email choices are saved.")
        return redirect("notification_preferences")
    return render(request, "notifications/preferences.html", {"preferences": selectors.email_preferences(request.user)})
