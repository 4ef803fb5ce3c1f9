"""The contract and earnings pages promise only what a person can do today."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contracts.models import Milestone
from contracts.services import milestone_submit
from tests.contracts.factories import active_contract, milestone_in, milestone_of, move_to
from tests.helpers import browser_for, links_to, text

pytestmark = pytest.mark.django_db

S = Milestone.Status


def test_with_no_change_rounds_left_the_client_is_offered_only_what_exists():
    # given a delivered milestone whose change rounds are all used
    contract = active_contract(change_rounds=1)
    milestone = move_to(milestone_of(contract), S.CHANGES_REQUESTED)
    milestone_submit(milestone=milestone, by=contract.freelancer, message="Fixed the export.")
    # when the client opens the contract
    shown = text(browser_for(contract.client).get(contract.get_absolute_url()))
    # then the ways forward are approve, a paid change order, or a refund the freelancer answers
    assert "0 of 1 change rounds left." in shown
    assert "approve the work as it is;" in shown
    assert "add a paid change-order milestone for the extra work" in shown
    assert f"or ask {contract.freelancer.display_name} for a refund" in shown and "they agree or decline" in shown
    # and, when they cannot agree, a dispute, linked to the page that opens one
    assert "Cannot agree? Open a dispute" in shown


def test_ending_the_contract_asks_to_approve_or_refund_what_is_held():
    contract = active_contract()
    shown = text(browser_for(contract.client).get(contract.get_absolute_url()))
    assert "Possible once no money is held: approve or refund what is held first." in shown
    assert "dispute" not in shown.lower()


def test_a_milestone_in_dispute_still_says_so():
    milestone = milestone_in(S.DISPUTED)
    shown = text(browser_for(milestone.contract.client).get(milestone.contract.get_absolute_url()))
    assert "In dispute: the money stays held until the dispute is resolved." in shown


@pytest.mark.parametrize("status", [S.FUNDED, S.SUBMITTED, S.CHANGES_REQUESTED])
def test_the_approve_button_reads_the_same_before_and_after_a_change_request(status):
    # given a $400 milestone that can be approved
    milestone = milestone_in(status, amounts=(400_00,))
    # when the client reads the contract
    page = browser_for(milestone.contract.client).get(milestone.contract.get_absolute_url())
    # then the one way to approve it is named the same whatever happened before
    assert links_to(page, reverse("milestone_approve", args=[milestone.pk])) == ["Approve and pay $400.00…"]
    assert "release all" not in text(page)


# Earnings --------------------------------------------------------------------------------------


def test_a_client_only_account_gets_an_explanation_on_the_earnings_page(client_user):
    # given someone who only hires
    assert not client_user.is_freelancer
    # when they open /earnings/
    page = browser_for(client_user).get(reverse("earnings"))
    shown = text(page)
    # then they read what the page is for and how to start working, with no withdrawal form
    assert page.status_code == 200
    assert "Earnings are for freelancers" in shown
    assert "Turn on “I want to work”" in shown
    assert links_to(page, reverse("onboarding")) == ["Choose what you do"]
    assert 'name="amount"' not in page.content.decode()
    assert "Withdraw" not in shown and "Available" not in shown


def test_a_freelancer_still_sees_balances_and_withdrawals(freelancer):
    shown = text(browser_for(freelancer).get(reverse("earnings")))
    assert "Earnings are for freelancers" not in shown
    assert "Available $0.00" in shown and "Withdrawals" in shown
