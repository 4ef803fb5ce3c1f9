"""What the contract and offer pages show: each milestone as the viewer sees it, the buttons they
may press, what they should do next and the contract's timeline.

Reads only: every rule about what may happen lives on the models (Milestone.actions_for) and in
the services; this module turns them into rows and forms for the templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.utils import timezone

from contracts import selectors
from contracts.forms import (
    AddMilestoneForm,
    MilestoneEditDeclineForm,
    MilestoneEditForm,
    OfferDeclineForm,
    PartialReleaseForm,
    ReasonForm,
    RefundDeclineForm,
    RefundOfferForm,
    RefundRequestForm,
    SubmitWorkForm,
)
from contracts.models import Contract, ContractEvent, Milestone, MilestoneEdit, Offer, RefundRequest
from core.forms import dollars_for_input
from messaging.selectors import topic_conversation
from payments.charges import processing_references
from payments.fees import fee_breakdown
from payments.gateways import get_gateway

SANDBOX_NOTICE = "Sandbox payments: no real card is charged. Use any card number; 4000 0000 0000 0002 is declined."


def sandbox() -> dict:
    return {"sandbox_notice": SANDBOX_NOTICE if getattr(get_gateway(), "is_sandbox", False) else ""}


def form_prefix(action: str, milestone: Milestone | int) -> str:
    """Each milestone's forms get their own prefix, so field ids stay unique on the page."""
    pk = milestone if isinstance(milestone, int) else milestone.pk
    return f"{action.replace('_', '-')}-{pk}"


ADD_FORM = "add"


def failed_form_name(action: str, milestone_pk: int) -> str:
    """How a milestone's failed form is named while it waits to be shown again (core.failed_forms)."""
    return f"{action}:{milestone_pk}"


# --- Offers ---------------------------------------------------------------------------------

# How each step of an offer reads on its history, by the status it led to.
OFFER_HISTORY = {
    Offer.Status.OFFERED: "offered these terms",
    Offer.Status.ACCEPTED: "accepted; the contract started",
    Offer.Status.DECLINED: "declined",
    Offer.Status.WITHDRAWN: "withdrew the offer",
    Offer.Status.EXPIRED: "expired: nobody accepted it in time",
}


def offer_context(request, offer: Offer, *, decline_form: OfferDeclineForm | None = None) -> dict:
    user = request.user
    party = offer.party_of(user)
    is_open = offer.is_offered
    expired = bool(is_open and offer.expires_at and offer.expires_at <= timezone.now())
    live = is_open and not expired
    awaiting_me = live and offer.awaiting == party
    other = offer.freelancer if party == Offer.Party.CLIENT else offer.client
    awaiting_person = offer.client if offer.awaiting == Offer.Party.CLIENT else offer.freelancer
    events = list(offer.events.select_related("actor"))
    # Who proposed the terms shown, and when: the latest revision's author, else the client's offer.
    revisions = [e for e in events if e.from_status == e.to_status == Offer.Status.OFFERED and e.actor]
    terms_by, terms_at = (revisions[-1].actor, revisions[-1].at) if revisions else (offer.client, offer.created_at)
    return {
        "offer": offer,
        "OfferStatus": Offer.Status,  # the history compares each step's status with these
        "as_client": party == Offer.Party.CLIENT,
        "other": other,
        "terms_by": terms_by,
        "terms_at": terms_at,
        "milestones": list(offer.milestones.all()),
        "history": [(event, OFFER_HISTORY.get(event.to_status, event.to_status)) for event in events],
        "fees": selectors.offer_fees(offer),
        "live": live,
        "expired": expired,
        "awaiting_me": awaiting_me,
        "awaiting_person": awaiting_person,
        "contract": getattr(offer, "contract", None) if offer.is_accepted else None,
        "can_accept": awaiting_me,
        "can_decline": live and party == Offer.Party.FREELANCER,
        "can_withdraw": live and party == Offer.Party.CLIENT,
        "can_revise": live,
        "decline_form": decline_form or OfferDeclineForm(),
        "clearance_days": settings.CLEARANCE_DAYS,
        "auto_release_days": settings.AUTO_RELEASE_DAYS,
    }


def offer_groups(offers: list[Offer], user) -> list[tuple[str, list[Offer]]]:
    """The offer list in the order a person acts on it: theirs to answer first."""
    waiting_for_me, waiting_for_them, accepted, closed = [], [], [], []
    for offer in offers:
        if offer.is_offered:
            (waiting_for_me if offer.awaiting == offer.party_of(user) else waiting_for_them).append(offer)
        elif offer.is_accepted:
            accepted.append(offer)
        else:
            closed.append(offer)
    groups = [
        ("Waiting for your answer", waiting_for_me),
        ("Waiting for the other side", waiting_for_them),
        ("Accepted", accepted),
        ("Declined, withdrawn or expired", closed),
    ]
    return [group for group in groups if group[1]]


# --- Contracts ------------------------------------------------------------------------------


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
    payment_processing: bool = False


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


def timeline(contract: Contract, user) -> list[dict]:
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


def next_steps(rows: list[MilestoneRow], contract: Contract, *, as_client: bool) -> list[dict]:
    """One line per thing the viewer should do now, linking to the milestone; once every milestone
    is settled, ending the contract (and, for a paid test, what may follow it)."""
    steps = []
    if rows and all(row.milestone.is_settled for row in rows):
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
            verb = "Deliver the changes for" if m.is_changes_requested else "Deliver"
            steps.append({"text": f"{verb} “{m.title}”", "anchor": anchor, "due": m.due_date})
        if "answer_refund" in row.actions:
            steps.append({"text": f"Answer the client's refund request on “{m.title}”", "anchor": anchor})
        if "answer_edit" in row.actions:
            steps.append({"text": f"Accept or decline the proposed change to “{m.title}”", "anchor": anchor})
        if "decline" in row.actions:
            steps.append({"text": f"New change order “{m.title}”: wait for funding or decline it", "anchor": anchor})
    return steps


def _fee_note() -> str:
    """The fee tiers in words: they depend on settings only, not on the milestone or what the pair
    has billed, so one note serves every row without a query."""
    return fee_breakdown(amount_cents=0, billed_before_cents=0).rate_note


def _milestone_forms(row: MilestoneRow) -> None:
    milestone = row.milestone
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


def milestone_rows(request, contract: Contract, *, reasons: dict, failed: tuple | None = None) -> list[MilestoneRow]:
    """Each milestone with the viewer's actions and forms; a form that failed to post is shown
    again with its errors (or, when it is not on this person's page, its errors as messages)."""
    user = request.user
    fee_note = ""
    rows = []
    milestones = list(selectors.contract_milestones(contract))
    processing = processing_references(contract.payment_group)
    for milestone in milestones:
        milestone.contract = contract  # actions_for, rounds_left and the templates read it; spares a query each
        pending_refund = milestone.pending_refund
        # A change waits only on an unfunded milestone: funding withdraws it.
        pending_edit = milestone.pending_edit if milestone.is_pending else None
        row = MilestoneRow(
            milestone=milestone,
            actions=milestone.actions_for(user, pending_refund=pending_refund, pending_edit=pending_edit),
            pending_refund=pending_refund,
            pending_edit=pending_edit,
            submissions=milestone.deliveries,
            change_reason=reasons.get(milestone.pk, ""),
            payment_processing=milestone.ledger_reference in processing,
        )
        if row.payment_processing:
            # Paid and waiting for the processor's confirmation: no second payment, no edits meanwhile.
            row.actions -= {"fund", "remove", "decline", "edit", "propose_removal", "answer_edit", "withdraw_edit"}
        _milestone_forms(row)
        if failed and failed[0] == milestone.pk:
            if failed[1] in row.actions:
                row.forms[failed[1]] = failed[2]
            else:  # the form is not on this person's page: say why where they will see it
                for texts in failed[2].errors.values():
                    for text in texts:
                        messages.error(request, text)
        if "release_part" in row.actions:
            row.fee_note = fee_note = fee_note or _fee_note()
        rows.append(row)
    return rows


def restored_forms(failure) -> dict:
    """contract_context's arguments for a form that failed on the contract page and comes back."""
    if failure is None:
        return {}
    if failure.name == ADD_FORM:
        return {"add_form": failure.bind(AddMilestoneForm, prefix=ADD_FORM)}
    action, _, pk = failure.name.partition(":")
    form_class = MilestoneEditForm if action == "edit" else FORMS_FOR_ACTION.get(action)
    if form_class is None or not pk.isdigit():
        return {}
    return {"failed": (int(pk), action, failure.bind(form_class, prefix=form_prefix(action, int(pk))))}


def contract_context(request, contract: Contract, *, failed: tuple[int, str, object] | None = None, add_form=None):
    user = request.user
    as_client = contract.client_id == user.pk
    active = contract.is_active
    events = timeline(contract, user)
    reasons = {
        row["event"].milestone_id: row["event"].note for row in events if row["event"].verb == "changes requested"
    }
    rows = milestone_rows(request, contract, reasons=reasons, failed=failed)
    ended = [row["event"] for row in events if row["event"].verb == ContractEvent.Verb.ENDED]
    milestones = [row.milestone for row in rows]
    ended_test = (
        not active and contract.is_test_project and contract.end_reason == Contract.EndReason.COMPLETED and as_client
    )
    return {
        "contract": contract,
        "as_client": as_client,
        "other": contract.freelancer if as_client else contract.client,
        "rows": rows,
        "next_steps": next_steps(rows, contract, as_client=as_client) if active else [],
        "totals": {
            "amount": sum(m.amount_cents for m in milestones if not m.is_cancelled),
            "held": sum(m.held_cents for m in milestones),
            "released": sum(m.released_cents for m in milestones),
            "refunded": sum(m.refunded_cents for m in milestones),
        },
        "timeline": events,
        "ended_by": ended[-1].actor if ended else None,
        "conversation": topic_conversation(topic_type="contract", topic_id=contract.pk, user=user),
        "add_form": add_form or AddMilestoneForm(prefix=ADD_FORM),
        "can_add": active and as_client,
        "can_end": active,
        "can_continue": ended_test,
        **follow_ons(contract),
        "auto_release_days": settings.AUTO_RELEASE_DAYS,
        "clearance_days": settings.CLEARANCE_DAYS,
        **sandbox(),
    }


def end_context(request, contract: Contract, form) -> dict:
    """The confirmation before a contract ends: what blocks it (money held, a payment processing),
    which unfunded milestones it removes, and whether it counts as completed or ended early."""
    milestones = selectors.contract_milestones(contract)
    processing = processing_references(contract.payment_group)
    held = [m for m in milestones if m.is_held or m.is_disputed]
    removed = [m for m in milestones if m.is_pending]
    waiting = [m for m in removed if m.ledger_reference in processing]
    as_client = contract.client_id == request.user.pk
    return {
        "contract": contract,
        "form": form,
        "as_client": as_client,
        "other": contract.freelancer if as_client else contract.client,
        "held": held,
        "removed": removed,
        "removed_total": sum(m.amount_cents for m in removed),
        "waiting": waiting,
        "blocked": bool(held or waiting),
        "released": sum(m.released_cents for m in milestones),
        "completes": Contract.end_outcome(milestones) == Contract.EndReason.COMPLETED,
    }


def follow_ons(contract: Contract) -> dict:
    """The offers made after this paid test and the contracts they became, in one query; only a
    paid test has any, so any other contract needs none."""
    if not contract.is_test_project:
        return {"follow_on_offers": [], "follow_on_contracts": []}
    offers = list(contract.follow_on_offers.select_related("contract"))
    contracts = [offer.contract for offer in offers if offer.is_accepted and hasattr(offer, "contract")]
    contracts.sort(key=lambda c: (c.started_at, c.pk), reverse=True)  # Contract's own ordering
    return {"follow_on_offers": offers, "follow_on_contracts": contracts}


def contract_list_rows(contracts: list[Contract], user) -> list[dict]:
    """Each contract with its money and what waits on the viewer, from prefetched milestones."""
    rows = []
    for contract in contracts:
        milestones = [m for m in contract.milestones.all() if not m.is_cancelled]
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
                "to_review": sum(1 for m in milestones if as_client and m.is_submitted),
                "to_fund": sum(1 for m in milestones if as_client and m.is_pending),
                "to_deliver": sum(1 for m in milestones if not as_client and (m.is_funded or m.is_changes_requested)),
            }
        )
    return rows
