"""The Stripe gateway: separate charges and transfers on the platform account.

- A card is saved with a Checkout Session in setup mode (Stripe's hosted page: card numbers never
  reach our servers); milestones are paid by a PaymentIntent on that card, confirmed at once,
  with `transfer_group` = the contract and what it pays for in metadata. The payment counts
  when Stripe's webhook says it succeeded (payments/webhooks.py).
- Refunds are Refunds on the payment's PaymentIntent; Stripe refuses more than was charged.
- Freelancers are paid out through Connect Express accounts: a Transfer to the account, then
  Stripe pays out to their bank on the account's schedule.

Every create call carries the idempotency key of the row that asked for it; the stripe library's
own retries are off (max_network_retries=0) because our outbox retries with that same key.
"""

from __future__ import annotations

import stripe
from django.conf import settings

from payments.gateways import (
    AccountStatus,
    CardSetup,
    GatewayError,
    GatewayResult,
    GatewayUnavailable,
    GroupTotals,
    PaymentOutcome,
    SavedCard,
)


def _client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base,
        max_network_retries=0,
        http_client=stripe.new_default_http_client(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def _translate(error: stripe.StripeError) -> Exception:
    """A refusal becomes GatewayError with Stripe's message; no answer becomes GatewayUnavailable."""
    if isinstance(error, stripe.CardError):
        return GatewayError(error.user_message or "The card was declined.")
    if isinstance(error, stripe.IdempotencyError):
        return GatewayError("This payment key was already used for a different request.")
    if isinstance(error, stripe.InvalidRequestError):
        return GatewayError(error.user_message or "The payment processor refused the request.")
    if isinstance(error, stripe.AuthenticationError):
        return GatewayUnavailable("The payment processor refused our key: check STRIPE_SECRET_KEY.")
    return GatewayUnavailable(str(error) or type(error).__name__)  # connection, rate limit, 5xx


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except stripe.StripeError as error:
        raise _translate(error) from error


def _plain(obj) -> dict:
    """A Stripe object as a plain dict (the stripe library's objects are not dicts: no `.get`)."""
    return obj.to_dict() if isinstance(obj, stripe.StripeObject) else obj


def _id(value) -> str:
    """A field Stripe sends as an id or, expanded, as an object (localstripe expands some)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value["id"]


def _charge_of(intent: dict) -> tuple[str, str]:
    charge = intent.get("latest_charge")
    if charge is None:
        return "", ""
    if isinstance(charge, str):
        return charge, ""
    return charge["id"], charge.get("receipt_url") or ""


def _outcome(intent) -> PaymentOutcome:
    intent = _plain(intent)
    status = intent["status"]
    charge_id, receipt = _charge_of(intent)
    if status == "succeeded":
        state = "succeeded"
    elif status in {"processing", "requires_capture"}:
        state = "processing"
    elif status in {"requires_action", "requires_confirmation"}:
        state = "failed"
    else:  # requires_payment_method (declined), canceled
        state = "failed"
    error = intent.get("last_payment_error")
    message = ""
    if state == "failed":
        message = (error and error.get("message")) or (
            "Your bank asks you to confirm this payment: pay with another card or save this card again."
            if status == "requires_action"
            else "The payment did not go through. Nothing was charged."
        )
    return PaymentOutcome(
        status=state, intent_id=intent["id"], charge_id=charge_id, receipt_url=receipt, message=message
    )


class StripeGateway:
    name = "stripe"
    is_sandbox = False

    def __init__(self) -> None:
        self.stripe = _client()

    def customer(self, *, user_id, email, name):
        customer = _call(
            self.stripe.v1.customers.create,
            params={"email": email, "name": name, "metadata": {"user_id": str(user_id)}},
            options={"idempotency_key": f"customer:{user_id}"},
        )
        return customer["id"]

    def card_setup_start(self, *, customer_id, user_id, return_url, cancel_url, card_number=""):
        if card_number:
            raise GatewayError("Card numbers are entered on Stripe's page, never here.")
        session = _call(
            self.stripe.v1.checkout.sessions.create,
            params={
                "mode": "setup",
                "customer": customer_id,
                "currency": "usd",
                "payment_method_types": ["card"],
                "success_url": return_url + ("&" if "?" in return_url else "?") + "session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": cancel_url,
                "metadata": {"user_id": str(user_id)},
            },
        )
        return CardSetup(redirect_url=session["url"], setup_id=session["id"])

    def card_setup_finish(self, *, setup_id):
        session = _call(
            self.stripe.v1.checkout.sessions.retrieve,
            setup_id,
            params={"expand": ["setup_intent.payment_method"]},
        )
        if session["status"] != "complete" or not session["setup_intent"]:
            return None
        setup_intent = session["setup_intent"]
        method = setup_intent["payment_method"]
        if isinstance(method, str):
            method = _call(self.stripe.v1.payment_methods.retrieve, method)
        method = _plain(method)
        card = method["card"]
        return SavedCard(
            card_id=method["id"],
            brand=card["brand"],
            last4=card["last4"],
            exp_month=card.get("exp_month"),
            exp_year=card.get("exp_year"),
        )

    def pay(self, *, key, amount_cents, currency, customer_id, card_id, group, metadata, description, card_number=""):
        if card_number:
            raise GatewayError("Card numbers are entered on Stripe's page, never here.")
        if not card_id:
            raise GatewayError("Save a card first: you are sent to Stripe's page to enter it.")
        params = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "customer": customer_id,
            "payment_method": card_id,
            "confirm": True,
            "off_session": True,
            "transfer_group": group,
            "metadata": metadata,
            "description": description[:300],
        }
        try:
            intent = self.stripe.v1.payment_intents.create(params=params, options={"idempotency_key": key})
        except stripe.CardError as error:
            # A declined card still leaves a PaymentIntent at Stripe; its id lets a later webhook match.
            payment_intent = getattr(error, "error", None) and error.error.payment_intent
            return PaymentOutcome(
                status="failed",
                intent_id=_id(payment_intent) if payment_intent else "",
                message=error.user_message or "The card was declined. Nothing was charged.",
            )
        except stripe.StripeError as error:
            raise _translate(error) from error
        return _outcome(intent)

    def payment_status(self, *, intent_id):
        return _outcome(_call(self.stripe.v1.payment_intents.retrieve, intent_id))

    def refund(self, *, key, intent_id, amount_cents, currency, metadata):
        refund = _call(
            self.stripe.v1.refunds.create,
            params={"payment_intent": intent_id, "amount": amount_cents, "metadata": metadata},
            options={"idempotency_key": key},
        )
        refund = _plain(refund)
        if refund["status"] in {"failed", "canceled"}:
            raise GatewayError(f"Stripe could not refund: {refund.get('failure_reason') or refund['status']}.")
        return GatewayResult(reference=refund["id"])

    def transfer(self, *, key, destination, amount_cents, currency, metadata):
        transfer = _call(
            self.stripe.v1.transfers.create,
            params={
                "amount": amount_cents,
                "currency": currency.lower(),
                "destination": destination,
                "metadata": metadata,
                "description": "Proofwork withdrawal",
            },
            options={"idempotency_key": key},
        )
        return GatewayResult(reference=transfer["id"])

    def payout_account_start(self, *, user_id, email, account_id, return_url, refresh_url, details):
        if not account_id:
            account = _call(
                self.stripe.v1.accounts.create,
                params={
                    "type": "express",
                    "email": email,
                    "capabilities": {"transfers": {"requested": True}},
                    "metadata": {"user_id": str(user_id)},
                },
                options={"idempotency_key": f"account:{user_id}"},
            )
            account_id = account["id"]
        link = _call(
            self.stripe.v1.account_links.create,
            params={
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            },
        )
        return account_id, link["url"]

    def payout_account_status(self, *, account_id):
        return account_status(_call(self.stripe.v1.accounts.retrieve, account_id))

    def group_totals(self, *, group):
        charges: dict[str, int] = {}
        refunds: dict[str, int] = {}
        listed = _call(self.stripe.v1.charges.list, params={"transfer_group": group, "limit": 100})
        for charge in map(_plain, listed.auto_paging_iter()):
            if charge["status"] != "succeeded":
                continue
            intent = _id(charge.get("payment_intent")) or charge["id"]
            charges[intent] = charge["amount"]
            for refund in map(
                _plain,
                _call(self.stripe.v1.refunds.list, params={"charge": charge["id"], "limit": 100}).auto_paging_iter(),
            ):
                if refund["status"] in {"succeeded", "pending"}:
                    refunds[refund["id"]] = refund["amount"]
        return GroupTotals(charges=charges, refunds=refunds)

    def transfers_to(self, *, destination):
        listed = _call(self.stripe.v1.transfers.list, params={"destination": destination, "limit": 100})
        return {
            transfer["id"]: transfer["amount"] - (transfer.get("amount_reversed") or 0)
            for transfer in map(_plain, listed.auto_paging_iter())
        }


def account_status(account) -> AccountStatus:
    """What we keep of a Connect account, from the API or an account.updated event's object."""
    account = _plain(account)
    requirements = account.get("requirements") or {}
    external = (account.get("external_accounts") or {}).get("data") or []
    label = ""
    if external:
        bank = external[0]
        label = f"{(bank.get('bank_name') or 'Bank account').title()} •••• {bank.get('last4', '')}".strip()
    return AccountStatus(
        account_id=account["id"],
        details_submitted=bool(account.get("details_submitted")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        requirements_due=list(requirements.get("currently_due") or []),
        disabled_reason=requirements.get("disabled_reason") or "",
        label=label or "Stripe account",
    )
