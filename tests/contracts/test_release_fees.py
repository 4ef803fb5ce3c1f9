"""Fees cannot be dodged by releasing a milestone in small parts.

The fee of each release is the fee on the pair's lifetime billings after it less the fee on
the billings before it (payments/fees.py), so any split of a milestone into early releases and a
last leg (approval, automatic release or a dispute split) pays exactly the fee of releasing it
whole, also across the fee tier boundary; and a partial release has a minimum
(MIN_PARTIAL_RELEASE_CENTS), refused with a clear message on the pages and the API.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import User
from contracts.invariants import money_problems
from contracts.models import Milestone
from contracts.services import (
    milestone_approve,
    milestone_fund,
    milestone_release_partial,
    milestone_settle_split,
    milestone_submit,
    milestones_auto_release_due,
)
from contracts.views import form_prefix
from payments.fees import freelancer_fee_cents
from tests.contracts.factories import (
    active_contract,
    funded_milestone,
    milestone_of,
    nothing_moves,
    pending_of,
    platform_fees,
)
from tests.helpers import api_for, browser_for, came_back, text

pytestmark = pytest.mark.django_db

S = Milestone.Status
TIER_LIMIT = 10_000_00

# What the pair was paid before: nothing much, an odd amount, just under, on and past the tier boundary.
PAID_BEFORE = [5_00, 333_35, 9_990_03, TIER_LIMIT - 5_00, 12_345_67]


def _funded_after(paid_before: int, amount: int) -> Milestone:
    """The funded second milestone of `amount` of a contract whose first milestone was paid."""
    contract = active_contract(amounts=(paid_before, amount))
    first, second = milestone_of(contract, 1), milestone_of(contract, 2)
    for milestone in (first, second):
        milestone_fund(milestone=milestone, by=contract.client)
    milestone_approve(milestone=first, by=contract.client)
    second.refresh_from_db()
    return second


def _last_leg(milestone: Milestone, leg: str, split_share: float) -> int:
    """Settle what is still held by `leg`; what it paid the freelancer (before the fee)."""
    contract = milestone.contract
    held = milestone.held_cents
    if leg == "approve":
        milestone_approve(milestone=milestone, by=contract.client)
        return held
    if leg == "auto-release":
        milestone_submit(milestone=milestone, by=contract.freelancer, message="Done.")
        assert milestones_auto_release_due(now=timezone.now() + timedelta(days=365)) == 1
        return held
    # a dispute settled by staff: part to the freelancer, the rest back to the client
    Milestone.objects.filter(pk=milestone.pk).update(status=S.DISPUTED, auto_release_at=None)
    to_freelancer = int(held * split_share)
    staff = User.objects.create_user(email=f"staff{milestone.pk}@example.com", password="x", is_staff=True)
    milestone_settle_split(milestone=Milestone.objects.get(pk=milestone.pk), by=staff, freelancer_cents=to_freelancer)
    return to_freelancer


@override_settings(MIN_PARTIAL_RELEASE_CENTS=1)  # the fee rule holds even for releases of a cent
@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    paid_before=st.sampled_from(PAID_BEFORE),
    amount=st.integers(min_value=5_00, max_value=30_000_00),
    parts=st.lists(st.integers(min_value=1, max_value=2_000_00), max_size=8),
    tiny=st.lists(st.integers(min_value=1, max_value=9), max_size=12),
    leg=st.sampled_from(["approve", "auto-release", "split"]),
    split_share=st.floats(min_value=0, max_value=1),
)
def test_any_split_of_a_milestone_into_releases_pays_exactly_the_fee_of_releasing_it_whole(
    paid_before, amount, parts, tiny, leg, split_share
):
    cache.clear()  # rolled-back ids come back, and the proposal rate limit counts by id
    with transaction.atomic():
        # given a funded milestone of a pair that was already paid `paid_before`
        milestone = _funded_after(paid_before, amount)
        client, freelancer = milestone.contract.client, milestone.contract.freelancer
        fees_before, pending_before = platform_fees(), pending_of(freelancer)
        # when the client releases it in parts (a few of them only cents), while something stays held
        released = 0
        for i, part in enumerate(parts + tiny):
            if released + part >= amount:
                break
            milestone_release_partial(milestone=milestone, by=client, amount_cents=part, intent=f"part-{i}")
            released += part
        milestone.refresh_from_db()
        # and the rest is settled by approval, by the review deadline or by a dispute split
        released += _last_leg(milestone, leg, split_share)
        # then the fees are exactly the fee of releasing the same total at once
        fees = platform_fees() - fees_before
        assert fees == freelancer_fee_cents(amount_cents=released, billed_before_cents=paid_before)
        assert pending_of(freelancer) - pending_before == released - fees
        assert money_problems() == []
        transaction.set_rollback(True)


@override_settings(MIN_PARTIAL_RELEASE_CENTS=1)
def test_a_hundred_releases_of_four_cents_pay_the_same_fee_as_four_dollars():
    # given a funded $500 milestone (10% tier)
    milestone = funded_milestone(amounts=(500_00,))
    client = milestone.contract.client
    # when the client releases 4 cents a hundred times
    for i in range(100):
        milestone_release_partial(milestone=milestone, by=client, amount_cents=4, intent=f"tiny-{i}")
    # then $0.40 of fees was paid, as for one $4 release
    assert platform_fees() == 40
    assert money_problems() == []


@override_settings(MIN_PARTIAL_RELEASE_CENTS=1)
def test_nine_cent_releases_past_the_tier_boundary_pay_their_five_percent():
    milestone = _funded_after(TIER_LIMIT, 100_00)
    client = milestone.contract.client
    before = platform_fees()
    for i in range(100):
        milestone_release_partial(milestone=milestone, by=client, amount_cents=9, intent=f"tiny-{i}")
    assert platform_fees() - before == 45  # 5% of $9
    assert money_problems() == []


# --- The smallest partial release ---------------------------------------------------------------


@pytest.mark.parametrize("amount", [1, 4, 9, 99])
def test_a_partial_release_below_the_minimum_is_refused_by_the_service(amount):
    milestone = funded_milestone(amounts=(400_00,))
    with nothing_moves(ValidationError) as refused:
        milestone_release_partial(milestone=milestone, by=milestone.contract.client, amount_cents=amount)
    assert refused.value.message_dict["amount"] == ["A partial release is at least $1.00."]


def test_the_minimum_is_a_setting(settings):
    settings.MIN_PARTIAL_RELEASE_CENTS = 5_00
    milestone = funded_milestone(amounts=(400_00,))
    with nothing_moves(ValidationError) as refused:
        milestone_release_partial(milestone=milestone, by=milestone.contract.client, amount_cents=4_99)
    assert refused.value.message_dict["amount"] == ["A partial release is at least $5.00."]
    milestone_release_partial(milestone=milestone, by=milestone.contract.client, amount_cents=5_00)
    milestone.refresh_from_db()
    assert milestone.released_cents == 5_00


def test_when_too_little_is_held_for_a_part_the_client_is_told_to_approve(settings):
    settings.MIN_PARTIAL_RELEASE_CENTS = 5_00
    milestone = funded_milestone(amounts=(5_00,))  # the smallest milestone: nothing can be split off
    with nothing_moves(ValidationError) as refused:
        milestone_release_partial(milestone=milestone, by=milestone.contract.client, amount_cents=1_00)
    (message,) = refused.value.message_dict["amount"]
    assert "too little to release part of it" in message and "Approve the milestone" in message


def test_the_pages_refuse_a_partial_release_below_the_minimum_and_move_nothing():
    milestone = funded_milestone(amounts=(400_00,))
    client = milestone.contract.client
    url = reverse("milestone_release_partial", args=[milestone.pk])
    for confirm in ("", "yes"):
        response = browser_for(client).post(
            url, {f"{form_prefix('release_part', milestone)}-amount": "0.04", "confirm": confirm}, follow=True
        )
        assert came_back(response, milestone.contract.get_absolute_url())
        assert "A partial release is at least $1.00." in text(response)
    milestone.refresh_from_db()
    assert milestone.released_cents == 0
    assert platform_fees() == 0


def test_the_api_refuses_a_partial_release_below_the_minimum_and_moves_nothing():
    milestone = funded_milestone(amounts=(400_00,))
    response = api_for(milestone.contract.client).post(
        f"/api/v1/milestones/{milestone.pk}/release-partial/", {"amount_cents": 9}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["amount_cents"] == ["A partial release is at least $1.00."]
    milestone.refresh_from_db()
    assert milestone.released_cents == 0
    assert money_problems() == []
