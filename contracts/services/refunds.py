"""Money that leaves a held milestone other than by approval: part released early, refunded by
agreement (a request the freelancer accepts, or an offer the freelancer makes), or split by staff.

Each is keyed by what asked for it: the refund request's id, the intent of the form that was
confirmed, or the milestone for a split. Replaying any of them moves money once.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from contracts.models import (
    Contract,
    ContractEvent,
    Milestone,
    RefundRequest,
    RefundRequestEvent,
)
from contracts.services._common import (
    billed_before,
    check_amount,
    check_party,
    event,
    lock_milestone,
    milestone_url,
    move_milestone,
    require_active,
    require_held,
)
from core import transitions
from core.exceptions import DomainError, InvalidTransition, NotAllowed
from core.templatetags.core_tags import money
from notifications.services import notify
from payments.charges import live_payment
from payments.escrow import escrow_refund, escrow_release, escrow_split
from payments.outbox import refund_enqueue
from payments.selectors import ledger_key_used


def _move_request(request: RefundRequest, *, to: str, by, note: str = "") -> RefundRequest:
    """A refund request is answered (or withdrawn) through core.transitions, with its history row."""
    return transitions.move(
        request,
        to=to,
        by=by,
        event_model=RefundRequestEvent,
        event_field="request",
        note=note,
        refuse="This refund request was already answered.",
        responded_at=timezone.now(),
    )


def _intent(intent: str) -> str:
    """The key part naming one request: the form's intent. A call without one (an API request
    without an Idempotency-Key) is a request of its own, so it gets a fresh key."""
    return intent or uuid.uuid4().hex


def _already_posted(key: str) -> bool:
    """Whether the ledger already holds the transaction this key names: a replayed request."""
    return ledger_key_used(key)


def release_partial_check(*, milestone: Milestone, by, amount_cents: int) -> None:
    """What refuses a partial release: the client only, on an active contract, from held money, less
    than all of it. The page asks before it shows the fee to confirm; the release asks again under
    its lock."""
    contract = milestone.contract
    check_party(contract, by, role="client", action="release money")
    require_active(contract)
    require_held(milestone, to="release")
    least = settings.MIN_PARTIAL_RELEASE_CENTS
    if milestone.held_cents - 1 < least:
        raise ValidationError(
            {
                "amount": [
                    f"Only {money(milestone.held_cents)} is held, too little to release part of it "
                    f"(a partial release is at least {money(least)}). Approve the milestone to release all of it."
                ]
            }
        )
    check_amount(
        amount_cents,
        most=milestone.held_cents - 1,
        what="A partial release (approve the milestone to release all of it)",
    )
    if amount_cents < least:
        raise ValidationError({"amount": [f"A partial release is at least {money(least)}."]})


@transaction.atomic
def milestone_release_partial(*, milestone: Milestone, by, amount_cents: int, intent: str = "") -> Milestone:
    """The client releases part of a held milestone early; the rest stays held. With an `intent`
    (the key of the form the client confirmed), the same intent releases money once."""
    contract, milestone = lock_milestone(milestone)
    check_party(contract, by, role="client", action="release money")
    key = f"release-part:{milestone.pk}:{_intent(intent)}"
    if _already_posted(key):
        return milestone
    release_partial_check(milestone=milestone, by=by, amount_cents=amount_cents)
    prior = billed_before(contract)
    transitions.compare_and_set(
        milestone,
        expect={"status": milestone.status, "released_cents": milestone.released_cents},
        released_cents=F("released_cents") + amount_cents,
    )
    event(
        contract=contract,
        milestone=milestone,
        actor=by,
        verb=ContractEvent.Verb.PARTLY_RELEASED,
        amount_cents=amount_cents,
    )
    fee = escrow_release(
        reference=milestone.ledger_reference,
        amount_cents=amount_cents,
        payee_id=contract.freelancer_id,
        billed_before_cents=prior,
        key=key,
        partial=True,
        currency=contract.currency,
    ).freelancer_fee_cents
    milestone.refresh_from_db()
    notify(
        recipient=contract.freelancer,
        kind="milestone.released",
        title=f"Part of “{milestone.title}” released early",
        body=f"{money(amount_cents - fee)} after a {money(fee)} fee; {money(milestone.held_cents)} is still held.",
        url=milestone_url(milestone),
    )
    return milestone


def cancel_pending_refund_requests(milestone: Milestone, contract: Contract, *, note: str) -> None:
    """A settled milestone has nothing left to refund: a request still waiting is withdrawn."""
    for request in milestone.refund_requests.filter(status=RefundRequest.Status.PENDING):
        _move_request(request, to=RefundRequest.Status.CANCELLED, by=None, note=note)
        event(contract=contract, milestone=milestone, verb=ContractEvent.Verb.REFUND_REQUEST_WITHDRAWN, note=note)


@transaction.atomic
def milestone_settle_split(*, milestone: Milestone, by, freelancer_cents: int, note: str = "") -> Milestone:
    """Settle a milestone in dispute: of what is held, `freelancer_cents` is released to the
    freelancer (less the fee) and the rest refunded to the client, in one SPLIT transaction
    (key split:<milestone>). Staff only; the Disputes capability decides the amounts."""
    contract, milestone = lock_milestone(milestone)
    if by is None or not by.is_staff:
        raise NotAllowed("Only staff settle a milestone in dispute.")
    return split_disputed(contract, milestone, by=by, freelancer_cents=freelancer_cents, note=note)


def split_disputed(contract: Contract, milestone: Milestone, *, by, freelancer_cents: int, note: str = "") -> Milestone:
    """The money move of a dispute's outcome, on a milestone already locked: who may settle it
    (staff, both parties agreeing, a deadline's default) is the caller's to check."""
    if milestone.status != Milestone.Status.DISPUTED:
        raise InvalidTransition("Only a milestone in dispute is settled by a split.")
    held = milestone.held_cents
    if isinstance(freelancer_cents, bool) or not isinstance(freelancer_cents, int) or not 0 <= freelancer_cents <= held:
        raise ValidationError({"freelancer_cents": [f"Choose whole cents from 0 to {money(held)}."]})
    client_cents = held - freelancer_cents
    key = f"split:{milestone.pk}"
    prior = billed_before(contract)
    milestone = move_milestone(
        milestone,
        to=Milestone.Status.RELEASED if freelancer_cents else Milestone.Status.REFUNDED,
        by=by,
        verb=ContractEvent.Verb.SETTLED_BY_SPLIT,
        amount_cents=held,
        note=(f"{money(freelancer_cents)} to the freelancer, {money(client_cents)} to the client. " + note)[:500],
        released_cents=F("released_cents") + freelancer_cents,
        refunded_cents=F("refunded_cents") + client_cents,
        settled_at=timezone.now(),
        auto_release_at=None,
    )
    refund = None
    if client_cents:
        refund = refund_enqueue(
            payment=live_payment(milestone.ledger_reference),
            amount_cents=client_cents,
            key=key,
            currency=contract.currency,
        )
    escrow_split(
        reference=milestone.ledger_reference,
        payee_cents=freelancer_cents,
        refund_cents=client_cents,
        payee_id=contract.freelancer_id,
        billed_before_cents=prior,
        key=key,
        currency=contract.currency,
        refund_reference=refund.idempotency_key if refund else "",
    )
    cancel_pending_refund_requests(milestone, contract, note="The dispute was settled.")
    return milestone


def _refund(milestone: Milestone, contract: Contract, *, amount_cents: int, by, key: str, verb: str) -> Milestone:
    remaining = milestone.held_cents
    full = amount_cents == remaining
    changes = {"refunded_cents": F("refunded_cents") + amount_cents}
    if full:
        milestone = move_milestone(
            milestone,
            to=Milestone.Status.REFUNDED,
            by=by,
            verb=verb,
            amount_cents=amount_cents,
            settled_at=timezone.now(),
            auto_release_at=None,
            **changes,
        )
    else:
        transitions.compare_and_set(
            milestone, expect={"status": milestone.status, "refunded_cents": milestone.refunded_cents}, **changes
        )
        event(contract=contract, milestone=milestone, actor=by, verb=verb, amount_cents=amount_cents)
        milestone.refresh_from_db()
    # The ledger gives the money back now; the processor's refund follows from the outbox after commit.
    refund = refund_enqueue(
        payment=live_payment(milestone.ledger_reference), amount_cents=amount_cents, key=key, currency=contract.currency
    )
    escrow_refund(
        reference=milestone.ledger_reference,
        amount_cents=amount_cents,
        key=key,
        currency=contract.currency,
        refund_reference=refund.idempotency_key,
    )
    if full:
        cancel_pending_refund_requests(milestone, contract, note="The milestone was refunded in full.")
    notify(
        recipient=contract.client,
        kind="milestone.refunded",
        title=f"Refunded {money(amount_cents)} for “{milestone.title}”",
        body="The money goes back to your card." + ("" if full else f" {money(milestone.held_cents)} is still held."),
        url=milestone_url(milestone),
    )
    return milestone


@transaction.atomic
def milestone_refund_request(
    *, milestone: Milestone, by, amount_cents: int | None = None, reason: str = ""
) -> RefundRequest:
    """The client asks for held money back (all by default); the freelancer agrees or declines."""
    contract, milestone = lock_milestone(milestone)
    check_party(contract, by, role="client", action="ask for a refund")
    require_active(contract)
    require_held(milestone, to="refund")
    amount = (
        milestone.held_cents
        if amount_cents is None
        else check_amount(amount_cents, most=milestone.held_cents, what="A refund")
    )
    if milestone.refund_requests.filter(status=RefundRequest.Status.PENDING).exists():
        raise DomainError("A refund request for this milestone is already waiting for the freelancer.")
    request = RefundRequest.objects.create(milestone=milestone, amount_cents=amount, reason=reason.strip()[:500])
    RefundRequestEvent.objects.create(request=request, actor=by, to_status=request.status, note=request.reason)
    event(
        contract=contract,
        milestone=milestone,
        actor=by,
        verb=ContractEvent.Verb.REFUND_REQUESTED,
        amount_cents=amount,
        note=request.reason,
    )
    notify(
        recipient=contract.freelancer,
        kind="milestone.refund_requested",
        title=f"The client asks for a refund of {money(amount)}",
        body=(request.reason + "\n" if request.reason else "")
        + f"On “{milestone.title}”. Agree or decline on the contract page.",
        url=milestone_url(milestone),
    )
    return request


@transaction.atomic
def refund_request_accept(*, request: RefundRequest, by) -> Milestone:
    """The freelancer agrees to a refund request; the money goes back to the client once."""
    contract, milestone = lock_milestone(request.milestone)
    check_party(contract, by, role="freelancer", action="agree to a refund")
    require_held(milestone, to="refund")
    request = _move_request(request, to=RefundRequest.Status.ACCEPTED, by=by)
    if request.amount_cents > milestone.held_cents:
        raise DomainError("Less money is held now than this request asked for; the client must ask again.")
    return _refund(
        milestone,
        contract,
        amount_cents=request.amount_cents,
        by=by,
        key=f"refund:request:{request.pk}",
        verb=ContractEvent.Verb.REFUNDED,
    )


@transaction.atomic
def refund_request_decline(*, request: RefundRequest, by, reason: str = "") -> RefundRequest:
    """The freelancer declines a refund request; the money stays held."""
    contract, milestone = lock_milestone(request.milestone)
    check_party(contract, by, role="freelancer", action="decline a refund")
    request = _move_request(request, to=RefundRequest.Status.DECLINED, by=by, note=reason.strip())
    event(
        contract=contract,
        milestone=milestone,
        actor=by,
        verb=ContractEvent.Verb.REFUND_DECLINED,
        note=reason.strip()[:500],
    )
    notify(
        recipient=contract.client,
        kind="milestone.refund_requested",
        title=f"The freelancer declined the refund on “{milestone.title}”",
        body=reason.strip()[:500]
        or "The money stays held. You can approve the work, or talk it over in the contract's messages.",
        url=milestone_url(milestone),
    )
    return request


@transaction.atomic
def milestone_refund_offer(*, milestone: Milestone, by, amount_cents: int, intent: str = "") -> Milestone:
    """The freelancer gives back part or all of a held milestone (cancelling it when all). With an
    `intent` (the key of the form they sent), the same intent refunds once."""
    contract, milestone = lock_milestone(milestone)
    check_party(contract, by, role="freelancer", action="give a refund")
    key = f"refund:offer:{milestone.pk}:{_intent(intent)}"
    if _already_posted(key):
        return milestone
    require_active(contract)
    require_held(milestone, to="refund")
    check_amount(amount_cents, most=milestone.held_cents, what="A refund")
    return _refund(
        milestone,
        contract,
        amount_cents=amount_cents,
        by=by,
        key=key,
        verb=ContractEvent.Verb.REFUNDED_BY_FREELANCER,
    )
