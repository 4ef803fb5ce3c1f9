"""Contract pages: offers, contracts, milestones and earnings.

Each POST parses input, calls one service and renders or redirects. Lookups go through
contracts.selectors, so anything the person is not a party to is a 404. A refusal from a
service (DomainError, InvalidTransition, GatewayError, ValidationError) is shown as a message or
inline error and changes nothing: every service runs in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from contracts import selectors, services
from contracts.forms import (
    AddMilestoneForm,
    FollowOnForm,
    FundForm,
    MilestoneEditDeclineForm,
    MilestoneEditForm,
    OfferDeclineForm,
    OfferReviseForm,
    PartialReleaseForm,
    ReasonForm,
    RefundDeclineForm,
    RefundOfferForm,
    RefundRequestForm,
    SubmitWorkForm,
    dollars_for_input,
    milestone_rows,
    offer_milestone_formset,
)
from contracts.models import Contract, Milestone, MilestoneEdit, Offer, RefundRequest
from core.exceptions import DomainError
from core.files import attachment_response
from core.templatetags.core_tags import money
from messaging.selectors import topic_conversation
from payments.gateways import get_gateway

SANDBOX_NOTICE = "Sandbox payments: no real card is charged. Use any card number; 4000 0000 0000 0002 is declined."
SANDBOX_PAYOUT_NOTICE = "Sandbox payments: withdrawals are simulated and no real money is sent to your bank."
FOLLOW_ON_HOURS = 20
FOLLOW_ON_DUE_DAYS = 30
HELD = (Milestone.Status.FUNDED, Milestone.Status.SUBMITTED, Milestone.Status.CHANGES_REQUESTED)
ServiceError = (DomainError, ValidationError)


def _sandbox(*, payouts: bool = False) -> dict:
    gateway = get_gateway()
    notice = SANDBOX_PAYOUT_NOTICE if payouts else SANDBOX_NOTICE
    return {"sandbox_notice": notice if getattr(gateway, "is_sandbox", False) else ""}


def _show_error(form, error) -> None:
    """Put a service's refusal on the form: on the field it names when the form has it."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for key, texts in error.message_dict.items():
                form.add_error(key if key in form.fields else None, texts)
        else:
            form.add_error(None, error.messages)
        return
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _error_text(error) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return error.message


def form_prefix(action: str, milestone: Milestone) -> str:
    """Each milestone's forms get their own prefix, so field ids stay unique on the page."""
    return f"{action.replace('_', '-')}-{milestone.pk}"


def _back_to(milestone: Milestone) -> str:
    return milestone.contract.get_absolute_url() + f"#milestone-{milestone.pk}"


# --- Offers ---------------------------------------------------------------------------------


def _party_offer(request, pk: int) -> Offer:
    return get_object_or_404(selectors.offers_for_user(request.user), pk=pk)


# How each step of an offer reads on its history, by the status it led to.
OFFER_HISTORY = {
    Offer.Status.OFFERED: "offered these terms",
    Offer.Status.ACCEPTED: "accepted; the contract started",
    Offer.Status.DECLINED: "declined",
    Offer.Status.WITHDRAWN: "withdrew the offer",
    Offer.Status.EXPIRED: "expired: nobody accepted it in time",
}


def _offer_context(request, offer: Offer, *, decline_form: OfferDeclineForm | None = None) -> dict:
    user = request.user
    party = offer.party_of(user)
    is_open = offer.status == Offer.Status.OFFERED
    expired = bool(is_open and offer.expires_at and offer.expires_at <= timezone.now())
    live = is_open and not expired
    awaiting_me = live and offer.awaiting == party
    other = offer.freelancer if party == Offer.Party.CLIENT else offer.client
    awaiting_person = offer.client if offer.awaiting == Offer.Party.CLIENT else offer.freelancer
    return {
        "offer": offer,
        "as_client": party == Offer.Party.CLIENT,
        "other": other,
        "milestones": list(offer.milestones.all()),
        "history": [
            (event, OFFER_HISTORY.get(event.to_status, event.to_status))
            for event in offer.events.select_related("actor")
        ],
        "fees": selectors.offer_fees(offer),
        "live": live,
        "expired": expired,
        "awaiting_me": awaiting_me,
        "awaiting_person": awaiting_person,
        "contract": getattr(offer, "contract", None) if offer.status == Offer.Status.ACCEPTED else None,
        "can_accept": awaiting_me,
        "can_decline": live and party == Offer.Party.FREELANCER,
        "can_withdraw": live and party == Offer.Party.CLIENT,
        "can_revise": live,
        "decline_form": decline_form or OfferDeclineForm(),
        "clearance_days": settings.CLEARANCE_DAYS,
        "auto_release_days": settings.AUTO_RELEASE_DAYS,
    }


@login_required
@require_safe
def offer_detail(request, pk: int):
    offer = _party_offer(request, pk)
    return render(request, "contracts/offer_detail.html", _offer_context(request, offer))


@login_required
@require_safe
def offer_list(request):
    user = request.user
    offers = list(selectors.offers_for_user(user).prefetch_related("milestones"))
    waiting_for_me, waiting_for_them, accepted, closed = [], [], [], []
    for offer in offers:
        if offer.status == Offer.Status.OFFERED:
            (waiting_for_me if offer.awaiting == offer.party_of(user) else waiting_for_them).append(offer)
        elif offer.status == Offer.Status.ACCEPTED:
            accepted.append(offer)
        else:
            closed.append(offer)
    groups = [
        ("Waiting for your answer", waiting_for_me),
        ("Waiting for the other side", waiting_for_them),
        ("Accepted", accepted),
        ("Declined, withdrawn or expired", closed),
    ]
    return render(request, "contracts/offer_list.html", {"groups": [g for g in groups if g[1]], "total": len(offers)})


@login_required
@require_POST
def offer_accept(request, pk: int):
    offer = _party_offer(request, pk)
    try:
        contract = services.offer_accept(offer=offer, by=request.user)
    except ServiceError as error:
        messages.error(request, _error_text(error))
        return redirect(offer)
    messages.success(request, "You accepted the offer. The contract has started.")
    return redirect(contract)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def offer_decline(request, pk: int):
    offer = _party_offer(request, pk)
    if request.method != "POST":
        return redirect(offer)
    form = OfferDeclineForm(request.POST)
    if not form.is_valid():
        return render(
            request, "contracts/offer_detail.html", _offer_context(request, offer, decline_form=form), status=400
        )
    try:
        services.offer_decline(offer=offer, by=request.user, reason=form.cleaned_data["reason"])
    except ServiceError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "You declined the offer. The client has been told.")
    return redirect(offer)


@login_required
@require_POST
def offer_withdraw(request, pk: int):
    offer = _party_offer(request, pk)
    try:
        services.offer_withdraw(offer=offer, by=request.user)
    except ServiceError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "You withdrew the offer. The freelancer has been told.")
    return redirect(offer)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def offer_revise(request, pk: int):
    offer = _party_offer(request, pk)
    if offer.status != Offer.Status.OFFERED:
        messages.error(request, f"This offer is {offer.get_status_display().lower()}, so its terms are final.")
        return redirect(offer)
    posted = request.POST if request.method == "POST" else None
    form = OfferReviseForm(posted, initial={"change_rounds": offer.change_rounds})
    max_rows = 1 if offer.is_test_project else None
    formset = offer_milestone_formset(
        posted, initial=milestone_rows(offer.milestones.all()), extra=0 if offer.is_test_project else 1
    )
    milestone_errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                services.offer_revise(
                    offer=offer,
                    by=request.user,
                    milestones=formset.milestones(),
                    note=form.cleaned_data["note"],
                    change_rounds=form.cleaned_data["change_rounds"],
                )
            except ValidationError as error:
                milestone_errors.extend(error.messages)
            except DomainError as error:
                milestone_errors.append(error.message)
            else:
                messages.success(request, "You proposed changed terms. The other side has to accept them now.")
                return redirect(offer)
        status = 400
    context = {
        "offer": offer,
        "form": form,
        "formset": formset,
        "milestone_errors": milestone_errors,
        "has_errors": bool(form.errors or milestone_errors or any(formset.errors) or formset.non_form_errors()),
        "max_rows": max_rows or formset.max_num,
        "expiry_days": settings.OFFER_EXPIRY_DAYS,
    }
    return render(request, "contracts/offer_revise.html", context, status=status)


# --- Contracts ------------------------------------------------------------------------------


def _party_contract(request, pk: int) -> Contract:
    return get_object_or_404(selectors.contracts_for_user(request.user), pk=pk)


def _party_milestone(request, pk: int) -> Milestone:
    return get_object_or_404(selectors.milestones_for_user(request.user), pk=pk)


@dataclass
class MilestoneRow:
    """A milestone as the person looking sees it: what they may do now, and the forms to do it."""

    milestone: Milestone
    actions: set[str] = field(default_factory=set)
    forms: dict = field(default_factory=dict)
    pending_refund: RefundRequest | None = None
    pending_edit: MilestoneEdit | None = None
    submissions: list = field(default_factory=list)
    fee_note: str = ""
    change_reason: str = ""


def _actions(milestone: Milestone, *, as_client: bool, active: bool, pending_refund) -> set[str]:
    """Which buttons to offer; the services decide on submit, this only spares dead ends."""
    if not active:
        return set()
    status = milestone.status
    actions: set[str] = set()
    if as_client:
        if status == Milestone.Status.PENDING:
            actions.add("fund")
            if milestone.is_change_order:
                actions.add("remove")
        if status in HELD:
            actions |= {"release_part"}
            if not pending_refund:
                actions.add("refund_request")
        if status == Milestone.Status.SUBMITTED:
            actions |= {"approve", "request_changes"}
        if status in (Milestone.Status.FUNDED, Milestone.Status.CHANGES_REQUESTED):
            actions.add("release_all")
    else:
        if status == Milestone.Status.PENDING and milestone.is_change_order:
            actions.add("decline")
        if status in (Milestone.Status.FUNDED, Milestone.Status.CHANGES_REQUESTED):
            actions.add("submit")
        if status in HELD:
            actions.add("refund_offer")
            if pending_refund:
                actions.add("answer_refund")
    return actions


def _edit_actions(milestone: Milestone, *, user, active: bool, pending_edit) -> set[str]:
    """Unfunded milestones change by agreement: propose, or answer / withdraw what is waiting."""
    if not active or milestone.status != Milestone.Status.PENDING:
        return set()
    if pending_edit is None:
        return {"edit"} if milestone.is_change_order else {"edit", "propose_removal"}
    return {"withdraw_edit"} if pending_edit.proposed_by_id == user.pk else {"answer_edit"}


FORMS_FOR_ACTION = {
    "submit": SubmitWorkForm,
    "request_changes": ReasonForm,
    "release_part": PartialReleaseForm,
    "refund_request": RefundRequestForm,
    "refund_offer": RefundOfferForm,
    "answer_refund": RefundDeclineForm,
    "answer_edit": MilestoneEditDeclineForm,
}


# How each timeline verb reads after the person's name; unknown verbs read as they are stored.
VERB_PHRASES = {
    "started": "accepted the offer and the contract started",
    "funded": "funded",
    "submitted": "delivered work on",
    "changes requested": "asked for changes on",
    "approved": "approved",
    "auto-approved": "approved",
    "partly released": "released part of",
    "refund requested": "asked for a refund on",
    "refunded": "agreed to refund",
    "refund declined": "declined the refund on",
    "refunded by the freelancer": "gave back money on",
    "milestone added": "added the change order",
    "removed": "removed",
    "milestone change proposed": "proposed a change to",
    "milestone edited": "accepted the change to",
    "milestone change declined": "declined the change to",
    "milestone change withdrawn": "withdrew the proposed change to",
    "ended": "ended the contract",
}


def _timeline(contract: Contract, user) -> list[dict]:
    rows = []
    for event in selectors.contract_timeline(contract):
        if event.actor_id is None:
            who = "Proofwork (automatic)"
        elif event.actor_id == user.pk:
            who = "You"
        else:
            who = event.actor.display_name
        rows.append({"event": event, "who": who, "what": VERB_PHRASES.get(event.verb, event.verb)})
    return rows


def _next_steps(rows: list[MilestoneRow], contract: Contract, *, as_client: bool) -> list[dict]:
    """One line per thing the viewer should do now, linking to the milestone; once every milestone
    is settled, ending the contract (and, for a paid test, what may follow it)."""
    steps = []
    if rows and all(row.milestone.status in Milestone.SETTLED for row in rows):
        follow = ""
        if contract.is_test_project:
            follow = (
                " Then you can continue with this freelancer on a longer contract."
                if as_client
                else " Then the client can continue with you on a longer contract."
            )
        steps.append({"text": f"Every milestone is settled: end the contract as completed.{follow}", "anchor": "#end"})
        return steps
    for row in rows:
        m = row.milestone
        anchor = f"#milestone-{m.pk}"
        if "fund" in row.actions:
            steps.append({"text": f"Fund “{m.title}” so work can start", "anchor": anchor, "due": m.due_date})
        if "approve" in row.actions:
            steps.append(
                {"text": f"Review the work delivered for “{m.title}”", "anchor": anchor, "deadline": m.auto_release_at}
            )
        if "submit" in row.actions:
            verb = "Deliver the changes for" if m.status == Milestone.Status.CHANGES_REQUESTED else "Deliver"
            steps.append({"text": f"{verb} “{m.title}”", "anchor": anchor, "due": m.due_date})
        if "answer_refund" in row.actions:
            steps.append({"text": f"Answer the client's refund request on “{m.title}”", "anchor": anchor})
        if "answer_edit" in row.actions:
            steps.append({"text": f"Accept or decline the proposed change to “{m.title}”", "anchor": anchor})
        if "decline" in row.actions:
            steps.append({"text": f"New change order “{m.title}”: wait for funding or decline it", "anchor": anchor})
    return steps


def _contract_context(request, contract: Contract, *, failed: tuple[int, str, object] | None = None, add_form=None):
    user = request.user
    as_client = contract.client_id == user.pk
    active = contract.is_active
    timeline = _timeline(contract, user)
    reasons = {
        row["event"].milestone_id: row["event"].note for row in timeline if row["event"].verb == "changes requested"
    }
    rows = []
    pending_edits = {
        edit.milestone_id: edit
        for edit in MilestoneEdit.objects.filter(
            milestone__contract=contract,
            milestone__status=Milestone.Status.PENDING,
            status=MilestoneEdit.Status.PENDING,
        ).select_related("proposed_by")
    }
    for milestone in selectors.contract_milestones(contract):
        milestone.contract = contract  # rounds_left and the templates read it; spares a query each
        requests = list(milestone.refund_requests.all())
        pending_refund = next((r for r in requests if r.status == RefundRequest.Status.PENDING), None)
        pending_edit = pending_edits.get(milestone.pk)
        row = MilestoneRow(
            milestone=milestone,
            actions=_actions(milestone, as_client=as_client, active=active, pending_refund=pending_refund)
            | _edit_actions(milestone, user=user, active=active, pending_edit=pending_edit),
            pending_refund=pending_refund,
            pending_edit=pending_edit,
            submissions=list(milestone.submissions.all()),
            change_reason=reasons.get(milestone.pk, ""),
        )
        for action, form_class in FORMS_FOR_ACTION.items():
            if action in row.actions:
                row.forms[action] = form_class(prefix=form_prefix(action, milestone))
        if "edit" in row.actions:
            row.forms["edit"] = MilestoneEditForm(
                prefix=form_prefix("edit", milestone),
                initial={
                    "title": milestone.title,
                    "amount": dollars_for_input(milestone.amount_cents),
                    "due_date": milestone.due_date,
                },
            )
        if failed and failed[0] == milestone.pk:
            if failed[1] in row.actions:
                row.forms[failed[1]] = failed[2]
            else:  # the form is not on this person's page: say why where they will see it
                for texts in failed[2].errors.values():
                    for text in texts:
                        messages.error(request, text)
        if "release_part" in row.actions:
            row.fee_note = selectors.release_fees(milestone, milestone.held_cents).rate_note
        rows.append(row)
    milestones = [row.milestone for row in rows]
    ended_test = (
        not active and contract.is_test_project and contract.end_reason == Contract.EndReason.COMPLETED and as_client
    )
    context = {
        "contract": contract,
        "as_client": as_client,
        "other": contract.freelancer if as_client else contract.client,
        "rows": rows,
        "next_steps": _next_steps(rows, contract, as_client=as_client) if active else [],
        "totals": {
            "amount": sum(m.amount_cents for m in milestones if m.status != Milestone.Status.CANCELLED),
            "held": sum(m.held_cents for m in milestones),
            "released": sum(m.released_cents for m in milestones),
            "refunded": sum(m.refunded_cents for m in milestones),
        },
        "timeline": timeline,
        "conversation": topic_conversation(topic_type="contract", topic_id=contract.pk, user=user),
        "add_form": add_form or AddMilestoneForm(prefix="add"),
        "can_add": active and as_client,
        "can_end": active,
        "can_continue": ended_test,
        "follow_on_offers": list(contract.follow_on_offers.all()),
        "follow_on_contracts": list(contract.follow_on_contracts.all()),
        "auto_release_days": settings.AUTO_RELEASE_DAYS,
        "clearance_days": settings.CLEARANCE_DAYS,
        **_sandbox(),
    }
    return context


def _render_contract(request, contract: Contract, *, status: int = 200, **kwargs):
    return render(
        request, "contracts/contract_detail.html", _contract_context(request, contract, **kwargs), status=status
    )


@login_required
@require_safe
def contract_detail(request, pk: int):
    return _render_contract(request, _party_contract(request, pk))


@login_required
@require_safe
def contract_list(request):
    user = request.user
    contracts = list(selectors.contracts_for_user(user).prefetch_related("milestones"))
    rows = []
    for contract in contracts:
        milestones = [m for m in contract.milestones.all() if m.status != Milestone.Status.CANCELLED]
        as_client = contract.client_id == user.pk
        rows.append(
            {
                "contract": contract,
                "as_client": as_client,
                "other": contract.freelancer if as_client else contract.client,
                "total": sum(m.amount_cents for m in milestones),
                "released": sum(m.released_cents for m in milestones),
                "held": sum(m.held_cents for m in milestones),
                "settled": sum(1 for m in milestones if m.is_settled),
                "count": len(milestones),
                "to_review": sum(1 for m in milestones if as_client and m.status == Milestone.Status.SUBMITTED),
                "to_fund": sum(1 for m in milestones if as_client and m.status == Milestone.Status.PENDING),
                "to_deliver": sum(
                    1
                    for m in milestones
                    if not as_client and m.status in (Milestone.Status.FUNDED, Milestone.Status.CHANGES_REQUESTED)
                ),
            }
        )
    context = {
        "active": [r for r in rows if r["contract"].is_active],
        "ended": [r for r in rows if not r["contract"].is_active],
        "offers_waiting": sum(
            1
            for offer in selectors.offers_for_user(user).filter(status=Offer.Status.OFFERED)
            if offer.awaiting == offer.party_of(user)
        ),
    }
    return render(request, "contracts/contract_list.html", context)


@login_required
@require_POST
def contract_end(request, pk: int):
    contract = _party_contract(request, pk)
    try:
        contract = services.contract_end(contract=contract, by=request.user)
    except ServiceError as error:
        messages.error(request, f"The contract was not ended. {_error_text(error)}")
    else:
        messages.success(request, f"The contract has ended ({contract.get_end_reason_display().lower()}).")
    return redirect(contract)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def contract_milestone_add(request, pk: int):
    contract = _party_contract(request, pk)
    if request.method != "POST":
        return redirect(contract)
    form = AddMilestoneForm(request.POST, prefix="add")
    if form.is_valid():
        try:
            milestone = services.milestone_add(
                contract=contract,
                by=request.user,
                title=form.cleaned_data["title"],
                amount_cents=form.cleaned_data["amount"],
                due_date=form.cleaned_data["due_date"],
            )
        except ServiceError as error:
            _show_error(form, error)
        else:
            messages.success(request, f"Milestone “{milestone.title}” added. Fund it so the freelancer can start.")
            return redirect(_back_to(milestone))
    return _render_contract(request, contract, status=400, add_form=form)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def contract_continue(request, pk: int):
    """After a completed paid test, the client offers the freelancer longer work, linked to the test."""
    contract = _party_contract(request, pk)
    if contract.client_id != request.user.pk:
        messages.error(request, "Only the client can offer more work.")
        return redirect(contract)
    posted = request.POST if request.method == "POST" else None
    profile = getattr(contract.freelancer, "freelancer_profile", None)
    rate = getattr(profile, "hourly_rate_cents", None)
    initial_rows = []
    if rate:
        initial_rows.append(
            {
                "title": f"First {FOLLOW_ON_HOURS} hours",
                "amount": dollars_for_input(rate * FOLLOW_ON_HOURS),
                "due_date": timezone.localdate() + timedelta(days=FOLLOW_ON_DUE_DAYS),
            }
        )
    form = FollowOnForm(posted, initial={"title": f"Continued: {contract.title}"[:120], "scope": contract.scope})
    formset = offer_milestone_formset(posted, initial=initial_rows, extra=0 if initial_rows else 1)
    milestone_errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                offer = services.offer_create_follow_on(
                    contract=contract,
                    by=request.user,
                    title=form.cleaned_data["title"],
                    scope=form.cleaned_data["scope"],
                    milestones=formset.milestones(),
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for key, texts in error.message_dict.items():
                        if key in form.fields:
                            form.add_error(key, texts)
                        else:
                            milestone_errors.extend(texts)
                else:
                    milestone_errors.extend(error.messages)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    f"Offer sent to {contract.freelancer.display_name}. The new contract starts when they accept.",
                )
                return redirect(offer)
        status = 400
    context = {
        "contract": contract,
        "form": form,
        "formset": formset,
        "milestone_errors": milestone_errors,
        "has_errors": bool(form.errors or milestone_errors or any(formset.errors) or formset.non_form_errors()),
        "rate": rate,
        "currency": getattr(profile, "currency", "USD"),
        "hours": FOLLOW_ON_HOURS,
        "max_rows": formset.max_num,
        "follow_on_offers": list(contract.follow_on_offers.all()),
    }
    return render(request, "contracts/contract_continue.html", context, status=status)


# --- Milestones -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_fund(request, pk: int):
    """The funding page: the amount, any client fee and the total charged, then the card."""
    milestone = _party_milestone(request, pk)
    contract = milestone.contract
    if contract.client_id != request.user.pk:
        messages.error(request, "Only the client funds milestones.")
        return redirect(_back_to(milestone))
    form = FundForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.milestone_fund(
                    milestone=milestone, by=request.user, card_number=form.cleaned_data["card_number"]
                )
            except ServiceError as error:
                _show_error(form, error)
            else:
                messages.success(
                    request,
                    f"Funded. The money for “{milestone.title}” is held until you approve the work; "
                    f"{contract.freelancer.display_name} can start.",
                )
                return redirect(_back_to(milestone))
        status = 400
    elif milestone.status != Milestone.Status.PENDING:
        messages.info(request, f"“{milestone.title}” is already {milestone.get_status_display().lower()}.")
        return redirect(_back_to(milestone))
    context = {
        "milestone": milestone,
        "contract": contract,
        "fees": selectors.funding_fees(milestone),
        "form": form,
        **_sandbox(),
    }
    return render(request, "contracts/milestone_fund.html", context, status=status)


def _milestone_form_action(request, pk: int, *, action: str, form_class, call, success: str):
    """A form posted from a milestone on the contract page: errors re-render the page inline."""
    milestone = _party_milestone(request, pk)
    if request.method != "POST":
        return redirect(_back_to(milestone))
    form = form_class(request.POST, request.FILES, prefix=form_prefix(action, milestone))
    if form.is_valid():
        try:
            call(milestone, form.cleaned_data)
        except ServiceError as error:
            _show_error(form, error)
        else:
            messages.success(request, success)
            return redirect(_back_to(milestone))
    return _render_contract(request, milestone.contract, status=400, failed=(milestone.pk, action, form))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_submit(request, pk: int):
    def call(milestone, data):
        services.milestone_submit(milestone=milestone, by=request.user, message=data["message"], files=data["files"])

    return _milestone_form_action(
        request,
        pk,
        action="submit",
        form_class=SubmitWorkForm,
        call=call,
        success="Your work is delivered. The client has been told and can review it now.",
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_request_changes(request, pk: int):
    def call(milestone, data):
        services.milestone_request_changes(milestone=milestone, by=request.user, reason=data["reason"])

    return _milestone_form_action(
        request,
        pk,
        action="request_changes",
        form_class=ReasonForm,
        call=call,
        success="Changes requested. The freelancer has your reason; the money stays held.",
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_approve(request, pk: int):
    """GET: the freelancer's fee breakdown; POST: approve and release what is held."""
    milestone = _party_milestone(request, pk)
    contract = milestone.contract
    if request.method == "POST":
        try:
            services.milestone_approve(milestone=milestone, by=request.user)
        except ServiceError as error:
            messages.error(request, f"Nothing was released. {_error_text(error)}")
        else:
            milestone.refresh_from_db()
            messages.success(
                request,
                f"Approved. The payment for “{milestone.title}” is on its way to {contract.freelancer.display_name}.",
            )
        return redirect(_back_to(milestone))
    if contract.client_id != request.user.pk:
        messages.error(request, "Only the client can approve work.")
        return redirect(_back_to(milestone))
    if milestone.status not in HELD:
        messages.info(request, f"“{milestone.title}” is {milestone.get_status_display().lower()}; nothing to approve.")
        return redirect(_back_to(milestone))
    context = {
        "milestone": milestone,
        "contract": contract,
        "fees": selectors.release_fees(milestone, milestone.held_cents),
        "mode": "approve",
        "clearance_days": settings.CLEARANCE_DAYS,
    }
    return render(request, "contracts/release_confirm.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_release_partial(request, pk: int):
    """Two steps: the amount (checked), then the fee breakdown to confirm; only then money moves."""
    milestone = _party_milestone(request, pk)
    if request.method != "POST":
        return redirect(_back_to(milestone))
    contract = milestone.contract
    form = PartialReleaseForm(request.POST, prefix=form_prefix("release_part", milestone))
    if form.is_valid():
        amount = form.cleaned_data["amount"]
        if request.POST.get("confirm") == "yes":
            try:
                services.milestone_release_partial(
                    milestone=milestone, by=request.user, amount_cents=amount, intent=form.cleaned_data["intent"]
                )
            except ServiceError as error:
                _show_error(form, error)
            else:
                messages.success(request, f"Released part of “{milestone.title}” early. The rest stays held.")
                return redirect(_back_to(milestone))
        elif contract.client_id != request.user.pk:
            form.add_error(None, "Only the client can release money.")
        elif milestone.status not in HELD:
            form.add_error(None, f"This milestone is {milestone.get_status_display().lower()}; nothing is held.")
        elif amount >= milestone.held_cents:
            form.add_error(
                "amount",
                "A partial release is less than what is held "
                f"({money(milestone.held_cents, contract.currency)}); approve the milestone to release all of it.",
            )
        else:
            context = {
                "milestone": milestone,
                "contract": contract,
                "fees": selectors.release_fees(milestone, amount),
                "mode": "partial",
                "form": form,
                "amount_input": dollars_for_input(amount),
                "still_held": milestone.held_cents - amount,
                "clearance_days": settings.CLEARANCE_DAYS,
            }
            return render(request, "contracts/release_confirm.html", context)
    return _render_contract(request, contract, status=400, failed=(milestone.pk, "release_part", form))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_refund_request(request, pk: int):
    def call(milestone, data):
        services.milestone_refund_request(
            milestone=milestone, by=request.user, amount_cents=data["amount"], reason=data["reason"]
        )

    return _milestone_form_action(
        request,
        pk,
        action="refund_request",
        form_class=RefundRequestForm,
        call=call,
        success="Refund requested. The freelancer can agree or decline; the money stays held meanwhile.",
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_refund_offer(request, pk: int):
    def call(milestone, data):
        services.milestone_refund_offer(
            milestone=milestone, by=request.user, amount_cents=data["amount"], intent=data["intent"]
        )

    return _milestone_form_action(
        request,
        pk,
        action="refund_offer",
        form_class=RefundOfferForm,
        call=call,
        success="Refunded. The money goes back to the client's card.",
    )


@login_required
@require_POST
def milestone_cancel(request, pk: int):
    milestone = _party_milestone(request, pk)
    try:
        services.milestone_cancel(milestone=milestone, by=request.user)
    except ServiceError as error:
        messages.error(request, _error_text(error))
    else:
        as_client = milestone.contract.client_id == request.user.pk
        messages.success(request, f"“{milestone.title}” {'is removed' if as_client else 'is declined'}.")
    return redirect(_back_to(milestone))


def _party_refund_request(request, pk: int) -> RefundRequest:
    return get_object_or_404(selectors.refund_requests_for_user(request.user), pk=pk)


@login_required
@require_POST
def refund_request_accept(request, pk: int):
    refund_request = _party_refund_request(request, pk)
    try:
        services.refund_request_accept(request=refund_request, by=request.user)
    except ServiceError as error:
        messages.error(request, f"Nothing was refunded. {_error_text(error)}")
    else:
        messages.success(request, "You agreed. The money goes back to the client's card.")
    return redirect(_back_to(refund_request.milestone))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def refund_request_decline(request, pk: int):
    refund_request = _party_refund_request(request, pk)
    return _answer_with_reason(
        request,
        refund_request.milestone,
        action="answer_refund",
        form_class=RefundDeclineForm,
        call=lambda reason: services.refund_request_decline(request=refund_request, by=request.user, reason=reason),
        success="You declined the refund. The money stays held; the client has been told.",
    )


def _answer_with_reason(request, milestone: Milestone, *, action: str, form_class, call, success: str):
    """Declining something on a milestone with an optional reason: one service call, errors on the form."""
    if request.method != "POST":
        return redirect(_back_to(milestone))
    form = form_class(request.POST, prefix=form_prefix(action, milestone))
    if form.is_valid():
        try:
            call(form.cleaned_data["reason"])
        except ServiceError as error:
            _show_error(form, error)
        else:
            messages.success(request, success)
            return redirect(_back_to(milestone))
    return _render_contract(request, milestone.contract, status=400, failed=(milestone.pk, action, form))


# --- Changes to unfunded milestones -------------------------------------------------------------


def _party_edit(request, pk: int) -> MilestoneEdit:
    return get_object_or_404(selectors.milestone_edits_for_user(request.user), pk=pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_edit_propose(request, pk: int):
    def call(milestone, data):
        services.milestone_edit_propose(
            milestone=milestone,
            by=request.user,
            title=data["title"],
            amount_cents=data["amount"],
            due_date=data["due_date"],
            note=data["note"],
        )

    return _milestone_form_action(
        request,
        pk,
        action="edit",
        form_class=MilestoneEditForm,
        call=call,
        success="You proposed the change. Nothing changes until the other side accepts it.",
    )


@login_required
@require_POST
def milestone_removal_propose(request, pk: int):
    milestone = _party_milestone(request, pk)
    try:
        services.milestone_removal_propose(milestone=milestone, by=request.user)
    except ServiceError as error:
        messages.error(request, f"Nothing changed. {_error_text(error)}")
    else:
        messages.success(request, f"You proposed removing “{milestone.title}”. It stays until the other side agrees.")
    return redirect(_back_to(milestone))


@login_required
@require_POST
def milestone_edit_accept(request, pk: int):
    edit = _party_edit(request, pk)
    try:
        milestone = services.milestone_edit_accept(edit=edit, by=request.user)
    except ServiceError as error:
        messages.error(request, f"Nothing changed. {_error_text(error)}")
    else:
        if edit.removes:
            messages.success(request, f"You agreed: “{milestone.title}” is removed from the contract.")
        else:
            messages.success(
                request,
                f"You accepted the change: “{milestone.title}” is now "
                f"{money(milestone.amount_cents, milestone.contract.currency)}, "
                f"due {milestone.due_date.day} {milestone.due_date:%b %Y}.",
            )
    return redirect(_back_to(edit.milestone))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_edit_decline(request, pk: int):
    edit = _party_edit(request, pk)
    return _answer_with_reason(
        request,
        edit.milestone,
        action="answer_edit",
        form_class=MilestoneEditDeclineForm,
        call=lambda reason: services.milestone_edit_decline(edit=edit, by=request.user, reason=reason),
        success="You declined the change. The milestone keeps its agreed terms.",
    )


@login_required
@require_POST
def milestone_edit_withdraw(request, pk: int):
    edit = _party_edit(request, pk)
    try:
        services.milestone_edit_withdraw(edit=edit, by=request.user)
    except ServiceError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "You withdrew the proposed change. The milestone keeps its agreed terms.")
    return redirect(_back_to(edit.milestone))


@login_required
@require_safe
def submission_file(request, pk: int):
    stored = get_object_or_404(selectors.submission_files_for_user(request.user), pk=pk)
    try:
        return attachment_response(stored)
    except OSError as error:  # the row outlived its file: a 404, not a 500
        raise Http404("This file is no longer available.") from error
