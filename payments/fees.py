"""Fees, in one place, with one rounding rule.

The freelancer's service fee is charged in tiers on what a client has paid that freelancer over
their whole relationship (lifetime billings): by default 10% of the first $10,000 and 5% after.
A release that crosses a tier boundary pays each rate on its own part. The optional client fee
is a flat rate on each funding (0% by default).

Rounding rule: fees are rounded on the pair's running total, never on a release alone. The exact
fee on everything a client has paid a freelancer (their lifetime billings) is computed in
hundredths of a basis point and rounded once, half up, to a whole cent; the fee of one release is
that rounded fee on the billings after it minus the rounded fee on the billings before it. So
however money is released (whole, or in parts, across milestones, across a tier boundary), the
fees of a pair add up exactly to the fee on their total: many tiny releases cannot each round
down to nothing. The freelancer receives exactly the amount minus the fee, so fee + net ==
amount for every amount, and 0 <= fee <= amount.
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


def fee_on_billings_cents(billed_cents: int) -> int:
    """The tiered fee on a pair's lifetime billings of `billed_cents`, rounded once, half up."""
    if billed_cents < 0:
        raise ValueError("Amounts are never negative.")
    exact = 0  # cents × basis points
    lower = 0
    for upper, bps in settings.FREELANCER_FEE_TIERS:
        segment_end = billed_cents if upper is None else min(billed_cents, upper)
        if segment_end > lower:
            exact += (segment_end - lower) * bps
        if upper is None:
            break
        lower = upper
    return _round_half_up(exact, 10_000)


def freelancer_fee_cents(*, amount_cents: int, billed_before_cents: int) -> int:
    """Tiered fee on `amount_cents`, given what this client already paid this freelancer: the fee on
    the billings after it less the fee on the billings before it, so releases add up exactly."""
    if amount_cents < 0 or billed_before_cents < 0:
        raise ValueError("Amounts are never negative.")
    return fee_on_billings_cents(billed_before_cents + amount_cents) - fee_on_billings_cents(billed_before_cents)


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
