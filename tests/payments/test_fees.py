"""payments.fees: one function, one rounding rule (half up, once), tiers on lifetime billings,
and the optional client fee taken into platform:fees when a milestone is funded."""

from __future__ import annotations

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from contracts.services import milestone_approve, milestone_fund
from payments import accounts
from payments.fees import client_fee_cents, fee_breakdown, freelancer_fee_cents
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


@given(amount=amounts, billed_before=billings)
def test_the_fee_is_within_half_a_cent_of_the_exact_tiered_fee(amount, billed_before):
    below = max(0, min(amount, TIER_LIMIT - billed_before))
    exact_hundredths = below * 1000 + (amount - below) * 500  # cents × basis points
    fee = freelancer_fee_cents(amount_cents=amount, billed_before_cents=billed_before)
    assert abs(fee * 10_000 - exact_hundredths) <= 5_000
    # and half a cent always rounds up
    assert fee == (2 * exact_hundredths + 10_000) // 20_000


@given(first=amounts, second=amounts, billed_before=billings)
def test_splitting_a_release_in_two_changes_the_fee_by_at_most_a_cent_of_rounding(first, second, billed_before):
    whole = freelancer_fee_cents(amount_cents=first + second, billed_before_cents=billed_before)
    parts = freelancer_fee_cents(amount_cents=first, billed_before_cents=billed_before) + freelancer_fee_cents(
        amount_cents=second, billed_before_cents=billed_before + first
    )
    assert abs(whole - parts) <= 1


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
