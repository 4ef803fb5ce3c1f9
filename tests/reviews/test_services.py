"""Two-way, double-blind reviews through the services: who reads what at every moment, the
window and its closing task, the one reply, and bad input refused with nothing saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from contracts.models import Milestone
from contracts.services import contract_end
from core.exceptions import DomainError, InvalidTransition, NotAllowed
from reviews.models import Review, ReviewReply
from reviews.selectors import published_reviews_of, reviews_visible_to
from reviews.services import review_reply, review_submit, reviews_publish_due
from tests.contracts.factories import active_contract, milestone_of, move_to
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

S = Milestone.Status
FREELANCER_ASPECTS = {"quality": 5, "communication": 4, "timeliness": 4, "expertise": 5}
CLIENT_ASPECTS = {"clarity": 4, "communication": 5, "payment": 5}


def ended_contract(*, paid: bool = True):
    contract = active_contract(amounts=(400_00,))
    move_to(milestone_of(contract), S.RELEASED if paid else S.REFUNDED)
    return contract_end(contract=contract, by=contract.client)


def by_client(contract, **changes):
    arguments = {"overall": 5, "aspects": FREELANCER_ASPECTS, "comment": "Clear reports, on time."} | changes
    return review_submit(contract=contract, by=contract.client, **arguments)


def by_freelancer(contract, **changes):
    arguments = {"overall": 4, "aspects": CLIENT_ASPECTS, "comment": "Paid the day I delivered."} | changes
    return review_submit(contract=contract, by=contract.freelancer, **arguments)


def readers(contract):
    return {"client": contract.client, "freelancer": contract.freelancer, "stranger": UserFactory()}


def test_double_blind_at_every_moment():
    contract = ended_contract()
    people = readers(contract)
    # before either writes: nothing for anyone
    assert all(not reviews_visible_to(person).exists() for person in people.values())
    # after the client writes: only the client reads it; the freelancer (its subject) and a stranger do not
    first = by_client(contract, private_feedback="Would hire again at a higher rate.")
    assert list(reviews_visible_to(people["client"])) == [first]
    assert not reviews_visible_to(people["freelancer"]).exists()
    assert not reviews_visible_to(people["stranger"]).exists()
    assert not published_reviews_of(contract.freelancer).exists()
    # after both: both are published together and everyone reads both
    second = by_freelancer(contract)
    first.refresh_from_db()
    assert first.published_at == second.published_at is not None
    for person in people.values():
        assert set(reviews_visible_to(person)) == {first, second}
    assert list(published_reviews_of(contract.freelancer)) == [first]


def test_when_the_window_closes_with_one_review_it_is_published_once():
    contract = ended_contract()
    review = by_freelancer(contract)
    assert reviews_publish_due(now=timezone.now() + timedelta(days=settings.REVIEW_WINDOW_DAYS - 1)) == 0
    later = timezone.now() + timedelta(days=settings.REVIEW_WINDOW_DAYS, minutes=1)
    assert reviews_publish_due(now=later) == 1
    assert reviews_publish_due(now=later) == 0
    review.refresh_from_db()
    assert review.is_published
    assert list(reviews_visible_to(UserFactory())) == [review]
    # and the other side can no longer write one
    with pytest.raises(InvalidTransition):
        by_client(contract, now=later)


def test_the_subject_replies_once_within_the_reply_days():
    contract = ended_contract()
    review = by_client(contract)
    with pytest.raises(InvalidTransition):  # not published yet
        review_reply(review=review, by=contract.freelancer, body="Thanks!")
    by_freelancer(contract)
    review.refresh_from_db()
    with pytest.raises(NotAllowed):
        review_reply(review=review, by=contract.client, body="Replying to my own review.")
    reply = review_reply(review=review, by=contract.freelancer, body="Thank you, it was a pleasure.")
    assert reply.review == review
    with pytest.raises(DomainError):
        review_reply(review=review, by=contract.freelancer, body="And again.")
    assert ReviewReply.objects.count() == 1


def test_a_reply_after_the_reply_days_is_refused():
    contract = ended_contract()
    review = by_client(contract)
    by_freelancer(contract)
    review.refresh_from_db()
    late = review.published_at + timedelta(days=settings.REVIEW_REPLY_DAYS, minutes=1)
    with pytest.raises(InvalidTransition):
        review_reply(review=review, by=contract.freelancer, body="Late.", now=late)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"overall": 0}, "overall"),
        ({"overall": 6}, "overall"),
        ({"overall": 4.5}, "overall"),
        ({"overall": True}, "overall"),
        ({"aspects": {**FREELANCER_ASPECTS, "quality": 9}}, "quality"),
        ({"aspects": {"quality": 5}}, "communication"),
        ({"aspects": {**FREELANCER_ASPECTS, "payment": 5}}, "payment"),
        ({"comment": "  "}, "comment"),
        ({"comment": "x" * 2001}, "comment"),
    ],
)
def test_bad_input_is_a_field_error_and_saves_nothing(changes, field):
    contract = ended_contract()
    with pytest.raises(ValidationError) as refused:
        by_client(contract, **changes)
    assert field in refused.value.message_dict
    assert not Review.objects.exists()


def test_who_and_when_may_review():
    active = active_contract()
    with pytest.raises(InvalidTransition):
        by_client(active)
    unpaid = ended_contract(paid=False)
    with pytest.raises(InvalidTransition):
        by_client(unpaid)
    contract = ended_contract()
    with pytest.raises(NotAllowed):
        review_submit(contract=contract, by=UserFactory(), overall=5, aspects=FREELANCER_ASPECTS, comment="Me?")
    by_client(contract)
    with pytest.raises(InvalidTransition):
        by_client(contract, comment="A second try.")
    assert Review.objects.count() == 1


def test_parties_who_have_not_reviewed_are_reminded_once_before_the_window_closes():
    from contracts.models import Contract
    from notifications.models import Notification
    from reviews.services import reviews_remind_due

    # given a paid contract that ended 12 of the 14 days ago, reviewed by the client only
    contract = ended_contract()
    Contract.objects.filter(pk=contract.pk).update(
        ended_at=timezone.now() - timedelta(days=settings.REVIEW_WINDOW_DAYS - 2)
    )
    contract.refresh_from_db()
    by_client(contract)
    # and one that ended yesterday, and one with nothing paid that ended with the first
    recent, unpaid = ended_contract(), ended_contract(paid=False)
    Contract.objects.filter(pk=unpaid.pk).update(ended_at=contract.ended_at)
    # when the hourly task runs, twice
    assert reviews_remind_due() == 1
    assert reviews_remind_due() == 0
    # then only the freelancer who has not reviewed is reminded, once, with the day it closes
    (reminder,) = Notification.objects.filter(kind="review.reminder")
    assert reminder.recipient == contract.freelancer
    assert reminder.title.startswith(f"Review {contract.client.display_name} by ")
    assert not Notification.objects.filter(
        kind="review.reminder", recipient__in=[recent.client, unpaid.client]
    ).exists()
