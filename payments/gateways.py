"""One gateway interface, two processors behind it: `sandbox` (the default) simulates cards,
refunds, transfers and payout accounts locally and says so on every payment screen; `stripe`
(payments/stripe_gateway.py, chosen by setting STRIPE_SECRET_KEY) talks to Stripe.

Both go the same way through the services: a row is recorded and committed first (a Payment, a
GatewayCall in the outbox), then the processor is called with a key derived from that row, then
the outcome is posted. A replayed call with the same key returns the first result instead of
moving money again, as a real processor does.

Errors: GatewayError is a refusal (a declined card, a refund above what is left): nothing moved
and retrying will not help. GatewayUnavailable is a failure to get an answer (a timeout, a
5xx): the processor may or may not have acted, so the caller retries with the same key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import DomainError
from payments.models import GatewayOperation

# Sandbox test cards, as payment processors document them.
DECLINED_CARD = "4000000000000002"
DEFAULT_TEST_CARD = "4242424242424242"
SANDBOX_BANK_ROUTING = "110000000"


class GatewayError(DomainError):
    """The processor refused: a declined card, a failed refund or transfer. Nothing moved."""


class GatewayUnavailable(Exception):
    """No answer from the processor (timeout, connection, 5xx): retry later with the same key."""


@dataclass(frozen=True)
class GatewayResult:
    reference: str
    replayed: bool = False


@dataclass(frozen=True)
class PaymentOutcome:
    """Where a card payment stands at the processor."""

    status: str  # "succeeded", "processing" or "failed"
    intent_id: str = ""
    charge_id: str = ""
    receipt_url: str = ""
    message: str = ""  # the processor's words for a decline
    card_label: str = ""


@dataclass(frozen=True)
class SavedCard:
    card_id: str
    brand: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None


@dataclass(frozen=True)
class CardSetup:
    """A card being saved: either done at once (sandbox) or a page to send the payer to (Stripe)."""

    card: SavedCard | None = None
    redirect_url: str = ""
    setup_id: str = ""


@dataclass(frozen=True)
class AccountStatus:
    account_id: str
    details_submitted: bool
    payouts_enabled: bool
    requirements_due: list[str] = field(default_factory=list)
    disabled_reason: str = ""
    label: str = ""


@dataclass(frozen=True)
class GroupTotals:
    """What the processor holds for one transfer group (a contract): for reconciliation."""

    charges: dict[str, int]  # payment key (or intent id) -> amount charged
    refunds: dict[str, int]  # refund key (or id) -> amount refunded


class PaymentGateway(Protocol):
    name: str
    is_sandbox: bool

    def customer(self, *, user_id: int, email: str, name: str) -> str: ...

    def card_setup_start(
        self, *, customer_id: str, user_id: int, return_url: str, cancel_url: str, card_number: str = ""
    ) -> CardSetup: ...

    def card_setup_finish(self, *, setup_id: str) -> SavedCard | None: ...

    def pay(
        self,
        *,
        key: str,
        amount_cents: int,
        currency: str,
        customer_id: str,
        card_id: str,
        group: str,
        metadata: dict[str, str],
        description: str,
        card_number: str = "",
    ) -> PaymentOutcome: ...

    def payment_status(self, *, intent_id: str) -> PaymentOutcome: ...

    def refund(
        self, *, key: str, intent_id: str, amount_cents: int, currency: str, metadata: dict[str, str]
    ) -> GatewayResult: ...

    def transfer(
        self, *, key: str, destination: str, amount_cents: int, currency: str, metadata: dict[str, str]
    ) -> GatewayResult: ...

    def payout_account_start(
        self, *, user_id: int, email: str, account_id: str, return_url: str, refresh_url: str, details: dict
    ) -> tuple[str, str]: ...

    def payout_account_status(self, *, account_id: str) -> AccountStatus: ...

    def group_totals(self, *, group: str) -> GroupTotals: ...

    def transfers_to(self, *, destination: str) -> dict[str, int]: ...


def _card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or number[:1] == "2":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "card"


class SandboxGateway:
    """A processor simulated in our own database (GatewayOperation is its record of what it did):
    a card number is accepted unless it is the documented declined test card, refunds and
    transfers succeed within what was charged, and a payout account is a form on our own page."""

    name = "sandbox"
    is_sandbox = True

    def _record(
        self, *, kind: str, amount_cents: int, currency: str, key: str, description: str, group: str = ""
    ) -> GatewayResult:
        if amount_cents <= 0:
            raise GatewayError("The amount must be above zero.")
        existing = GatewayOperation.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.kind != kind or existing.amount_cents != amount_cents:
                raise GatewayError("This payment key was already used for a different amount.")
            return GatewayResult(reference=existing.reference, replayed=True)
        prefix = {"charge": "ch", "refund": "re", "payout": "tr"}[kind]
        try:
            with transaction.atomic():
                operation = GatewayOperation.objects.create(
                    gateway=self.name,
                    kind=kind,
                    idempotency_key=key,
                    amount_cents=amount_cents,
                    currency=currency,
                    reference=f"{prefix}_sandbox_{uuid.uuid4().hex[:16]}",
                    description=description[:300],
                    group=group,
                )
        except IntegrityError:
            operation = GatewayOperation.objects.get(idempotency_key=key)
            return GatewayResult(reference=operation.reference, replayed=True)
        return GatewayResult(reference=operation.reference)

    # The older single-call interface, still used by the ledger's own tests.
    def charge(self, *, amount_cents, currency, key, description, card_number=""):
        if card_number.replace(" ", "") == DECLINED_CARD:
            raise GatewayError("The card was declined (sandbox test card 4000 0000 0000 0002). Nothing was charged.")
        return self._record(
            kind="charge", amount_cents=amount_cents, currency=currency, key=key, description=description
        )

    def customer(self, *, user_id, email, name):
        return f"cus_sandbox_{user_id}"

    def card_setup_start(self, *, customer_id, user_id, return_url, cancel_url, card_number=""):
        number = card_number.replace(" ", "") or DEFAULT_TEST_CARD
        if number == DECLINED_CARD:
            raise GatewayError("The card was declined (sandbox test card 4000 0000 0000 0002). It was not saved.")
        now = timezone.now()
        card = SavedCard(
            card_id=f"pm_sandbox_{uuid.uuid4().hex[:16]}",
            brand=_card_brand(number),
            last4=number[-4:],
            exp_month=now.month,
            exp_year=now.year + 3,
        )
        return CardSetup(card=card)

    def card_setup_finish(self, *, setup_id):
        return None  # the sandbox saves a card at once; there is never a setup to finish

    def pay(self, *, key, amount_cents, currency, customer_id, card_id, group, metadata, description, card_number=""):
        number = card_number.replace(" ", "")
        if number == DECLINED_CARD:
            return PaymentOutcome(
                status="failed",
                message="The card was declined (sandbox test card 4000 0000 0000 0002). Nothing was charged.",
            )
        result = self._record(
            kind="charge", amount_cents=amount_cents, currency=currency, key=key, description=description, group=group
        )
        label = f"{_card_brand(number).title()} •••• {number[-4:]}" if number else ""
        return PaymentOutcome(
            status="succeeded", intent_id=result.reference, charge_id=result.reference, card_label=label
        )

    def payment_status(self, *, intent_id):
        operation = GatewayOperation.objects.filter(reference=intent_id, kind="charge").first()
        if operation is None:
            return PaymentOutcome(status="failed", message="The sandbox has no such payment.")
        return PaymentOutcome(status="succeeded", intent_id=intent_id, charge_id=intent_id)

    def refund(self, *, key, intent_id, amount_cents, currency, metadata):
        charge = GatewayOperation.objects.filter(reference=intent_id, kind="charge").first()
        if charge is None:
            raise GatewayError("The sandbox has no such payment to refund.")
        if not GatewayOperation.objects.filter(idempotency_key=key).exists():
            refunded = sum(
                GatewayOperation.objects.filter(kind="refund", description=intent_id).values_list(
                    "amount_cents", flat=True
                )
            )
            if refunded + amount_cents > charge.amount_cents:
                raise GatewayError("The refund is more than is left of the payment.")
        return self._record(
            kind="refund",
            amount_cents=amount_cents,
            currency=currency,
            key=key,
            description=intent_id,
            group=charge.group,
        )

    def transfer(self, *, key, destination, amount_cents, currency, metadata):
        return self._record(
            kind="payout",
            amount_cents=amount_cents,
            currency=currency,
            key=key,
            description="Transfer",
            group=destination,
        )

    def payout_account_start(self, *, user_id, email, account_id, return_url, refresh_url, details):
        return account_id or f"acct_sandbox_{user_id}", ""

    def payout_account_status(self, *, account_id):
        return AccountStatus(account_id=account_id, details_submitted=True, payouts_enabled=True)

    def group_totals(self, *, group):
        operations = GatewayOperation.objects.filter(group=group)
        return GroupTotals(
            charges=dict(operations.filter(kind="charge").values_list("reference", "amount_cents")),
            refunds=dict(operations.filter(kind="refund").values_list("reference", "amount_cents")),
        )

    def transfers_to(self, *, destination):
        return dict(
            GatewayOperation.objects.filter(kind="payout", group=destination).values_list("reference", "amount_cents")
        )


def get_gateway() -> PaymentGateway:
    if settings.PAYMENT_GATEWAY == "stripe":
        from payments.stripe_gateway import StripeGateway

        return StripeGateway()
    return SandboxGateway()
