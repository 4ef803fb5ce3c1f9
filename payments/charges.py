"""Card payments: record, commit, call the processor, post the outcome.

A payment is recorded (`processing`) before the processor is called, under a key derived from
what it pays for and the attempt ("pay:milestone:12:1"), so a retry after a crash reaches the
same PaymentIntent at Stripe and never charges twice. It succeeds when the processor confirms
it: the sandbox answers at once, Stripe through its webhook (or the sweeper asking it about a
payment still processing after PAYMENT_STALE_MINUTES). Only then does the owner of what it pays
for (a listener) move the money into escrow.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import transitions
from core.exceptions import InvalidTransition
from payments import listeners
from payments.gateways import GatewayError, GatewayUnavailable, PaymentOutcome, get_gateway
from payments.models import BillingProfile, Payment, PaymentEvent


def live_payment(reference: str) -> Payment | None:
    """The payment in flight or made for `reference`, if any."""
    return (
        Payment.objects.filter(reference=reference, status__in=[Payment.Status.PROCESSING, Payment.Status.SUCCEEDED])
        .order_by("-pk")
        .first()
    )


def processing_references(group: str) -> set[str]:
    """What in this transfer group (a contract) has a card payment still waiting for the processor's
    confirmation: one query, whatever the group holds."""
    return set(
        Payment.objects.filter(group=group, status=Payment.Status.PROCESSING).values_list("reference", flat=True)
    )


def latest_payment(reference: str) -> Payment | None:
    return Payment.objects.filter(reference=reference).order_by("-pk").first()


def payment_record(
    *, reference: str, payer, amount_cents: int, fee_cents: int, currency: str, group: str, description: str
) -> Payment:
    """Record a payment about to be made. The caller holds the lock on what it pays for; a second
    payment while one is processing or made is refused before any charge."""
    if live_payment(reference) is not None:
        raise InvalidTransition("A payment for this is already processing or made.")
    attempt = Payment.objects.filter(reference=reference).count() + 1
    try:
        with transaction.atomic():
            return Payment.objects.create(
                reference=reference,
                payer=payer,
                amount_cents=amount_cents,
                fee_cents=fee_cents,
                currency=currency,
                group=group,
                description=description[:300],
                gateway=get_gateway().name,
                idempotency_key=f"pay:{reference}:{attempt}",
            )
    except IntegrityError:
        raise InvalidTransition("A payment for this is already processing or made.") from None


def _metadata(payment: Payment) -> dict[str, str]:
    # Enough for a webhook to find (or, after a crash before our commit, rebuild) the payment.
    return {
        "payment_key": payment.idempotency_key,
        "reference": payment.reference,
        "payer_id": str(payment.payer_id),
        "amount_cents": str(payment.amount_cents),
        "fee_cents": str(payment.fee_cents),
        "group": payment.group,
    }


def payment_submit(payment: Payment, *, card_number: str = "", payer_present: bool = True) -> PaymentOutcome:
    """Call the processor for a recorded payment and post what it answered. No answer (a timeout)
    leaves the payment processing: the webhook or the sweeper settles it. `payer_present`: the
    payer is on the page that reads the answer, so a decline is told there, not notified too."""
    gateway = get_gateway()
    profile = BillingProfile.objects.filter(user_id=payment.payer_id).first()
    try:
        outcome = gateway.pay(
            key=payment.idempotency_key,
            amount_cents=payment.total_cents,
            currency=payment.currency,
            customer_id=profile.customer_id if profile else "",
            card_id=profile.card_id if profile else "",
            group=payment.group,
            metadata=_metadata(payment),
            description=payment.description,
            card_number=card_number,
        )
    except GatewayUnavailable:
        return PaymentOutcome(status="processing")
    except GatewayError as error:
        outcome = PaymentOutcome(status="failed", message=str(error))
    if gateway.is_sandbox and outcome.status == "succeeded":
        outcome = _sandbox_card(payment, outcome, card_number, profile)
    payment_apply(payment, outcome, confirmed=gateway.is_sandbox, payer_present=payer_present)
    return outcome


def _sandbox_card(payment: Payment, outcome: PaymentOutcome, card_number: str, profile) -> PaymentOutcome:
    """The sandbox remembers the card a payment was made with, as Stripe does with a saved card."""
    number = card_number.replace(" ", "")
    if number:
        from payments.cards import card_store
        from payments.gateways import SandboxGateway

        card = (
            SandboxGateway()
            .card_setup_start(
                customer_id="", user_id=payment.payer_id, return_url="", cancel_url="", card_number=number
            )
            .card
        )
        card_store(user_id=payment.payer_id, card=card, gateway="sandbox")
        return PaymentOutcome(**{**outcome.__dict__, "card_label": f"{card.brand.title()} •••• {card.last4}"})
    if profile and profile.has_card:
        return PaymentOutcome(**{**outcome.__dict__, "card_label": profile.card_label})
    return outcome


@transaction.atomic
def payment_apply(
    payment: Payment, outcome: PaymentOutcome, *, confirmed: bool, payer_present: bool = False
) -> Payment:
    """Keep what the processor said of a payment. A success counts only when `confirmed` (the
    sandbox's own answer, a webhook, or a status read from the processor); Stripe's answer to
    the create call alone leaves it processing until the webhook comes."""
    details = {
        name: value
        for name, value in (
            ("intent_id", outcome.intent_id),
            ("charge_id", outcome.charge_id),
            ("receipt_url", outcome.receipt_url),
            ("card_label", outcome.card_label),
        )
        if value
    }
    if details:
        Payment.objects.filter(pk=payment.pk).update(**details)
    if outcome.status == "succeeded" and confirmed:
        return payment_succeeded(payment)
    if outcome.status == "failed":
        return payment_failed(payment, message=outcome.message, payer_present=payer_present)
    payment.refresh_from_db()
    return payment


@transaction.atomic
def payment_succeeded(payment: Payment) -> Payment:
    """The processor confirmed the money: once, whatever order or how often it says so."""
    current = transitions.lock(payment)
    if current.status == Payment.Status.SUCCEEDED:
        return current
    duplicate = _another_live(current)
    if duplicate:
        # A payment reported failed that then succeeded (a retried confirmation) while another
        # payment for the same thing went through: keep it apart and give the money back.
        Payment.objects.filter(pk=current.pk).update(reference=f"{current.reference}:duplicate:{current.pk}")
    current = transitions.move(
        current,
        to=Payment.Status.SUCCEEDED,
        by=None,
        event_model=PaymentEvent,
        event_field="payment",
        note="Paid twice: returned to the card." if duplicate else "",
        settled_at=timezone.now(),
        failure_message="",
    )
    if duplicate:
        from payments.outbox import payment_return

        payment_return(current, key=f"refund:duplicate:{current.pk}")
        return current
    listeners.emit(listeners.PAYMENT_SUCCEEDED, payment=current)
    return current


def _another_live(payment: Payment) -> bool:
    return (
        Payment.objects.filter(
            reference=payment.reference, status__in=[Payment.Status.PROCESSING, Payment.Status.SUCCEEDED]
        )
        .exclude(pk=payment.pk)
        .exists()
    )


@transaction.atomic
def payment_failed(payment: Payment, *, message: str, payer_present: bool = False) -> Payment:
    current = transitions.lock(payment)
    if current.status != Payment.Status.PROCESSING:
        return current  # a late failure after success, or a repeat: nothing to change
    current = transitions.move(
        current,
        to=Payment.Status.FAILED,
        by=None,
        event_model=PaymentEvent,
        event_field="payment",
        note=message[:300],
        failure_message=(message or "The payment did not go through. Nothing was charged.")[:300],
        settled_at=timezone.now(),
    )
    listeners.emit(listeners.PAYMENT_FAILED, payment=current, payer_present=payer_present)
    return current


def payments_sweep(*, now=None) -> int:
    """Ask the processor about payments still processing after PAYMENT_STALE_MINUTES (a webhook
    lost, or a crash between our record and the call): the same key reaches the same payment."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_STALE_MINUTES)
    settled = 0
    for payment in Payment.objects.filter(status=Payment.Status.PROCESSING, created_at__lte=cutoff).order_by("pk"):
        gateway = get_gateway()
        try:
            if payment.intent_id:
                outcome = gateway.payment_status(intent_id=payment.intent_id)
            else:
                # Never reached the processor, or its answer was lost: the same key replays it.
                outcome = payment_submit(payment, payer_present=False)
                if outcome.status != "succeeded" or gateway.is_sandbox:
                    settled += outcome.status != "processing"
                    continue
                # A create call's answer alone does not confirm a payment (payment_apply): read it.
                outcome = gateway.payment_status(intent_id=outcome.intent_id)
        except (GatewayUnavailable, GatewayError):
            continue
        if outcome.status == "processing":
            continue
        payment_apply(payment, outcome, confirmed=True)
        settled += 1
    return settled
