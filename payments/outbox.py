"""The outbox: processor calls that must follow a committed state.

A refund after the ledger refunded, a transfer after a withdrawal: the call is written as a
pending GatewayCall in the same transaction as that state, run by a task after commit, and
retried by the sweeper while it is pending. Its key is fixed when it is written, so a crash
between the processor acting and our noting it (the task runs again) is answered by the
processor with its first result: one refund, one transfer, however often it is retried.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import transitions
from core.exceptions import DomainError, InvalidTransition
from payments import listeners
from payments.gateways import GatewayError, GatewayUnavailable, get_gateway
from payments.models import GatewayCall, GatewayCallEvent, Payment, PayoutAccount

# A transfer the processor refuses is tried again (its balance may be short, or the account's
# payouts paused) this many times, backing off, before the money goes back to the balance.
TRANSFER_ATTEMPTS = 8


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 12 * 60))


def _enqueue_after_commit(call: GatewayCall) -> None:
    from payments.tasks import run_gateway_call

    transaction.on_commit(lambda: run_gateway_call.delay(call.pk))


def refund_enqueue(*, payment: Payment | None, amount_cents: int, key: str, currency: str = "USD") -> GatewayCall:
    """A refund of `amount_cents` of `payment`, carried out after commit. The payment's refunded
    total is raised here under a compare-and-set, so refunds never pass what was charged."""
    existing = GatewayCall.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    if payment is not None:
        updated = Payment.objects.filter(
            pk=payment.pk, refunded_cents__lte=F("amount_cents") + F("fee_cents") - amount_cents
        ).update(refunded_cents=F("refunded_cents") + amount_cents)
        if updated != 1:
            raise DomainError("That is more than is left of the card payment to refund.")
    call = GatewayCall.objects.create(
        kind=GatewayCall.Kind.REFUND, idempotency_key=key, amount_cents=amount_cents, currency=currency, payment=payment
    )
    _enqueue_after_commit(call)
    return call


def payment_return(payment: Payment, *, key: str) -> GatewayCall:
    """All of a payment back to the card (it paid for something no longer payable)."""
    return refund_enqueue(payment=payment, amount_cents=payment.total_cents - payment.refunded_cents, key=key)


def transfer_enqueue(*, payout, amount_cents: int, key: str, currency: str = "USD") -> GatewayCall:
    existing = GatewayCall.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    call = GatewayCall.objects.create(
        kind=GatewayCall.Kind.TRANSFER, idempotency_key=key, amount_cents=amount_cents, currency=currency, payout=payout
    )
    _enqueue_after_commit(call)
    return call


def _finish(call: GatewayCall, *, to: str, note: str = "", **changes) -> GatewayCall | None:
    try:
        return transitions.move(
            call, to=to, by=None, event_model=GatewayCallEvent, event_field="call", note=note[:300], **changes
        )
    except InvalidTransition:
        return None  # another run of the same call finished it first


def call_run(call_id: int, *, now=None) -> GatewayCall:
    """Carry out one outbox call. Safe to run twice at once or again after a crash: the key
    makes the processor act once, and the status moves once."""
    now = now or timezone.now()
    call = GatewayCall.objects.select_related("payment", "payout").get(pk=call_id)
    if call.status != GatewayCall.Status.PENDING:
        return call
    GatewayCall.objects.filter(pk=call.pk).update(attempts=F("attempts") + 1)
    call.refresh_from_db()
    gateway = get_gateway()
    try:
        if call.kind == GatewayCall.Kind.REFUND:
            result = gateway.refund(
                key=call.idempotency_key,
                intent_id=call.payment.intent_id if call.payment else "",
                amount_cents=call.amount_cents,
                currency=call.currency,
                metadata={"call_key": call.idempotency_key},
            )
        else:
            account = PayoutAccount.objects.filter(user_id=call.payout.freelancer_id).first()
            if account is None or not account.payouts_enabled:
                raise GatewayError("Your payout account cannot receive money yet: finish setting it up.")
            result = gateway.transfer(
                key=call.idempotency_key,
                destination=account.account_id,
                amount_cents=call.amount_cents,
                currency=call.currency,
                metadata={"call_key": call.idempotency_key, "payout_id": str(call.payout_id)},
            )
    except GatewayUnavailable as error:
        GatewayCall.objects.filter(pk=call.pk).update(
            last_error=f"No answer from the processor: {error}"[:300], next_attempt_at=now + _backoff(call.attempts)
        )
        call.refresh_from_db()
        return call
    except GatewayError as error:
        return _refused(call, str(error), now=now)
    with transaction.atomic():
        done = _finish(call, to=GatewayCall.Status.DONE, result_id=result.reference, done_at=now, last_error="")
        if done is not None and done.kind == GatewayCall.Kind.TRANSFER:
            from payments.services import payout_sent

            payout_sent(done.payout, reference=result.reference)
    call.refresh_from_db()
    return call


def _refused(call: GatewayCall, message: str, *, now) -> GatewayCall:
    if call.kind == GatewayCall.Kind.TRANSFER and call.attempts < TRANSFER_ATTEMPTS:
        # Retried with the same key: the account may be finished or the balance topped up meanwhile.
        GatewayCall.objects.filter(pk=call.pk).update(
            last_error=message[:300], next_attempt_at=now + _backoff(call.attempts)
        )
        call.refresh_from_db()
        return call
    with transaction.atomic():
        failed = _finish(call, to=GatewayCall.Status.FAILED, note=message, last_error=message[:300])
        if failed is not None and failed.kind == GatewayCall.Kind.TRANSFER:
            from payments.services import payout_returned

            payout_returned(failed.payout, reason=message)
        elif failed is not None:
            listeners.emit(listeners.REFUND_FAILED, call=failed)
    call.refresh_from_db()
    return call


def calls_sweep(*, now=None) -> int:
    """Run every pending call that is due: the ones whose task was lost, or that wait for a retry."""
    now = now or timezone.now()
    due = GatewayCall.objects.filter(status=GatewayCall.Status.PENDING, next_attempt_at__lte=now).order_by("pk")
    count = 0
    for call_id in due.values_list("pk", flat=True)[:500]:
        call_run(call_id, now=now)
        count += 1
    return count
