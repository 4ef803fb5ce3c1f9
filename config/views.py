from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from accounts.forms import HideForm, ReportAnswerForm
from accounts.models import Report, User
from accounts.moderation import audit, staff_home_url
from accounts.reports import open_reports, report_resolve
from accounts.selectors import (
    client_profile_completion,
    client_profile_of,
    freelancer_profile_completion,
    freelancer_profile_of,
    public_freelancer_profiles,
)
from contracts.models import Contract, Offer
from contracts.selectors import dispute_queue
from core.decorators import moderator_required
from core.exceptions import DomainError
from core.forms import add_service_error
from marketplace.models import Interview, Invitation, Project, Proposal
from marketplace.selectors import client_projects, interviews_for_user, invitations_for_freelancer, proposals_for_user
from marketplace.services.moderation import project_hide
from messaging.models import Conversation, Message
from messaging.services import message_hide
from notifications.selectors import notifications_for_user
from payments.moderation import payments_attention
from reviews.models import Review
from reviews.services import review_hide


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
        # Staff who neither hire nor work have no dashboard: their place is the staff area.
        return redirect(staff_home_url(user) if user.is_staff else "onboarding")
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
        "reports": open_reports(),
    }
    return render(request, "site/moderation_home.html", context)


@moderator_required
@require_http_methods(["GET", "HEAD", "POST"])
def moderation_report(request, pk: int):
    """One report: what was reported and why; hide the project or message (its author reads the
    reason), suspend the member from their page, then answer the reporter."""
    report = get_object_or_404(Report.objects.select_related("reporter", "resolved_by"), pk=pk)
    kind, _, target_pk = report.target.partition(":")
    answer, hide = ReportAnswerForm(prefix="answer"), HideForm(prefix="hide")
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ("actioned", "dismissed"):
            answer = ReportAnswerForm(request.POST, prefix="answer")
            if answer.is_valid():
                try:
                    report_resolve(
                        report=report,
                        by=request.user,
                        actioned=action == "actioned",
                        outcome=answer.cleaned_data["outcome"],
                    )
                except DomainError as error:
                    add_service_error(answer, error)
                else:
                    messages.success(request, "Answered: the reporter was told.")
                    return redirect("moderation_home")
        elif action == "hide" and kind in ("project", "message", "review"):
            hide = HideForm(request.POST, prefix="hide")
            if hide.is_valid():
                try:
                    _hide(kind, int(target_pk), by=request.user, reason=hide.cleaned_data["reason"])
                except DomainError as error:
                    add_service_error(hide, error)
                else:
                    messages.success(request, "Hidden. Its author was told why. Now tell the reporter what was done.")
                    return redirect("moderation_report", pk=report.pk)
        else:
            messages.error(request, "That action is not available here. Reload the page and try again.")
    context = {
        "report": report,
        "kind": kind,
        "target_pk": target_pk,
        "hidden": _is_hidden(kind, target_pk),
        "answer": answer,
        "hide": hide,
        "others": Report.objects.filter(target=report.target).exclude(pk=report.pk).count(),
        "conversation_id": Message.objects.filter(pk=int(target_pk)).values_list("conversation_id", flat=True).first()
        if kind == "message" and target_pk.isdigit()
        else None,
    }
    return render(request, "site/moderation_report.html", context, status=400 if request.method == "POST" else 200)


def _hide(kind: str, pk: int, *, by, reason: str) -> None:
    if kind == "review":
        review = Review.objects.filter(pk=pk).first()
        if review is None:
            raise DomainError("That review no longer exists.")
        review_hide(review=review, by=by, reason=reason)
        return
    if kind == "project":
        project = Project.objects.filter(pk=pk).first()
        if project is None:
            raise DomainError("That project no longer exists.")
        project_hide(project=project, by=by, reason=reason)
    else:
        message = Message.objects.filter(pk=pk).first()
        if message is None:
            raise DomainError("That message no longer exists.")
        message_hide(message=message, by=by, reason=reason)


def _is_hidden(kind: str, pk: str) -> bool | None:
    if not pk.isdigit():
        return None
    if kind == "project":
        return Project.objects.filter(pk=int(pk), hidden_at__isnull=False).exists()
    if kind == "message":
        return Message.objects.filter(pk=int(pk), hidden_at__isnull=False).exists()
    if kind == "review":
        return Review.objects.filter(pk=int(pk), hidden_at__isnull=False).exists()
    return None


@moderator_required
@require_safe
def moderation_view(request, kind: str, pk: int):
    """Any contract, offer, project or conversation, read-only for a moderator. Each reading is a
    row of the audit log: staff reading private deals and messages is itself accountable."""
    context = _private_page(kind, pk)
    if context is None:
        raise Http404("Nothing of that kind with that number.")
    audit(actor=request.user, verb="viewed", target=f"{kind}:{pk}", label=context["label"])
    return render(request, "site/moderation_view.html", {"kind": kind, **context})


def _private_page(kind: str, pk: int) -> dict | None:
    if kind == "contract":
        contract = Contract.objects.select_related("client", "freelancer").filter(pk=pk).first()
        if contract is None:
            return None
        return {
            "label": contract.title,
            "contract": contract,
            "milestones": list(contract.milestones.all()),
            "events": list(contract.events.select_related("actor", "milestone")),
            "conversation": Conversation.objects.filter(
                topics__topic_type="contract", topics__topic_id=contract.pk
            ).first(),
            "disputes": list(contract.disputes.all()),
        }
    if kind == "offer":
        offer = Offer.objects.select_related("client", "freelancer").filter(pk=pk).first()
        if offer is None:
            return None
        return {"label": offer.title, "offer": offer, "offer_milestones": list(offer.milestones.all())}
    if kind == "project":
        project = Project.objects.select_related("client").filter(pk=pk).first()
        if project is None:
            return None
        # The network addresses behind NDA acceptances and confidential reads are kept for staff
        # alone: the client sees who and when, never where from.
        return {
            "label": project.title,
            "project": project,
            "nda_acceptances": list(project.nda_acceptances.select_related("freelancer").order_by("-accepted_at")),
            "accesses": list(project.confidential_accesses.select_related("user", "attachment")[:200]),
        }
    if kind == "conversation":
        conversation = Conversation.objects.filter(pk=pk).first()
        if conversation is None:
            return None
        return {
            "label": conversation.title,
            "conversation": conversation,
            "participants": [p.user for p in conversation.participants.select_related("user")],
            "thread": list(conversation.messages.select_related("sender").prefetch_related("attachments")[:500]),
        }
    return None
