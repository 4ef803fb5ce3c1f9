"""Reputation where decisions are made: the freelancer's track record on their profile and next to
their proposal, the client's record on the project page and the proposal form, the job success
breakdown on the freelancer's dashboard, the /trust page of formulas, and the API's figures."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contracts.services import contract_end
from reviews.models import Review
from tests.contracts.factories import active_contract, milestone_of
from tests.factories import UserFactory
from tests.helpers import api_for, browser_for, queries, text
from tests.marketplace.factories import new_client, new_freelancer, open_project
from tests.reviews.test_reputation import deliver, rate

pytestmark = pytest.mark.django_db


def reviewed_contracts(freelancer, client, count: int, stars: int = 5):
    for _ in range(count):
        contract = active_contract(client=client, freelancer=freelancer, amounts=(200_00,))
        deliver(milestone_of(contract))
        contract = contract_end(contract=contract, by=client)
        rate(contract, stars)
        rate(contract, 4, by_client=False)


def test_the_freelancer_profile_shows_new_then_the_figures_with_their_rating_bars(django_capture_on_commit_callbacks):
    freelancer, client = new_freelancer(), new_client()
    page = reverse("freelancer_public", args=[freelancer.pk])
    shown = text(browser_for(UserFactory()).get(page))
    assert "New on Proofwork" in shown and "0 finished paid contracts" in shown
    with django_capture_on_commit_callbacks(execute=True):  # the refresh tasks after each event
        reviewed_contracts(freelancer, client, 3)
    response = browser_for(UserFactory()).get(page)
    shown = text(response)
    assert "New on Proofwork" not in shown
    assert "Rating 5.0 / 5 of 3 ratings" in shown
    assert "Job success 100% of 3 rated contracts" in shown
    assert "Repeat clients 1 of 1 client" in shown
    assert "Ratings: 3 of 5 stars, 0 of 4 stars" in shown  # the bar chart's words
    assert reverse("trust") + "#job-success" in response.content.decode()


def test_a_profile_renders_with_the_same_queries_whatever_the_number_of_reviews(django_capture_on_commit_callbacks):
    freelancer, client = new_freelancer(), new_client()
    reviewed_contracts(freelancer, client, 1)
    page = reverse("freelancer_public", args=[freelancer.pk])
    browser = browser_for(UserFactory())
    browser.get(page)  # the figures are kept
    one = queries(browser, page)
    with django_capture_on_commit_callbacks(execute=True):
        reviewed_contracts(freelancer, client, 3)
    assert queries(browser, page) == one
    assert "of 4 ratings" in text(browser.get(page))


def test_the_client_record_on_the_project_page_and_the_proposal_form():
    client = new_client()
    project = open_project(client=client)
    freelancer = new_freelancer()
    shown = text(browser_for(freelancer).get(reverse("project_detail", args=[project.pk])))
    assert "Ended a contract early, then hired someone else for the same work Never" in shown
    assert "Answers proposals within 3 days New 0 proposals so far" in shown
    form = text(browser_for(freelancer).get(reverse("proposal_create", args=[project.pk])))
    assert "Client record" in form and "Milestones released without a dispute" in form


def test_the_dashboard_says_what_each_contract_did_to_job_success():
    freelancer, client = new_freelancer(), new_client()
    reviewed_contracts(freelancer, client, 1, stars=3)
    shown = text(browser_for(freelancer).get(reverse("dashboard")))
    assert "Your job success" in shown
    assert "Against you Rated 3 of 5." in shown


def test_the_trust_page_explains_every_figure():
    shown = text(browser_for(UserFactory()).get(reverse("trust")))
    for words in ("Job success", "On-time delivery", "Answers proposals within 3 days", "Double-blind", "New"):
        assert words in shown


def test_the_api_gives_the_figures_with_their_bases():
    freelancer, client = new_freelancer(), new_client()
    reviewed_contracts(freelancer, client, 2, stars=4)
    body = api_for(None).get(f"/api/v1/users/{freelancer.pk}/reputation/").json()
    assert body["freelancer"]["rating_distribution"] == {"5": 0, "4": 2, "3": 0, "2": 0, "1": 0}
    assert body["freelancer"]["job_success_basis"] == 2 and body["freelancer"]["is_new"] is True
    assert body["client"]["rating_count"] == 0
    assert body["min_basis"] == 3 and body["formulas"].endswith("/trust/")
    assert "job_success_lines" not in body["freelancer"]  # the breakdown is the freelancer's own
    assert api_for(None).get("/api/v1/users/987654/reputation/").status_code == 404
    client_body = api_for(None).get(f"/api/v1/users/{client.pk}/reputation/").json()
    assert client_body["client"]["rating_distribution"]["4"] == 2 and client_body["client"]["repeat_hires"] == 1


def test_a_review_is_reported_over_the_api():
    freelancer, client = new_freelancer(), new_client()
    reviewed_contracts(freelancer, client, 1)
    review = Review.objects.get(author=client)
    made = api_for(UserFactory()).post(f"/api/v1/reviews/{review.pk}/report/", {"reason": "misleading"}, format="json")
    assert made.status_code == 201 and made.json()["target"] == f"review:{review.pk}"
    own = api_for(client).post(f"/api/v1/reviews/{review.pk}/report/", {"reason": "spam"}, format="json")
    assert own.status_code == 400
    bad = api_for(UserFactory()).post(f"/api/v1/reviews/{review.pk}/report/", {"reason": "nope"}, format="json")
    assert bad.status_code == 400


def test_the_relationship_page_is_for_the_two_of_them_alone():
    freelancer, client = new_freelancer(), new_client()
    reviewed_contracts(freelancer, client, 2, stars=5)
    ongoing = active_contract(client=client, freelancer=freelancer, amounts=(300_00,))
    as_client = text(browser_for(client).get(reverse("relationship", args=[freelancer.pk])))
    assert f"You and {freelancer.display_name}" in as_client
    assert "Contracts 3" in as_client and "Total billed $400.00" in as_client
    assert "Your review: 5 / 5" in as_client and f"{freelancer.display_name}'s review: 4 / 5" in as_client
    assert "Reviews open when the contract ends." in as_client and ongoing.title in as_client
    as_freelancer = text(browser_for(freelancer).get(reverse("relationship", args=[client.pk])))
    assert f"{client.display_name} hired you" in as_freelancer
    # anyone else, or the page of oneself, is a 404
    assert browser_for(UserFactory()).get(reverse("relationship", args=[client.pk])).status_code == 404
    assert browser_for(client).get(reverse("relationship", args=[client.pk])).status_code == 404
    contract_page = browser_for(client).get(ongoing.get_absolute_url()).content.decode()
    assert reverse("relationship", args=[freelancer.pk]) in contract_page


def test_the_private_answer_is_taken_by_the_form_and_the_api_and_never_shown():
    from tests.reviews.test_services import ended_contract

    contract = ended_contract()
    sent = browser_for(contract.client).post(
        reverse("review_write", args=[contract.pk]),
        {
            "overall": "5",
            "quality": "5",
            "communication": "5",
            "timeliness": "5",
            "expertise": "5",
            "comment": "Great.",
            "would_work_again": "no",
        },
    )
    assert sent.status_code == 302
    assert Review.objects.get(author=contract.client).would_work_again is False
    made = api_for(contract.freelancer).post(
        f"/api/v1/contracts/{contract.pk}/reviews/",
        {"overall": 4, "clarity": 4, "communication": 4, "payment": 4, "comment": "Fine.", "would_work_again": True},
        format="json",
    )
    assert made.status_code == 201 and "would_work_again" not in made.json()
    listed = api_for(None).get(f"/api/v1/users/{contract.freelancer_id}/reviews/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert rows and all("would_work_again" not in row and "private_feedback" not in row for row in rows)
