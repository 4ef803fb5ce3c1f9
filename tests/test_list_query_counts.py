"""Every signed-in page and API list runs at most ten queries, and the same number whether the
person has one deal or several: one more contract, proposal, interview or milestone must not
mean one more query."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from contracts.models import Contract, Milestone
from contracts.services import milestone_submit
from marketplace.models import Interview, Project, Proposal
from marketplace.topics import PROPOSAL_TOPIC
from messaging.selectors import topic_conversation
from messaging.services import message_send
from tests.contracts.factories import active_contract, milestone_of, move_to
from tests.helpers import api_for, browser_for, queries
from tests.marketplace.factories import new_client, new_freelancer
from tests.messaging.test_messaging import pdf
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
    "billing",
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
    """`deals` more deals between the pair; a contract with one milestone per deal, each delivered
    with two files; and one more message with a file in every proposal's and that contract's
    conversation."""
    for _ in range(deals):
        deal(client=client, freelancer=freelancer)
    contract = active_contract(client=client, freelancer=freelancer, amounts=(100_00,) * deals)
    for position in range(1, deals + 1):
        milestone = move_to(milestone_of(contract, position), Milestone.Status.FUNDED)
        milestone_submit(milestone=milestone, by=freelancer, message="Done.", files=[pdf("a.pdf"), pdf("b.pdf")])
    topics = [("contract", contract.pk)]
    topics += [
        (PROPOSAL_TOPIC, pk) for pk in Proposal.objects.filter(freelancer=freelancer).values_list("pk", flat=True)
    ]
    for topic_type, topic_id in topics:
        conversation = topic_conversation(topic_type=topic_type, topic_id=topic_id, user=client)
        message_send(conversation=conversation, sender=client, body="See the notes.", files=[pdf("notes.pdf")])


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
    newest_contract = Contract.objects.filter(client=client).order_by("-pk").first()
    for side, browser in browsers.items():
        counts[f"{side} contract with deliveries"] = queries(browser, newest_contract.get_absolute_url())
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
    assert {page: count for page, count in four.items() if count > MAX_QUERIES} == {}
