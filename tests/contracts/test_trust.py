"""The client trust panel shows what contracts recorded: money spent, approval speed, follow-on work."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from contracts import services
from contracts.models import Milestone, Offer
from marketplace import services as market
from marketplace.selectors import client_trust
from tests.helpers import text
from tests.marketplace.factories import new_client, new_freelancer, open_project, submit_proposal

pytestmark = pytest.mark.django_db


def test_a_new_client_has_no_money_figures_yet():
    trust = client_trust(new_client())
    assert trust.total_spent_cents is None
    assert trust.average_days_to_approve is None
    assert trust.tests_to_longer_percent is None


def test_figures_follow_a_paid_test_that_led_to_longer_work(monkeypatch):
    # given a client who hires a freelancer for a paid test and approves the delivery two days later
    client, freelancer = new_client(), new_freelancer()
    project = open_project(
        client=client,
        kind="test",
        budget_min_cents=300_00,
        budget_max_cents=300_00,
        acceptance_criteria="Done when it works.",
        duration_days=7,
    )
    proposal = submit_proposal(project=project, freelancer=freelancer, bid_cents=300_00)
    market.proposal_hire(proposal=proposal, by=client)
    contract = services.offer_accept(offer=Offer.objects.get(proposal=proposal), by=freelancer)
    milestone = contract.milestones.get()
    services.milestone_fund(milestone=milestone, by=client)
    services.milestone_submit(milestone=milestone, by=freelancer, message="Done")
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    services.milestone_approve(milestone=milestone, by=client)
    contract = services.contract_end(contract=contract, by=client)
    # when the client continues with the freelancer and the follow-on is accepted
    follow_on = services.offer_create_follow_on(
        contract=contract,
        by=client,
        title="Continued work",
        scope="Rebuild the reminders.",
        milestones=[services.MilestoneTerms("Phase 1", 2_000_00, timezone.localdate() + timedelta(days=30))],
    )
    services.offer_accept(offer=follow_on, by=freelancer)
    # then freelancers see what the client spent, how fast they approve, and that the test led to more work
    trust = client_trust(client)
    assert trust.total_spent_cents == 300_00
    assert trust.average_days_to_approve == 2.0
    assert trust.approvals_basis == 1
    assert trust.tests_to_longer_percent == 100
    assert trust.tests_done == 1
    assert Milestone.objects.filter(contract__client=client, status=Milestone.Status.RELEASED).count() == 1
    # and the panel on the client's next project says what each figure is based on
    monkeypatch.undo()
    next_project = open_project(client=client)
    page = text(Client().get(f"/projects/{next_project.pk}/"))
    assert "2.0 on average over 1 approved milestone" in page
    assert "100% of 1 completed test" in page
