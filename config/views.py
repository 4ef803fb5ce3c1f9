from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import User
from accounts.selectors import (
    client_profile_completion,
    client_profile_of,
    freelancer_profile_completion,
    freelancer_profile_of,
    public_freelancer_profiles,
)
from contracts.selectors import dispute_queue
from core.decorators import moderator_required
from marketplace.models import Interview, Invitation, Project, Proposal
from marketplace.selectors import client_projects, interviews_for_user, invitations_for_freelancer, proposals_for_user
from notifications.selectors import notifications_for_user
from payments.moderation import payments_attention


def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    featured = public_freelancer_profiles().order_by("-updated_at")[:3]
    return render(request, "site/home.html", {"featured": featured})


# Each list on a dashboard shows at most this many rows, with a link to the full, paginated list:
# a long history must not make the page long or slow.
DASHBOARD_ROWS = 10
DASHBOARD_GROUPED_ROWS = 50  # projects and proposals, grouped by status


@login_required
def dashboard(request):
    user = request.user
    if not user.has_chosen_role:
        return redirect("onboarding")
    context = {"recent_notifications": notifications_for_user(user)[:5]}
    # Only the interviews the page shows: proposed ones the person has to answer and scheduled
    # ones still to come, without their slots.
    now = timezone.now()
    interviews = list(
        interviews_for_user(user)
        .prefetch_related(None)
        .filter(
            (Q(status=Interview.Status.PROPOSED) & ~Q(offered_by=user))
            | Q(status=Interview.Status.SCHEDULED, starts_at__gte=now)
        )
        .order_by(F("starts_at").asc(nulls_first=True), "-pk")[: 2 * DASHBOARD_ROWS + 1]
    )
    context["more_interviews"] = len(interviews) > 2 * DASHBOARD_ROWS
    context["interviews_to_answer"] = [i for i in interviews if i.status == Interview.Status.PROPOSED][:DASHBOARD_ROWS]
    context["upcoming_interviews"] = [i for i in interviews if i.status == Interview.Status.SCHEDULED][:DASHBOARD_ROWS]
    if user.is_freelancer:
        profile = freelancer_profile_of(user)
        context["freelancer_profile"] = profile
        context["freelancer_checklist"] = freelancer_profile_completion(profile)
        proposals = list(
            proposals_for_user(user).filter(freelancer=user).order_by("-updated_at", "-pk")[:DASHBOARD_GROUPED_ROWS]
        )
        context["proposal_groups"] = [
            (label, [p for p in proposals if p.status == status])
            for status, label in Proposal.Status.choices
            if any(p.status == status for p in proposals)
        ]
        invitations = list(
            invitations_for_freelancer(user)
            .filter(status=Invitation.Status.PENDING, project__status=Project.Status.OPEN)
            .order_by("-created_at", "-pk")[: DASHBOARD_ROWS + 1]
        )
        context["pending_invitations"] = invitations[:DASHBOARD_ROWS]
        context["more_invitations"] = len(invitations) > DASHBOARD_ROWS
    if user.is_client:
        profile = client_profile_of(user)
        context["client_profile"] = profile
        context["client_checklist"] = client_profile_completion(profile)
        projects = list(client_projects(user)[:DASHBOARD_GROUPED_ROWS])
        context["project_groups"] = [
            (label, [p for p in projects if p.status == status])
            for status, label in Project.Status.choices
            if any(p.status == status for p in projects)
        ]
        context["projects_to_review"] = [
            p for p in projects if p.status == Project.Status.OPEN and p.new_proposal_count
        ]
        context["proposals_to_review"] = sum(p.new_proposal_count for p in context["projects_to_review"])
    return render(request, "site/dashboard.html", context)


@moderator_required
def moderation_home(request):
    figures = User.objects.aggregate(
        members=Count("pk", filter=Q(is_active=True)),
        suspended=Count("pk", filter=Q(suspended_at__isnull=False)),
    )
    disputes = dispute_queue()
    context = {
        "figures": figures,
        "payments": payments_attention(),
        "disputes": disputes,
        "disputes_to_decide": sum(dispute.is_escalated for dispute in disputes),
    }
    return render(request, "site/moderation_home.html", context)
