"""Payments: PaymentIntents with the fields localstripe refuses, charges by transfer group, refund limits, balance."""

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import Charge, PaymentIntent, PaymentMethod, Refund

from tests.fakestripe.common import (
    as_bool,
    as_int,
    find,
    json_response,
    params,
    pop_expand,
    send_event,
    stored,
    stripe_error,
)
from tests.fakestripe.middleware import override
from tests.fakestripe.patches import PAYMENT_INTENT_FIELDS

# Parameters of a confirmation that are not fields of the intent. Stripe: off_session "Set to true to indicate that
# the customer is not in your checkout flow during this payment attempt" (only with confirm=true at creation).
CONFIRMATION_ONLY = ("off_session", "return_url", "error_on_requires_action", "mandate", "use_stripe_sdk")


@override("POST", r"/v1/payment_intents")
async def create_payment_intent(request: web.Request) -> web.Response:
    data = await params(request)
    expand = pop_expand(data)
    fields = {name: data.pop(name) for name in PAYMENT_INTENT_FIELDS if name in data}
    confirm = as_bool(data.pop("confirm", False))
    confirmation = {name: data.pop(name) for name in CONFIRMATION_ONLY if name in data}
    if confirmation.get("off_session") is not None and not confirm:
        raise stripe_error(400, "You can only pass off_session when confirm=true.", param="off_session")
    intent = PaymentIntent._api_create(**data)  # without confirm: the fields must be set before any event
    for name, value in fields.items():
        setattr(intent, name, value)
    if confirm:
        confirm_intent(intent)
    return json_response(intent._export(expand=expand))


@override("POST", r"/v1/payment_intents/(?P<id>pi_\w+)/confirm")
async def confirm_payment_intent(request: web.Request, id: str) -> web.Response:
    data = await params(request)
    expand = pop_expand(data)
    intent = find("payment_intent", id)
    for name in CONFIRMATION_ONLY:
        data.pop(name, None)
    for name in PAYMENT_INTENT_FIELDS:
        if name in data:
            setattr(intent, name, data.pop(name))
    payment_method = data.pop("payment_method", None)
    if data:
        raise stripe_error(400, f"Received unknown parameter: {sorted(data)[0]}", code="parameter_unknown")
    if payment_method:
        PaymentMethod._api_retrieve(payment_method)  # 404 when unknown
        intent.payment_method = payment_method
        if intent.latest_charge is not None and intent.latest_charge.status == "failed":
            intent.latest_charge = None  # a new attempt after a decline
    if intent.status != "requires_confirmation":
        message = f"This PaymentIntent's status is {intent.status}, so it cannot be confirmed."
        raise stripe_error(400, message, code="payment_intent_unexpected_state")
    confirm_intent(intent)
    return json_response(intent._export(expand=expand))


def confirm_intent(intent) -> None:
    """Stripe: a declined confirmation answers 402 card_error (code card_declined, a decline_code, the message, and
    the PaymentIntent, left in requires_payment_method with last_payment_error set)."""
    if not intent.payment_method:
        message = "You cannot confirm this PaymentIntent because it's missing a payment method."
        raise stripe_error(400, message, code="payment_intent_unexpected_state")
    try:
        intent._confirm(on_failure_now=intent._report_failure)
    except UserError as exc:
        if exc.code != 402 or intent.latest_charge is None:
            raise
        charge = intent.latest_charge
        raise stripe_error(
            402,
            charge.failure_message,
            type="card_error",
            code=charge.failure_code,
            decline_code="generic_decline",
            charge=charge.id,
            payment_intent=intent._export(),
            payment_method=PaymentMethod._api_retrieve(charge.payment_method)._export(),
        ) from exc


@override("GET", r"/v1/charges")
async def list_charges(request: web.Request) -> web.Response:
    """Stripe: "transfer_group: Only return charges for this transfer group"; "payment_intent: Only return charges
    that were created by the PaymentIntent specified by this PaymentIntent ID"."""
    data = await params(request)
    expand = pop_expand(data)
    transfer_group = data.pop("transfer_group", None)
    payment_intent = data.pop("payment_intent", None)
    charges = Charge._api_list_all("/v1/charges", **data)
    if transfer_group is not None:
        charges._list = [charge for charge in charges._list if charge.transfer_group == transfer_group]
    if payment_intent is not None:
        charges._list = [charge for charge in charges._list if charge.payment_intent == payment_intent]
    return json_response(charges._export(expand=expand))


@override("POST", r"/v1/refunds")
async def create_refund(request: web.Request) -> web.Response:
    """Stripe: "You can optionally refund only part of a charge. You can do so multiple times, until the entire charge
    has been refunded. Once entirely refunded, a charge can't be refunded again. This method will raise an error when
    called on an already-refunded charge, or when trying to refund more money than is left on a charge."

    Afterwards Stripe sends refund.created, charge.refunded ("Occurs whenever a charge is refunded, including partial
    refunds") and refund.updated.
    """
    data = await params(request)
    expand = pop_expand(data)
    reason = data.pop("reason", None)
    charge = _charge_to_refund(data)
    left = charge.amount - charge.amount_refunded
    if left <= 0:
        raise stripe_error(400, f"Charge {charge.id} has already been refunded.", code="charge_already_refunded")
    if data.get("amount") is not None:
        amount = as_int(data["amount"], "amount")
        if amount > left:
            message = (
                f"Refund amount ({money(amount, charge.currency)}) is greater than unrefunded amount on charge "
                f"({money(left, charge.currency)})"
            )
            raise stripe_error(400, message, code="amount_too_large", param="amount")
    refund = Refund._api_create(**data)
    refund.reason = reason
    refund.payment_intent = refund.payment_intent or charge.payment_intent
    send_event("refund.created", refund)
    send_event("charge.refunded", charge)
    send_event("refund.updated", refund)
    return json_response(refund._export(expand=expand))


def _charge_to_refund(data: dict):
    if data.get("payment_intent"):
        id = data["payment_intent"]
        intent = find("payment_intent", id, param="payment_intent")
        if intent.latest_charge is None or intent.latest_charge.status == "failed":
            raise stripe_error(400, "This PaymentIntent does not have a successful charge to refund.")
        return intent.latest_charge
    if data.get("charge"):
        id = data["charge"]
        return find("charge", id, param="charge")
    raise stripe_error(
        400, "One of the following params should be provided for this request: payment_intent or charge."
    )


def money(cents: int, currency: str) -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency.lower(), currency.upper() + " ")
    return f"{symbol}{cents / 100:,.2f}"


def available_balance(currency: str) -> int:
    """The platform's balance as the fake models it: charges that succeeded (and were captured), less refunds, less
    transfers to connected accounts, plus transfer reversals. No fees, no pending period, disputes not debited."""
    currency = currency.lower()
    charged = sum(
        charge.amount
        for charge in stored("charge")
        if charge.currency.lower() == currency and charge.status == "succeeded" and charge.balance_transaction
    )
    refunded = sum(refund.amount for refund in stored("refund") if refund.currency.lower() == currency)
    transferred = sum(transfer.amount for transfer in stored("transfer") if transfer.currency == currency)
    reversed_ = sum(reversal.amount for reversal in stored("transfer_reversal") if reversal.currency == currency)
    return charged - refunded - transferred + reversed_


@override("GET", r"/v1/balance")
async def retrieve_balance(request: web.Request) -> web.Response:
    """Stripe's Balance: "available: Available funds that you can transfer or pay out", one entry per currency."""
    currencies = sorted({charge.currency.lower() for charge in stored("charge")}) or ["usd"]
    available = [
        {"amount": available_balance(c), "currency": c, "source_types": {"card": available_balance(c)}}
        for c in currencies
    ]
    pending = [{"amount": 0, "currency": c, "source_types": {"card": 0}} for c in currencies]
    return json_response({"object": "balance", "available": available, "pending": pending, "livemode": False})
