"""Fees, in one place, with one rounding rule.

The freelancer's service fee is charged in tiers on what a client has paid that freelancer over
their whole relationship (lifetime billings): by default 10% of the first $10,000 and 5% after.
A release that crosses a tier boundary pays each rate on its own part. The optional client fee
is a flat rate on each funding (0% by default).

Rounding rule: the exact fee is computed in hundredths of a basis point and rounded once, half
up, to a whole cent. The freelancer receives exactly the amount minus the fee, so
fee + net == amount for every amount.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from core.templatetags.core_tags import money


@dataclass(frozen=True)
class FeeBreakdown:
    amount_cents: int
    freelancer_fee_cents: int
    freelancer_net_cents: int
    client_fee_cents: int
    client_total_cents: int
    rate_note: str


def _round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def freelancer_fee_cents(*, amount_cents: int, billed_before_cents: int) -> int:
    """Tiered fee on `amount_cents`, given what this client already paid this freelancer."""
    if amount_cents < 0 or billed_before_cents < 0:
        raise ValueError("Amounts are never negative.")
    exact = 0  # cents × basis points
    lower, end = 0, billed_before_cents + amount_cents
    for upper, bps in settings.FREELANCER_FEE_TIERS:
        segment_start = max(billed_before_cents, lower)
        segment_end = end if upper is None else min(end, upper)
        if segment_end > segment_start:
            exact += (segment_end - segment_start) * bps
        if upper is None:
            break
        lower = upper
    return _round_half_up(exact, 10_000)


def client_fee_cents(amount_cents: int) -> int:
    return _round_half_up(amount_cents * settings.CLIENT_FEE_BPS, 10_000)


def fee_breakdown(*, amount_cents: int, billed_before_cents: int) -> FeeBreakdown:
    fee = freelancer_fee_cents(amount_cents=amount_cents, billed_before_cents=billed_before_cents)
    client_fee = client_fee_cents(amount_cents)
    parts, lower = [], 0
    for upper, bps in settings.FREELANCER_FEE_TIERS:
        if upper is None:
            parts.append(f"{bps / 100:g}% after" if lower else f"{bps / 100:g}%")
        else:
            parts.append(f"{bps / 100:g}% of the first {money(upper).removesuffix('.00')}")
            lower = upper
    between = " billed between this client and freelancer"
    tiers = parts[0] + between + (", " + ", ".join(parts[1:]) if len(parts) > 1 else "")
    return FeeBreakdown(
        amount_cents=amount_cents,
        freelancer_fee_cents=fee,
        freelancer_net_cents=amount_cents - fee,
        client_fee_cents=client_fee,
        client_total_cents=amount_cents + client_fee,
        rate_note=f"Service fee: {tiers}.",
    )
