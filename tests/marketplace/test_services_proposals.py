"""Proposals (submit, edit, shortlist, decline, withdraw, hire) and invitations, at the service level."""

from __future__ import annotations

import types
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from contracts.models import Offer
from contracts.services import offer_accept, offer_decline, offer_withdraw, offers_expire_due
from core.exceptions import DomainError, InvalidTransition, RateLimited
from marketplace.models import (
    Invitation,
    NdaAcceptance,
    Project,
    ProjectEvent,
    Proposal,
    ProposalEvent,
    ProposedMilestone,
    ScreeningAnswer,
)
from marketplace.services import (
    MilestoneTerms,
    invitation_accept,
    invitation_decline,
    invitation_send,
    project_close,
    proposal_decline,
    proposal_hire,
    proposal_shortlist,
    proposal_update,
    proposal_withdraw,
)
from messaging.models import Conversation, Participant
from notifications.models import Notification
from tests.factories import ClientProfileFactory, FreelancerProfileFactory
from tests.marketplace.factories import (
    InvitationFactory,
    ProjectFactory,
    ProposalFactory,
    in_days,
    milestones_for,
    new_client,
    new_freelancer,
    open_project,
    submit_proposal,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    """An open public $1,000 project, published through the services."""
    return open_project(budget_min_cents=1_000_00, budget_max_cents=1_000_00)


def assert_nothing_saved(project: Project) -> None:
    """A refused proposal leaves no proposal, no conversation and tells the client nothing."""
    assert not Proposal.objects.filter(project=project).exists()
    # every conversation about a proposal belongs to a proposal that exists
    topics = set(Conversation.objects.filter(topic_type="proposal").values_list("topic_id", flat=True))
    assert topics == set(Proposal.objects.values_list("pk", flat=True))
    assert not Notification.objects.filter(recipient=project.client).exists()


def assert_declined_and_told(proposal: Proposal, *, reason: str, told: str) -> None:
    """The proposal is declined for `reason`, and its author's one notification says `told`."""
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DECLINED
    assert proposal.decline_reason == reason
    (notification,) = Notification.objects.filter(recipient=proposal.freelancer)
    assert notification.kind == "proposal.declined"
    assert told in notification.body


def refused_with(exception, project: Project, match: str | None = None, **kwargs):
    with pytest.raises(exception, match=match) as caught:
        submit_proposal(project=project, **kwargs)
    assert_nothing_saved(project)
    return caught.value


def refused_on(field: str, project: Project, **kwargs) -> ValidationError:
    error = refused_with(ValidationError, project, **kwargs)
    assert field in error.message_dict, error.message_dict
    return error


# --- Submitting: the happy path -------------------------------------------------------------


def test_submitting_saves_the_terms_opens_a_conversation_and_tells_the_client(project, freelancer):
    # when a freelancer proposes $1,000 in two milestones
    milestones = [
        MilestoneTerms(title="Booking flow", amount_cents=600_00, due_date=in_days(10)),
        MilestoneTerms(title="Reminders and calendar", amount_cents=400_00, due_date=in_days(20)),
    ]
    proposal = submit_proposal(project=project, freelancer=freelancer, bid_cents=1_000_00, milestones=milestones)
    # then the proposal is submitted with the milestones in order
    assert proposal.status == Proposal.Status.SUBMITTED
    assert proposal.currency == project.currency
    assert [(m.position, m.title, m.amount_cents, m.due_date) for m in proposal.milestones.all()] == [
        (1, "Booking flow", 600_00, in_days(10)),
        (2, "Reminders and calendar", 400_00, in_days(20)),
    ]
    (event,) = ProposalEvent.objects.filter(proposal=proposal)
    assert (event.actor, event.from_status, event.to_status) == (freelancer, "", "submitted")
    # and a conversation about it exists between exactly the client and the freelancer
    conversation = Conversation.objects.get(topic_type="proposal", topic_id=proposal.pk)
    assert set(Participant.objects.filter(conversation=conversation).values_list("user", flat=True)) == {
        project.client_id,
        freelancer.pk,
    }
    # and the client is told who bid what, with a link to the proposal
    (notification,) = Notification.objects.filter(recipient=project.client)
    assert notification.kind == "proposal.new"
    assert freelancer.display_name in notification.body and "$1,000.00" in notification.body
    assert notification.url == proposal.get_absolute_url()
    assert not Notification.objects.filter(recipient=freelancer).exists()


def test_the_client_is_emailed_only_once_the_proposal_is_committed(
    project, freelancer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submit_proposal(project=project, freelancer=freelancer)
        # before commit: nothing has left the building
        assert mail.outbox == []
    assert callbacks
    assert [message.to for message in mail.outbox] == [[project.client.email]]
    assert project.title in mail.outbox[0].subject


def test_answers_to_screening_questions_are_saved_and_optional_ones_may_be_skipped(freelancer):
    project = open_project(questions=[{"text": "Which stack?"}, {"text": "Portfolio?", "required": False}])
    required, optional = project.questions.all()
    assert not optional.required
    proposal = submit_proposal(project=project, freelancer=freelancer, answers={required.pk: "  Django and htmx  "})
    assert list(ScreeningAnswer.objects.filter(proposal=proposal).values_list("question", "text")) == [
        (required.pk, "Django and htmx")
    ]


def test_a_paid_test_takes_one_milestone_within_the_cap(freelancer):
    project = open_project(kind=Project.Kind.TEST)
    proposal = submit_proposal(
        project=project,
        freelancer=freelancer,
        bid_cents=300_00,
        milestones=[MilestoneTerms(title="Profiling report", amount_cents=300_00, due_date=in_days(7))],
        duration_days=7,
    )
    assert proposal.milestones.count() == 1


def test_deadline_day_itself_still_takes_proposals(freelancer):
    project = open_project()
    Project.objects.filter(pk=project.pk).update(apply_by=timezone.localdate())
    project.refresh_from_db()
    assert submit_proposal(project=project, freelancer=freelancer).status == Proposal.Status.SUBMITTED


# --- Submitting: who may propose where ------------------------------------------------------


def test_someone_who_does_not_work_cannot_propose(project, client_user):
    refused_with(DomainError, project, "I want to work", freelancer=client_user)


def test_a_client_cannot_propose_on_their_own_project():
    # given someone who both hires and works, with a complete freelancer profile
    both = FreelancerProfileFactory(user__is_client=True).user
    ClientProfileFactory(user=both)
    project = open_project(client=both)
    refused_with(DomainError, project, "own project", freelancer=both)


def test_a_suspended_freelancer_cannot_propose(project):
    refused_with(DomainError, project, "suspended", freelancer=new_freelancer(suspended_at=timezone.now()))


def test_an_incomplete_profile_cannot_propose(project):
    incomplete = FreelancerProfileFactory(headline="").user
    refused_with(DomainError, project, "Complete your freelancer profile", freelancer=incomplete)


@pytest.mark.parametrize("status", [Project.Status.DRAFT, Project.Status.CLOSED, Project.Status.FILLED])
def test_no_proposals_unless_the_project_is_open(status, freelancer):
    project = ProjectFactory(status=status, published=status != Project.Status.DRAFT)
    refused_with(DomainError, project, "not taking proposals", freelancer=freelancer)


def test_no_proposals_after_the_deadline_to_apply(project, freelancer):
    Project.objects.filter(pk=project.pk).update(apply_by=in_days(-1))
    project.refresh_from_db()
    refused_with(DomainError, project, "not taking proposals", freelancer=freelancer)


def test_no_proposals_once_the_project_expired_even_before_the_sweep_closes_it(project, freelancer):
    Project.objects.filter(pk=project.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    project.refresh_from_db()
    refused_with(DomainError, project, "not taking proposals", freelancer=freelancer)


def test_an_invite_only_project_refuses_the_uninvited(freelancer):
    project = open_project(visibility=Project.Visibility.INVITE_ONLY)
    refused_with(DomainError, project, "only from freelancers the client invited", freelancer=freelancer)


def test_a_proposal_after_an_invitation_links_it_and_accepts_it(freelancer):
    # given an invite-only project and a pending invitation
    project = open_project(visibility=Project.Visibility.INVITE_ONLY)
    invitation = invitation_send(project=project, by=project.client, freelancer=freelancer)
    # when the freelancer proposes without answering the invitation first
    proposal = submit_proposal(project=project, freelancer=freelancer)
    # then the proposal belongs to the invitation and the invitation shows as accepted
    invitation.refresh_from_db()
    assert proposal.invitation == invitation
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.responded_at is not None


def test_a_proposal_after_accepting_the_invitation_is_linked_too(project, freelancer):
    invitation = invitation_send(project=project, by=project.client, freelancer=freelancer)
    invitation_accept(invitation=invitation, by=freelancer)
    proposal = submit_proposal(project=project, freelancer=freelancer)
    assert proposal.invitation == invitation


def test_after_declining_the_invitation_the_freelancer_cannot_propose(project, freelancer):
    invitation = invitation_send(project=project, by=project.client, freelancer=freelancer)
    invitation_decline(invitation=invitation, by=freelancer)
    Notification.objects.all().delete()
    refused_with(DomainError, project, "declined the invitation", freelancer=freelancer)


def test_a_confidential_project_needs_the_nda_first(freelancer):
    project = open_project(is_confidential=True)
    refused_with(DomainError, project, "NDA", freelancer=freelancer)
    NdaAcceptance.objects.create(project=project, freelancer=freelancer, nda_text=project.nda_text)
    assert submit_proposal(project=project, freelancer=freelancer).status == Proposal.Status.SUBMITTED


def test_an_invited_freelancer_reads_and_proposes_on_a_confidential_project_without_an_nda(freelancer):
    project = open_project(is_confidential=True)
    invitation_send(project=project, by=project.client, freelancer=freelancer)
    assert submit_proposal(project=project, freelancer=freelancer).status == Proposal.Status.SUBMITTED


def test_a_second_proposal_is_refused_and_the_first_stays(project, freelancer):
    first = submit_proposal(project=project, freelancer=freelancer, bid_cents=1_000_00)
    with pytest.raises(DomainError, match="already sent a proposal"):
        submit_proposal(project=project, freelancer=freelancer, bid_cents=900_00)
    assert list(Proposal.objects.values_list("pk", "bid_cents")) == [(first.pk, 1_000_00)]
    assert Notification.objects.filter(recipient=project.client).count() == 1


# --- Submitting: the terms ------------------------------------------------------------------


def test_a_blank_cover_letter_is_refused(project, freelancer):
    refused_on("cover_letter", project, freelancer=freelancer, cover_letter="   ")


def test_milestones_must_add_up_to_the_bid(project, freelancer):
    error = refused_on(
        "milestones", project, freelancer=freelancer, bid_cents=1_000_00, milestones=milestones_for(900_00, 2)
    )
    assert "$900.00" in error.message_dict["milestones"][0] and "$1,000.00" in error.message_dict["milestones"][0]


def test_at_least_one_milestone(project, freelancer):
    refused_on("milestones", project, freelancer=freelancer, milestones=[])


def test_at_most_the_configured_number_of_milestones(project, freelancer, settings):
    settings.PROPOSAL_MAX_MILESTONES = 3
    refused_on("milestones", project, freelancer=freelancer, bid_cents=1_000_00, milestones=milestones_for(1_000_00, 4))
    assert submit_proposal(project=project, freelancer=freelancer, milestones=milestones_for(1_000_00, 3))


def test_every_milestone_is_at_least_the_minimum(project, freelancer, settings):
    settings.MILESTONE_MIN_CENTS = 5_00
    milestones = [
        MilestoneTerms(title="Almost all", amount_cents=995_01, due_date=in_days(5)),
        MilestoneTerms(title="Token", amount_cents=4_99, due_date=in_days(6)),
    ]
    refused_on("milestones", project, freelancer=freelancer, bid_cents=1_000_00, milestones=milestones)


def test_milestone_due_dates_cannot_be_in_the_past(project, freelancer):
    milestones = [MilestoneTerms(title="Done already?", amount_cents=1_000_00, due_date=in_days(-1))]
    refused_on("milestones", project, freelancer=freelancer, milestones=milestones)


def test_every_milestone_needs_a_title(project, freelancer):
    milestones = [MilestoneTerms(title="  ", amount_cents=1_000_00, due_date=in_days(3))]
    refused_on("milestones", project, freelancer=freelancer, milestones=milestones)


@pytest.mark.parametrize("bid", [0, 1_000_000_01])
def test_a_bid_of_zero_or_over_the_limit_is_refused(project, freelancer, bid):
    milestones = [MilestoneTerms(title="All", amount_cents=max(bid, 1), due_date=in_days(3))]
    refused_on("bid_cents", project, freelancer=freelancer, bid_cents=bid, milestones=milestones)


@pytest.mark.parametrize("days", [0, 366])
def test_duration_outside_a_year_is_refused(project, freelancer, days):
    refused_on("duration_days", project, freelancer=freelancer, duration_days=days)


def test_a_paid_test_has_exactly_one_milestone(freelancer):
    project = open_project(kind=Project.Kind.TEST)
    refused_on("milestones", project, freelancer=freelancer, bid_cents=300_00, milestones=milestones_for(300_00, 2))


def test_a_paid_test_bid_over_the_cap_is_refused(freelancer):
    project = open_project(kind=Project.Kind.TEST)
    milestones = [MilestoneTerms(title="All", amount_cents=500_01, due_date=in_days(5))]
    error = refused_on("bid_cents", project, freelancer=freelancer, bid_cents=500_01, milestones=milestones)
    assert "$500.00" in error.message_dict["bid_cents"][0]


def test_a_paid_test_takes_at_most_the_test_duration(freelancer):
    project = open_project(kind=Project.Kind.TEST)
    refused_on("duration_days", project, freelancer=freelancer, duration_days=15)


def test_a_paid_test_milestone_is_due_within_the_test_window(freelancer, settings):
    # a 7-day paid test whose one milestone is due in six months is not a paid test
    project = open_project(kind=Project.Kind.TEST)
    late = [MilestoneTerms("Report", project.budget_max_cents, in_days(180))]
    error = refused_on("milestones", project, freelancer=freelancer, milestones=late)
    assert f"delivered within {settings.TEST_PROJECT_MAX_DAYS} days" in error.message_dict["milestones"][0]
    on_time = [MilestoneTerms("Report", project.budget_max_cents, in_days(settings.TEST_PROJECT_MAX_DAYS))]
    assert submit_proposal(project=project, freelancer=freelancer, milestones=on_time).pk


@pytest.mark.parametrize("answer", [None, "", "   "])
def test_a_required_answer_must_be_given(freelancer, answer):
    project = open_project(questions=[{"text": "Which booking tools have you used?"}])
    question = project.questions.get()
    answers = {} if answer is None else {question.pk: answer}
    error = refused_on("answers", project, freelancer=freelancer, answers=answers)
    assert "Which booking tools have you used?" in error.message_dict["answers"][0]


def test_the_proposal_after_the_hourly_limit_is_refused_and_nothing_is_saved(monkeypatch, settings, freelancer):
    # given a limit of 2 proposals an hour (the clock pinned inside one window)
    settings.PROPOSAL_RATE_LIMIT = 2
    monkeypatch.setattr("core.ratelimit.time", types.SimpleNamespace(time=lambda: 1_900_000_000.0))
    projects = [open_project(), open_project(), open_project()]
    submit_proposal(project=projects[0], freelancer=freelancer)
    submit_proposal(project=projects[1], freelancer=freelancer)
    # when a third follows within the hour
    with pytest.raises(RateLimited):
        submit_proposal(project=projects[2], freelancer=freelancer)
    # then it is not saved and its client hears nothing
    assert Proposal.objects.filter(freelancer=freelancer).count() == 2
    assert_nothing_saved(projects[2])
    # and another freelancer is not held back by it
    assert submit_proposal(project=projects[2], freelancer=new_freelancer())


# --- Editing --------------------------------------------------------------------------------


def test_the_author_edits_terms_and_the_client_is_told(project, freelancer):
    proposal = submit_proposal(project=project, freelancer=freelancer, bid_cents=1_000_00)
    proposal_update(
        proposal=proposal,
        by=freelancer,
        cover_letter="Updated plan.",
        bid_cents=800_00,
        duration_days=25,
        milestones=[MilestoneTerms(title="Everything", amount_cents=800_00, due_date=in_days(25))],
    )
    proposal.refresh_from_db()
    assert (proposal.bid_cents, proposal.duration_days, proposal.cover_letter) == (800_00, 25, "Updated plan.")
    assert list(proposal.milestones.values_list("title", "amount_cents")) == [("Everything", 800_00)]
    assert Notification.objects.filter(recipient=project.client, title__contains="updated").count() == 1


def _edit(proposal, by, **overrides):
    kwargs = {
        "cover_letter": "Updated.",
        "bid_cents": 700_00,
        "duration_days": 20,
        "milestones": [MilestoneTerms(title="All", amount_cents=700_00, due_date=in_days(9))],
    }
    kwargs.update(overrides)
    return proposal_update(proposal=proposal, by=by, **kwargs)


def test_only_the_author_edits(project, freelancer):
    proposal = submit_proposal(project=project, freelancer=freelancer, bid_cents=1_000_00)
    with pytest.raises(DomainError, match="Only the freelancer"):
        _edit(proposal, project.client)
    proposal.refresh_from_db()
    assert proposal.bid_cents == 1_000_00


@pytest.mark.parametrize("status", [Proposal.Status.HIRED, Proposal.Status.DECLINED, Proposal.Status.WITHDRAWN])
def test_a_decided_proposal_is_not_edited(status):
    proposal = ProposalFactory(status=status, bid_cents=1_000_00)
    with pytest.raises(DomainError, match="can no longer be edited"):
        _edit(proposal, proposal.freelancer)
    proposal.refresh_from_db()
    assert proposal.bid_cents == 1_000_00


def test_an_invalid_edit_keeps_the_old_terms(project, freelancer):
    proposal = submit_proposal(project=project, freelancer=freelancer, bid_cents=1_000_00)
    with pytest.raises(ValidationError):
        _edit(proposal, freelancer, bid_cents=700_00, milestones=milestones_for(600_00, 2))
    proposal.refresh_from_db()
    assert proposal.bid_cents == 1_000_00
    assert sum(proposal.milestones.values_list("amount_cents", flat=True)) == 1_000_00


# --- Shortlist, decline, withdraw -----------------------------------------------------------


def test_the_client_shortlists_and_the_freelancer_hears_of_it():
    proposal = ProposalFactory()
    proposal_shortlist(proposal=proposal, by=proposal.project.client)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SHORTLISTED
    (notification,) = Notification.objects.filter(recipient=proposal.freelancer)
    assert notification.kind == "proposal.shortlisted"
    assert proposal.project.title in notification.title


@pytest.mark.parametrize("service", [proposal_shortlist, proposal_decline, proposal_hire])
def test_only_the_projects_client_decides(service):
    proposal = ProposalFactory()
    for outsider in (new_client(), proposal.freelancer):
        with pytest.raises(DomainError, match="Only the client"):
            service(proposal=proposal, by=outsider)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    assert not Notification.objects.exists()
    assert not Offer.objects.exists()


@pytest.mark.parametrize("service", [proposal_shortlist, proposal_decline, proposal_hire])
def test_a_suspended_client_decides_nothing(service):
    proposal = ProposalFactory()
    client = proposal.project.client
    client.suspended_at = timezone.now()
    client.save()
    with pytest.raises(DomainError, match="suspended"):
        service(proposal=proposal, by=client)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED


def test_declining_with_a_reason_shows_it_to_the_freelancer():
    proposal = ProposalFactory()
    proposal_decline(proposal=proposal, by=proposal.project.client, reason="  We need someone in our timezone.  ")
    reason = "We need someone in our timezone."
    assert_declined_and_told(proposal, reason=reason, told=reason)


def test_declining_without_a_reason_says_so():
    proposal = ProposalFactory()
    proposal_decline(proposal=proposal, by=proposal.project.client)
    (notification,) = Notification.objects.filter(recipient=proposal.freelancer)
    assert "did not give a reason" in notification.body


def test_the_author_withdraws_and_the_client_is_told():
    proposal = ProposalFactory(status=Proposal.Status.SHORTLISTED)
    proposal_withdraw(proposal=proposal, by=proposal.freelancer)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.WITHDRAWN
    (notification,) = Notification.objects.filter(recipient=proposal.project.client)
    assert notification.kind == "proposal.withdrawn"


def test_only_the_author_withdraws():
    proposal = ProposalFactory()
    for outsider in (proposal.project.client, new_freelancer()):
        with pytest.raises(DomainError):
            proposal_withdraw(proposal=proposal, by=outsider)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    assert not ProposalEvent.objects.exists()


# --- Hire -----------------------------------------------------------------------------------


@pytest.fixture
def bids():
    """An open project with the chosen proposal, a shortlisted rival, a submitted rival and a withdrawn one."""
    project = ProjectFactory(published=True, acceptance_criteria="Patients can book online.")
    chosen = ProposalFactory(
        project=project,
        status=Proposal.Status.SHORTLISTED,
        milestones=[
            MilestoneTerms(title="Booking flow", amount_cents=700_00, due_date=in_days(10)),
            MilestoneTerms(title="Reminders", amount_cents=250_50, due_date=in_days(20)),
        ],
    )
    return types.SimpleNamespace(
        project=project,
        client=project.client,
        chosen=chosen,
        shortlisted=ProposalFactory(project=project, status=Proposal.Status.SHORTLISTED),
        submitted=ProposalFactory(project=project),
        withdrawn=ProposalFactory(project=project, status=Proposal.Status.WITHDRAWN),
    )


def test_hiring_sends_an_offer_and_leaves_the_project_open_until_the_freelancer_accepts(bids):
    # when the client hires the chosen proposal
    proposal_hire(proposal=bids.chosen, by=bids.client)
    # then the proposal waits for the freelancer's answer to the offer, and nothing else changes yet
    bids.chosen.refresh_from_db()
    bids.project.refresh_from_db()
    assert bids.chosen.status == Proposal.Status.OFFERED
    assert bids.project.status == Project.Status.OPEN
    (received,) = Notification.objects.filter(recipient=bids.chosen.freelancer)
    assert received.kind == "offer.received" and "$950.50" in received.title
    for rival in (bids.shortlisted, bids.submitted):
        rival.refresh_from_db()
        assert rival.status != Proposal.Status.DECLINED
        assert not Notification.objects.filter(recipient=rival.freelancer).exists()


def test_accepting_the_offer_hires_fills_the_project_and_declines_and_tells_the_others(bids):
    proposal_hire(proposal=bids.chosen, by=bids.client)
    # when the freelancer accepts the offer
    offer_accept(offer=Offer.objects.get(proposal=bids.chosen), by=bids.chosen.freelancer)
    # then the proposal is hired and the project shows as filled by a hire
    bids.chosen.refresh_from_db()
    bids.project.refresh_from_db()
    assert bids.chosen.status == Proposal.Status.HIRED
    assert bids.project.status == Project.Status.FILLED
    assert bids.project.close_reason == Project.CloseReason.HIRED
    assert bids.project.closed_at is not None
    assert ProjectEvent.objects.filter(project=bids.project, from_status="open", to_status="filled").count() == 1
    # and the rivals still in the running are declined with a reason they are told
    for rival in (bids.shortlisted, bids.submitted):
        assert_declined_and_told(
            rival, reason="The client hired another freelancer for this project.", told="hired another freelancer"
        )
    # and the withdrawn one is left alone
    bids.withdrawn.refresh_from_db()
    assert bids.withdrawn.status == Proposal.Status.WITHDRAWN
    assert not Notification.objects.filter(recipient=bids.withdrawn.freelancer).exists()


@pytest.mark.parametrize("ending", ["declined", "withdrawn", "expired"])
def test_an_offer_that_ends_unaccepted_puts_the_proposal_back_on_the_shortlist(bids, ending):
    proposal_hire(proposal=bids.chosen, by=bids.client)
    offer = Offer.objects.get(proposal=bids.chosen)
    # when the freelancer declines it, the client withdraws it, or it expires
    if ending == "declined":
        offer_decline(offer=offer, by=bids.chosen.freelancer, reason="Booked until March.")
    elif ending == "withdrawn":
        offer_withdraw(offer=offer, by=bids.client)
    else:
        assert offers_expire_due(now=offer.expires_at + timedelta(minutes=1)) == 1
    # then the proposal is back on the shortlist, the project still open, the rivals untouched
    bids.chosen.refresh_from_db()
    bids.project.refresh_from_db()
    assert bids.chosen.status == Proposal.Status.SHORTLISTED
    assert bids.project.status == Project.Status.OPEN
    assert {bids.shortlisted.status, bids.submitted.status} <= {"shortlisted", "submitted"}
    # and the client can hire someone else, who accepts and fills the project
    proposal_hire(proposal=bids.submitted, by=bids.client)
    offer_accept(offer=Offer.objects.get(proposal=bids.submitted), by=bids.submitted.freelancer)
    bids.project.refresh_from_db()
    assert bids.project.status == Project.Status.FILLED
    bids.chosen.refresh_from_db()
    assert bids.chosen.status == Proposal.Status.DECLINED


def test_one_offer_at_a_time_and_no_closing_while_it_waits(bids):
    proposal_hire(proposal=bids.chosen, by=bids.client)
    with pytest.raises(DomainError, match="waiting for their answer"):
        proposal_hire(proposal=bids.shortlisted, by=bids.client)
    with pytest.raises(DomainError, match="Withdraw the offer first"):
        project_close(project=bids.project, by=bids.client)
    bids.shortlisted.refresh_from_db()
    bids.project.refresh_from_db()
    assert bids.shortlisted.status == Proposal.Status.SHORTLISTED
    assert bids.project.status == Project.Status.OPEN
    assert Offer.objects.count() == 1


def test_the_freelancer_cannot_withdraw_a_proposal_with_an_offer_out(bids):
    proposal_hire(proposal=bids.chosen, by=bids.client)
    with pytest.raises(InvalidTransition):
        proposal_withdraw(proposal=bids.chosen, by=bids.chosen.freelancer)
    with pytest.raises(InvalidTransition):
        proposal_decline(proposal=bids.chosen, by=bids.client, reason="Changed my mind")
    bids.chosen.refresh_from_db()
    assert bids.chosen.status == Proposal.Status.OFFERED


def test_hiring_hands_the_agreed_terms_to_contracts_as_an_offer(bids):
    proposal_hire(proposal=bids.chosen, by=bids.client)
    offer = Offer.objects.get(proposal=bids.chosen)
    assert list(bids.chosen.offers.all()) == [offer]
    assert (offer.client, offer.freelancer) == (bids.client, bids.chosen.freelancer)
    assert (offer.title, offer.scope, offer.acceptance_criteria) == (
        bids.project.title,
        bids.project.description,
        "Patients can book online.",
    )
    assert (offer.total_cents, offer.currency, offer.is_test_project) == (950_50, "USD", False)
    assert offer.status == Offer.Status.OFFERED
    assert list(offer.milestones.values_list("position", "title", "amount_cents", "due_date")) == [
        (1, "Booking flow", 700_00, in_days(10)),
        (2, "Reminders", 250_50, in_days(20)),
    ]


def test_the_offer_is_a_snapshot_later_edits_do_not_change_it(bids):
    proposal_hire(proposal=bids.chosen, by=bids.client)
    # when the source proposal's milestones and the project's text change afterwards
    ProposedMilestone.objects.filter(proposal=bids.chosen).update(title="Changed", amount_cents=1_00)
    Proposal.objects.filter(pk=bids.chosen.pk).update(bid_cents=2_00)
    Project.objects.filter(pk=bids.project.pk).update(title="Renamed", description="Rewritten")
    # then the offer still says what was agreed
    offer = Offer.objects.get(proposal=bids.chosen)
    assert (offer.title, offer.total_cents) == (bids.project.title, 950_50)
    assert offer.scope == bids.project.description
    assert list(offer.milestones.values_list("title", "amount_cents")) == [
        ("Booking flow", 700_00),
        ("Reminders", 250_50),
    ]


def test_hiring_on_a_paid_test_marks_the_offer_as_a_test():
    project = ProjectFactory(published=True, test=True)
    proposal = ProposalFactory(project=project, milestones=[MilestoneTerms("Report", 300_00, in_days(7))])
    proposal_hire(proposal=proposal, by=project.client)
    assert Offer.objects.get(proposal=proposal).is_test_project is True


@pytest.mark.parametrize("status", [Project.Status.CLOSED, Project.Status.FILLED])
def test_nobody_is_hired_on_a_project_that_is_not_open(status):
    project = ProjectFactory(published=True, status=status)
    proposal = ProposalFactory(project=project)
    with pytest.raises(DomainError, match="not open"):
        proposal_hire(proposal=proposal, by=project.client)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    assert not Offer.objects.exists()
    assert not Notification.objects.exists()


def test_hiring_twice_is_an_invalid_transition_and_leaves_one_offer(bids):
    # given a hire already made (a double click, or a replayed API request)
    proposal_hire(proposal=bids.chosen, by=bids.client)
    counts = (ProposalEvent.objects.count(), ProjectEvent.objects.count(), Notification.objects.count())
    # when it comes again, then it is refused as a state conflict (API 409)
    with pytest.raises(InvalidTransition):
        proposal_hire(proposal=bids.chosen, by=bids.client)
    # and there is still one offer, no new event and nobody told twice
    assert Offer.objects.filter(proposal=bids.chosen).count() == 1
    assert (ProposalEvent.objects.count(), ProjectEvent.objects.count(), Notification.objects.count()) == counts


# --- Invitations ----------------------------------------------------------------------------


def test_the_client_invites_a_freelancer_who_is_told_at_once(project, freelancer):
    invitation = invitation_send(project=project, by=project.client, freelancer=freelancer, message=" Keen? ")
    assert (invitation.status, invitation.message) == (Invitation.Status.PENDING, "Keen?")
    (notification,) = Notification.objects.filter(recipient=freelancer)
    assert notification.kind == "invitation.new"
    assert project.client.display_name in notification.title and project.title in notification.title


def test_only_the_owner_invites(project, freelancer):
    with pytest.raises(DomainError, match="Only the client"):
        invitation_send(project=project, by=new_client(), freelancer=freelancer)
    assert not Invitation.objects.exists() and not Notification.objects.exists()


def test_a_suspended_client_cannot_invite(project, freelancer):
    project.client.suspended_at = timezone.now()
    project.client.save()
    with pytest.raises(DomainError, match="suspended"):
        invitation_send(project=project, by=project.client, freelancer=freelancer)
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("status", [Project.Status.CLOSED, Project.Status.FILLED])
def test_nobody_is_invited_to_a_finished_project(status, freelancer):
    project = ProjectFactory(published=True, status=status)
    with pytest.raises(DomainError, match="closed"):
        invitation_send(project=project, by=project.client, freelancer=freelancer)
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    "who",
    ["a client without a freelancer profile", "an incomplete profile", "a suspended freelancer", "the client themself"],
)
def test_only_complete_public_freelancer_profiles_are_invited(who):
    if who == "the client themself":
        person = FreelancerProfileFactory(user__is_client=True).user
        ClientProfileFactory(user=person)
        project = open_project(client=person)
    else:
        project = open_project()
        person = {
            "a client without a freelancer profile": lambda: new_client(),
            "an incomplete profile": lambda: FreelancerProfileFactory(bio="").user,
            "a suspended freelancer": lambda: new_freelancer(suspended_at=timezone.now()),
        }[who]()
    with pytest.raises(DomainError, match="cannot be invited"):
        invitation_send(project=project, by=project.client, freelancer=person)
    assert not Invitation.objects.exists() and not Notification.objects.exists()


def test_a_deactivated_freelancer_cannot_be_invited(project):
    person = new_freelancer(is_active=False)
    with pytest.raises(DomainError):
        invitation_send(project=project, by=project.client, freelancer=person)
    assert not Invitation.objects.exists()


def test_a_freelancer_is_invited_once(project, freelancer):
    invitation_send(project=project, by=project.client, freelancer=freelancer)
    with pytest.raises(DomainError, match="already invited"):
        invitation_send(project=project, by=project.client, freelancer=freelancer)
    assert Invitation.objects.count() == 1
    assert Notification.objects.filter(recipient=freelancer).count() == 1


def test_the_invited_freelancer_accepts_once():
    invitation = InvitationFactory()
    invitation_accept(invitation=invitation, by=invitation.freelancer)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED and invitation.responded_at is not None
    answered_at = invitation.responded_at
    with pytest.raises(InvalidTransition, match="already accepted"):
        invitation_accept(invitation=invitation, by=invitation.freelancer)
    invitation.refresh_from_db()
    assert invitation.responded_at == answered_at


@pytest.mark.parametrize("service", [invitation_accept, invitation_decline])
def test_only_the_invited_freelancer_answers(service):
    invitation = InvitationFactory()
    for outsider in (new_freelancer(), invitation.project.client):
        with pytest.raises(DomainError, match="Only the invited freelancer"):
            service(invitation=invitation, by=outsider)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert not Notification.objects.exists()


def test_an_invitation_to_a_closed_project_cannot_be_accepted():
    invitation = InvitationFactory(project=ProjectFactory(published=True, status=Project.Status.CLOSED))
    with pytest.raises(DomainError, match="no longer open"):
        invitation_accept(invitation=invitation, by=invitation.freelancer)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_declining_tells_the_client_the_reason():
    invitation = InvitationFactory()
    invitation_decline(invitation=invitation, by=invitation.freelancer, reason="Booked until June.")
    invitation.refresh_from_db()
    assert (invitation.status, invitation.decline_reason) == (Invitation.Status.DECLINED, "Booked until June.")
    (notification,) = Notification.objects.filter(recipient=invitation.project.client)
    assert notification.kind == "invitation.declined"
    assert "Booked until June." in notification.body


def test_a_proposal_is_refused_with_every_broken_rule_at_once():
    # given a paid test ($500, 14 days at most) with a required question
    project = open_project(kind=Project.Kind.TEST, questions=[{"text": "Which profiler?"}])
    question = project.questions.get()
    # when a freelancer sends no cover letter, $600 over 20 days and no answer
    with pytest.raises(ValidationError) as refused:
        submit_proposal(
            project=project, cover_letter=" ", bid_cents=600_00, duration_days=20, milestones=milestones_for(600_00, 1)
        )
    # then one refusal names every field that is wrong, and nothing is saved
    assert refused.value.message_dict == {
        "cover_letter": ["Write a cover letter."],
        "bid_cents": ["A paid test project is capped at $500.00."],
        "duration_days": ["A paid test project takes at most 14 days."],
        "answers": ["Answer the question: “Which profiler?”"],
    }
    (answer_error,) = refused.value.error_dict["answers"]
    assert answer_error.params["question_id"] == question.pk
    assert not Proposal.objects.exists()
