"""Offers: a hire's terms as a snapshot, acceptance into a contract, changed terms, declining,
withdrawing, expiry, and the follow-on offer after a completed paid test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from contracts.models import Contract, Milestone, Offer, OfferEvent
from contracts.services import (
    MilestoneTerms,
    contract_end,
    milestone_approve,
    milestone_fund,
    offer_accept,
    offer_create_follow_on,
    offer_decline,
    offer_revise,
    offer_withdraw,
    offers_expire_due,
)
from core.exceptions import DomainError, InvalidTransition
from marketplace.models import Project, Proposal, ProposedMilestone
from messaging.selectors import topic_conversation
from notifications.models import Notification
from tests.contracts.factories import active_contract, hire_offer, milestone_of, row
from tests.marketplace.factories import in_days

pytestmark = pytest.mark.django_db


def offer_terms(offer: Offer) -> list[tuple]:
    return list(offer.milestones.values_list("position", "title", "amount_cents", "due_date"))


def contract_terms(contract: Contract) -> list[tuple]:
    return list(contract.milestones.values_list("position", "title", "amount_cents", "due_date"))


@contextmanager
def no_contract_starts(offer: Offer, expected: type[Exception]) -> Iterator[pytest.ExceptionInfo]:
    """The call inside is refused with `expected`, the offer is as it was, and no contract exists."""
    before = row(offer)
    with pytest.raises(expected) as refused:
        yield refused
    assert row(offer) == before
    assert not Contract.objects.exists()


# --- The offer a hire makes --------------------------------------------------------------------


def test_hiring_makes_an_offer_with_the_agreed_terms_and_tells_the_freelancer():
    # when a client hires a proposal of two milestones ($400 + $600)
    offer = hire_offer(amounts=(400_00, 600_00))
    proposal = offer.proposal
    # then the offer carries the project's title and scope and the proposal's milestones
    assert (offer.status, offer.awaiting, offer.revision) == (Offer.Status.OFFERED, Offer.Party.FREELANCER, 1)
    assert (offer.title, offer.scope) == (proposal.project.title, proposal.project.description)
    assert offer.total_cents == 1_000_00
    assert offer_terms(offer) == list(proposal.milestones.values_list("position", "title", "amount_cents", "due_date"))
    assert offer.change_rounds == settings.DEFAULT_CHANGE_ROUNDS
    assert offer.expires_at - offer.created_at == pytest.approx(
        timedelta(days=settings.OFFER_EXPIRY_DAYS), abs=timedelta(seconds=5)
    )
    # and the freelancer is told the total and the deadline to accept
    (note,) = Notification.objects.filter(recipient=offer.freelancer, kind="offer.received")
    assert "$1,000.00" in note.title
    assert f"within {settings.OFFER_EXPIRY_DAYS} days" in note.body


def test_the_offer_is_a_snapshot_that_later_edits_do_not_change():
    # given an offer made by a hire
    offer = hire_offer(amounts=(400_00, 600_00))
    terms, offer_row = offer_terms(offer), row(offer)
    # when the project and the proposal are edited afterwards
    Project.objects.filter(pk=offer.proposal.project_id).update(title="Something else", description="Other scope")
    ProposedMilestone.objects.filter(proposal=offer.proposal).update(amount_cents=1_00, title="Changed")
    Proposal.objects.filter(pk=offer.proposal_id).update(bid_cents=2_00)
    # then the offer still shows what was agreed, and the contract starts from it
    assert offer_terms(offer) == terms
    assert row(offer) == offer_row
    contract = offer_accept(offer=offer, by=offer.freelancer)
    assert contract_terms(contract) == terms
    assert (contract.title, contract.scope) == (offer_row["title"], offer_row["scope"])


def test_accepting_starts_an_active_contract_with_the_same_milestones():
    # given an offer of two milestones
    offer = hire_offer(amounts=(400_00, 600_00))
    # when the freelancer accepts it
    contract = offer_accept(offer=offer, by=offer.freelancer)
    # then there is an active contract with the offer's milestones, none funded yet
    assert contract.status == Contract.Status.ACTIVE
    assert (contract.client, contract.freelancer, contract.offer) == (offer.client, offer.freelancer, offer)
    assert contract_terms(contract) == offer_terms(offer)
    assert set(contract.milestones.values_list("status", flat=True)) == {Milestone.Status.PENDING}
    assert contract.change_rounds == offer.change_rounds
    # and the client is asked to fund the first milestone, and both can talk on the contract
    (note,) = Notification.objects.filter(recipient=offer.client, kind="offer.accepted")
    assert "Fund the first milestone" in note.body
    assert topic_conversation(topic_type="contract", topic_id=contract.pk, user=offer.client) is not None


@pytest.mark.parametrize("who", ["client", "stranger"])
def test_only_the_party_the_offer_waits_for_can_accept(who, other_user):
    offer = hire_offer()
    actor = offer.client if who == "client" else other_user
    with no_contract_starts(offer, DomainError):
        offer_accept(offer=offer, by=actor)


def test_accepting_twice_makes_one_contract():
    offer = hire_offer()
    offer_accept(offer=offer, by=offer.freelancer)
    with pytest.raises(InvalidTransition):
        offer_accept(offer=offer, by=offer.freelancer)
    assert Contract.objects.count() == 1


# --- Changed terms -----------------------------------------------------------------------------


def test_changed_terms_wait_for_the_other_side_and_the_proposer_cannot_accept_them():
    # given an offer waiting for the freelancer
    offer = hire_offer(amounts=(400_00, 600_00))
    new_terms = [
        MilestoneTerms("Design", 500_00, in_days(7)),
        MilestoneTerms("Build", 700_00, in_days(21)),
        MilestoneTerms("Launch", 300_00, in_days(30)),
    ]
    # when the freelancer proposes three milestones instead
    offer = offer_revise(offer=offer, by=offer.freelancer, milestones=new_terms, note="Launch is separate work.")
    # then the offer waits for the client, at revision 2, for the new total, and the client is told
    assert (offer.status, offer.awaiting, offer.revision, offer.total_cents) == (
        Offer.Status.OFFERED,
        Offer.Party.CLIENT,
        2,
        1_500_00,
    )
    (note,) = Notification.objects.filter(recipient=offer.client, kind="offer.received")
    assert "Launch is separate work." in note.body
    assert "$1,500.00" in note.body
    # when the freelancer tries to accept their own revision, then it is refused
    with no_contract_starts(offer, DomainError) as refused:
        offer_accept(offer=offer, by=offer.freelancer)
    assert "other side" in refused.value.message
    # when the client accepts, then the contract has the revised milestones
    contract = offer_accept(offer=offer, by=offer.client)
    assert [(t, a) for _, t, a, _ in contract_terms(contract)] == [
        ("Design", 500_00),
        ("Build", 700_00),
        ("Launch", 300_00),
    ]


def test_every_step_of_an_offer_is_on_its_history_with_who_and_when():
    # given an offer the freelancer revises, the client accepts
    offer = hire_offer(amounts=(400_00, 600_00))
    revised = [MilestoneTerms("Design", 500_00, in_days(7)), MilestoneTerms("Build", 700_00, in_days(21))]
    offer = offer_revise(offer=offer, by=offer.freelancer, milestones=revised, note="Build is bigger.")
    offer_accept(offer=offer, by=offer.client)
    # then its history says who did what, in order, and at which revision
    history = [(e.actor, e.from_status, e.to_status, e.revision) for e in OfferEvent.objects.filter(offer=offer)]
    assert history == [
        (offer.client, "", "offered", 1),
        (offer.freelancer, "offered", "offered", 2),
        (offer.client, "offered", "accepted", 2),
    ]
    assert "Build is bigger." in OfferEvent.objects.filter(offer=offer)[1].note


@pytest.mark.parametrize("ending", ["declined", "withdrawn", "expired"])
def test_an_offer_that_ends_unaccepted_says_how_on_its_history(ending):
    offer = hire_offer()
    if ending == "declined":
        offer_decline(offer=offer, by=offer.freelancer, reason="Fully booked.")
        actor = offer.freelancer
    elif ending == "withdrawn":
        offer_withdraw(offer=offer, by=offer.client)
        actor = offer.client
    else:
        offers_expire_due(now=offer.expires_at + timedelta(minutes=1))
        actor = None
    last = OfferEvent.objects.filter(offer=offer).last()
    assert (last.actor, last.from_status, last.to_status) == (actor, "offered", ending)


def test_a_counter_revision_flips_who_must_accept_again():
    offer = hire_offer()
    offer = offer_revise(offer=offer, by=offer.freelancer, milestones=[MilestoneTerms("All", 900_00, in_days(9))])
    offer = offer_revise(offer=offer, by=offer.client, milestones=[MilestoneTerms("All", 950_00, in_days(9))])
    assert (offer.awaiting, offer.revision, offer.total_cents) == (Offer.Party.FREELANCER, 3, 950_00)
    with pytest.raises(DomainError):
        offer_accept(offer=offer, by=offer.client)
    contract = offer_accept(offer=offer, by=offer.freelancer)
    assert contract.milestones.get().amount_cents == 950_00


@pytest.mark.parametrize(
    "terms",
    [
        [],
        [MilestoneTerms("Too small", settings.MILESTONE_MIN_CENTS - 1, in_days(5))],
        [MilestoneTerms("Too big", settings.MILESTONE_MAX_CENTS + 1, in_days(5))],
        [MilestoneTerms("Past", 100_00, in_days(-1))],
        [MilestoneTerms("  ", 100_00, in_days(5))],
    ],
    ids=["none", "below-minimum", "above-maximum", "past-due", "no-title"],
)
def test_invalid_changed_terms_are_refused_and_change_nothing(terms):
    offer = hire_offer()
    before, milestones_before = row(offer), offer_terms(offer)
    with pytest.raises(ValidationError) as refused:
        offer_revise(offer=offer, by=offer.freelancer, milestones=terms)
    assert "milestones" in refused.value.message_dict
    assert row(offer) == before
    assert offer_terms(offer) == milestones_before


def test_a_paid_test_keeps_exactly_one_milestone():
    offer = hire_offer(amounts=(300_00,), test_project=True)
    assert offer.is_test_project
    with pytest.raises(ValidationError):
        offer_revise(
            offer=offer,
            by=offer.freelancer,
            milestones=[MilestoneTerms("A", 100_00, in_days(3)), MilestoneTerms("B", 100_00, in_days(4))],
        )


# --- Declining, withdrawing, expiry ---------------------------------------------------------------


def test_the_freelancer_declines_with_a_reason_the_client_reads():
    offer = hire_offer()
    offer = offer_decline(offer=offer, by=offer.freelancer, reason="  Booked until June.  ")
    assert (offer.status, offer.decline_reason) == (Offer.Status.DECLINED, "Booked until June.")
    (note,) = Notification.objects.filter(recipient=offer.client, kind="offer.declined")
    assert note.body == "Reason: Booked until June."
    with no_contract_starts(offer, InvalidTransition):
        offer_accept(offer=offer, by=offer.freelancer)


def test_the_client_withdraws_rather_than_declines_and_only_the_client_withdraws():
    offer = hire_offer()
    before = row(offer)
    with pytest.raises(DomainError) as refused:
        offer_decline(offer=offer, by=offer.client)
    assert "withdraws" in refused.value.message
    with pytest.raises(DomainError):
        offer_withdraw(offer=offer, by=offer.freelancer)
    assert row(offer) == before
    offer = offer_withdraw(offer=offer, by=offer.client)
    assert offer.status == Offer.Status.WITHDRAWN
    (note,) = Notification.objects.filter(recipient=offer.freelancer, kind="offer.declined")
    assert "withdrawn" in note.title
    with pytest.raises(InvalidTransition):
        offer_accept(offer=offer, by=offer.freelancer)


def test_an_offer_expires_after_the_expiry_period_once_and_both_are_told():
    # given an offer made now
    offer = hire_offer()
    # when the expiry task runs a minute before the deadline, then nothing happens
    assert offers_expire_due(now=offer.expires_at - timedelta(minutes=1)) == 0
    # when it runs at the deadline, twice, then the offer expires once and both sides are told once
    assert offers_expire_due(now=offer.expires_at) == 1
    assert offers_expire_due(now=offer.expires_at + timedelta(hours=1)) == 0
    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED
    for person in (offer.client, offer.freelancer):
        assert (
            Notification.objects.filter(recipient=person, kind="offer.declined", title__contains="expired").count() == 1
        )
    # and accepting it is refused
    with no_contract_starts(offer, InvalidTransition):
        offer_accept(offer=offer, by=offer.freelancer)


def test_an_offer_past_its_deadline_cannot_be_accepted_before_the_task_runs(monkeypatch):
    offer = hire_offer()
    moment = offer.expires_at + timedelta(seconds=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    with no_contract_starts(offer, InvalidTransition) as refused:
        offer_accept(offer=offer, by=offer.freelancer)
    assert "expired" in refused.value.message


def test_an_offer_whose_milestone_date_has_passed_asks_for_new_dates_before_it_starts():
    # given an offer whose first milestone was due yesterday by the time the freelancer answers
    offer = hire_offer(amounts=(400_00, 600_00))
    first = offer.milestones.order_by("position").first()
    type(first).objects.filter(pk=first.pk).update(due_date=in_days(-1))
    # when they accept, then they are asked to propose new dates, and nothing starts
    with no_contract_starts(offer, DomainError) as refused:
        offer_accept(offer=offer, by=offer.freelancer)
    assert "has passed. Propose new dates" in refused.value.message
    # and with new dates proposed and accepted by the client, the contract starts
    offer = offer_revise(
        offer=offer,
        by=offer.freelancer,
        milestones=[MilestoneTerms("First", 400_00, in_days(3)), MilestoneTerms("Second", 600_00, in_days(20))],
    )
    assert offer_accept(offer=offer, by=offer.client).is_active


def test_changed_terms_restart_the_expiry_clock(monkeypatch):
    offer = hire_offer()
    moment = timezone.now() + timedelta(days=settings.OFFER_EXPIRY_DAYS - 1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    offer = offer_revise(offer=offer, by=offer.freelancer, milestones=[MilestoneTerms("All", 900_00, in_days(20))])
    assert offer.expires_at == moment + timedelta(days=settings.OFFER_EXPIRY_DAYS)
    assert offers_expire_due(now=moment + timedelta(days=2)) == 0


# --- Follow-on after a paid test -------------------------------------------------------------------


def completed_paid_test() -> Contract:
    contract = active_contract(amounts=(300_00,), test_project=True)
    milestone = milestone_of(contract)
    milestone_fund(milestone=milestone, by=contract.client)
    milestone_approve(milestone=milestone, by=contract.client)
    return contract_end(contract=contract, by=contract.client)


def follow_on(contract: Contract, by=None) -> Offer:
    return offer_create_follow_on(
        contract=contract,
        by=by or contract.client,
        title="Three months of performance work",
        scope="Keep the slow pages fast.",
        milestones=[MilestoneTerms("Month 1", 2_000_00, in_days(30)), MilestoneTerms("Month 2", 2_000_00, in_days(60))],
    )


def test_a_completed_paid_test_leads_to_a_linked_follow_on_contract():
    # given a paid test that was approved and ended as completed
    test = completed_paid_test()
    assert (test.is_test_project, test.end_reason) == (True, Contract.EndReason.COMPLETED)
    # when the client continues with the freelancer
    offer = follow_on(test)
    # then the offer is linked to the test and the freelancer is told
    assert (offer.follow_on_of, offer.proposal, offer.is_test_project, offer.total_cents) == (
        test,
        None,
        False,
        4_000_00,
    )
    assert Notification.objects.filter(recipient=test.freelancer, title__contains="wants to continue").count() == 1
    # when the freelancer accepts, then the new contract records which test it came from
    contract = offer_accept(offer=offer, by=test.freelancer)
    assert contract.follow_on_of == test
    assert list(test.follow_on_contracts.all()) == [contract]
    assert contract.milestones.count() == 2


def test_a_follow_on_needs_a_completed_paid_test_and_the_client():
    # an active paid test
    active_test = active_contract(amounts=(300_00,), test_project=True)
    with pytest.raises(DomainError) as refused:
        follow_on(active_test)
    assert "End the paid test" in refused.value.message
    # a paid test ended with nothing paid
    unpaid_test = active_contract(amounts=(300_00,), test_project=True)
    unpaid_test = contract_end(contract=unpaid_test, by=unpaid_test.client)
    with pytest.raises(DomainError):
        follow_on(unpaid_test)
    # a standard contract, completed
    standard = active_contract(amounts=(300_00,))
    milestone = milestone_of(standard)
    milestone_fund(milestone=milestone, by=standard.client)
    milestone_approve(milestone=milestone, by=standard.client)
    standard = contract_end(contract=standard, by=standard.client)
    with pytest.raises(DomainError) as refused:
        follow_on(standard)
    assert "paid test" in refused.value.message
    # the freelancer of a completed test
    test = completed_paid_test()
    with pytest.raises(DomainError):
        follow_on(test, by=test.freelancer)
    assert not Offer.objects.filter(follow_on_of__isnull=False).exists()
