"""Both dashboards run a fixed number of queries however many projects, proposals, contracts,
invitations and interviews a person has, and showing them writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ClientProfile, FreelancerProfile
from config.views import DASHBOARD_ROWS
from contracts.models import Milestone
from marketplace.services import interview_pick, interview_propose, invitation_send
from tests.contracts.factories import active_contract, milestone_of, move_to
from tests.factories import UserFactory
from tests.helpers import browser_for, links_to, queries, text
from tests.marketplace.factories import new_client, new_freelancer, open_project, submit_proposal

pytestmark = pytest.mark.django_db


def deal(*, client, freelancer) -> None:
    """A project with the freelancer's proposal and an interview about it, an invitation to a
    second project, and a contract between them with one milestone funded and one delivered."""
    project = open_project(client=client)
    proposal = submit_proposal(project=project, freelancer=freelancer)
    start = timezone.now() + timedelta(days=3)
    interview_propose(proposal=proposal, by=client, slots=[start, start + timedelta(hours=2)])
    invitation_send(project=open_project(client=client), by=client, freelancer=freelancer)
    contract = active_contract(client=client, freelancer=freelancer, amounts=(100_00, 200_00))
    move_to(milestone_of(contract, 1), Milestone.Status.FUNDED)
    move_to(milestone_of(contract, 2), Milestone.Status.SUBMITTED)


def test_the_client_dashboard_runs_the_same_queries_for_one_or_four_deals():
    client = new_client()
    deal(client=client, freelancer=new_freelancer())
    browser = browser_for(client)
    one = queries(browser, reverse("dashboard"))
    for _ in range(3):
        deal(client=client, freelancer=new_freelancer())
    assert queries(browser, reverse("dashboard")) == one == 8


def test_the_freelancer_dashboard_runs_the_same_queries_for_one_or_four_deals():
    freelancer = new_freelancer()
    deal(client=new_client(), freelancer=freelancer)
    browser = browser_for(freelancer)
    one = queries(browser, reverse("dashboard"))
    for _ in range(3):
        deal(client=new_client(), freelancer=freelancer)
    assert queries(browser, reverse("dashboard")) == one == 10  # the job success breakdown: one kept row


def test_a_busy_client_dashboard_lists_a_bounded_number_of_rows():
    # given a client with more work awaiting funding than a dashboard lists
    client = new_client()
    for _ in range(DASHBOARD_ROWS + 2):
        active_contract(client=client, freelancer=new_freelancer(), amounts=(100_00,))
    # when they open their dashboard
    response = browser_for(client).get(reverse("dashboard"))
    # then it lists the first ones, says there are more, and links to all contracts
    body = text(response)
    assert f"Awaiting funding ({DASHBOARD_ROWS}+)" in body
    assert response.content.decode().count(">Fund</a>") == DASHBOARD_ROWS
    assert links_to(response, reverse("contract_list"))


def test_the_dashboard_lists_interviews_to_answer_and_upcoming_ones():
    # given a freelancer with one interview proposed by the client and one already scheduled
    freelancer, client = new_freelancer(), new_client()
    start = timezone.now() + timedelta(days=3)
    proposed = submit_proposal(project=open_project(client=client, title="Logo refresh"), freelancer=freelancer)
    interview_propose(proposal=proposed, by=client, slots=[start])
    scheduled = submit_proposal(project=open_project(client=client, title="Landing page"), freelancer=freelancer)
    interview = interview_propose(proposal=scheduled, by=client, slots=[start + timedelta(days=1)])
    interview_pick(interview=interview, by=freelancer, slot=interview.slots.get())
    # when they open their dashboard
    body = text(browser_for(freelancer).get(reverse("dashboard")))
    # then the first asks for a time and the second is coming up
    assert "Pick a time for the interview about “Logo refresh”" in body
    assert "No interviews coming up" not in body and "Landing page" in body


def test_a_dashboard_does_not_create_a_missing_profile():
    # given someone who chose both roles before profiles were made with the role
    person = UserFactory(is_client=True, is_freelancer=True)
    # when they open their dashboard and both profile pages
    browser = browser_for(person)
    for name in ("dashboard", "profile_freelancer_edit", "profile_client_edit"):
        assert browser.get(reverse(name)).status_code == 200
    # then the pages showed and no profile was written
    assert not FreelancerProfile.objects.filter(user=person).exists()
    assert not ClientProfile.objects.filter(user=person).exists()
