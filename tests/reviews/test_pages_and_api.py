"""Reviews on the pages and the API: written from the ended contract, double-blind until both
wrote, then on both public profiles (escaped), one public reply; the API answers the same."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from reviews.models import Review
from tests.factories import UserFactory
from tests.helpers import api_for, browser_for, text
from tests.reviews.test_services import ended_contract

pytestmark = pytest.mark.django_db

CLIENT_FORM = {"overall": "5", "quality": "5", "communication": "4", "timeliness": "4", "expertise": "5"}
FREELANCER_FORM = {"overall": "4", "clarity": "4", "communication": "5", "payment": "5"}


def test_both_review_on_the_pages_and_read_each_other_only_after_both_wrote():
    contract = ended_contract()
    client, freelancer = browser_for(contract.client), browser_for(contract.freelancer)
    assert "Write your review" in text(client.get(contract.get_absolute_url()))
    # a refused form says why and saves nothing
    refused = client.post(reverse("review_write", args=[contract.pk]), {**CLIENT_FORM, "overall": "9", "comment": ""})
    assert refused.status_code == 400 and "Give 1 to 5 stars." in text(refused) and not Review.objects.exists()
    # the client reviews, with script in the comment
    comment = "Clear reports <script>alert(1)</script> and on time."
    sent = client.post(reverse("review_write", args=[contract.pk]), {**CLIENT_FORM, "comment": comment})
    assert sent.status_code == 302
    assert "Your review is published together with theirs" in text(client.get(contract.get_absolute_url()))
    # the freelancer is told it exists, not what it says
    shown = text(freelancer.get(contract.get_absolute_url()))
    assert "They reviewed you already: write yours by" in shown and "to read theirs." in shown
    assert "Clear reports" not in shown
    assert "Clear reports" not in text(freelancer.get(reverse("freelancer_public", args=[contract.freelancer_id])))
    # once the freelancer writes theirs, both are public on both profiles, the script as text
    freelancer.post(reverse("review_write", args=[contract.pk]), {**FREELANCER_FORM, "comment": "Paid at once."})
    profile = browser_for(UserFactory()).get(reverse("freelancer_public", args=[contract.freelancer_id]))
    assert "Clear reports <script>alert(1)</script> and on time." in text(profile)
    assert b"<script>alert(1)</script>" not in profile.content
    client_page = text(browser_for(UserFactory()).get(reverse("client_public", args=[contract.client_id])))
    assert "Paid at once." in client_page
    assert "Reviews from freelancers 1" in client_page  # the trust panel counts it
    # and the freelancer replies once, in public, from their profile
    review = Review.objects.get(author=contract.client)
    page = reverse("freelancer_public", args=[contract.freelancer_id])
    freelancer.post(reverse("review_reply", args=[review.pk]), {"body": "Thank you!", "next": page})
    assert "replied: Thank you!" in text(browser_for(UserFactory()).get(page))


def test_reviews_over_the_api_are_double_blind_too():
    contract = ended_contract()
    client, freelancer = api_for(contract.client), api_for(contract.freelancer)
    url = f"/api/v1/contracts/{contract.pk}/reviews/"
    bad = client.post(url, {"overall": 6, "comment": "x"}, format="json")
    assert bad.status_code == 400 and "overall" in bad.json()
    made = client.post(
        url,
        {"overall": 5, "quality": 5, "communication": 5, "timeliness": 5, "expertise": 5, "comment": "Great."},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert freelancer.get(url).json()["results"] == []
    assert api_for().get(f"/api/v1/users/{contract.freelancer_id}/reviews/").json()["results"] == []
    assert api_for(UserFactory()).get(url).status_code == 404
    freelancer.post(
        url, {"overall": 4, "clarity": 4, "communication": 4, "payment": 5, "comment": "Fine."}, format="json"
    )
    assert len(freelancer.get(url).json()["results"]) == 2
    public = api_for().get(f"/api/v1/users/{contract.freelancer_id}/reviews/").json()["results"]
    assert [r["comment"] for r in public] == ["Great."]
    again = client.post(
        url,
        {
            "overall": 1,
            "quality": 1,
            "communication": 1,
            "timeliness": 1,
            "expertise": 1,
            "comment": "Changed my mind.",
        },
        format="json",
    )
    assert again.status_code == 409


def test_a_reported_review_hidden_by_a_moderator_shows_the_reason_and_is_counted_as_hidden(moderator):
    from accounts.models import Report
    from tests.reviews.test_services import by_client, by_freelancer

    contract = ended_contract()
    review = by_client(contract, comment="The freelancer is a fraud, call 555-0100.")
    by_freelancer(contract)
    reader = browser_for(UserFactory())
    page = reverse("freelancer_public", args=[contract.freelancer_id])
    assert "Report this review" in text(reader.get(page))
    reader.post(reverse("report"), {"target": f"review:{review.pk}", "reason": "abuse"})
    report = Report.objects.get()
    browser_for(moderator).post(
        reverse("moderation_report", args=[report.pk]), {"action": "hide", "hide-reason": "Personal attack."}
    )
    shown = text(reader.get(page))
    assert "A moderator hid this review: Personal attack." in shown and "call 555-0100" not in shown
    assert "1 of these reviews was hidden by a moderator and does not count in the figures." in shown
    assert api_for().get(f"/api/v1/users/{contract.freelancer_id}/reviews/").json()["results"] == []
    # and wherever the two read it, it is the reason, not the words: the contract page of both,
    # their relationship page, and the person reviewed is told
    from notifications.models import Notification

    subject_page = text(browser_for(contract.freelancer).get(contract.get_absolute_url()))
    assert "call 555-0100" not in subject_page and "A moderator hid this review: Personal attack." in subject_page
    author_page = text(browser_for(contract.client).get(contract.get_absolute_url()))
    assert "A moderator hid your review: Personal attack." in author_page  # their own words stay theirs to read
    for person in (contract.freelancer, contract.client):
        other = contract.client_id if person == contract.freelancer else contract.freelancer_id
        history = text(browser_for(person).get(reverse("relationship", args=[other])))
        assert "call 555-0100" not in history and "hidden by a moderator: Personal attack." in history
    assert "Your review is published" not in text(browser_for(contract.client).get(contract.get_absolute_url()))
    told = Notification.objects.get(recipient=contract.freelancer, kind="moderation.hidden")
    assert told.title == "A moderator hid a review of you" and "Personal attack." in told.body


def test_the_second_review_is_told_that_both_are_published_now():
    contract = ended_contract()
    client, freelancer = browser_for(contract.client), browser_for(contract.freelancer)
    url = reverse("review_write", args=[contract.pk])
    first = client.post(url, {**CLIENT_FORM, "comment": "Clear reports."}, follow=True)
    assert "Your review is published with theirs, or when the review time ends." in text(first)
    second = text(freelancer.post(url, {**FREELANCER_FORM, "comment": "Paid at once."}, follow=True))
    assert "Thank you. Both reviews are published now: theirs is below." in second
    assert "published with theirs" not in second
    assert "Their review of you 5 / 5 — “Clear reports.”" in second


def test_the_contract_page_keeps_a_reviews_lines_and_lets_a_long_link_wrap():
    # .pre-line keeps the line breaks and breaks a long word (a link) anywhere, so a phone
    # shows it within the screen, as the profiles do.
    from tests.reviews.test_services import by_client, by_freelancer

    contract = ended_contract()
    link = "https://staging.example/reports/" + "before-and-after-" * 6
    by_client(contract, comment=f"Clear reports.\n{link}")  # 5 stars
    by_freelancer(contract, comment=f"Paid at once.\n{link}")  # 4 stars
    for person, mine, theirs in (
        (contract.freelancer, "4 stars: “Paid at once.", "5 / 5</strong> — “Clear reports."),
        (contract.client, "5 stars: “Clear reports.", "4 / 5</strong> — “Paid at once."),
    ):
        page = browser_for(person).get(contract.get_absolute_url()).content.decode()
        assert re.search(rf'<p class="small muted pre-line">You gave {re.escape(mine)}\n', page)
        assert re.search(rf'<p class="pre-line"><strong [^>]*>{re.escape(theirs)}\n{link}”</p>', page)


API_REVIEW = {"overall": 5, "quality": 5, "communication": 5, "timeliness": 5, "expertise": 5, "comment": "Great."}


@pytest.mark.parametrize(
    "changes",
    [
        {"overall": 0},
        {"overall": 6},
        {"overall": "5 stars"},
        {"overall": True},
        {"overall": 4.5},
        {"overall": None},
        {"quality": 9},
        {"comment": ""},
        {"comment": "x" * 2001},
        {"payment": 5},  # an aspect of the client's review, sent by the client about the freelancer
        {"stars": 5},  # a key the API does not know
    ],
)
def test_a_bad_review_over_the_api_is_a_400_and_saves_nothing(changes):
    contract = ended_contract()
    refused = api_for(contract.client).post(
        f"/api/v1/contracts/{contract.pk}/reviews/", {**API_REVIEW, **changes}, format="json"
    )
    assert refused.status_code == 400, refused.json()
    assert refused.json()  # says which field and why
    assert not Review.objects.exists()


def test_who_may_review_and_reply_over_the_api():
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from contracts.models import Contract

    contract = ended_contract()
    url = f"/api/v1/contracts/{contract.pk}/reviews/"
    # a stranger: no such contract for them
    assert api_for(UserFactory()).post(url, API_REVIEW, format="json").status_code == 404
    assert not Review.objects.exists()
    # both review; then a reply by someone other than the subject is refused, the subject's once only
    api_for(contract.client).post(url, API_REVIEW, format="json")
    api_for(contract.freelancer).post(
        url, {"overall": 4, "clarity": 4, "communication": 4, "payment": 5, "comment": "Fine."}, format="json"
    )
    about_freelancer = Review.objects.get(author=contract.client)
    reply = f"/api/v1/reviews/{about_freelancer.pk}/reply/"
    assert api_for(contract.client).post(reply, {"body": "Me again."}, format="json").status_code in (403, 404)
    assert api_for(UserFactory()).post(reply, {"body": "Not mine."}, format="json").status_code in (403, 404)
    assert api_for(contract.freelancer).post(reply, {"body": "  "}, format="json").status_code == 400
    assert api_for(contract.freelancer).post(reply, {"body": "Thank you!"}, format="json").status_code == 201
    assert api_for(contract.freelancer).post(reply, {"body": "Twice."}, format="json").status_code == 409
    about_freelancer.refresh_from_db()
    assert about_freelancer.reply.body == "Thank you!"
    # a contract whose review window closed takes no review
    late = ended_contract()
    Contract.objects.filter(pk=late.pk).update(
        ended_at=timezone.now() - timedelta(days=settings.REVIEW_WINDOW_DAYS, minutes=1)
    )
    answer = api_for(late.client).post(f"/api/v1/contracts/{late.pk}/reviews/", API_REVIEW, format="json")
    assert answer.status_code == 409 and not Review.objects.filter(contract=late).exists()


def test_an_empty_review_over_the_api_names_every_missing_rating_at_once():
    contract = ended_contract()
    url = f"/api/v1/contracts/{contract.pk}/reviews/"
    as_client = api_for(contract.client).post(url, {}, format="json")
    assert as_client.status_code == 400
    assert set(as_client.json()) == {"overall", "quality", "communication", "timeliness", "expertise", "comment"}
    as_freelancer = api_for(contract.freelancer).post(url, {"quality": 5}, format="json")
    assert set(as_freelancer.json()) == {"overall", "clarity", "communication", "payment", "comment", "quality"}
    assert as_freelancer.json()["quality"] == ["Not rated in this direction."]
    assert not Review.objects.exists()


def test_the_review_form_of_a_running_contract_is_not_offered():
    from tests.contracts.factories import active_contract

    contract = active_contract()
    response = browser_for(contract.client).get(reverse("review_write", args=[contract.pk]), follow=True)
    assert response.redirect_chain[-1][0] == contract.get_absolute_url()
    assert "Reviews open when the contract ends." in text(response)
    assert "Write your review" not in text(response)
