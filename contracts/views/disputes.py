"""Dispute pages: opening one on a milestone, and the dispute's own page where both parties (and
moderators) read everything side by side and act. Every form posts to the page's own address
and re-renders there with its errors; a refusal changes nothing (one service call each)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from accounts.moderation import audit
from contracts import selectors, services
from contracts.forms import DisputeDecideForm, DisputeOpenForm, DisputeRespondForm, DisputeSplitForm, EvidenceForm
from contracts.models import (
    ContractEvent,
    Dispute,
    DisputeEvidence,
    DisputeProposal,
    Milestone,
    Offer,
    Submission,
    SubmissionFile,
)
from contracts.services.dispute_rules import can_decide, check_cents, default_outcome_words
from contracts.views._common import ServiceError, _back_to, _party_milestone
from core.decorators import moderator_required
from core.files import attachment_response
from core.forms import add_service_error, dollars_for_input
from marketplace.topics import PROPOSAL_TOPIC
from messaging.models import Conversation, Message

AMOUNTS = {"asked_cents": "asked", "freelancer_cents": "freelancer_amount"}


def _amount_beside_form_errors(form, *, held: int) -> None:
    """A dispute form failed its own checks: the amount it did read is still held to what is held,
    so that error shows in the same answer, not after the others are fixed."""
    for field in ("asked", "freelancer_amount"):
        if field in form.cleaned_data and form.cleaned_data[field] is not None:
            try:
                check_cents(form.cleaned_data[field], held=held, field=field)
            except ValidationError as error:
                form.add_error(field, error.message_dict[field])


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def dispute_open(request, pk: int):
    """Open a dispute on a milestone whose money is held: what went wrong, what you ask for, evidence."""
    milestone = _party_milestone(request, pk)
    contract = milestone.contract
    current = milestone.disputes.filter(status__in=Dispute.OPEN_STATUSES).first()
    if current is not None:
        return redirect(reverse("dispute_detail", args=[current.pk]))
    is_freelancer = request.user.pk == contract.freelancer_id
    form = DisputeOpenForm(
        request.POST or None,
        request.FILES or None,
        initial={"asked": dollars_for_input(milestone.held_cents) if milestone.is_held else ""},
    )
    if request.method == "POST" and not form.is_valid():
        _amount_beside_form_errors(form, held=milestone.held_cents)
    elif request.method == "POST":
        try:
            dispute = services.dispute_open(
                milestone=milestone,
                by=request.user,
                reason=form.cleaned_data["reason"],
                description=form.cleaned_data["description"],
                asked_cents=form.cleaned_data["asked"],
                files=form.cleaned_data["files"],
            )
        except ServiceError as error:
            add_service_error(form, error, AMOUNTS)
        else:
            messages.success(request, "Dispute opened. The money stays held until it is resolved.")
            return redirect(reverse("dispute_detail", args=[dispute.pk]))
    if not milestone.is_held and request.method != "POST":
        messages.error(request, "Only money still held can be disputed.")
        return redirect(_back_to(milestone))
    context = {
        "milestone": milestone,
        "contract": contract,
        "form": form,
        "held": milestone.held_cents,
        "is_freelancer": is_freelancer,
        "other": contract.client if is_freelancer else contract.freelancer,
        "response_days": settings.DISPUTE_RESPONSE_DAYS,
        "settlement_days": settings.DISPUTE_SETTLEMENT_DAYS,
    }
    return render(request, "contracts/dispute_open.html", context, status=400 if form.errors else 200)


def _dispute(request, pk: int) -> Dispute:
    queryset = selectors.disputes_for_user(request.user).prefetch_related(
        Prefetch("proposals", queryset=DisputeProposal.objects.select_related("by")),
        Prefetch("evidence", queryset=DisputeEvidence.objects.select_related("by")),
        "events__actor",
    )
    return get_object_or_404(queryset, pk=pk)


FORMS = {
    "respond": DisputeRespondForm,
    "propose": DisputeSplitForm,
    "decide": DisputeDecideForm,
    "evidence": EvidenceForm,
}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def dispute_detail(request, pk: int):
    """The parties' page. A moderator reads it in the moderation area (two-factor sign-in)."""
    dispute = _dispute(request, pk)
    if request.user.pk not in (dispute.contract.client_id, dispute.contract.freelancer_id):
        return redirect(reverse("dispute_moderate", args=[dispute.pk]))
    return _page(request, dispute, url_name="dispute_detail")


@moderator_required
@require_http_methods(["GET", "HEAD", "POST"])
def dispute_moderate(request, pk: int):
    """The same page for staff: everything side by side, evidence, and the decision once escalated.
    Reading it is itself recorded: staff reading a private dispute is accountable."""
    dispute = _dispute(request, pk)
    if request.method != "POST":
        audit(
            actor=request.user,
            verb="viewed",
            target=f"dispute:{dispute.pk}",
            label=f"Dispute over “{dispute.milestone.title}” of “{dispute.contract.title}”",
        )
    return _page(request, dispute, url_name="dispute_moderate")


def _page(request, dispute: Dispute, *, url_name: str):
    action = request.POST.get("action", "") if request.method == "POST" else ""
    forms = {name: form_class(prefix=name) for name, form_class in FORMS.items()}
    if request.method == "POST":
        done = _act(request, dispute, action, forms)
        if done:
            return redirect(reverse(url_name, args=[dispute.pk]))
        dispute = _dispute(request, dispute.pk)
    return render(
        request,
        "contracts/dispute_detail.html",
        _context(request, dispute, forms),
        status=400 if request.method == "POST" else 200,  # a POST that was done redirected above
    )


def _act(request, dispute: Dispute, action: str, forms: dict) -> bool:
    """One posted action; True when it was done (the page redirects), False when refused."""
    user = request.user
    simple = {
        "withdraw": lambda: services.dispute_withdraw(dispute=dispute, by=user),
        "accept": lambda: services.dispute_proposal_accept(proposal=_proposal(request, dispute), by=user),
        "decline": lambda: services.dispute_proposal_decline(proposal=_proposal(request, dispute), by=user),
    }
    done_words = {
        "withdraw": "Dispute withdrawn. The milestone is back where it was.",
        "accept": "Settlement accepted: the dispute is resolved and the money moved.",
        "decline": "Proposal declined.",
        "respond": "Response sent.",
        "propose": "Proposal sent.",
        "decide": "Decision recorded: the money moved and both parties were told.",
        "evidence": "Evidence added.",
    }
    if action in simple:
        try:
            simple[action]()
        except ServiceError as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return False
        messages.success(request, done_words[action])
        return True
    if action not in FORMS:
        messages.error(request, "That action is not available here. Reload the page and try again.")
        return False
    form = FORMS[action](request.POST, request.FILES, prefix=action)
    forms[action] = form
    if not form.is_valid():
        _amount_beside_form_errors(form, held=dispute.held_cents)
        return False
    data = form.cleaned_data
    calls = {
        "respond": lambda: services.dispute_respond(
            dispute=dispute, by=user, response=data["response"], asked_cents=data["asked"], files=data["files"]
        ),
        "propose": lambda: services.dispute_propose(
            dispute=dispute, by=user, freelancer_cents=data["freelancer_amount"], note=data["note"]
        ),
        "decide": lambda: services.dispute_decide(
            dispute=dispute, by=user, freelancer_cents=data["freelancer_amount"], rationale=data["rationale"]
        ),
        "evidence": lambda: services.dispute_add_evidence(
            dispute=dispute, by=user, files=data["files"], note=data["note"]
        ),
    }
    try:
        calls[action]()
    except ServiceError as error:
        add_service_error(form, error, AMOUNTS)
        return False
    messages.success(request, done_words[action])
    return True


def _proposal(request, dispute: Dispute) -> DisputeProposal:
    value = request.POST.get("proposal", "")
    proposal = dispute.proposals.filter(pk=int(value)).first() if value.isdigit() and len(value) < 12 else None
    if proposal is None:
        raise ValidationError("That proposal is not on this dispute any more. Reload the page.")
    return proposal


def _context(request, dispute: Dispute, forms: dict) -> dict:
    user = request.user
    contract = dispute.contract
    role = "client" if user.pk == contract.client_id else "freelancer" if user.pk == contract.freelancer_id else ""
    is_open = dispute.is_open
    proposals = list(dispute.proposals.all())
    for proposal in proposals:
        proposal.client_cents = dispute.held_cents - proposal.freelancer_cents
        proposal.answerable = bool(role) and proposal.by_id != user.pk and proposal.status == "pending" and is_open
    timeline = ContractEvent.objects.filter(milestone_id=dispute.milestone_id).select_related("actor")
    submissions = Submission.objects.filter(milestone_id=dispute.milestone_id).prefetch_related("files")
    return {
        "conversation_messages": _their_messages(contract) if not role else [],
        "dispute": dispute,
        "contract": contract,
        "milestone": dispute.milestone,
        "role": role,
        "is_filer": user.pk == dispute.filer_user_id(),
        "is_respondent": user.pk == dispute.respondent_user_id(),
        "can_decide": can_decide(user) and dispute.status == Dispute.Status.ESCALATED,
        "is_staff_view": not role,
        "proposals": proposals,
        "evidence": list(dispute.evidence.all()),
        "events": list(dispute.events.all()),
        "timeline": list(timeline),
        "submissions": list(submissions),
        "default_outcome": default_outcome_words(dispute)
        if dispute.status == Dispute.Status.OPEN and dispute.respond_by
        else "",
        "forms": forms,
        "Status": Dispute.Status,
        "milestone_status": Milestone.Status,
    }


@login_required
@require_safe
def dispute_file(request, pk: int, file_pk: int):
    dispute = get_object_or_404(selectors.disputes_for_user(request.user), pk=pk)
    return attachment_response(get_object_or_404(dispute.evidence, pk=file_pk))


@moderator_required
@require_safe
def dispute_submission_file(request, pk: int, file_pk: int):
    """A file delivered on the disputed milestone, for the moderator deciding it."""
    dispute = get_object_or_404(selectors.disputes_for_user(request.user), pk=pk)
    return attachment_response(
        get_object_or_404(SubmissionFile, pk=file_pk, submission__milestone_id=dispute.milestone_id)
    )


def _their_messages(contract) -> list:
    """For the moderator deciding: what the two wrote each other about this work (the proposal's
    and the contract's conversations), hidden messages included and marked. Reading the page
    that shows them is in the audit log."""
    topics = Q(topics__topic_type="contract", topics__topic_id=contract.pk)
    proposal_id = Offer.objects.filter(pk=contract.offer_id).values_list("proposal_id", flat=True).first()
    if proposal_id:
        topics |= Q(topics__topic_type=PROPOSAL_TOPIC, topics__topic_id=proposal_id)
    return list(
        Message.objects.filter(conversation__in=Conversation.objects.filter(topics).values("pk"))
        .select_related("sender")
        .order_by("created_at", "pk")[:300]
    )
