"""Interviews: the client offers times, the other side picks or offers others; either side
reschedules or cancels; each step tells the right person."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.exceptions import DomainError, InvalidTransition
from marketplace.models import Interview, InterviewSlot, Proposal
from marketplace.services import interview_cancel, interview_offer_times, interview_pick, interview_propose
from notifications.models import Notification
from tests.marketplace.factories import InterviewFactory, ProposalFactory, new_client, new_freelancer, slot_times

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposal():
    return ProposalFactory()


@pytest.fixture
def frozen_now(monkeypatch) -> datetime:
    now = timezone.now().replace(microsecond=0)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    return now


def notified(user) -> list[tuple[str, str]]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", "title"))


def open_slots(interview) -> list[datetime]:
    return list(interview.slots.filter(is_open=True).values_list("starts_at", flat=True))


# --- Proposing ------------------------------------------------------------------------------


def test_the_client_offers_times_and_the_freelancer_is_invited(proposal):
    client, freelancer = proposal.project.client, proposal.freelancer
    times = slot_times(3)
    interview = interview_propose(
        proposal=proposal, by=client, slots=list(reversed(times)), duration_minutes=45, note=" Bring questions "
    )
    assert interview.status == Interview.Status.PROPOSED
    assert (interview.offered_by, interview.duration_minutes, interview.note) == (client, 45, "Bring questions")
    assert interview.starts_at is None
    assert open_slots(interview) == times  # in time order
    (notification,) = Notification.objects.filter(recipient=freelancer)
    assert notification.kind == "interview.proposed"
    assert client.display_name in notification.title and "3 times" in notification.body
    assert notification.url == reverse("interview_detail", args=[interview.pk])
    assert not Notification.objects.filter(recipient=client).exists()


def test_only_the_client_invites_to_an_interview(proposal):
    for outsider in (proposal.freelancer, new_client(), new_freelancer()):
        with pytest.raises(DomainError, match="Only the client"):
            interview_propose(proposal=proposal, by=outsider, slots=slot_times(1))
    assert not Interview.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize("status", [Proposal.Status.HIRED, Proposal.Status.DECLINED, Proposal.Status.WITHDRAWN])
def test_no_interview_about_a_decided_proposal(status):
    proposal = ProposalFactory(status=status)
    with pytest.raises(DomainError, match="no longer possible"):
        interview_propose(proposal=proposal, by=proposal.project.client, slots=slot_times(1))
    assert not Interview.objects.exists()


@pytest.mark.parametrize("minutes", [15, 30, 45, 60])
def test_the_offered_durations_are_accepted(proposal, minutes):
    interview = interview_propose(
        proposal=proposal, by=proposal.project.client, slots=slot_times(1), duration_minutes=minutes
    )
    assert Interview.objects.get(pk=interview.pk).duration_minutes == minutes


@pytest.mark.parametrize("minutes", [0, 20, 90])
def test_other_durations_are_refused(proposal, minutes):
    with pytest.raises(ValidationError) as caught:
        interview_propose(proposal=proposal, by=proposal.project.client, slots=slot_times(1), duration_minutes=minutes)
    assert "duration_minutes" in caught.value.message_dict
    assert not Interview.objects.exists()


@pytest.mark.parametrize("count", [0, 4])
def test_one_to_three_times(proposal, count):
    with pytest.raises(ValidationError) as caught:
        interview_propose(proposal=proposal, by=proposal.project.client, slots=slot_times(count) if count else [])
    assert "slots" in caught.value.message_dict
    assert not Interview.objects.exists() and not InterviewSlot.objects.exists()


def test_the_same_time_offered_twice_counts_once(proposal):
    same = slot_times(1)[0]
    interview = interview_propose(proposal=proposal, by=proposal.project.client, slots=[same, same, same, same])
    assert open_slots(interview) == [same]


def test_times_need_a_timezone(proposal):
    naive = timezone.make_naive(slot_times(1)[0])
    with pytest.raises(ValidationError, match="timezone"):
        interview_propose(proposal=proposal, by=proposal.project.client, slots=[naive])
    assert not Interview.objects.exists()


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(minutes=29, seconds=59), False),
        (timedelta(minutes=30), True),
        (timedelta(days=60), True),
        (timedelta(days=60, seconds=1), False),
        (-timedelta(hours=1), False),
    ],
    ids=["29m59s-ahead", "30m-ahead", "60d-ahead", "60d1s-ahead", "past"],
)
def test_times_between_30_minutes_and_60_days_ahead(proposal, frozen_now, offset, accepted):
    client = proposal.project.client
    if accepted:
        interview = interview_propose(proposal=proposal, by=client, slots=[frozen_now + offset])
        assert open_slots(interview) == [frozen_now + offset]
    else:
        with pytest.raises(ValidationError):
            interview_propose(proposal=proposal, by=client, slots=[frozen_now + offset])
        assert not Interview.objects.exists()


def test_one_interview_at_a_time_per_proposal_until_it_is_cancelled(proposal):
    client = proposal.project.client
    first = interview_propose(proposal=proposal, by=client, slots=slot_times(1))
    with pytest.raises(DomainError, match="already arranged"):
        interview_propose(proposal=proposal, by=client, slots=slot_times(2))
    assert Interview.objects.count() == 1
    interview_cancel(interview=first, by=client)
    assert interview_propose(proposal=proposal, by=client, slots=slot_times(2)).pk != first.pk


def test_a_suspended_client_cannot_invite_to_an_interview(proposal):
    client = proposal.project.client
    client.suspended_at = timezone.now()
    client.save()
    with pytest.raises(DomainError, match="suspended"):
        interview_propose(proposal=proposal, by=client, slots=slot_times(1))
    assert not Interview.objects.exists()


# --- Picking --------------------------------------------------------------------------------


@pytest.fixture
def interview():
    """Three times offered by the client; the freelancer answers."""
    return InterviewFactory()


def test_the_freelancer_picks_a_time_and_both_are_told(interview):
    client, freelancer = interview.proposal.project.client, interview.proposal.freelancer
    second = interview.slots.all()[1]
    interview_pick(interview=interview, by=freelancer, slot=second)
    interview.refresh_from_db()
    assert interview.status == Interview.Status.SCHEDULED
    assert interview.starts_at == second.starts_at
    assert interview.ends_at == second.starts_at + timedelta(minutes=30)
    assert interview.sequence == 1
    assert interview.meeting_token in interview.meeting_url
    for person in (client, freelancer):
        assert [kind for kind, _ in notified(person)] == ["interview.confirmed"]


def test_whoever_offered_the_times_cannot_pick_one(interview):
    client = interview.proposal.project.client
    with pytest.raises(DomainError, match="other side picks"):
        interview_pick(interview=interview, by=client, slot=interview.slots.first())
    interview.refresh_from_db()
    assert (interview.status, interview.starts_at, interview.sequence) == (Interview.Status.PROPOSED, None, 0)
    assert not Notification.objects.exists()


def test_a_stranger_cannot_pick(interview):
    with pytest.raises(DomainError, match="take part"):
        interview_pick(interview=interview, by=new_freelancer(), slot=interview.slots.first())
    interview.refresh_from_db()
    assert interview.status == Interview.Status.PROPOSED


def test_a_closed_time_cannot_be_picked(interview):
    closed = interview.slots.first()
    InterviewSlot.objects.filter(pk=closed.pk).update(is_open=False)
    closed.refresh_from_db()
    with pytest.raises(DomainError, match="no longer on offer"):
        interview_pick(interview=interview, by=interview.proposal.freelancer, slot=closed)
    interview.refresh_from_db()
    assert interview.status == Interview.Status.PROPOSED


def test_a_time_from_another_interview_cannot_be_picked(interview):
    foreign = InterviewFactory().slots.first()
    with pytest.raises(DomainError, match="no longer on offer"):
        interview_pick(interview=interview, by=interview.proposal.freelancer, slot=foreign)
    interview.refresh_from_db()
    assert interview.status == Interview.Status.PROPOSED


def test_a_time_that_has_passed_cannot_be_picked():
    interview = InterviewFactory(slots=[timezone.now() - timedelta(minutes=5)])
    with pytest.raises(DomainError, match="has passed"):
        interview_pick(interview=interview, by=interview.proposal.freelancer, slot=interview.slots.get())
    interview.refresh_from_db()
    assert interview.status == Interview.Status.PROPOSED


# --- Offering other times and rescheduling --------------------------------------------------


def test_the_freelancer_offers_other_times_and_the_client_then_picks(interview):
    client, freelancer = interview.proposal.project.client, interview.proposal.freelancer
    old = set(interview.slots.values_list("pk", flat=True))
    new_times = slot_times(2, first_in_days=7)
    # when the freelancer suggests two other times
    interview_offer_times(interview=interview, by=freelancer, slots=new_times, note="Mornings suit me better.")
    interview.refresh_from_db()
    # then the old times are withdrawn, the new ones are open, and it is the client's turn
    assert open_slots(interview) == new_times
    assert not interview.slots.filter(pk__in=old, is_open=True).exists()
    assert (interview.status, interview.offered_by, interview.sequence) == (Interview.Status.PROPOSED, freelancer, 1)
    assert interview.note == "Mornings suit me better."
    ((kind, title),) = notified(client)
    assert kind == "interview.proposed" and "suggests other interview times" in title
    assert notified(freelancer) == []
    # and the freelancer cannot pick their own suggestion, while the client can
    with pytest.raises(DomainError):
        interview_pick(interview=interview, by=freelancer, slot=interview.slots.filter(is_open=True).first())
    interview_pick(interview=interview, by=client, slot=interview.slots.filter(is_open=True).first())
    interview.refresh_from_db()
    assert (interview.status, interview.starts_at, interview.sequence) == (Interview.Status.SCHEDULED, new_times[0], 2)


def test_an_old_time_cannot_be_picked_after_new_ones_were_offered(interview):
    client, freelancer = interview.proposal.project.client, interview.proposal.freelancer
    old_slot = interview.slots.first()
    interview_offer_times(interview=interview, by=client, slots=slot_times(1, first_in_days=9))
    old_slot.refresh_from_db()
    with pytest.raises(DomainError, match="no longer on offer"):
        interview_pick(interview=interview, by=freelancer, slot=old_slot)


@pytest.mark.parametrize("who", ["client", "freelancer"])
def test_a_scheduled_interview_is_rescheduled_by_either_side(who):
    interview = InterviewFactory(scheduled=True)
    client, freelancer = interview.proposal.project.client, interview.proposal.freelancer
    by, other = (client, freelancer) if who == "client" else (freelancer, client)
    interview_offer_times(interview=interview, by=by, slots=slot_times(3, first_in_days=4))
    interview.refresh_from_db()
    assert (interview.status, interview.starts_at, interview.offered_by) == (Interview.Status.PROPOSED, None, by)
    assert interview.sequence == 1
    ((kind, title),) = notified(other)
    assert kind == "interview.proposed" and "asks to reschedule" in title
    assert notified(by) == []


def test_new_times_follow_the_same_rules(interview):
    with pytest.raises(ValidationError):
        interview_offer_times(interview=interview, by=interview.proposal.freelancer, slots=slot_times(4))
    interview.refresh_from_db()
    assert interview.offered_by == interview.proposal.project.client
    assert interview.slots.filter(is_open=True).count() == 3


def test_a_stranger_cannot_offer_times(interview):
    with pytest.raises(DomainError, match="take part"):
        interview_offer_times(interview=interview, by=new_client(), slots=slot_times(1))
    assert interview.slots.filter(is_open=True).count() == 3


# --- Cancelling -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["client", "freelancer"])
@pytest.mark.parametrize("scheduled", [False, True], ids=["proposed", "scheduled"])
def test_either_side_cancels_and_the_other_is_told_why(who, scheduled):
    interview = InterviewFactory(scheduled=scheduled)
    client, freelancer = interview.proposal.project.client, interview.proposal.freelancer
    by, other = (client, freelancer) if who == "client" else (freelancer, client)
    interview_cancel(interview=interview, by=by, reason=" Something came up. ")
    interview.refresh_from_db()
    assert interview.status == Interview.Status.CANCELLED
    assert (interview.cancelled_by, interview.cancel_reason) == (by, "Something came up.")
    (notification,) = Notification.objects.filter(recipient=other)
    assert notification.kind == "interview.cancelled"
    assert by.display_name in notification.title and "Something came up." in notification.body
    assert not Notification.objects.filter(recipient=by).exists()


def test_cancelling_twice_is_refused_and_tells_nobody_again(interview):
    client = interview.proposal.project.client
    interview_cancel(interview=interview, by=client)
    interview.refresh_from_db()
    sequence = interview.sequence
    with pytest.raises(InvalidTransition, match="already cancelled"):
        interview_cancel(interview=interview, by=interview.proposal.freelancer)
    interview.refresh_from_db()
    assert (interview.cancelled_by, interview.sequence) == (client, sequence)
    assert Notification.objects.count() == 1


def test_a_stranger_cannot_cancel(interview):
    with pytest.raises(DomainError, match="take part"):
        interview_cancel(interview=interview, by=new_freelancer())
    interview.refresh_from_db()
    assert interview.status == Interview.Status.PROPOSED


def test_a_cancelled_interview_takes_no_new_times_and_no_pick(interview):
    freelancer = interview.proposal.freelancer
    interview_cancel(interview=interview, by=interview.proposal.project.client)
    with pytest.raises(InvalidTransition):
        interview_offer_times(interview=interview, by=freelancer, slots=slot_times(1))
    with pytest.raises(InvalidTransition):
        interview_pick(interview=interview, by=freelancer, slot=interview.slots.first())
    interview.refresh_from_db()
    assert interview.status == Interview.Status.CANCELLED
    assert interview.slots.count() == 3


# --- Races and odd input --------------------------------------------------------------------


def test_a_time_withdrawn_while_the_page_was_open_cannot_be_picked(interview):
    # given the freelancer's page loaded the offered times
    client, freelancer = interview.proposal.project.client, interview.proposal.freelancer
    slot_on_page = interview.slots.first()
    # and the client then replaced them with other times
    interview_offer_times(interview=interview, by=client, slots=slot_times(2, first_in_days=10))
    # when the freelancer picks the time still shown on their page, then it is refused
    with pytest.raises(DomainError, match="no longer on offer"):
        interview_pick(interview=interview, by=freelancer, slot=slot_on_page)
    interview.refresh_from_db()
    assert interview.status == Interview.Status.PROPOSED and interview.starts_at is None


def test_a_mix_of_aware_and_naive_times_is_refused_clearly(proposal):
    aware = slot_times(1)[0]
    naive = timezone.make_naive(aware + timedelta(days=1))
    with pytest.raises(ValidationError, match="timezone"):
        interview_propose(proposal=proposal, by=proposal.project.client, slots=[aware, naive])
    assert not Interview.objects.exists()
