"""Disputes through the services: the state machine generated from Dispute.TRANSITIONS, every
outcome's money, the deadlines' defaults with frozen time, who may do what, and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import user_suspend
from contracts.invariants import money_problems
from contracts.models import Dispute, DisputeProposal, Milestone
from contracts.services import (
    dispute_decide,
    dispute_open,
    dispute_proposal_accept,
    dispute_proposal_decline,
    dispute_propose,
    dispute_respond,
    dispute_withdraw,
    disputes_due,
    milestone_approve,
    milestone_refund_offer,
    milestone_submit,
    milestones_auto_release_due,
)
from core.exceptions import DomainError, InvalidTransition, NotAllowed
from notifications.models import Notification
from payments import accounts
from payments.fees import freelancer_fee_cents
from payments.ledger import balance
from payments.models import GatewayCall
from tests.contracts.factories import (
    active_contract,
    escrow_of,
    milestone_in,
    milestone_of,
    move_to,
    nothing_moves,
    pending_of,
    run_gateway_calls,
    submitted_milestone,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

S = Milestone.Status
D = Dispute.Status
HELD = 500_00


def later(days: float):
    return timezone.now() + timedelta(days=days, minutes=1)


def opened(*, by: str = "freelancer", asked: int = HELD, status: str = S.SUBMITTED) -> Dispute:
    """A $500 milestone in `status`, disputed by `by`, who asks `asked` for themselves."""
    milestone = milestone_in(status, amounts=(HELD,))
    contract = milestone.contract
    return dispute_open(
        milestone=milestone,
        by=getattr(contract, by),
        reason="not_approved" if by == "freelancer" else "quality",
        description="Delivered on time; no answer since.",
        asked_cents=asked,
    )


def dispute_in(status: str) -> Dispute:
    """A dispute opened by the freelancer (asking all $500), brought to `status` by the services."""
    dispute = opened()
    client = dispute.contract.client
    if status == D.OPEN:
        return dispute
    if status == D.WITHDRAWN:
        return dispute_withdraw(dispute=dispute, by=dispute.contract.freelancer)
    if status == D.DEFAULTED:
        disputes_due(now=later(settings.DISPUTE_RESPONSE_DAYS))
        return Dispute.objects.get(pk=dispute.pk)
    dispute = dispute_respond(dispute=dispute, by=client, response="Half of it works.", asked_cents=250_00)
    if status == D.RESPONDED:
        return dispute
    if status == D.SETTLED:
        proposal = dispute_propose(dispute=dispute, by=client, freelancer_cents=300_00)
        return dispute_proposal_accept(proposal=proposal, by=dispute.contract.freelancer)
    disputes_due(now=later(settings.DISPUTE_SETTLEMENT_DAYS))
    dispute = Dispute.objects.get(pk=dispute.pk)
    if status == D.ESCALATED:
        return dispute
    assert status == D.DECIDED
    return dispute_decide(dispute=dispute, by=moderator_user(), freelancer_cents=350_00, rationale="Most of it works.")


def moderator_user():
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="moderate"))
    return user


# --- the state machine, generated from its table -----------------------------------------------------

# Each action and the status it leads to; `respond` and `decide` need the right person, the
# deadlines need time to have passed (disputes_due with a later clock).
ACTIONS = {
    "respond": D.RESPONDED,
    "settle": D.SETTLED,
    "default": D.DEFAULTED,
    "escalate": D.ESCALATED,
    "decide": D.DECIDED,
    "withdraw": D.WITHDRAWN,
}


def act(action: str, dispute: Dispute):
    contract = dispute.contract
    if action == "respond":
        return dispute_respond(dispute=dispute, by=contract.client, response="Not what we agreed.", asked_cents=400_00)
    if action == "settle":
        proposal = dispute_propose(dispute=dispute, by=contract.client, freelancer_cents=200_00)
        return dispute_proposal_accept(proposal=proposal, by=contract.freelancer)
    if action in ("default", "escalate"):
        # just past the deadline this action is the default of: the response's, or the settlement's
        deadline = dispute.respond_by if action == "default" else dispute.settle_by
        if not disputes_due(now=(deadline or timezone.now()) + timedelta(minutes=1)):
            raise InvalidTransition("no deadline applied")
        return Dispute.objects.get(pk=dispute.pk)
    if action == "decide":
        return dispute_decide(dispute=dispute, by=moderator_user(), freelancer_cents=100_00, rationale="Reasons.")
    return dispute_withdraw(dispute=dispute, by=contract.freelancer)


def cases():
    for source in D.values:
        for action, target in ACTIONS.items():
            allowed = target in Dispute.TRANSITIONS[source]
            # the deadlines are the only way to their outcome, from the one status each applies to
            if action == "default":
                allowed = source == D.OPEN
            if action == "escalate":
                allowed = source == D.RESPONDED
            yield pytest.param(
                source, action, allowed, id=f"{action}-from-{source}-{'allowed' if allowed else 'refused'}"
            )


@pytest.mark.parametrize(("source", "action", "allowed"), list(cases()))
def test_every_move_of_the_dispute_table(source, action, allowed):
    dispute = dispute_in(source)
    assert dispute.status == source
    if not allowed:
        before = (Dispute.objects.get(pk=dispute.pk).status, GatewayCall.objects.count(), escrow_of(dispute.milestone))
        with pytest.raises(InvalidTransition):
            act(action, dispute)
        after = (Dispute.objects.get(pk=dispute.pk).status, GatewayCall.objects.count(), escrow_of(dispute.milestone))
        assert after == before
        return
    moved = act(action, dispute)
    assert Dispute.objects.get(pk=dispute.pk).status == ACTIONS[action] == moved.status
    assert money_problems() == []


def test_the_table_ends_in_final_outcomes_and_only_open_disputes_move():
    assert set(Dispute.TRANSITIONS) == set(D.values)
    for status in (*Dispute.RESOLVED_STATUSES, D.WITHDRAWN):
        assert Dispute.TRANSITIONS[status] == set()
    assert {target for targets in Dispute.TRANSITIONS.values() for target in targets} == set(D.values) - {D.OPEN}


# --- opening freezes the money ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.FUNDED, S.SUBMITTED, S.CHANGES_REQUESTED])
def test_opening_a_dispute_freezes_the_milestone(status):
    dispute = opened(status=status)
    milestone = Milestone.objects.get(pk=dispute.milestone_id)
    contract = milestone.contract
    assert milestone.status == S.DISPUTED and milestone.auto_release_at is None
    assert escrow_of(milestone) == HELD
    # nothing moves the frozen money outside the dispute
    with nothing_moves(DomainError):
        milestone_approve(milestone=milestone, by=contract.client)
    with nothing_moves(DomainError):
        milestone_refund_offer(milestone=milestone, by=contract.freelancer, amount_cents=10_00)
    with nothing_moves(DomainError):
        milestone_submit(milestone=milestone, by=contract.freelancer, message="More.")
    # and the client hears of it with the deadline and its default
    (note,) = Notification.objects.filter(recipient=contract.client, kind="dispute.opened")
    assert "within 5 days" in note.body
    assert "what was asked applies: $500.00 to the freelancer and $0.00 back to the client" in note.body


def test_a_submitted_milestone_is_not_approved_by_itself_while_disputed():
    dispute = opened()
    assert milestones_auto_release_due(now=later(settings.AUTO_RELEASE_DAYS + 1)) == 0
    assert Milestone.objects.get(pk=dispute.milestone_id).status == S.DISPUTED


def test_withdrawing_puts_the_milestone_back_with_the_review_time_it_had_left():
    milestone = submitted_milestone(amounts=(HELD,))
    left = milestone.auto_release_at - timezone.now()
    dispute = dispute_open(
        milestone=milestone, by=milestone.contract.client, reason="quality", description="Broken.", asked_cents=HELD
    )
    dispute_withdraw(dispute=dispute, by=milestone.contract.client)
    milestone.refresh_from_db()
    assert milestone.status == S.SUBMITTED
    assert abs((milestone.auto_release_at - timezone.now()) - left) < timedelta(minutes=1)
    assert escrow_of(milestone) == HELD
    assert money_problems() == []


# --- outcomes and their money ---------------------------------------------------------------------------


def net(cents: int) -> int:
    return cents - freelancer_fee_cents(amount_cents=cents, billed_before_cents=0) if cents else 0


def assert_paid_out(dispute: Dispute, freelancer_cents: int) -> None:
    dispute.refresh_from_db()
    milestone = Milestone.objects.get(pk=dispute.milestone_id)
    assert dispute.outcome_freelancer_cents == freelancer_cents
    assert escrow_of(milestone) == 0
    assert (milestone.released_cents, milestone.refunded_cents) == (freelancer_cents, HELD - freelancer_cents)
    assert milestone.status == (S.RELEASED if freelancer_cents else S.REFUNDED)
    assert pending_of(dispute.contract.freelancer) == net(freelancer_cents)
    run_gateway_calls()
    refunds = GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND, status=GatewayCall.Status.DONE)
    assert sum(refunds.values_list("amount_cents", flat=True)) == HELD - freelancer_cents
    assert money_problems() == []


def test_no_response_in_time_applies_what_the_filer_asked_once():
    dispute = opened(by="client", asked=HELD)  # the client asks for all of it back
    assert disputes_due(now=later(settings.DISPUTE_RESPONSE_DAYS - 1)) == 0
    assert disputes_due(now=later(settings.DISPUTE_RESPONSE_DAYS)) == 1
    assert disputes_due(now=later(settings.DISPUTE_RESPONSE_DAYS)) == 0
    assert Dispute.objects.get(pk=dispute.pk).status == D.DEFAULTED
    assert_paid_out(dispute, 0)


def test_a_response_asking_the_same_split_settles_at_once():
    dispute = opened(by="freelancer", asked=300_00)
    dispute_respond(dispute=dispute, by=dispute.contract.client, response="Fair.", asked_cents=200_00)
    assert Dispute.objects.get(pk=dispute.pk).status == D.SETTLED
    assert_paid_out(dispute, 300_00)


def test_an_accepted_proposal_settles_and_a_declined_one_does_not():
    dispute = dispute_in(D.RESPONDED)
    contract = dispute.contract
    first = dispute_propose(dispute=dispute, by=contract.client, freelancer_cents=250_00, note="Half.")
    dispute_proposal_decline(proposal=first, by=contract.freelancer)
    assert Dispute.objects.get(pk=dispute.pk).status == D.RESPONDED
    mine = dispute_propose(dispute=dispute, by=contract.freelancer, freelancer_cents=450_00)
    newer = dispute_propose(dispute=dispute, by=contract.freelancer, freelancer_cents=400_00)
    assert DisputeProposal.objects.get(pk=mine.pk).status == DisputeProposal.Status.WITHDRAWN
    dispute_proposal_accept(proposal=newer, by=contract.client)
    assert_paid_out(dispute, 400_00)
    # and an older answer after the end changes nothing
    with pytest.raises(InvalidTransition):
        dispute_proposal_accept(proposal=mine, by=contract.client)


@pytest.mark.parametrize("freelancer_cents", [0, 1, 350_00, HELD])
def test_a_staff_decision_moves_the_money_once_and_both_read_the_rationale(freelancer_cents):
    dispute = dispute_in(D.ESCALATED)
    moderator = moderator_user()
    dispute_decide(dispute=dispute, by=moderator, freelancer_cents=freelancer_cents, rationale="The export fails.")
    assert_paid_out(dispute, freelancer_cents)
    with pytest.raises(InvalidTransition):
        dispute_decide(dispute=dispute, by=moderator, freelancer_cents=HELD, rationale="Again.")
    for person in (dispute.contract.client, dispute.contract.freelancer):
        note = Notification.objects.filter(recipient=person, kind="dispute.updated").latest("pk")
        assert "Decided by staff" in note.body and "The export fails." in note.body


def test_escalation_tells_staff_and_both_parties():
    moderator = moderator_user()
    dispute = dispute_in(D.ESCALATED)
    assert Notification.objects.filter(recipient=moderator, kind="staff.dispute").count() == 1
    for person in (dispute.contract.client, dispute.contract.freelancer):
        assert Notification.objects.filter(recipient=person, title__contains="goes to staff").exists()


# --- who may do what --------------------------------------------------------------------------------------


def test_only_staff_with_the_moderation_permission_decide():
    dispute = dispute_in(D.ESCALATED)
    contract = dispute.contract
    for person in (contract.client, contract.freelancer, UserFactory(), UserFactory(is_staff=True)):
        with pytest.raises(NotAllowed):
            dispute_decide(dispute=dispute, by=person, freelancer_cents=HELD, rationale="Mine.")
    assert Dispute.objects.get(pk=dispute.pk).status == D.ESCALATED


def test_a_stranger_can_do_nothing_with_a_dispute(other_user):
    dispute = opened()
    for call in (
        lambda: dispute_respond(dispute=dispute, by=other_user, response="Me.", asked_cents=0),
        lambda: dispute_propose(dispute=dispute, by=other_user, freelancer_cents=0),
        lambda: dispute_withdraw(dispute=dispute, by=other_user),
        lambda: dispute_open(
            milestone=milestone_of(dispute.contract), by=other_user, reason="other", description="x", asked_cents=0
        ),
    ):
        with pytest.raises(NotAllowed):
            call()
    assert Dispute.objects.get(pk=dispute.pk).status == D.OPEN


def test_only_the_respondent_responds_and_only_the_filer_withdraws():
    dispute = opened(by="freelancer")
    with pytest.raises(NotAllowed):
        dispute_respond(dispute=dispute, by=dispute.contract.freelancer, response="Me too.", asked_cents=0)
    with pytest.raises(NotAllowed):
        dispute_withdraw(dispute=dispute, by=dispute.contract.client)
    proposal = dispute_propose(dispute=dispute, by=dispute.contract.freelancer, freelancer_cents=100_00)
    with pytest.raises(NotAllowed):
        dispute_proposal_accept(proposal=proposal, by=dispute.contract.freelancer)


def test_a_suspended_party_cannot_act(moderator):
    dispute = opened(by="freelancer")
    user_suspend(user=dispute.contract.client, by=moderator, reason="Under review.")
    with pytest.raises(NotAllowed) as refused:
        dispute_respond(dispute=dispute, by=dispute.contract.client, response="Hm.", asked_cents=0)
    assert "suspended" in refused.value.message


def test_a_response_after_the_deadline_is_refused():
    dispute = opened()
    Dispute.objects.filter(pk=dispute.pk).update(respond_by=timezone.now() - timedelta(minutes=1))
    with pytest.raises(InvalidTransition):
        dispute_respond(dispute=dispute, by=dispute.contract.client, response="Late.", asked_cents=0)


# --- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.PENDING, S.RELEASED, S.REFUNDED, S.CANCELLED])
def test_a_dispute_on_money_not_held_is_refused(status):
    contract = active_contract(amounts=(HELD, 100_00))
    milestone = milestone_of(contract)
    move_to(milestone, status)
    with nothing_moves(InvalidTransition):
        dispute_open(milestone=milestone, by=contract.client, reason="quality", description="No.", asked_cents=0)
    assert not Dispute.objects.exists()


def test_a_second_open_dispute_on_a_milestone_is_refused():
    dispute = opened()
    with nothing_moves(InvalidTransition) as refused:
        dispute_open(
            milestone=dispute.milestone, by=dispute.contract.client, reason="quality", description="Me.", asked_cents=0
        )
    assert "already in dispute" in refused.value.message
    assert Dispute.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("asked_cents", {"asked_cents": HELD + 1}),
        ("asked_cents", {"asked_cents": -1}),
        ("asked_cents", {"asked_cents": 10.5}),
        ("asked_cents", {"asked_cents": True}),
        ("reason", {"reason": "because"}),
        ("reason", {"reason": "chargeback"}),
        ("description", {"description": "   "}),
        ("description", {"description": "x" * 4001}),
    ],
)
def test_bad_input_when_opening_is_a_field_error_and_changes_nothing(field, kwargs):
    milestone = submitted_milestone(amounts=(HELD,))
    arguments = {"reason": "quality", "description": "Broken.", "asked_cents": 100_00, **kwargs}
    with nothing_moves(ValidationError) as refused:
        dispute_open(milestone=milestone, by=milestone.contract.client, **arguments)
    assert field in refused.value.message_dict
    assert Milestone.objects.get(pk=milestone.pk).status == S.SUBMITTED


@pytest.mark.parametrize("cents", [HELD + 1, -1, "100"])
def test_a_split_that_does_not_add_up_is_refused(cents):
    dispute = dispute_in(D.ESCALATED)
    with pytest.raises(ValidationError):
        dispute_decide(dispute=dispute, by=moderator_user(), freelancer_cents=cents, rationale="Split.")
    with pytest.raises(ValidationError):
        dispute_propose(dispute=dispute, by=dispute.contract.client, freelancer_cents=cents)
    assert Dispute.objects.get(pk=dispute.pk).status == D.ESCALATED
    assert balance(accounts.escrow(dispute.milestone.ledger_reference)) == HELD


def test_a_decision_without_a_rationale_is_refused():
    dispute = dispute_in(D.ESCALATED)
    with pytest.raises(ValidationError) as refused:
        dispute_decide(dispute=dispute, by=moderator_user(), freelancer_cents=HELD, rationale=" ")
    assert "rationale" in refused.value.message_dict
