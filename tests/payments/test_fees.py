"""payments.fees: one function, one rounding rule (half up, once), tiers on lifetime billings,
and the optional client fee taken into platform:fees when a milestone is funded."""

from __future__ import annotations

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from contracts.services import milestone_approve, milestone_fund
from payments import accounts
from payments.fees import client_fee_cents, fee_breakdown, fee_on_billings_cents, freelancer_fee_cents
from payments.models import GatewayOperation
from tests.contracts.factories import (
    active_contract,
    escrow_of,
    gateway_balance,
    milestone_of,
    pending_of,
    platform_fees,
)

TIER_LIMIT = 10_000_00

amounts = st.integers(min_value=1, max_value=10**9)
billings = st.integers(min_value=0, max_value=10**9)


def test_the_default_tiers_are_ten_percent_then_five():
    assert settings.FREELANCER_FEE_TIERS == [(TIER_LIMIT, 1000), (None, 500)]
    assert settings.CLIENT_FEE_BPS == 0
    note = fee_breakdown(amount_cents=100_00, billed_before_cents=0).rate_note
    assert note == "Service fee: 10% of the first $10,000 billed between this client and freelancer, 5% after."


@given(amount=amounts, billed_before=billings)
def test_fee_plus_net_is_always_the_amount(amount, billed_before):
    fees = fee_breakdown(amount_cents=amount, billed_before_cents=billed_before)
    assert fees.freelancer_fee_cents + fees.freelancer_net_cents == amount
    assert 0 <= fees.freelancer_fee_cents <= amount
    assert fees.client_total_cents == amount + fees.client_fee_cents
    assert all(
        isinstance(v, int) for v in (fees.freelancer_fee_cents, fees.freelancer_net_cents, fees.client_fee_cents)
    )


def exact_hundredths_on(billed: int) -> int:
    """The exact default-tier fee on lifetime billings of `billed` cents, in cents × basis points."""
    below = min(billed, TIER_LIMIT)
    return below * 1000 + (billed - below) * 500


@given(billed=billings)
def test_the_fee_on_lifetime_billings_is_the_exact_tiered_fee_rounded_once_half_up(billed):
    assert fee_on_billings_cents(billed) == (2 * exact_hundredths_on(billed) + 10_000) // 20_000


@given(amount=amounts, billed_before=billings)
def test_a_release_pays_the_fee_on_the_billings_after_it_less_the_fee_before_it(amount, billed_before):
    fee = freelancer_fee_cents(amount_cents=amount, billed_before_cents=billed_before)
    assert fee == fee_on_billings_cents(billed_before + amount) - fee_on_billings_cents(billed_before)
    # within a cent of the exact tiered fee on this release, and never more than the release
    exact = exact_hundredths_on(billed_before + amount) - exact_hundredths_on(billed_before)
    assert abs(fee * 10_000 - exact) < 10_000
    assert 0 <= fee <= amount


@given(parts=st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=30), billed_before=billings)
def test_any_split_of_a_release_pays_exactly_the_fee_of_releasing_it_whole(parts, billed_before):
    whole = freelancer_fee_cents(amount_cents=sum(parts), billed_before_cents=billed_before)
    paid, running = 0, billed_before
    for part in parts:
        paid += freelancer_fee_cents(amount_cents=part, billed_before_cents=running)
        running += part
    assert paid == whole


def test_releases_of_a_few_cents_pay_their_share_of_the_fee():
    # 4-cent releases at 10%: each alone would round 0.4 cent down to nothing; together they pay
    fees = [freelancer_fee_cents(amount_cents=4, billed_before_cents=4 * k) for k in range(100)]
    assert sum(fees) == 40 == freelancer_fee_cents(amount_cents=400, billed_before_cents=0)
    # 9-cent releases at 5% (past the first tier)
    fees = [freelancer_fee_cents(amount_cents=9, billed_before_cents=TIER_LIMIT + 9 * k) for k in range(100)]
    assert sum(fees) == 45 == freelancer_fee_cents(amount_cents=900, billed_before_cents=TIER_LIMIT)


@pytest.mark.parametrize(
    ("amount", "billed_before", "fee"),
    [
        (5, 0, 1),  # 0.5 cent rounds up
        (4, 0, 0),  # 0.4 cent rounds down
        (15, 0, 2),  # 1.5 → 2
        (14, 0, 1),
        (25, 0, 3),  # half up, not half to even
        (333_35, 0, 33_34),  # $33.335 → $33.34
        (100_00, 0, 10_00),
        (10, TIER_LIMIT, 1),  # 5% of 10 cents = 0.5 → 1
        (9, TIER_LIMIT, 0),  # 0.45 → 0
        (100_00, 9_950_00, 7_50),  # $50 at 10% + $50 at 5%
        (100_00, 9_900_00, 10_00),  # ends exactly on the boundary: all at 10%
        (100_00, TIER_LIMIT, 5_00),  # starts on the boundary: all at 5%
        (20_000_00, 0, 1_500_00),  # $10,000 at 10% + $10,000 at 5%
        (1, 9_999_99, 0),  # the last cent of the first tier: 0.1 cent
        (0, 0, 0),
    ],
)
def test_rounding_and_tier_examples(amount, billed_before, fee):
    assert freelancer_fee_cents(amount_cents=amount, billed_before_cents=billed_before) == fee
    breakdown = fee_breakdown(amount_cents=amount, billed_before_cents=billed_before)
    assert (breakdown.freelancer_fee_cents, breakdown.freelancer_net_cents) == (fee, amount - fee)


@pytest.mark.parametrize(("amount", "billed_before"), [(-1, 0), (100, -1)])
def test_negative_amounts_are_refused(amount, billed_before):
    with pytest.raises(ValueError):
        freelancer_fee_cents(amount_cents=amount, billed_before_cents=billed_before)


def test_the_tiers_follow_the_settings(settings):
    settings.FREELANCER_FEE_TIERS = [(1_000_00, 2000), (5_000_00, 1000), (None, 0)]
    # $500 at 20%, $4,000 at 10%, $500 at 0%
    assert freelancer_fee_cents(amount_cents=5_000_00, billed_before_cents=500_00) == 100_00 + 400_00
    assert freelancer_fee_cents(amount_cents=100_00, billed_before_cents=6_000_00) == 0


def test_the_client_fee_is_zero_by_default_and_rounds_half_up(settings):
    assert client_fee_cents(100_00) == 0
    settings.CLIENT_FEE_BPS = 250
    assert client_fee_cents(100_00) == 2_50
    assert client_fee_cents(2) == 0  # 0.05 cent
    assert client_fee_cents(20) == 1  # 0.5 cent rounds up
    assert fee_breakdown(amount_cents=100_00, billed_before_cents=0).client_total_cents == 102_50


@pytest.mark.django_db
def test_a_client_fee_is_charged_on_funding_into_platform_fees(settings):
    # given a 3% client fee and an active contract whose first milestone is $400
    settings.CLIENT_FEE_BPS = 300
    contract = active_contract(amounts=(400_00, 600_00))
    milestone = milestone_of(contract)
    # when the client funds it
    milestone_fund(milestone=milestone, by=contract.client)
    # then the card is charged $412, escrow holds exactly $400 and the platform $12
    (charge,) = GatewayOperation.objects.all()
    assert charge.amount_cents == 412_00
    assert gateway_balance() == -412_00
    assert escrow_of(milestone) == 400_00
    assert platform_fees() == 12_00
    # when the work is approved, then the freelancer's fee comes on top, from the $400 only
    milestone_approve(milestone=milestone, by=contract.client)
    assert platform_fees() == 12_00 + 40_00
    assert pending_of(contract.freelancer) == 360_00
    assert escrow_of(milestone) == 0
    assert accounts.PLATFORM_FEES == "platform:fees"


@pytest.mark.django_db
def test_without_a_client_fee_funding_moves_exactly_the_amount():
    contract = active_contract(amounts=(400_00, 600_00))
    milestone = milestone_of(contract)
    milestone_fund(milestone=milestone, by=contract.client)
    assert (gateway_balance(), escrow_of(milestone), platform_fees()) == (-400_00, 400_00, 0)
