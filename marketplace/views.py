from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render

from accounts.models import ClientProfile, FreelancerProfile, User
from accounts.selectors import client_profile_completion, freelancer_profile_completion, public_freelancer_profiles
from core.decorators import moderator_required
from notifications.selectors import notifications_for_user


def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    featured = public_freelancer_profiles().order_by("-updated_at")[:3]
    return render(request, "marketplace/home.html", {"featured": featured})


@login_required
def dashboard(request):
    user = request.user
    if not user.has_chosen_role:
        return redirect("onboarding")
    context = {"recent_notifications": notifications_for_user(user)[:5]}
    if user.is_freelancer:
        profile, _ = FreelancerProfile.objects.get_or_create(user=user)
        context["freelancer_profile"] = profile
        context["freelancer_checklist"] = freelancer_profile_completion(profile)
    if user.is_client:
        profile, _ = ClientProfile.objects.get_or_create(user=user)
        context["client_profile"] = profile
        context["client_checklist"] = client_profile_completion(profile)
    return render(request, "marketplace/dashboard.html", context)


@moderator_required
def moderation_home(request):
    figures = User.objects.aggregate(
        members=Count("pk", filter=Q(is_active=True)),
        suspended=Count("pk", filter=Q(suspended_at__isnull=False)),
    )
    return render(request, "marketplace/moderation_home.html", {"figures": figures})
