"""Every (from, to) pair of the market's transition tables, driven through the services.

The pairs are generated from each model's TRANSITIONS, so a status added to a table without a
service that honours it shows up here. Allowed moves change the status and write exactly one
event row; forbidden ones are refused and leave the row (and its events) exactly as they were.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contracts.models import Offer
from contracts.services import offer_accept
from core import transitions
from core.exceptions import DomainError, InvalidTransition
from marketplace.models import (
    Interview,
    InterviewEvent,
    Invitation,
    InvitationEvent,
    Project,
    ProjectEvent,
    Proposal,
    ProposalEvent,
)
from marketplace.services import (
    interview_cancel,
    interview_offer_times,
    interview_pick,
    invitation_accept,
    invitation_decline,
    project_close,
    project_publish,
    proposal_decline,
    proposal_hire,
    proposal_offer_accepted,
    proposal_offer_ended,
    proposal_shortlist,
    proposal_withdraw,
)
from notifications.models import Notification
from tests.helpers import row, table_pairs
from tests.marketplace.factories import (
    InterviewFactory,
    InvitationFactory,
    ProjectFactory,
    ProposalFactory,
    slot_times,
    submit_proposal,
)

pytestmark = pytest.mark.django_db


# --- Project --------------------------------------------------------------------------------

PROJECT_SERVICES = {
    Project.Status.OPEN: "project_publish",
    Project.Status.CLOSED: "project_close",
    Project.Status.FILLED: "proposal_hire, then offer_accept",
}


def test_every_project_status_has_a_row_and_every_target_a_service():
    # given the project's table, then every status has a row and every target is reachable by a service
    assert set(Project.TRANSITIONS) == set(Project.Status.values)
    targets = set().union(*Project.TRANSITIONS.values())
    assert targets == set(PROJECT_SERVICES)
    # and nothing ever goes back to draft
    assert Project.Status.DRAFT not in targets


def _project_in(status: str) -> Project:
    if status == Project.Status.DRAFT:
        return ProjectFactory()
    return ProjectFactory(published=True, status=status)


@pytest.mark.parametrize(("source", "target"), table_pairs(Project, PROJECT_SERVICES))
def test_project_transition_table(source, target):
    # given a project in `source` (and, for a hire, a proposal waiting on it)
    project = _project_in(source)
    client = project.client
    proposal = ProposalFactory(project=project) if target == Project.Status.FILLED else None
    before, events_before = row(project), ProjectEvent.objects.count()
    allowed = target in Project.TRANSITIONS[source]

    def act():
        if target == Project.Status.OPEN:
            return project_publish(project=project, by=client)
        if target == Project.Status.CLOSED:
            return project_close(project=project, by=client)
        proposal_hire(proposal=proposal, by=client)  # the offer goes out; the freelancer's yes fills the project
        return offer_accept(offer=Offer.objects.get(proposal=proposal), by=proposal.freelancer)

    if allowed:
        # when the client asks for an allowed move (for a hire: and the freelancer accepts the offer)
        act()
        # then the project shows the new status, with one event saying who moved it from where
        project.refresh_from_db()
        assert project.status == target
        assert ProjectEvent.objects.count() == events_before + 1
        (event,) = ProjectEvent.objects.filter(project=project)
        actor = proposal.freelancer if target == Project.Status.FILLED else client
        assert (event.actor, event.from_status, event.to_status) == (actor, source, target)
    else:
        # when the client asks for a forbidden move, then it is refused and nothing changes
        expected = DomainError if target == Project.Status.FILLED else InvalidTransition
        with pytest.raises(expected):
            act()
        assert row(project) == before
        assert ProjectEvent.objects.count() == events_before
        if proposal is not None:
            assert row(proposal)["status"] == Proposal.Status.SUBMITTED
            assert not Offer.objects.exists()


# --- Proposal -------------------------------------------------------------------------------

PROPOSAL_SERVICES = {
    Proposal.Status.SHORTLISTED: "proposal_shortlist (proposal_offer_ended when an offer ends unaccepted)",
    Proposal.Status.DECLINED: "proposal_decline",
    Proposal.Status.OFFERED: "proposal_hire",
    Proposal.Status.HIRED: "proposal_offer_accepted (the freelancer accepted the offer)",
    Proposal.Status.WITHDRAWN: "proposal_withdraw",
}


def test_every_proposal_status_has_a_row_and_every_target_a_service():
    assert set(Proposal.TRANSITIONS) == set(Proposal.Status.values)
    targets = set().union(*Proposal.TRANSITIONS.values())
    assert targets == set(PROPOSAL_SERVICES)
    # a proposal is only ever submitted by creating it
    assert Proposal.Status.SUBMITTED not in targets
    # and the editable statuses are exactly those that can still move, but for one with an offer out
    moving = {s for s, moves in Proposal.TRANSITIONS.items() if moves}
    assert moving == set(Proposal.EDITABLE) | {Proposal.Status.OFFERED}


@pytest.mark.parametrize(("source", "target"), table_pairs(Proposal, PROPOSAL_SERVICES))
def test_proposal_transition_table(source, target):
    # given a proposal in `source` on an open project
    proposal = ProposalFactory(status=source)
    client, freelancer = proposal.project.client, proposal.freelancer
    actor = freelancer if target in (Proposal.Status.WITHDRAWN, Proposal.Status.HIRED) else client
    before = row(proposal)
    project_before = row(proposal.project)
    counts_before = (ProposalEvent.objects.count(), ProjectEvent.objects.count(), Notification.objects.count())
    allowed = target in Proposal.TRANSITIONS[source]

    def act():
        if target == Proposal.Status.SHORTLISTED and source == Proposal.Status.OFFERED:
            return proposal_offer_ended(proposal=proposal, by=client, note="The client withdrew the offer")
        if target == Proposal.Status.SHORTLISTED:
            return proposal_shortlist(proposal=proposal, by=client)
        if target == Proposal.Status.DECLINED:
            return proposal_decline(proposal=proposal, by=client, reason="Over our budget.")
        if target == Proposal.Status.OFFERED:
            return proposal_hire(proposal=proposal, by=client)
        if target == Proposal.Status.HIRED:
            return proposal_offer_accepted(proposal=proposal, by=freelancer)
        return proposal_withdraw(proposal=proposal, by=freelancer)

    if allowed:
        act()
        proposal.refresh_from_db()
        assert proposal.status == target
        events = list(ProposalEvent.objects.filter(proposal=proposal))
        assert len(events) == 1
        assert (events[0].actor, events[0].from_status, events[0].to_status) == (actor, source, target)
    else:
        with pytest.raises(InvalidTransition):
            act()
        assert row(proposal) == before
        assert row(proposal.project) == project_before
        assert (ProposalEvent.objects.count(), ProjectEvent.objects.count(), Notification.objects.count()) == (
            counts_before
        )
        assert not Offer.objects.exists()


# --- Invitation -----------------------------------------------------------------------------

INVITATION_SERVICES = {
    Invitation.Status.ACCEPTED: "invitation_accept",
    Invitation.Status.DECLINED: "invitation_decline",
}


def test_every_invitation_status_has_a_row_and_every_target_a_service():
    assert set(Invitation.TRANSITIONS) == set(Invitation.Status.values)
    assert set().union(*Invitation.TRANSITIONS.values()) == set(INVITATION_SERVICES)


@pytest.mark.parametrize(("source", "target"), table_pairs(Invitation, INVITATION_SERVICES))
def test_invitation_transition_table(source, target):
    # given an invitation in `source` to an open project
    invitation = InvitationFactory(status=source)
    freelancer = invitation.freelancer
    before, notifications_before = row(invitation), Notification.objects.count()

    def act():
        if target == Invitation.Status.ACCEPTED:
            return invitation_accept(invitation=invitation, by=freelancer)
        return invitation_decline(invitation=invitation, by=freelancer, reason="Fully booked.")

    events_before = InvitationEvent.objects.count()
    if target in Invitation.TRANSITIONS[source]:
        act()
        invitation.refresh_from_db()
        assert invitation.status == target
        assert invitation.responded_at is not None
        # with one history row: who moved it, from where, to where
        (event,) = InvitationEvent.objects.filter(invitation=invitation)
        assert (event.actor, event.from_status, event.to_status) == (freelancer, source, target)
    else:
        with pytest.raises(InvalidTransition):
            act()
        assert row(invitation) == before
        assert Notification.objects.count() == notifications_before
        assert InvitationEvent.objects.count() == events_before


def test_proposing_on_an_invitation_accepts_it_with_a_history_row():
    # given a pending invitation to an open project
    invitation = InvitationFactory()
    # when the invited freelancer sends a proposal instead of answering the invitation
    submit_proposal(project=invitation.project, freelancer=invitation.freelancer)
    # then the invitation is accepted, with one history row saying who, from where, to where
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED and invitation.responded_at is not None
    (event,) = InvitationEvent.objects.filter(invitation=invitation)
    assert (event.actor, event.from_status, event.to_status) == (
        invitation.freelancer,
        Invitation.Status.PENDING,
        Invitation.Status.ACCEPTED,
    )


# --- Interview ------------------------------------------------------------------------------

INTERVIEW_SERVICES = {
    Interview.Status.SCHEDULED: "interview_pick",
    Interview.Status.PROPOSED: "interview_offer_times",
    Interview.Status.CANCELLED: "interview_cancel",
}


def test_every_interview_status_has_a_row_and_every_target_a_service():
    assert set(Interview.TRANSITIONS) == set(Interview.Status.values)
    assert set().union(*Interview.TRANSITIONS.values()) == set(INTERVIEW_SERVICES)


@pytest.mark.parametrize(("source", "target"), table_pairs(Interview, INTERVIEW_SERVICES))
def test_interview_transition_table(source, target):
    # given an interview in `source` whose times the client offered; the freelancer answers
    interview = InterviewFactory(status=source, scheduled=source == Interview.Status.SCHEDULED)
    freelancer = interview.proposal.freelancer
    open_slot = interview.slots.filter(is_open=True).first()
    before = row(interview)
    slots_before = list(interview.slots.values())
    notifications_before = Notification.objects.count()

    def act():
        if target == Interview.Status.SCHEDULED:
            return interview_pick(interview=interview, by=freelancer, slot=open_slot)
        if target == Interview.Status.PROPOSED:
            return interview_offer_times(interview=interview, by=freelancer, slots=slot_times(2, first_in_days=5))
        return interview_cancel(interview=interview, by=freelancer, reason="Found another project.")

    events_before = InterviewEvent.objects.count()
    if target in Interview.TRANSITIONS[source]:
        act()
        interview.refresh_from_db()
        assert interview.status == target
        assert interview.sequence == before["sequence"] + 1
        # with one history row: who moved it, from where, to where
        (event,) = InterviewEvent.objects.filter(interview=interview)
        assert (event.actor, event.from_status, event.to_status) == (freelancer, source, target)
    else:
        with pytest.raises(InvalidTransition):
            act()
        assert row(interview) == before
        assert list(interview.slots.values()) == slots_before
        assert Notification.objects.count() == notifications_before
        assert InterviewEvent.objects.count() == events_before


@pytest.mark.parametrize("source", list(Interview.TRANSITIONS))
def test_a_withdrawn_proposal_cancels_its_interview_through_the_table(source):
    # given an interview in `source` about a proposal
    interview = InterviewFactory(status=source, scheduled=source == Interview.Status.SCHEDULED)
    proposal = interview.proposal
    before = row(interview)
    # when the freelancer withdraws the proposal
    proposal_withdraw(proposal=proposal, by=proposal.freelancer)
    events = list(InterviewEvent.objects.filter(interview=interview))
    if Interview.Status.CANCELLED not in Interview.TRANSITIONS[source]:
        # then an interview that cannot be cancelled (it already is) is left exactly as it was
        assert row(interview) == before
        assert events == []
        return
    # then the interview is cancelled, the calendar sequence counts up, and one history row says so
    interview.refresh_from_db()
    assert interview.status == Interview.Status.CANCELLED
    assert interview.sequence == before["sequence"] + 1
    assert [(e.actor, e.from_status, e.to_status) for e in events] == [
        (proposal.freelancer, source, Interview.Status.CANCELLED)
    ]


# --- core.transitions.move: the compare-and-set ---------------------------------------------


def _status_changes_behind_the_back(monkeypatch, model, to: str) -> None:
    """After move() has locked (read) the row, another request changes its status.

    The simulated change runs inside move()'s own savepoint, so the refusal rolls it back too;
    the tests therefore check that the requested move did not happen, not that the other one stuck.
    """
    real_lock = transitions.lock

    def lock_then_concurrent_change(instance):
        current = real_lock(instance)
        if isinstance(instance, model):
            model.objects.filter(pk=instance.pk).update(status=to)
        return current

    monkeypatch.setattr(transitions, "lock", lock_then_concurrent_change)


def test_move_refuses_when_the_status_changed_between_lock_and_update(monkeypatch):
    # given a draft that someone else publishes right after this request read it
    project = ProjectFactory()
    _status_changes_behind_the_back(monkeypatch, Project, Project.Status.OPEN)
    # when the client's close goes through move()
    with pytest.raises(InvalidTransition, match="changed meanwhile"):
        project_close(project=project, by=project.client)
    # then the project is not closed and no event claims it was
    project.refresh_from_db()
    assert project.status != Project.Status.CLOSED
    assert project.close_reason == "" and project.closed_at is None
    assert not ProjectEvent.objects.filter(project=project).exists()


def test_move_directly_on_a_changed_row_writes_no_event(monkeypatch):
    proposal = ProposalFactory()
    _status_changes_behind_the_back(monkeypatch, Proposal, Proposal.Status.WITHDRAWN)
    with pytest.raises(InvalidTransition):
        transitions.move(
            proposal,
            to=Proposal.Status.SHORTLISTED,
            by=proposal.project.client,
            event_model=ProposalEvent,
            event_field="proposal",
        )
    assert row(proposal)["status"] != Proposal.Status.SHORTLISTED
    assert not ProposalEvent.objects.exists()


def test_hire_raced_by_a_withdrawal_hires_nobody(monkeypatch):
    # given an open project and a proposal its author withdraws while the client clicks "hire"
    proposal = ProposalFactory()
    project = proposal.project
    _status_changes_behind_the_back(monkeypatch, Proposal, Proposal.Status.WITHDRAWN)
    # when the hire runs
    with pytest.raises(InvalidTransition):
        proposal_hire(proposal=proposal, by=project.client)
    # then the project is still open, nobody is hired and no offer exists
    project.refresh_from_db()
    assert project.status == Project.Status.OPEN and project.close_reason == ""
    assert row(proposal)["status"] != Proposal.Status.HIRED
    assert not Offer.objects.exists()
    assert not ProjectEvent.objects.exists()
    assert not ProposalEvent.objects.exists()


def test_move_on_a_stale_instance_rechecks_the_stored_status():
    # given a page loaded while the project was a draft, and the project closed since
    project = ProjectFactory()
    stale = Project.objects.get(pk=project.pk)
    project_close(project=project, by=project.client)
    events = ProjectEvent.objects.count()
    # when the stale page publishes it
    with pytest.raises(InvalidTransition, match="closed"):
        project_publish(project=stale, by=stale.client)
    # then it stays closed and no event is added
    project.refresh_from_db()
    assert project.status == Project.Status.CLOSED
    assert project.published_at is None
    assert ProjectEvent.objects.count() == events


def test_move_writes_one_event_with_actor_and_note_and_returns_the_fresh_row():
    project = ProjectFactory()
    moved = transitions.move(
        project,
        to=Project.Status.CLOSED,
        by=project.client,
        event_model=ProjectEvent,
        event_field="project",
        note="x" * 600,
        closed_at=timezone.now() - timedelta(minutes=1),
    )
    assert moved.status == Project.Status.CLOSED and moved.closed_at is not None
    (event,) = ProjectEvent.objects.filter(project=project)
    assert (event.actor, event.from_status, event.to_status) == (project.client, "draft", "closed")
    assert len(event.note) == 500  # cut to what the event row holds
