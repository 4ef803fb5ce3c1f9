"""Project, proposal, dashboard and home pages as a new user meets them."""

from __future__ import annotations

import pytest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone

from contracts.services import offer_accept
from marketplace import services
from marketplace.models import Project, Proposal
from tests.helpers import browser_for, forms_posting_to, links_to, text
from tests.marketplace.factories import draft_project, new_client, new_freelancer, open_project, submit_proposal

pytestmark = pytest.mark.django_db


def day(moment) -> str:
    """A date the way the pages write it: 28 Nov 2026."""
    return date_filter(timezone.localtime(moment), "j M Y")


# Re-proposing after withdrawing -------------------------------------------------------------------


@pytest.fixture
def withdrawn() -> Proposal:
    project = open_project()
    proposal = submit_proposal(project=project)
    return services.proposal_withdraw(proposal=proposal, by=proposal.freelancer)


def test_the_project_page_says_a_withdrawn_proposal_cannot_be_sent_again(withdrawn):
    # when the freelancer who withdrew opens the project
    page = browser_for(withdrawn.freelancer).get(withdrawn.project.get_absolute_url())
    shown = text(page)
    # then they read that they withdrew, when, and that a project takes one proposal each
    withdrawn_on = day(withdrawn.events.get(to_status=Proposal.Status.WITHDRAWN).at)
    assert f"You withdrew your proposal on {withdrawn_on}. A project takes one proposal per freelancer." in shown
    # with a link to read it, and no offer to send or edit one
    assert links_to(page, withdrawn.get_absolute_url()) == ["View your withdrawn proposal"]
    assert "View your proposal" not in shown and "Send a proposal" not in shown


def test_the_proposal_form_sends_someone_who_withdrew_to_their_proposal_with_the_reason(withdrawn):
    browser = browser_for(withdrawn.freelancer)
    response = browser.get(reverse("proposal_create", args=[withdrawn.project.pk]), follow=True)
    shown = text(response)
    assert response.redirect_chain[-1][0] == withdrawn.get_absolute_url()
    assert "You withdrew your proposal for this project, so you cannot send another." in shown
    assert "Edit it here instead" not in shown
    assert "A project takes one proposal per freelancer" in shown


def test_posting_a_second_proposal_after_withdrawing_gives_the_same_reason(withdrawn):
    response = browser_for(withdrawn.freelancer).post(
        reverse("proposal_create", args=[withdrawn.project.pk]), {"cover_letter": "Again"}, follow=True
    )
    assert "You withdrew your proposal for this project, so you cannot send another." in text(response)
    assert Proposal.objects.filter(project=withdrawn.project).count() == 1


def test_a_freelancer_with_a_live_proposal_is_still_sent_to_edit_it():
    proposal = submit_proposal(project=open_project())
    response = browser_for(proposal.freelancer).get(reverse("proposal_create", args=[proposal.project.pk]), follow=True)
    assert "You already sent a proposal for this project. Edit it here instead." in text(response)


# Deleting a draft ---------------------------------------------------------------------------------


def test_delete_draft_asks_first_and_only_a_post_deletes(client_user):
    # given a draft
    draft = draft_project(client=client_user)
    browser = browser_for(client_user)
    close_url = reverse("project_close", args=[draft.pk])
    # then its page links to a confirmation instead of deleting on the first click
    page = browser.get(draft.get_absolute_url())
    assert links_to(page, close_url) == ["Delete draft…"]
    assert forms_posting_to(page, close_url) == 0
    # when the client follows it, they are asked and the draft is untouched
    confirm = browser.get(close_url)
    shown = text(confirm)
    assert confirm.status_code == 200
    assert "Delete this draft?" in shown and "You cannot undo this." in shown
    assert forms_posting_to(confirm, close_url) == 1
    assert links_to(confirm, draft.get_absolute_url())[-1] == "Keep the draft"
    draft.refresh_from_db()
    assert draft.status == Project.Status.DRAFT
    # when they confirm, it is discarded
    response = browser.post(close_url, follow=True)
    assert "The draft is discarded." in text(response)
    draft.refresh_from_db()
    assert draft.status == Project.Status.CLOSED


def test_closing_an_open_project_also_asks_first_and_counts_who_is_told(client_user):
    project = open_project(client=client_user)
    submit_proposal(project=project)
    browser = browser_for(client_user)
    close_url = reverse("project_close", args=[project.pk])
    assert forms_posting_to(browser.get(project.get_absolute_url()), close_url) == 0
    shown = text(browser.get(close_url))
    assert "Close this project to proposals?" in shown
    assert "The 1 freelancer with an open proposal is told you closed it without hiring." in shown
    project.refresh_from_db()
    assert project.status == Project.Status.OPEN


def test_only_the_client_can_see_the_delete_confirmation(client_user):
    draft = draft_project(client=client_user)
    assert browser_for(new_client()).get(reverse("project_close", args=[draft.pk])).status_code == 404


# The client's dashboard -------------------------------------------------------------------------


def test_the_dashboard_shows_a_deadline_only_for_open_projects(client_user):
    # given an open, a filled and a closed project
    open_one = open_project(client=client_user, title="Still open")
    filled = open_project(client=client_user, title="Hired someone")
    hired = services.proposal_hire(proposal=submit_proposal(project=filled), by=client_user)
    offer_accept(offer=hired.offers.get(), by=hired.freelancer)
    closed = services.project_close(project=open_project(client=client_user, title="Gave up"), by=client_user)
    filled.refresh_from_db()
    # when the client opens the dashboard
    shown = text(browser_for(client_user).get(reverse("dashboard")))
    # then only the open project has a deadline; the others say what happened and when
    assert f"Apply by {date_filter(open_one.apply_by, 'j M')}" in shown
    assert f"Filled {day(filled.closed_at)}" in shown
    assert f"Closed {day(closed.closed_at)}" in shown
    assert shown.count("Deadline") == 1


# The offer link on a hired proposal ---------------------------------------------------------------


def test_the_offer_link_on_a_hired_proposal_fits_who_reads_it():
    proposal = submit_proposal(project=open_project(), freelancer=new_freelancer(full_name="Priya Raman"))
    services.proposal_hire(proposal=proposal, by=proposal.project.client)
    offer_url = reverse("offer_detail", args=[proposal.offers.get().pk])
    as_client = browser_for(proposal.project.client).get(proposal.get_absolute_url())
    as_freelancer = browser_for(proposal.freelancer).get(proposal.get_absolute_url())
    assert links_to(as_client, offer_url) == ["See the offer (waiting for Priya Raman to answer)"]
    assert links_to(as_freelancer, offer_url) == ["See the offer and answer it"]


# The logged-out home page -----------------------------------------------------------------------


def test_a_visitor_can_browse_projects_from_the_home_page(client):
    project = open_project(title="Fix our booking reminders")
    home = client.get(reverse("home"))
    assert "Browse projects" in links_to(home, reverse("project_search"))
    # the page it links to opens without an account and lists open work
    assert project.title in text(client.get(reverse("project_search")))
    # and nothing on it leads to the freelancer search, which needs a client account
    assert links_to(home, reverse("freelancer_search")) == []
