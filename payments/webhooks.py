"""Stripe's webhook: one endpoint, every event verified, stored once, handled in any order.

The signature is checked on the raw body with the endpoint's secret and a tolerance
(STRIPE_WEBHOOK_TOLERANCE_SECONDS, 300 by default): a bad, missing or stale signature gets 400
and writes nothing. The event is stored under its id in the same transaction as its effect, so a
redelivery finds its row and changes nothing; an event whose effect fails is rolled back with
its row and Stripe delivers it again. Each handler reads the state it needs (not the order
events came in) and only moves forward: a late `payment_failed` after `succeeded` changes
nothing. Unknown events are stored and ignored.
"""

from __future__ import annotations

import json
import logging
from datetime import date

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core import transitions
from payments import listeners
from payments.charges import payment_apply, payment_failed
from payments.gateways import GatewayUnavailable, PaymentOutcome
from payments.models import BankPayout, BankPayoutEvent, GatewayCall, Payment, PayoutAccount, WebhookEvent
from payments.payout_accounts import payout_account_apply
from payments.services import payout_returned

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    # The platform's endpoint and its Connect endpoint have a secret each: either may sign.
    secrets = [part.strip() for part in settings.STRIPE_WEBHOOK_SECRET.split(",") if part.strip()]
    if not secrets:
        return HttpResponseBadRequest("Webhooks are not configured (STRIPE_WEBHOOK_SECRET).")
    header = request.META.get("HTTP_STRIPE_SIGNATURE")
    if not header:
        return HttpResponseBadRequest("Missing Stripe-Signature header.")
    if not any(_verified(request.body, header, secret) for secret in secrets):
        return HttpResponseBadRequest("Invalid signature or payload.")
    try:
        payload = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest("Invalid payload.")
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str) or "type" not in payload:
        return HttpResponseBadRequest("Not an event.")
    try:
        outcome = handle_event(payload, gateway="stripe")
    except GatewayUnavailable:
        # The handler needed Stripe's current state and got no answer: nothing was kept, and Stripe
        # delivers the event again later.
        return HttpResponse("Stripe did not answer; deliver again later.", status=503, content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")


def _verified(body: bytes, header: str, secret: str) -> bool:
    try:
        stripe.Webhook.construct_event(body, header, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS)
    except (ValueError, stripe.SignatureVerificationError):
        return False
    return True


def handle_event(payload: dict, *, gateway: str) -> str:
    """Store the event and carry out its effect, once. Returns what was done, for the response."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                stored = WebhookEvent.objects.create(
                    event_id=payload["id"][:100],
                    gateway=gateway,
                    type=str(payload["type"])[:100],
                    account=str(payload.get("account") or "")[:100],
                    payload=payload,
                )
        except IntegrityError:
            return "duplicate"
        handler = HANDLERS.get(stored.type)
        obj = (payload.get("data") or {}).get("object") or {}
        outcome = handler(obj, payload) if handler else "ignored"
        WebhookEvent.objects.filter(pk=stored.pk).update(outcome=(outcome or "")[:300])
    return outcome or "ok"


def _metadata(obj: dict) -> dict:
    metadata = obj.get("metadata") or {}
    return metadata if isinstance(metadata, dict) else {}


def _id(value) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _payment_for_intent(intent: dict) -> Payment | None:
    payment = Payment.objects.filter(intent_id=_id(intent.get("id"))).first() if intent.get("id") else None
    if payment is None:
        key = _metadata(intent).get("payment_key")
        if key:
            payment = Payment.objects.filter(idempotency_key=key).first() or _adopt(intent)
    return payment


def _adopt(intent: dict) -> Payment | None:
    """A payment Stripe took that we never committed (a crash between its answer and our commit):
    rebuilt from the metadata we sent with it, so the money is not left unaccounted for."""
    metadata = _metadata(intent)
    try:
        return Payment.objects.create(
            reference=metadata["reference"][:100],
            payer_id=int(metadata["payer_id"]),
            amount_cents=int(metadata["amount_cents"]),
            fee_cents=int(metadata.get("fee_cents") or 0),
            currency=str(intent.get("currency") or "usd").upper()[:3],
            group=metadata.get("group", "")[:100],
            gateway="stripe",
            idempotency_key=metadata["payment_key"][:200],
            intent_id=_id(intent.get("id")),
            status=Payment.Status.FAILED,  # moves to succeeded through the usual path
        )
    except (KeyError, ValueError, TypeError, IntegrityError):
        return None


def _charge_fields(intent: dict) -> tuple[str, str]:
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        return _id(charge), str(charge.get("receipt_url") or "")
    return _id(charge), ""


def on_payment_succeeded(intent: dict, event: dict) -> str:
    payment = _payment_for_intent(intent)
    if payment is None:
        return "no payment of ours"
    charge_id, receipt = _charge_fields(intent)
    outcome = PaymentOutcome(
        status="succeeded", intent_id=_id(intent.get("id")), charge_id=charge_id, receipt_url=receipt
    )
    payment = payment_apply(payment, outcome, confirmed=True)
    return f"payment {payment.pk} {payment.status}"


def on_payment_failed(intent: dict, event: dict) -> str:
    payment = _payment_for_intent(intent)
    if payment is None:
        return "no payment of ours"
    error = intent.get("last_payment_error") or {}
    message = (error.get("message") if isinstance(error, dict) else "") or "The card was declined. Nothing was charged."
    payment = payment_failed(payment, message=message)
    return f"payment {payment.pk} {payment.status}"


def on_refund(obj: dict, event: dict) -> str:
    """charge.refunded carries a charge, refund.* a refund. A refund Stripe could not make is a
    matter for staff: the ledger already gave the money back to the client."""
    refunds = (obj.get("refunds") or {}).get("data") if obj.get("object") == "charge" else [obj]
    notes = []
    for refund in refunds or []:
        call = GatewayCall.objects.filter(result_id=_id(refund.get("id"))).first() if refund.get("id") else None
        if call is None:
            key = _metadata(refund).get("call_key")
            call = GatewayCall.objects.filter(idempotency_key=key).first() if key else None
        if call is None:
            notes.append(f"refund {_id(refund.get('id'))} not ours")
            continue
        if refund.get("status") in {"failed", "canceled"}:
            listeners.emit(listeners.REFUND_FAILED, call=call)
            notes.append(f"refund {call.pk} failed")
        else:
            notes.append(f"refund {call.pk} {refund.get('status')}")
    return "; ".join(notes) or "no refunds"


def on_dispute_created(dispute: dict, event: dict) -> str:
    payment = None
    if dispute.get("payment_intent"):
        payment = Payment.objects.filter(intent_id=_id(dispute["payment_intent"])).first()
    if payment is None and dispute.get("charge"):
        payment = Payment.objects.filter(charge_id=_id(dispute["charge"])).first()
    if payment is None:
        return "no payment of ours"
    listeners.emit(
        listeners.CHARGE_DISPUTED,
        payment=payment,
        reason=str(dispute.get("reason") or "unknown"),
        amount_cents=int(dispute.get("amount") or 0),
    )
    return f"payment {payment.pk} disputed"


def _call_for_transfer(transfer: dict) -> GatewayCall | None:
    call = GatewayCall.objects.filter(result_id=_id(transfer.get("id"))).first()
    if call is None:
        key = _metadata(transfer).get("call_key")
        call = GatewayCall.objects.filter(idempotency_key=key).first() if key else None
    return call


def on_transfer_created(transfer: dict, event: dict) -> str:
    call = _call_for_transfer(transfer)
    return f"transfer of call {call.pk}" if call else "no transfer of ours"


def on_transfer_reversed(transfer: dict, event: dict) -> str:
    call = _call_for_transfer(transfer)
    if call is None or call.payout_id is None:
        return "no transfer of ours"
    reversed_cents = int(transfer.get("amount_reversed") or 0)
    if reversed_cents < call.amount_cents:
        # Only part came back: how much of the withdrawal is the freelancer's again is for staff to settle.
        listeners.emit(listeners.TRANSFER_PARTLY_REVERSED, call=call, amount_cents=reversed_cents)
        return f"partial reversal of {reversed_cents} left for staff"
    payout = payout_returned(call.payout, reason="The transfer to your payout account was reversed.")
    return f"payout {payout.pk} {payout.status}"


def on_account_updated(account: dict, event: dict) -> str:
    """Events may come out of order, so the account's state is read from Stripe now rather than
    taken from the event: an old "payouts off" arriving late cannot switch off a ready account."""
    from payments.stripe_gateway import StripeGateway

    account_id = _id(account.get("id"))
    if not PayoutAccount.objects.filter(account_id=account_id).exists():
        return "not ours"
    updated = payout_account_apply(StripeGateway().payout_account_status(account_id=account_id))
    return f"account {updated.pk} payouts {'on' if updated.payouts_enabled else 'off'}" if updated else "not ours"


def on_payout(payout: dict, event: dict) -> str:
    account = PayoutAccount.objects.filter(account_id=str(event.get("account") or "")).first()
    if account is None or not payout.get("id"):
        return "not ours"
    status = {"paid": BankPayout.Status.PAID, "failed": BankPayout.Status.FAILED}.get(str(payout.get("status")))
    arrival = payout.get("arrival_date")
    row, _ = BankPayout.objects.get_or_create(
        payout_id=str(payout["id"])[:100],
        defaults={
            "account": account,
            "amount_cents": int(payout.get("amount") or 0),
            "currency": str(payout.get("currency") or "usd").upper()[:3],
            "arrival_date": date.fromtimestamp(arrival) if isinstance(arrival, int) else None,
        },
    )
    if status and transitions.allowed(BankPayout, row.status, status):
        row = transitions.move(
            row,
            to=status,
            by=None,
            event_model=BankPayoutEvent,
            event_field="bank_payout",
            failure_message=str(payout.get("failure_message") or "")[:300],
        )
        if status == BankPayout.Status.FAILED:
            listeners.emit(listeners.BANK_PAYOUT_FAILED, bank_payout=row)
    return f"bank payout {row.pk} {row.status}"


def on_checkout_completed(session: dict, event: dict) -> str:
    if session.get("mode") != "setup":
        return "ignored"
    from payments.cards import card_store
    from payments.models import BillingProfile

    profile = BillingProfile.objects.filter(pending_setup_id=_id(session.get("id"))).first()
    if profile is None:
        return "no setup of ours"
    from payments.stripe_gateway import StripeGateway

    card = StripeGateway().card_setup_finish(setup_id=profile.pending_setup_id)
    if card is None:
        return "setup not complete"
    card_store(user_id=profile.user_id, card=card, gateway=profile.gateway)
    return f"card saved for {profile.user_id}"


HANDLERS = {
    "payment_intent.succeeded": on_payment_succeeded,
    "payment_intent.payment_failed": on_payment_failed,
    "payment_intent.canceled": on_payment_failed,
    "charge.refunded": on_refund,
    "refund.updated": on_refund,
    "refund.failed": on_refund,
    "charge.dispute.created": on_dispute_created,
    "transfer.created": on_transfer_created,
    "transfer.reversed": on_transfer_reversed,
    "account.updated": on_account_updated,
    "payout.paid": on_payout,
    "payout.failed": on_payout,
    "checkout.session.completed": on_checkout_completed,
}
