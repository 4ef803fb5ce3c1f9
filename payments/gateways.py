"""One gateway interface. `sandbox` (the default) simulates card payments, refunds and payouts
locally and says so on every payment screen; a Stripe gateway implements the same interface.

Every call carries an idempotency key derived from what it pays for, so a replayed call
returns the first result instead of moving money again — as a real processor does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction

from core.exceptions import DomainError
from payments.models import GatewayOperation

# Sandbox test cards, as payment processors document them.
DECLINED_CARD = "4000000000000002"


class GatewayError(DomainError):
    """The processor refused: a declined card, a failed refund or payout. Nothing moved."""


@dataclass(frozen=True)
class GatewayResult:
    reference: str
    replayed: bool = False


class PaymentGateway(Protocol):
    name: str
    is_sandbox: bool

    def charge(
        self, *, amount_cents: int, currency: str, key: str, description: str, card_number: str = ""
    ) -> GatewayResult: ...

    def refund(self, *, amount_cents: int, currency: str, key: str, description: str) -> GatewayResult: ...

    def payout(self, *, amount_cents: int, currency: str, key: str, description: str) -> GatewayResult: ...


class SandboxGateway:
    name = "sandbox"
    is_sandbox = True

    def _record(self, *, kind: str, amount_cents: int, currency: str, key: str, description: str) -> GatewayResult:
        if amount_cents <= 0:
            raise GatewayError("The amount must be above zero.")
        existing = GatewayOperation.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.kind != kind or existing.amount_cents != amount_cents:
                raise GatewayError("This payment key was already used for a different amount.")
            return GatewayResult(reference=existing.reference, replayed=True)
        prefix = {"charge": "ch", "refund": "re", "payout": "po"}[kind]
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
                )
        except IntegrityError:
            operation = GatewayOperation.objects.get(idempotency_key=key)
            return GatewayResult(reference=operation.reference, replayed=True)
        return GatewayResult(reference=operation.reference)

    def charge(self, *, amount_cents, currency, key, description, card_number=""):
        if card_number.replace(" ", "") == DECLINED_CARD:
            raise GatewayError("The card was declined (sandbox test card 4000 0000 0000 0002). Nothing was charged.")
        return self._record(
            kind="charge", amount_cents=amount_cents, currency=currency, key=key, description=description
        )

    def refund(self, *, amount_cents, currency, key, description):
        return self._record(
            kind="refund", amount_cents=amount_cents, currency=currency, key=key, description=description
        )

    def payout(self, *, amount_cents, currency, key, description):
        return self._record(
            kind="payout", amount_cents=amount_cents, currency=currency, key=key, description=description
        )


GATEWAYS = {"sandbox": SandboxGateway}


def get_gateway() -> PaymentGateway:
    return GATEWAYS[settings.PAYMENT_GATEWAY]()
