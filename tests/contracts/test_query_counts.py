"""Pages run a fixed number of queries however much a contract, an offer or a person's history
holds: one more milestone, event or contract must not mean one more query. Each test measures
the page with one item, grows the data through the services, measures again, and pins the count."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contracts import services
from contracts.models import Milestone, Offer
from contracts.services import MilestoneTerms
from payments.services import clearances_due, payout_request
from tests.contracts.factories import (
    active_contract,
    hire_offer,
    in_days,
    milestone_of,
    move_to,
    run_gateway_calls,
    with_payout_account,
)
from tests.helpers import browser_for, queries

pytestmark = pytest.mark.django_db


def both_sides(deal, url: str) -> tuple[int, int]:
    """How many queries `url` runs for the client and for the freelancer of `deal` (an offer or a contract)."""
    return queries(browser_for(deal.client), url), queries(browser_for(deal.freelancer), url)


def add_funded(contract, count: int, *, status: str = Milestone.Status.FUNDED) -> None:
    for i in range(count):
        milestone = services.milestone_add(
            contract=contract, by=contract.client, title=f"Change {i}", amount_cents=100_00, due_date=in_days(20)
        )
        move_to(milestone, status)


def test_the_contract_page_runs_the_same_queries_for_one_or_six_funded_milestones():
    # given a contract whose first milestone is funded
    contract = active_contract(amounts=(400_00,))
    move_to(milestone_of(contract), Milestone.Status.FUNDED)
    url = contract.get_absolute_url()
    one = both_sides(contract, url)
    # when five more funded milestones (and their events) join it
    add_funded(contract, 5)
    # then neither side's page runs one query more (the eighth asks which card payments are still processing)
    assert both_sides(contract, url) == one == (8, 8)


def test_the_contract_page_runs_the_same_queries_whatever_state_its_milestones_are_in():
    contract = active_contract(amounts=(400_00,))
    move_to(milestone_of(contract), Milestone.Status.SUBMITTED)
    url = contract.get_absolute_url()
    one = both_sides(contract, url)
    for status in (Milestone.Status.SUBMITTED, Milestone.Status.CHANGES_REQUESTED, Milestone.Status.RELEASED):
        add_funded(contract, 2, status=status)
    services.milestone_add(
        contract=contract, by=contract.client, title="Unfunded", amount_cents=50_00, due_date=in_days(30)
    )
    assert both_sides(contract, url) == one


def test_the_contract_list_runs_the_same_queries_for_one_or_four_contracts():
    contract = active_contract(amounts=(400_00,))
    client = browser_for(contract.client)
    url = reverse("contract_list")
    one = queries(client, url)
    for _ in range(3):
        other = active_contract(client=contract.client, amounts=(100_00, 200_00))
        move_to(milestone_of(other), Milestone.Status.FUNDED)
    assert queries(client, url) == one == 5


def test_the_offer_page_runs_the_same_queries_for_one_or_six_milestones_and_revisions():
    offer = hire_offer(amounts=(400_00,))
    url = offer.get_absolute_url()
    one = both_sides(offer, url)
    # the freelancer asks for six milestones, then the client revises them again: more milestones, more history
    for by in (offer.freelancer, offer.client):
        offer = Offer.objects.get(pk=offer.pk)
        services.offer_revise(
            offer=offer,
            by=by,
            milestones=[
                MilestoneTerms(title=f"Part {i}", amount_cents=100_00, due_date=in_days(10 + i)) for i in range(6)
            ],
            note="Smaller steps.",
        )
    assert both_sides(offer, url) == one == (6, 7)  # the freelancer also reads the client's record


def test_the_earnings_page_runs_the_same_queries_for_one_or_four_releases_and_payouts():
    contract = active_contract(amounts=(400_00,))
    move_to(milestone_of(contract), Milestone.Status.RELEASED)
    freelancer = browser_for(contract.freelancer)
    url = reverse("earnings")
    one = queries(freelancer, url)
    for _ in range(3):
        other = active_contract(freelancer=contract.freelancer, amounts=(100_00,))
        move_to(milestone_of(other), Milestone.Status.RELEASED)
    # balances, releases, withdrawals with their transfers, the payout account, its bank payouts,
    # and what was released in each of the last twelve months (one query for the chart)
    assert queries(freelancer, url) == one == 9


def test_a_payout_does_not_add_a_query_to_the_earnings_page(settings):
    settings.CLEARANCE_DAYS = 0
    contract = active_contract(amounts=(400_00, 300_00))
    move_to(milestone_of(contract), Milestone.Status.RELEASED)
    clearances_due()
    freelancer = browser_for(contract.freelancer)
    url = reverse("earnings")
    with_payout_account(contract.freelancer)
    payout_request(freelancer=contract.freelancer, amount_cents=10_00, key="first")
    run_gateway_calls()
    one = queries(freelancer, url)
    for i in range(3):
        payout_request(freelancer=contract.freelancer, amount_cents=10_00, key=f"more-{i}")
    run_gateway_calls()
    assert queries(freelancer, url) == one
