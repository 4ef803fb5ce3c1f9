"""The escrow legs: the only place that knows how money held for something moves between the
gateway, escrow, the payee and the platform's fees.

A caller names what the money is for by reference ("milestone:12") and gives the amounts and an
idempotency key derived from what it does; the same key posts once. The gateway calls that go with
a leg (charge, refund) are the caller's: these functions only write the ledger.
"""

from __future__ import annotations

from payments import accounts
from payments.fees import FeeBreakdown, fee_breakdown
from payments.ledger import ledger_post
from payments.models import BillingPair, LedgerTransaction


def _check_cents(*amounts: int) -> None:
    if any(isinstance(amount, bool) or not isinstance(amount, int) or amount < 0 for amount in amounts):
        raise ValueError("Escrow amounts are whole cents and never negative.")


def billing_pair_lock(*, client_id: int, freelancer_id: int) -> None:
    """Lock the client–freelancer pair until the caller commits: one release at a time reads its billing."""
    # Without it two releases of one pair read the same "billed before" and both get the lower fee
    # tier. No transaction of its own: the lock must last until the caller's release is committed.
    BillingPair.objects.get_or_create(client_id=client_id, freelancer_id=freelancer_id)
    BillingPair.objects.select_for_update().filter(client_id=client_id, freelancer_id=freelancer_id).get()


def escrow_fund(
    *,
    reference: str,
    amount_cents: int,
    client_fee_cents: int = 0,
    key: str,
    currency: str = "USD",
    charge_reference: str = "",
) -> LedgerTransaction:
    """The card charge enters escrow for `reference` and the client fee goes to the platform; once per key."""
    _check_cents(amount_cents, client_fee_cents)
    entries = [
        (accounts.GATEWAY, -(amount_cents + client_fee_cents)),
        (accounts.escrow(reference), amount_cents),
        (accounts.PLATFORM_FEES, client_fee_cents),
    ]
    txn, _ = ledger_post(
        kind=LedgerTransaction.Kind.FUND,
        key=key,
        reference=reference,
        entries=entries,
        currency=currency,
        memo=f"Card charge {charge_reference}".strip(),
    )
    return txn


def escrow_release(
    *,
    reference: str,
    amount_cents: int,
    payee_id: int,
    billed_before_cents: int,
    key: str,
    partial: bool = False,
    currency: str = "USD",
) -> FeeBreakdown:
    """Escrow → the payee's pending balance, less the tiered fee to the platform; once per key."""
    # `billed_before_cents` was read under billing_pair_lock, so the tiers see every earlier release.
    _check_cents(amount_cents, billed_before_cents)
    fees = fee_breakdown(amount_cents=amount_cents, billed_before_cents=billed_before_cents)
    ledger_post(
        kind=LedgerTransaction.Kind.PARTIAL_RELEASE if partial else LedgerTransaction.Kind.RELEASE,
        key=key,
        reference=reference,
        entries=[
            (accounts.escrow(reference), -amount_cents),
            (accounts.pending(payee_id), fees.freelancer_net_cents),
            (accounts.PLATFORM_FEES, fees.freelancer_fee_cents),
        ],
        currency=currency,
        memo=fees.rate_note,
    )
    return fees


def escrow_refund(
    *, reference: str, amount_cents: int, key: str, currency: str = "USD", refund_reference: str = ""
) -> LedgerTransaction:
    """Escrow → the gateway, back to the client's card; once per key."""
    _check_cents(amount_cents)
    txn, _ = ledger_post(
        kind=LedgerTransaction.Kind.REFUND,
        key=key,
        reference=reference,
        entries=[(accounts.escrow(reference), -amount_cents), (accounts.GATEWAY, amount_cents)],
        currency=currency,
        memo=f"Refund {refund_reference}".strip(),
    )
    return txn


def escrow_split(
    *,
    reference: str,
    payee_cents: int,
    refund_cents: int,
    payee_id: int,
    billed_before_cents: int,
    key: str,
    currency: str = "USD",
    refund_reference: str = "",
) -> FeeBreakdown:
    """All that is held leaves at once: to the payee less the fee, the rest back to the client; once per key."""
    _check_cents(payee_cents, refund_cents, billed_before_cents)
    fees = fee_breakdown(amount_cents=payee_cents, billed_before_cents=billed_before_cents)
    ledger_post(
        kind=LedgerTransaction.Kind.SPLIT,
        key=key,
        reference=reference,
        entries=[
            (accounts.escrow(reference), -(payee_cents + refund_cents)),
            (accounts.pending(payee_id), fees.freelancer_net_cents),
            (accounts.PLATFORM_FEES, fees.freelancer_fee_cents),
            (accounts.GATEWAY, refund_cents),
        ],
        currency=currency,
        memo=f"Split: refund {refund_reference}" if refund_cents else "Split: all to the freelancer",
    )
    return fees
