"""Hiring a proposal again after its offer ended: every ending (declined, withdrawn, expired)
followed by a new hire, through the services, the pages and the API. The new hire is a new offer
the freelancer can accept, and nothing is left waiting on the old one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract, Offer
from contracts.services import offer_accept, offer_decline, offer_withdraw, offers_expire_due
from marketplace.models import Project, Proposal
from marketplace.services import project_close, projects_expire_due, proposal_hire
from tests.contracts.factories import hire_offer
from tests.helpers import api_for, browser_for, text

pytestmark = pytest.mark.django_db

ENDINGS = ["declined", "withdrawn", "expired"]
CHANNELS = ["services", "pages", "api"]


def end_offer(offer: Offer, ending: str, channel: str) -> None:
    """The offer ends the way `ending` says, by the person (or the clock) who ends it that way."""
    client, freelancer = offer.client, offer.freelancer
    if ending == "expired":  # only the clock expires an offer, whatever the channel
        assert offers_expire_due(now=offer.expires_at + timedelta(seconds=1)) == 1
    elif channel == "services":
        if ending == "declined":
            offer_decline(offer=offer, by=freelancer, reason="Busy")
        else:
            offer_withdraw(offer=offer, by=client)
    elif channel == "pages":
        who, name = (freelancer, "offer_decline") if ending == "declined" else (client, "offer_withdraw")
        response = browser_for(who).post(reverse(name, args=[offer.pk]), {"reason": "Busy"})
        assert response.status_code == 302
    else:
        who, verb = (freelancer, "decline") if ending == "declined" else (client, "withdraw")
        response = api_for(who).post(f"/api/v1/offers/{offer.pk}/{verb}/", {"reason": "Busy"}, format="json")
        assert response.status_code == 200, response.content
    offer.refresh_from_db()
    assert offer.status == ending
    assert Proposal.objects.get(pk=offer.proposal_id).status == Proposal.Status.SHORTLISTED


def offer_links(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/offers/(\d+)/"', page)}


def hire_again(proposal: Proposal, channel: str) -> int:
    """The client hires the proposal again; the id of the offer the client and freelancer see."""
    client = proposal.project.client
    if channel == "services":
        proposal_hire(proposal=proposal, by=client)
        return proposal.offers.get(status=Offer.Status.OFFERED).pk
    if channel == "pages":
        response = browser_for(client).post(reverse("proposal_hire", args=[proposal.pk]), follow=True)
        assert "Offer sent to" in text(response)
        page = browser_for(proposal.freelancer).get(proposal.get_absolute_url()).content.decode()
        (offer_pk,) = offer_links(page)  # the proposal page links to the new offer only
        return offer_pk
    response = api_for(client).post(f"/api/v1/proposals/{proposal.pk}/hire/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Proposal.Status.OFFERED
    assert response.json()["offer"]["status"] == Offer.Status.OFFERED
    return response.json()["offer"]["id"]


def accept(offer_pk: int, freelancer, channel: str) -> None:
    if channel == "services":
        offer_accept(offer=Offer.objects.get(pk=offer_pk), by=freelancer)
    elif channel == "pages":
        response = browser_for(freelancer).post(reverse("offer_accept", args=[offer_pk]), follow=True)
        assert "withdrawn" not in text(response).lower()
    else:
        response = api_for(freelancer).post(f"/api/v1/offers/{offer_pk}/accept/")
        assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("ending", ENDINGS)
def test_a_proposal_hired_again_after_its_offer_ended_gets_a_new_offer_the_freelancer_can_accept(ending, channel):
    # given a hire whose offer ended
    first = hire_offer()
    proposal = first.proposal
    end_offer(first, ending, channel)
    # when the client hires the same proposal again
    offer_pk = hire_again(proposal, channel)
    # then it is a new offer, waiting for the freelancer, and the old one stays as it ended
    assert offer_pk != first.pk
    offer = Offer.objects.get(pk=offer_pk)
    assert (offer.status, offer.awaiting, offer.proposal_id) == (Offer.Status.OFFERED, "freelancer", proposal.pk)
    assert Offer.objects.get(pk=first.pk).status == ending
    # and the freelancer can accept it: the contract starts, the proposal is hired, the project filled
    accept(offer_pk, proposal.freelancer, channel)
    contract = Contract.objects.get(offer_id=offer_pk)
    assert contract.status == Contract.Status.ACTIVE
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.HIRED
    assert Project.objects.get(pk=proposal.project_id).status == Project.Status.FILLED


@pytest.mark.parametrize("ending", ENDINGS)
def test_the_new_offer_can_end_too_and_then_the_project_can_be_closed(ending):
    # given a proposal hired, its offer ended, and hired again
    first = hire_offer()
    proposal, client = first.proposal, first.client
    end_offer(first, ending, "services")
    proposal_hire(proposal=proposal, by=client)
    second = proposal.offers.get(status=Offer.Status.OFFERED)
    # when the client withdraws the second offer too
    offer_withdraw(offer=second, by=client)
    # then the proposal is back on the shortlist and the client can close the project
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.SHORTLISTED
    project = project_close(project=proposal.project, by=client)
    assert project.status == Project.Status.CLOSED


def test_a_project_with_a_re_hired_offer_expires_once_that_offer_expires():
    # given a proposal hired, withdrawn and hired again
    first = hire_offer()
    proposal = first.proposal
    offer_withdraw(offer=first, by=first.client)
    proposal_hire(proposal=proposal, by=first.client)
    # when both the new offer and the project are long past their deadlines
    later = timezone.now() + timedelta(days=settings.PROJECT_OPEN_DAYS + settings.OFFER_EXPIRY_DAYS + 1)
    assert offers_expire_due(now=later) == 1
    assert projects_expire_due(now=later) == 1
    # then the project has expired and the proposal is closed with it
    assert Project.objects.get(pk=proposal.project_id).status == Project.Status.CLOSED
    assert Proposal.objects.get(pk=proposal.pk).status != Proposal.Status.OFFERED
