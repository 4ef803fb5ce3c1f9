"""Milestone money: funding, delivery, approval, auto-release, change orders (refunds.py: partial
moves, refunds and splits).

Every service here locks contract → milestone, re-checks the move, compares-and-sets the
status through core.transitions (or the counters through its compare-and-set) and posts the
ledger in the same transaction with a key named by what it does: the milestone, the refund
request, or the intent of the form that asked for a partial move. Replaying a request, a task or
a callback therefore changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.services import client_payment_method_verified
from contracts.models import (
    Contract,
    ContractEvent,
    Milestone,
    MilestoneEdit,
    Submission,
    SubmissionFile,
)
from contracts.services._common import (
    billed_before,
    check_party,
    event,
    lock_contract,
    lock_milestone,
    milestone_url,
    move_milestone,
    require_active,
    require_no_payment_processing,
    require_not_disputed,
)
from contracts.services.edits import check_milestone_terms, move_edit
from contracts.services.refunds import cancel_pending_refund_requests
from core.exceptions import DomainError, InvalidTransition
from core.files import check_uploads
from core.moments import moment_for
from core.templatetags.core_tags import money
from notifications.services import notify
from payments.charges import payment_record, payment_submit
from payments.escrow import escrow_fund, escrow_release
from payments.fees import client_fee_cents
from payments.gateways import GatewayError
from payments.outbox import payment_return

MAX_SUBMISSION_FILES = 10


def withdraw_pending_edits(milestone: Milestone, contract: Contract, *, note: str) -> None:
    """Once a milestone is funded or removed, a change still waiting for an answer can no longer apply."""
    for edit in milestone.edits.filter(status=MilestoneEdit.Status.PENDING):
        move_edit(edit, to=MilestoneEdit.Status.WITHDRAWN, by=None, note=note)
        event(contract=contract, milestone=milestone, verb=ContractEvent.Verb.CHANGE_LAPSED, note=note)


def milestone_fund(*, milestone: Milestone, by, card_number: str = "") -> Milestone:
    """The client pays for a milestone before work on it starts; the money is held in escrow.

    Two phases, as with any processor: the payment is recorded and committed first (refused if
    one is already processing or made), then the card is charged, then the outcome is posted. The
    milestone becomes funded when the processor confirms the payment (the sandbox at once, Stripe
    by its webhook: milestone_payment_succeeded); until then its page says payment processing.
    A declined card raises GatewayError with the processor's words; nothing was charged."""
    payment = _payment_record(milestone=milestone, by=by)
    outcome = payment_submit(payment, card_number=card_number)
    if outcome.status == "failed":
        raise GatewayError(outcome.message or "The card was declined. Nothing was charged.")
    milestone.refresh_from_db()
    return milestone


@transaction.atomic
def _payment_record(*, milestone: Milestone, by):
    contract, milestone = lock_milestone(milestone)
    check_party(contract, by, role="client", action="fund milestones")
    require_active(contract)
    if milestone.status != Milestone.Status.PENDING:
        raise InvalidTransition(f"This milestone is already {milestone.get_status_display().lower()}.")
    return payment_record(
        reference=milestone.ledger_reference,
        payer=by,
        amount_cents=milestone.amount_cents,
        fee_cents=client_fee_cents(milestone.amount_cents),
        currency=contract.currency,
        group=contract.payment_group,
        description=f"Milestone “{milestone.title}” of “{contract.title}”",
    )


@transaction.atomic
def milestone_payment_succeeded(*, payment) -> None:
    """The processor confirmed a milestone's payment: the milestone is funded and the money held,
    once. A payment that can no longer fund it (removed, the contract ended, its amount changed
    meanwhile) is booked and returned to the card in full."""
    kind, _, pk = payment.reference.partition(":")
    if kind != "milestone" or not pk.isdigit():
        return
    milestone = Milestone.objects.filter(pk=int(pk)).first()
    if milestone is None:
        payment_return(payment, key=f"refund:unusable:{payment.pk}")
        return
    contract, milestone = lock_milestone(milestone)
    usable = (
        milestone.status == Milestone.Status.PENDING
        and contract.status == Contract.Status.ACTIVE
        and milestone.amount_cents == payment.amount_cents
    )
    if not usable:
        payment_return(payment, key=f"refund:unusable:{payment.pk}")
        notify(
            recipient=contract.client,
            kind="milestone.payment_returned",
            title=f"Payment returned: “{milestone.title}”",
            body=f"The milestone changed while your payment was processing, so {money(payment.total_cents)} "
            "goes back to your card.",
            url=milestone_url(milestone),
        )
        return
    milestone = move_milestone(
        milestone,
        to=Milestone.Status.FUNDED,
        by=contract.client,
        verb=ContractEvent.Verb.FUNDED,
        amount_cents=milestone.amount_cents,
        funded_at=timezone.now(),
    )
    withdraw_pending_edits(milestone, contract, note="The milestone was funded at its agreed amount.")
    escrow_fund(
        reference=milestone.ledger_reference,
        amount_cents=payment.amount_cents,
        client_fee_cents=payment.fee_cents,
        key=f"fund:{milestone.pk}",
        currency=contract.currency,
        charge_reference=payment.charge_id or payment.intent_id,
    )
    client_payment_method_verified(user=contract.client)
    notify(
        recipient=contract.freelancer,
        kind="milestone.funded",
        title=f"Funded: “{milestone.title}” ({money(milestone.amount_cents)})",
        body="The money is held until the client approves your work. You can start.",
        url=milestone_url(milestone),
    )


@transaction.atomic
def milestone_submit(*, milestone: Milestone, by, message: str, files=()) -> Submission:
    """The freelancer delivers work on a funded milestone; the client's review clock starts."""
    contract, milestone = lock_milestone(milestone)
    check_party(contract, by, role="freelancer", action="submit work")
    require_active(contract)
    require_not_disputed(milestone)
    message = message.strip()
    files = list(files)
    if not message and not files:
        raise ValidationError({"message": ["Describe what you delivered, or attach it."]})
    if len(files) > MAX_SUBMISSION_FILES:
        raise ValidationError({"files": [f"Attach at most {MAX_SUBMISSION_FILES} files."]})
    now = timezone.now()
    auto_release_at = now + timedelta(days=settings.AUTO_RELEASE_DAYS)
    milestone = move_milestone(
        milestone,
        to=Milestone.Status.SUBMITTED,
        by=by,
        verb=ContractEvent.Verb.SUBMITTED,
        note=message[:200],
        submitted_at=now,
        auto_release_at=auto_release_at,
        reminded_2d_at=None,
        reminded_1d_at=None,
    )
    submission = Submission.objects.create(milestone=milestone, message=message or "(files attached)")
    check_uploads(files)
    for upload in files:
        SubmissionFile.build(upload, submission=submission).save()
    notify(
        recipient=contract.client,
        kind="milestone.submitted",
        title=f"Work delivered: “{milestone.title}”",
        body=(
            f"Review it by {moment_for(contract.client, auto_release_at)}. If you do nothing, "
            f"{money(milestone.held_cents)} is released to the freelancer automatically then."
        ),
        url=milestone_url(milestone),
    )
    return submission


@transaction.atomic
def milestone_request_changes(*, milestone: Milestone, by, reason: str) -> Milestone:
    """The client asks for changes, with a reason, at most the contract's number of rounds."""
    contract, milestone = lock_milestone(milestone)
    check_party(contract, by, role="client", action="request changes")
    require_active(contract)
    require_not_disputed(milestone)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say what needs to change."]})
    if milestone.status == Milestone.Status.SUBMITTED and milestone.changes_requested_count >= contract.change_rounds:
        raise DomainError(
            f"You have used all {contract.change_rounds} change rounds for this milestone. Approve it, add a paid "
            "change-order milestone for more work, or ask the freelancer for a refund."
        )
    milestone = move_milestone(
        milestone,
        to=Milestone.Status.CHANGES_REQUESTED,
        by=by,
        verb=ContractEvent.Verb.CHANGES_REQUESTED,
        note=reason,
        changes_requested_count=F("changes_requested_count") + 1,
        auto_release_at=None,
    )
    notify(
        recipient=contract.freelancer,
        kind="milestone.changes_requested",
        title=f"Changes requested on “{milestone.title}”",
        body=f"{reason}\n{_rounds_left_note(milestone.rounds_left)}",
        url=milestone_url(milestone),
    )
    return milestone


@transaction.atomic
def milestone_approve(*, milestone: Milestone, by, automatic: bool = False, now=None) -> Milestone:
    """The client approves (or the review window ran out): the money still held is released to
    the freelancer, less the fee, into their pending balance. Exactly once."""
    contract, milestone = lock_milestone(milestone)
    now = now or timezone.now()
    if automatic:
        # Re-checked under the lock: a change request or a resubmission since the sweep picked
        # this milestone means it is no longer due.
        if (
            milestone.status != Milestone.Status.SUBMITTED
            or not milestone.auto_release_at
            or milestone.auto_release_at > now
        ):
            raise InvalidTransition("This milestone is no longer due for automatic approval.")
    else:
        check_party(contract, by, role="client", action="approve work")
    require_active(contract)
    if milestone.status == Milestone.Status.DISPUTED:
        raise InvalidTransition("This milestone is in dispute; the money stays held until it is resolved.")
    remaining = milestone.held_cents
    prior = billed_before(contract)
    milestone = move_milestone(
        milestone,
        to=Milestone.Status.RELEASED,
        by=by,
        verb=ContractEvent.Verb.AUTO_APPROVED if automatic else ContractEvent.Verb.APPROVED,
        amount_cents=remaining,
        note="The review window ended." if automatic else "",
        released_cents=F("released_cents") + remaining,
        settled_at=now,
        auto_release_at=None,
    )
    fee = (
        escrow_release(
            reference=milestone.ledger_reference,
            amount_cents=remaining,
            payee_id=contract.freelancer_id,
            billed_before_cents=prior,
            key=f"release:{milestone.pk}",
            currency=contract.currency,
        ).freelancer_fee_cents
        if remaining
        else 0
    )
    cancel_pending_refund_requests(milestone, contract, note="The milestone was approved and paid.")
    notify(
        recipient=contract.freelancer,
        kind="milestone.released",
        title=f"Paid: “{milestone.title}”",
        body=(
            f"{money(remaining - fee)} (after a {money(fee)} fee) is in your pending balance and becomes "
            f"available in {settings.CLEARANCE_DAYS} days."
        ),
        url=milestone_url(milestone),
    )
    if automatic:
        notify(
            recipient=contract.client,
            kind="milestone.released",
            title=f"“{milestone.title}” was approved automatically",
            body=f"The {settings.AUTO_RELEASE_DAYS}-day review window ended, so {money(remaining)} was released.",
            url=milestone_url(milestone),
        )
    return milestone


def _rounds_left_note(left: int) -> str:
    if left == 0:
        return "That was the last change round: next time the client approves or adds a paid change order."
    return f"{left} change round{'' if left == 1 else 's'} left after this one."


@transaction.atomic
def milestone_add(*, contract: Contract, by, title: str, amount_cents: int, due_date: date) -> Milestone:
    """The client adds a change-order milestone to an active contract; it is funded like any other."""
    contract = lock_contract(contract)
    check_party(contract, by, role="client", action="add milestones")
    require_active(contract)
    title, amount_cents, due_date = check_milestone_terms(
        contract=contract, milestone=None, title=title, amount_cents=amount_cents, due_date=due_date
    )
    position = (contract.milestones.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    milestone = Milestone.objects.create(
        contract=contract,
        position=position,
        title=title.strip()[:120],
        amount_cents=amount_cents,
        due_date=due_date,
        is_change_order=True,
    )
    event(
        contract=contract,
        milestone=milestone,
        actor=by,
        verb=ContractEvent.Verb.MILESTONE_ADDED,
        to_status=milestone.status,
        amount_cents=amount_cents,
    )
    notify(
        recipient=contract.freelancer,
        kind="milestone.funded",
        title=f"New milestone on “{contract.title}”: {milestone.title}",
        body=(
            f"{money(amount_cents)}, due {due_date:%d %b %Y}. Start once it is funded. If you did not agree to "
            "it, decline it on the contract page before it is funded, or give the money back after."
        ),
        url=milestone_url(milestone),
    )
    return milestone


@transaction.atomic
def milestone_cancel(*, milestone: Milestone, by) -> Milestone:
    """An unfunded change order goes at once: the client withdraws it or the freelancer declines it.
    A milestone of the agreed terms is removed by agreement instead (milestone_removal_propose)."""
    contract, milestone = lock_milestone(milestone)
    check_party(contract, by, action="remove milestones")
    require_active(contract)
    if milestone.status != Milestone.Status.PENDING:
        raise InvalidTransition("Only milestones that are not funded yet can be removed. Ask for a refund instead.")
    require_no_payment_processing(contract, [milestone])
    if not milestone.is_change_order:
        other = contract.freelancer if by.pk == contract.client_id else contract.client
        raise DomainError(
            f"Milestones of the agreed terms are removed by agreement: propose removing it, and "
            f"{other.display_name} accepts or declines."
        )
    milestone = move_milestone(
        milestone, to=Milestone.Status.CANCELLED, by=by, verb=ContractEvent.Verb.REMOVED, settled_at=timezone.now()
    )
    withdraw_pending_edits(milestone, contract, note="The milestone was removed.")
    other = contract.freelancer if by.pk == contract.client_id else contract.client
    notify(
        recipient=other,
        kind="milestone.funded",
        title=f"Milestone removed: “{milestone.title}”",
        url=milestone_url(milestone),
    )
    return milestone


def milestones_auto_release_due(*, now=None) -> int:
    """Submitted work not acted on in time is approved. Each milestone in its own transaction;
    overlapping runs and redeliveries release it once."""
    now = now or timezone.now()
    released = 0
    due = Milestone.objects.filter(
        status=Milestone.Status.SUBMITTED, auto_release_at__lte=now, contract__status=Contract.Status.ACTIVE
    )
    for milestone in due.only("pk", "contract_id"):
        try:
            milestone_approve(milestone=milestone, by=None, automatic=True, now=now)
        except (InvalidTransition, DomainError):
            continue  # approved, changed or disputed meanwhile
        released += 1
    return released


def milestones_send_reminders(*, now=None) -> int:
    """Remind the client 2 days and 1 day before submitted work is approved automatically; once each."""
    now = now or timezone.now()
    sent = 0
    for days, field in ((2, "reminded_2d_at"), (1, "reminded_1d_at")):
        window = Milestone.objects.filter(
            status=Milestone.Status.SUBMITTED,
            auto_release_at__gt=now,
            auto_release_at__lte=now + timedelta(days=days),
            **{f"{field}__isnull": True},
        ).select_related("contract", "contract__client")
        for milestone in window:
            with transaction.atomic():
                claimed = Milestone.objects.filter(pk=milestone.pk, **{f"{field}__isnull": True}).update(**{field: now})
                if not claimed:
                    continue
                notify(
                    recipient=milestone.contract.client,
                    kind="milestone.submitted",
                    title=f"Review “{milestone.title}” within {days} day{'s' if days > 1 else ''}",
                    body=(
                        f"On {moment_for(milestone.contract.client, milestone.auto_release_at)} the work is approved "
                        f"automatically and {money(milestone.held_cents)} is released to the freelancer."
                    ),
                    url=milestone_url(milestone),
                )
                sent += 1
    return sent
