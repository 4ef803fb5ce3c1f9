"""The money services, one rule at a time: what each person sees afterwards (statuses, balances,
notifications) and, when a call is refused, that nothing moved at all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import user_suspend
from contracts.invariants import money_problems
from contracts.models import Contract, ContractEvent, Milestone, RefundRequest, Submission
from contracts.services import (
    contract_end,
    milestone_add,
    milestone_approve,
    milestone_cancel,
    milestone_edit_accept,
    milestone_fund,
    milestone_refund_offer,
    milestone_refund_request,
    milestone_release_partial,
    milestone_removal_propose,
    milestone_request_changes,
    milestone_settle_split,
    milestone_submit,
    refund_request_accept,
    refund_request_decline,
)
from core.exceptions import DomainError, InvalidTransition, NotAllowed
from core.templatetags.core_tags import money
from notifications.models import Notification
from payments import accounts
from payments.fees import fee_breakdown
from payments.gateways import DECLINED_CARD, GatewayError
from payments.ledger import balance
from payments.models import GatewayOperation, LedgerTransaction, Payout
from payments.selectors import RELEASE_KINDS, earnings_for_user
from payments.services import clearances_due, payout_request
from tests.contracts.factories import (
    active_contract,
    available_of,
    escrow_of,
    funded_milestone,
    gateway_balance,
    milestone_of,
    money_snapshot,
    move_to,
    nothing_moves,
    pending_of,
    platform_fees,
    postings,
    run_gateway_calls,
    submitted_milestone,
    with_payout_account,
)
from tests.factories import UserFactory
from tests.marketplace.factories import in_days

pytestmark = pytest.mark.django_db

S = Milestone.Status


def notes(user, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("pk"))


def freeze(monkeypatch, moment):
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    return moment


# --- Funding ---------------------------------------------------------------------------------


def test_funding_holds_the_amount_in_escrow_and_tells_the_freelancer():
    # given an active contract whose first milestone is $400
    contract = active_contract(amounts=(400_00, 600_00))
    milestone = milestone_of(contract)
    # when the client funds it with the sandbox card
    milestone_fund(milestone=milestone, by=contract.client)
    # then the milestone is funded, its escrow holds $400, the card was charged once for $400
    milestone.refresh_from_db()
    assert milestone.status == S.FUNDED
    assert milestone.funded_at is not None
    assert escrow_of(milestone) == 400_00
    assert gateway_balance() == -400_00
    (charge,) = GatewayOperation.objects.all()
    assert (charge.kind, charge.amount_cents) == ("charge", 400_00)
    # under a key named by the milestone and the attempt, so a retried call is the same payment
    assert charge.idempotency_key == f"pay:milestone:{milestone.pk}:1"
    # and the freelancer is told they can start
    (note,) = notes(contract.freelancer, "milestone.funded")
    assert "$400.00" in note.title
    assert "You can start" in note.body
    # and the other milestone is untouched
    assert escrow_of(milestone_of(contract, 2)) == 0


def test_a_declined_card_moves_nothing_and_leaves_the_milestone_awaiting_funding():
    # given a milestone awaiting funding
    contract = active_contract()
    milestone = milestone_of(contract)
    # when the client pays with the sandbox's declined test card
    with nothing_moves(GatewayError) as declined:
        milestone_fund(milestone=milestone, by=contract.client, card_number="4000 0000 0000 0002")  # DECLINED_CARD
    # then they read that nothing was charged, and nothing moved anywhere
    assert "declined" in declined.value.message
    assert "Nothing was charged" in declined.value.message
    milestone.refresh_from_db()
    assert milestone.status == S.PENDING
    assert escrow_of(milestone) == 0
    # and the same milestone can then be funded with a good card
    milestone_fund(milestone=milestone, by=contract.client, card_number="4242424242424242")
    assert escrow_of(milestone) == milestone.amount_cents
    assert DECLINED_CARD.replace(" ", "") == "4000000000000002"


@pytest.mark.parametrize("who", ["freelancer", "stranger"])
def test_only_the_client_funds(who, other_user):
    contract = active_contract()
    milestone = milestone_of(contract)
    actor = contract.freelancer if who == "freelancer" else other_user
    with nothing_moves(DomainError):
        milestone_fund(milestone=milestone, by=actor)


def test_funding_twice_charges_once():
    # given a funded milestone
    milestone = funded_milestone()
    # when the client funds it again (a double click, a replayed request)
    with nothing_moves(InvalidTransition) as refused:
        milestone_fund(milestone=milestone, by=milestone.contract.client)
    # then they are told it is already funded, and nothing was charged again
    assert "already funded" in refused.value.message
    assert GatewayOperation.objects.filter(kind="charge").count() == 1


# --- Delivery ----------------------------------------------------------------------------------


def test_submitting_starts_the_review_clock_and_tells_the_client(monkeypatch):
    # given a funded milestone, at a known moment
    milestone = funded_milestone()
    now = freeze(monkeypatch, timezone.now().replace(microsecond=0))
    # when the freelancer delivers
    submission = milestone_submit(milestone=milestone, by=milestone.contract.freelancer, message="  The app.  ")
    # then the work is submitted and approved automatically AUTO_RELEASE_DAYS later unless the client acts
    milestone.refresh_from_db()
    assert milestone.status == S.SUBMITTED
    assert milestone.submitted_at == now
    assert milestone.auto_release_at == now + timedelta(days=settings.AUTO_RELEASE_DAYS)
    assert submission.message == "The app."
    # and the client is told the deadline and what happens then
    (note,) = notes(milestone.contract.client, "milestone.submitted")
    assert "Review it by" in note.body
    assert "released to the freelancer automatically" in note.body
    # and no money moved
    assert escrow_of(milestone) == milestone.amount_cents


def test_deadlines_in_notifications_are_in_the_recipients_timezone_not_the_senders():
    import zoneinfo

    from contracts.services import dispute_open

    # given a client in London and a freelancer delivering from Lagos (their request runs in Lagos time)
    milestone = funded_milestone()
    client, freelancer = milestone.contract.client, milestone.contract.freelancer
    type(client).objects.filter(pk=client.pk).update(timezone="Europe/London")
    client.refresh_from_db()
    with timezone.override(zoneinfo.ZoneInfo("Africa/Lagos")):
        milestone_submit(milestone=milestone, by=freelancer, message="Done.")
        milestone.refresh_from_db()
        london = timezone.localtime(milestone.auto_release_at, zoneinfo.ZoneInfo("Europe/London"))
        dispute_open(milestone=milestone, by=freelancer, reason="not_approved", description="No answer.", asked_cents=1)
    # then the client reads the review deadline and the dispute's deadline in London time
    (delivered,) = notes(client, "milestone.submitted")
    assert f"Review it by {london.day} {london:%b %Y, %H:%M} {london.tzname()}." in delivered.body
    assert "WAT" not in delivered.body
    (disputed,) = notes(client, "dispute.opened")
    assert f" {london.tzname()}," in disputed.body and "WAT" not in disputed.body


def test_an_empty_delivery_is_refused():
    milestone = funded_milestone()
    with nothing_moves(ValidationError) as refused:
        milestone_submit(milestone=milestone, by=milestone.contract.freelancer, message="   ")
    assert "message" in refused.value.message_dict
    assert not Submission.objects.exists()


def test_change_rounds_are_capped_and_the_refusal_says_what_to_do_instead():
    # given a contract with two change rounds per milestone and delivered work
    milestone = submitted_milestone(change_rounds=2)
    client, freelancer = milestone.contract.client, milestone.contract.freelancer
    # when the client asks for changes twice, with the freelancer resubmitting each time
    for round_number in (1, 2):
        milestone_request_changes(milestone=milestone, by=client, reason=f"Round {round_number}: fix the export.")
        milestone.refresh_from_db()
        assert milestone.status == S.CHANGES_REQUESTED
        assert milestone.auto_release_at is None  # the clock stops while the freelancer works
        assert milestone.rounds_left == 2 - round_number
        milestone_submit(milestone=milestone, by=freelancer, message=f"Version {round_number + 1}")
    # then the freelancer was told each time, with the rounds left
    first, second = (n.body for n in notes(freelancer, "milestone.changes_requested"))
    assert "1 change round left after this one" in first
    assert "That was the last change round" in second
    # when the client asks a third time
    with nothing_moves(DomainError) as refused:
        milestone_request_changes(milestone=milestone, by=client, reason="One more thing.")
    # then it is refused with the ways forward, and the work stays submitted
    message = refused.value.message
    assert "all 2 change rounds" in message
    assert "Approve it" in message
    assert "change-order milestone" in message
    assert "refund" in message
    milestone.refresh_from_db()
    assert milestone.status == S.SUBMITTED


def test_a_change_request_needs_a_reason():
    milestone = submitted_milestone()
    with nothing_moves(ValidationError):
        milestone_request_changes(milestone=milestone, by=milestone.contract.client, reason="  ")


# --- Approval ---------------------------------------------------------------------------------


def test_approval_releases_escrow_to_pending_less_the_fee():
    # given delivered work on a $400 milestone and a 10% fee
    milestone = submitted_milestone(amounts=(400_00,))
    contract = milestone.contract
    # when the client approves it
    milestone_approve(milestone=milestone, by=contract.client)
    # then the freelancer's pending balance shows $360, the platform kept $40, escrow is empty
    milestone.refresh_from_db()
    assert (milestone.status, milestone.released_cents, milestone.held_cents) == (S.RELEASED, 400_00, 0)
    assert milestone.auto_release_at is None
    assert escrow_of(milestone) == 0
    assert earnings_for_user(contract.freelancer) == {"pending": 360_00, "available": 0}
    assert platform_fees() == 40_00
    # and the freelancer reads what they got and when it becomes available
    (note,) = notes(contract.freelancer, "milestone.released")
    assert "$360.00 (after a $40.00 fee)" in note.body
    assert f"available in {settings.CLEARANCE_DAYS} days" in note.body


def test_approving_twice_releases_once():
    milestone = submitted_milestone()
    client = milestone.contract.client
    milestone_approve(milestone=milestone, by=client)
    with nothing_moves(InvalidTransition):
        milestone_approve(milestone=milestone, by=client)
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.RELEASE).count() == 1


def test_the_freelancer_cannot_approve_their_own_work():
    milestone = submitted_milestone()
    with nothing_moves(DomainError) as refused:
        milestone_approve(milestone=milestone, by=milestone.contract.freelancer)
    assert "Only the client" in refused.value.message


# --- Partial release --------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [400_00, 400_01, 0, -1, 12.5, True, "100"])
def test_a_partial_release_must_be_a_whole_amount_below_what_is_held(amount):
    # given a funded $400 milestone
    milestone = funded_milestone(amounts=(400_00,))
    # when the client tries to release all of it, more, nothing, a negative or a fractional amount
    with nothing_moves(ValidationError) as refused:
        milestone_release_partial(milestone=milestone, by=milestone.contract.client, amount_cents=amount)
    # then the amount field says why, and nothing moved
    assert "amount" in refused.value.message_dict


def test_a_partial_release_pays_part_and_the_rest_stays_held_until_approval():
    # given a funded $400 milestone
    milestone = funded_milestone(amounts=(400_00,))
    contract = milestone.contract
    # when the client releases $100 early (the form they confirmed carries its intent key)
    milestone_release_partial(milestone=milestone, by=contract.client, amount_cents=100_00, intent="first-part")
    # then $300 is still held, the freelancer has $90 pending, and is told both figures
    milestone.refresh_from_db()
    assert (milestone.status, milestone.held_cents, escrow_of(milestone)) == (S.FUNDED, 300_00, 300_00)
    assert pending_of(contract.freelancer) == 90_00
    (note,) = notes(contract.freelancer, "milestone.released")
    assert "$90.00 after a $10.00 fee; $300.00 is still held" in note.body
    # when a second part of $50 is released, then approval releases the last $250
    milestone_release_partial(milestone=milestone, by=contract.client, amount_cents=50_00, intent="second-part")
    milestone_approve(milestone=milestone, by=contract.client)
    milestone.refresh_from_db()
    assert (milestone.status, milestone.released_cents, escrow_of(milestone)) == (S.RELEASED, 400_00, 0)
    assert pending_of(contract.freelancer) == 360_00
    assert platform_fees() == 40_00
    assert [txn.idempotency_key for txn in LedgerTransaction.objects.exclude(kind="fund").order_by("pk")] == [
        f"release-part:{milestone.pk}:first-part",
        f"release-part:{milestone.pk}:second-part",
        f"release:{milestone.pk}",
    ]


@pytest.mark.parametrize("service", ["release_partial", "refund_offer"])
def test_a_partial_move_is_keyed_by_its_intent_so_a_replay_moves_money_once(service):
    # given a funded $400 milestone
    milestone = funded_milestone(amounts=(400_00,))
    contract = milestone.contract
    prefix = "release-part" if service == "release_partial" else "refund:offer"

    def send(intent: str = ""):
        if service == "release_partial":
            return milestone_release_partial(milestone=milestone, by=contract.client, amount_cents=50_00, intent=intent)
        return milestone_refund_offer(milestone=milestone, by=contract.freelancer, amount_cents=50_00, intent=intent)

    # when the same confirmed form is sent twice
    send("form-key-1")
    send("form-key-1")
    # then $50 moved once, under the form's key
    milestone.refresh_from_db()
    assert milestone.held_cents == 350_00 and escrow_of(milestone) == 350_00
    keys = list(LedgerTransaction.objects.exclude(kind="fund").values_list("idempotency_key", flat=True))
    assert keys == [f"{prefix}:{milestone.pk}:form-key-1"]
    # when two calls come without an intent (an API request without an Idempotency-Key)
    send()
    send()
    # then each is a request of its own, with a key of its own, not a count of earlier ones
    milestone.refresh_from_db()
    assert milestone.held_cents == 250_00 and escrow_of(milestone) == 250_00
    keys = list(LedgerTransaction.objects.exclude(kind="fund").order_by("pk").values_list("idempotency_key", flat=True))
    assert len(set(keys)) == 3
    assert all(key.startswith(f"{prefix}:{milestone.pk}:") for key in keys)
    assert not any(key.endswith((":1", ":2", ":3")) for key in keys)
    assert money_problems() == []


# --- Refunds ----------------------------------------------------------------------------------


def test_a_refund_request_accepted_sends_the_money_back_once():
    # given delivered work on a funded $400 milestone
    milestone = submitted_milestone(amounts=(400_00,))
    contract = milestone.contract
    # when the client asks for all of it back
    request = milestone_refund_request(milestone=milestone, by=contract.client, reason="We cancelled the project.")
    # then the freelancer is asked, and the money is still held
    (asked,) = notes(contract.freelancer, "milestone.refund_requested")
    assert "$400.00" in asked.title
    assert escrow_of(milestone) == 400_00
    # when the freelancer agrees
    refund_request_accept(request=request, by=contract.freelancer)
    # then the milestone is refunded, escrow is empty, the card gets $400 back, and the client is told
    milestone.refresh_from_db()
    assert (milestone.status, milestone.refunded_cents, escrow_of(milestone)) == (S.REFUNDED, 400_00, 0)
    assert milestone.auto_release_at is None
    assert gateway_balance() == 0
    assert postings("refund", milestone.ledger_reference) == [
        {accounts.escrow(milestone.ledger_reference): -400_00, accounts.GATEWAY: 400_00}
    ]
    (refunded,) = notes(contract.client, "milestone.refunded")
    assert "Refunded $400.00" in refunded.title
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.ACCEPTED
    # when the freelancer's click is replayed, then nothing moves again
    with nothing_moves(InvalidTransition):
        refund_request_accept(request=request, by=contract.freelancer)


def test_a_partial_refund_request_accepted_keeps_the_rest_held():
    milestone = funded_milestone(amounts=(400_00,))
    contract = milestone.contract
    request = milestone_refund_request(milestone=milestone, by=contract.client, amount_cents=150_00)
    refund_request_accept(request=request, by=contract.freelancer)
    milestone.refresh_from_db()
    assert (milestone.status, milestone.held_cents, escrow_of(milestone)) == (S.FUNDED, 250_00, 250_00)
    (refunded,) = notes(contract.client, "milestone.refunded")
    assert "$250.00 is still held" in refunded.body


def test_a_declined_refund_request_keeps_the_money_held():
    milestone = funded_milestone()
    contract = milestone.contract
    request = milestone_refund_request(milestone=milestone, by=contract.client)
    ledger_before = money_snapshot()["transactions"]
    refund_request_decline(request=request, by=contract.freelancer, reason="The work is nearly done.")
    request.refresh_from_db()
    milestone.refresh_from_db()
    assert request.status == RefundRequest.Status.DECLINED
    assert (milestone.status, escrow_of(milestone)) == (S.FUNDED, milestone.amount_cents)
    assert money_snapshot()["transactions"] == ledger_before
    (told,) = notes(contract.client, "milestone.refund_requested")
    assert "declined" in told.title
    assert told.body == "The work is nearly done."
    # and the client may ask again now that nothing is pending
    milestone_refund_request(milestone=milestone, by=contract.client)


def test_only_one_refund_request_waits_at_a_time():
    milestone = funded_milestone()
    client = milestone.contract.client
    milestone_refund_request(milestone=milestone, by=client)
    with nothing_moves(DomainError) as refused:
        milestone_refund_request(milestone=milestone, by=client, amount_cents=10_00)
    assert "already waiting" in refused.value.message


def test_the_freelancer_can_refund_part_then_the_rest():
    # given a funded $400 milestone
    milestone = funded_milestone(amounts=(400_00,))
    contract = milestone.contract
    # when the freelancer gives $100 back
    milestone_refund_offer(milestone=milestone, by=contract.freelancer, amount_cents=100_00)
    milestone.refresh_from_db()
    assert (milestone.status, milestone.held_cents, escrow_of(milestone)) == (S.FUNDED, 300_00, 300_00)
    # when they then give back all that is left
    milestone_refund_offer(milestone=milestone, by=contract.freelancer, amount_cents=300_00)
    # then the milestone is refunded in full, in two refunds, and nobody earned anything
    milestone.refresh_from_db()
    assert (milestone.status, milestone.refunded_cents, escrow_of(milestone)) == (S.REFUNDED, 400_00, 0)
    assert [p[accounts.GATEWAY] for p in postings("refund", milestone.ledger_reference)] == [100_00, 300_00]
    # and the card gets both back once the outbox has made the calls
    assert GatewayOperation.objects.filter(kind="refund").count() == 0
    assert run_gateway_calls() == 2
    assert sorted(GatewayOperation.objects.filter(kind="refund").values_list("amount_cents", flat=True)) == [
        100_00,
        300_00,
    ]
    assert pending_of(contract.freelancer) == 0
    assert len(notes(contract.client, "milestone.refunded")) == 2


def test_a_refund_above_what_is_held_is_refused():
    milestone = funded_milestone(amounts=(400_00,))
    with nothing_moves(ValidationError):
        milestone_refund_offer(milestone=milestone, by=milestone.contract.freelancer, amount_cents=400_01)
    with nothing_moves(ValidationError):
        milestone_refund_request(milestone=milestone, by=milestone.contract.client, amount_cents=400_01)


# --- Change orders, cancelling, ending --------------------------------------------------------


def test_a_change_order_is_added_unfunded_and_funded_like_any_milestone():
    contract = active_contract()
    milestone = milestone_add(
        contract=contract, by=contract.client, title="Extra report", amount_cents=250_00, due_date=in_days(5)
    )
    assert (milestone.status, milestone.is_change_order, milestone.position) == (S.PENDING, True, 3)
    assert escrow_of(milestone) == 0
    milestone_fund(milestone=milestone, by=contract.client)
    assert escrow_of(milestone) == 250_00


def test_a_change_order_on_an_ended_contract_is_refused():
    # given a contract that was ended (nothing was ever funded)
    contract = active_contract()
    contract_end(contract=contract, by=contract.client)
    # when the client tries to add a milestone
    with nothing_moves(InvalidTransition) as refused:
        milestone_add(contract=contract, by=contract.client, title="More", amount_cents=100_00, due_date=in_days(5))
    # then it is refused and nothing was added
    assert "ended" in refused.value.message
    assert contract.milestones.count() == 2


@pytest.mark.parametrize("amount", [0, -100, 10.5, settings.MILESTONE_MAX_CENTS + 1, settings.MILESTONE_MIN_CENTS - 1])
def test_a_change_order_amount_must_be_within_limits(amount):
    contract = active_contract()
    with nothing_moves(ValidationError):
        milestone_add(contract=contract, by=contract.client, title="More", amount_cents=amount, due_date=in_days(5))


def test_a_paid_test_stays_small_and_short_through_change_orders(settings):
    # given a $300 paid test
    contract = active_contract(amounts=(300_00,), test_project=True)
    # when the client adds $201 of change orders, or one due later than the test's window
    with nothing_moves(ValidationError) as over_cap:
        milestone_add(contract=contract, by=contract.client, title="Extra", amount_cents=200_01, due_date=in_days(5))
    late = in_days(settings.TEST_PROJECT_MAX_DAYS + 1)
    with nothing_moves(ValidationError) as too_late:
        milestone_add(contract=contract, by=contract.client, title="Extra", amount_cents=50_00, due_date=late)
    # then each is refused with the way forward, and nothing was added
    assert "continue with this freelancer" in over_cap.value.message_dict["amount"][0]
    assert f"within {settings.TEST_PROJECT_MAX_DAYS} days" in too_late.value.message_dict["due_date"][0]
    assert contract.milestones.count() == 1
    # while up to the cap in all, within the window, is fine
    added = milestone_add(
        contract=contract, by=contract.client, title="Extra", amount_cents=200_00, due_date=in_days(7)
    )
    assert added.amount_cents == 200_00


def test_only_unfunded_milestones_can_be_removed_and_agreed_ones_only_by_agreement():
    contract = active_contract()
    funded, unfunded = milestone_of(contract, 1), milestone_of(contract, 2)
    milestone_fund(milestone=funded, by=contract.client)
    before = money_snapshot()
    with pytest.raises(InvalidTransition) as refused:
        milestone_cancel(milestone=funded, by=contract.client)
    assert "Ask for a refund" in refused.value.message
    assert money_snapshot() == before
    # neither side drops a milestone of the agreed terms alone
    for party in (contract.client, contract.freelancer):
        with pytest.raises(DomainError, match="removed by agreement"):
            milestone_cancel(milestone=unfunded, by=party)
    unfunded.refresh_from_db()
    assert unfunded.status == S.PENDING
    # one proposes removing it, the other is told and agrees, and the proposer hears back
    edit = milestone_removal_propose(milestone=unfunded, by=contract.client)
    (asked,) = Notification.objects.filter(recipient=contract.freelancer, title__contains="proposes removing")
    assert "stays in the contract unless you accept" in asked.body
    with pytest.raises(DomainError):
        milestone_edit_accept(edit=edit, by=contract.client)  # not the proposer's to accept
    milestone_edit_accept(edit=edit, by=contract.freelancer)
    unfunded.refresh_from_db()
    assert unfunded.status == S.CANCELLED
    assert Notification.objects.filter(recipient=contract.client, title__contains="agreed to remove").count() == 1
    assert money_snapshot()["transactions"] == before["transactions"]


def test_the_freelancer_declines_a_change_order_and_the_client_is_told():
    contract = active_contract()
    order = milestone_add(
        contract=contract, by=contract.client, title="Extra page", amount_cents=200_00, due_date=timezone.localdate()
    )
    milestone_cancel(milestone=order, by=contract.freelancer)
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert Notification.objects.filter(recipient=contract.client, title__startswith="Milestone removed").count() == 1


def test_a_contract_cannot_end_while_money_is_held_and_ends_completed_after():
    # given a contract whose first milestone is delivered (held) and second never funded
    contract = active_contract()
    first = milestone_of(contract, 1)
    move_to(first, S.SUBMITTED)
    # when the freelancer tries to end it, then they are told what is held and what to do
    with nothing_moves(DomainError) as refused:
        contract_end(contract=contract, by=contract.freelancer)
    assert "Money is still held for “Milestone 1”" in refused.value.message
    # when the client approves, then either side can end it: ended early, since the second milestone
    # was never done (it is removed)
    milestone_approve(milestone=first, by=contract.client)
    contract = contract_end(contract=contract, by=contract.client)
    assert (contract.status, contract.end_reason) == (Contract.Status.ENDED, Contract.EndReason.CANCELLED)
    assert milestone_of(contract, 2).status == S.CANCELLED
    (note,) = notes(contract.freelancer, "contract.ended")
    assert "ended early" in note.body


def test_a_contract_whose_every_milestone_was_paid_ends_completed():
    contract = active_contract()
    for milestone in contract.milestones.order_by("position"):
        move_to(milestone, S.RELEASED)
    contract = contract_end(contract=contract, by=contract.freelancer)
    assert (contract.status, contract.end_reason) == (Contract.Status.ENDED, Contract.EndReason.COMPLETED)
    (note,) = notes(contract.client, "contract.ended")
    assert "completed" in note.body


def test_a_contract_with_nothing_paid_ends_early():
    contract = active_contract()
    contract = contract_end(contract=contract, by=contract.client)
    assert contract.end_reason == Contract.EndReason.CANCELLED
    assert set(contract.milestones.values_list("status", flat=True)) == {S.CANCELLED}
    assert ContractEvent.objects.filter(contract=contract, verb="removed").count() == 2


# --- Clearance and payouts --------------------------------------------------------------------


def test_released_money_clears_after_the_clearance_period_once():
    # given a $400 approval (pending $360)
    milestone = submitted_milestone(amounts=(400_00,))
    freelancer = milestone.contract.freelancer
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    release = LedgerTransaction.objects.get(kind=LedgerTransaction.Kind.RELEASE)
    # when the clearance task runs a minute before the period ends, then nothing clears
    period = timedelta(days=settings.CLEARANCE_DAYS)
    assert clearances_due(now=release.created_at + period - timedelta(minutes=1)) == 0
    assert earnings_for_user(freelancer) == {"pending": 360_00, "available": 0}
    # when it runs after the period, then the $360 becomes available
    assert clearances_due(now=release.created_at + period) == 1
    assert earnings_for_user(freelancer) == {"pending": 0, "available": 360_00}
    # when it runs again, then nothing clears twice
    before = money_snapshot()
    assert clearances_due(now=release.created_at + period * 2) == 0
    assert money_snapshot() == before
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.CLEAR).count() == 1


def _cleared_freelancer(amount=400_00):
    milestone = submitted_milestone(amounts=(amount,))
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    clearances_due(now=timezone.now() + timedelta(days=settings.CLEARANCE_DAYS, minutes=1))
    return milestone.contract.freelancer


def test_a_payout_takes_available_money_to_the_gateway():
    freelancer = _cleared_freelancer()
    with_payout_account(freelancer)
    payout = payout_request(freelancer=freelancer, amount_cents=300_00, key="withdraw-1")
    # the ledger moved it at once; the transfer follows from the outbox
    assert (payout.status, payout.amount_cents) == (Payout.Status.SENDING, 300_00)
    assert run_gateway_calls() == 1
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert payout.gateway_reference.startswith("tr_sandbox_")
    assert "•••• 6789" in payout.destination
    assert earnings_for_user(freelancer) == {"pending": 0, "available": 60_00}


@pytest.mark.parametrize("amount", [360_01, 0, -5])
def test_a_payout_above_what_is_available_is_refused(amount):
    # given $360 available
    freelancer = _cleared_freelancer()
    # when the freelancer asks for more (or nothing)
    with nothing_moves(DomainError) as refused:
        payout_request(freelancer=freelancer, amount_cents=amount, key="too-much")
    # then the amount field says why and nothing moved
    assert refused.value.field == "amount"


def test_pending_money_cannot_be_withdrawn_yet():
    milestone = submitted_milestone(amounts=(400_00,))
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    with nothing_moves(DomainError) as refused:
        payout_request(freelancer=milestone.contract.freelancer, amount_cents=1, key="early")
    # the refusal says what is available, what is clearing, and when the next part can be withdrawn
    pending = earnings_for_user(milestone.contract.freelancer)["pending"]
    released = LedgerTransaction.objects.filter(kind__in=RELEASE_KINDS).get().created_at
    clears = timezone.localtime(released + timedelta(days=settings.CLEARANCE_DAYS))
    assert refused.value.message == (
        f"You can withdraw at most $0.00 now. {money(pending)} is still clearing: the next {money(pending)} "
        f"becomes available on {clears.day} {clears:%b %Y, %H:%M} UTC, {settings.CLEARANCE_DAYS} days after it "
        "was released."
    )


def test_a_payout_above_what_is_available_with_nothing_clearing_says_so():
    freelancer = _cleared_freelancer()
    with nothing_moves(DomainError) as refused:
        payout_request(freelancer=freelancer, amount_cents=360_01, key="too-much")
    assert refused.value.message == (
        "You can withdraw at most $360.00: that is all that is available now, and nothing is clearing."
    )


# --- Suspended people ---------------------------------------------------------------------------


def test_a_suspended_client_cannot_fund_or_approve(moderator):
    contract = active_contract()
    first, second = milestone_of(contract, 1), milestone_of(contract, 2)
    move_to(first, S.SUBMITTED)
    user_suspend(user=contract.client, by=moderator, reason="Chargeback under review.")
    with nothing_moves(DomainError) as refused:
        milestone_fund(milestone=second, by=contract.client)
    assert "suspended" in refused.value.message
    with nothing_moves(DomainError):
        milestone_approve(milestone=first, by=contract.client)
    with nothing_moves(DomainError):
        milestone_release_partial(milestone=first, by=contract.client, amount_cents=10_00)


def test_a_suspended_freelancer_still_withdraws_what_they_earned_but_cannot_move_held_money(moderator):
    freelancer = with_payout_account(_cleared_freelancer())
    milestone = funded_milestone(freelancer=freelancer)
    user_suspend(user=freelancer, by=moderator, reason="Identity check.")
    with nothing_moves(DomainError) as refused:
        milestone_refund_offer(milestone=milestone, by=freelancer, amount_cents=10_00)
    assert "suspended" in refused.value.message
    # what they already earned is theirs: the withdrawal goes through
    payout = payout_request(freelancer=freelancer, amount_cents=10_00, key="suspended")
    assert (payout.amount_cents, payout.status) == (10_00, Payout.Status.SENDING)
    assert earnings_for_user(freelancer)["available"] == 360_00 - 10_00


# --- Fees through the services ----------------------------------------------------------------


def _second_after_the_first_is_paid(first_cents: int, second_cents: int) -> Milestone:
    """The funded second milestone of a contract whose funded first milestone was approved."""
    contract = active_contract(amounts=(first_cents, second_cents))
    first, second = milestone_of(contract, 1), milestone_of(contract, 2)
    for milestone in (first, second):
        milestone_fund(milestone=milestone, by=contract.client)
    milestone_approve(milestone=first, by=contract.client)
    return second


def test_the_fee_tier_boundary_is_split_at_release():
    # given a client and freelancer whose first milestone of $9,950 is approved (10% fee: $995)
    second = _second_after_the_first_is_paid(9_950_00, 100_00)
    contract = second.contract
    assert platform_fees() == 995_00
    # when the next $100 is approved, crossing the $10,000 tier
    milestone_approve(milestone=second, by=contract.client)
    # then $50 pays 10% and $50 pays 5%: a $7.50 fee, $92.50 to the freelancer
    assert platform_fees() == 995_00 + 7_50
    assert pending_of(contract.freelancer) == (9_950_00 - 995_00) + 92_50


def test_a_partial_release_across_the_tier_boundary_pays_each_rate_on_its_part():
    # given $9,900 already paid between this client and freelancer
    second = _second_after_the_first_is_paid(9_900_00, 1_000_00)
    contract = second.contract
    # when $300 of the next milestone is released early, then $100 pays 10% and $200 pays 5%
    milestone_release_partial(milestone=second, by=contract.client, amount_cents=300_00)
    assert platform_fees() == 990_00 + 10_00 + 10_00
    # and the rest, approved later, pays 5%
    milestone_approve(milestone=second, by=contract.client)
    assert platform_fees() == 990_00 + 20_00 + 35_00
    assert pending_of(contract.freelancer) == 10_900_00 - 1_045_00


def test_below_the_tier_boundary_every_release_pays_ten_percent():
    contract = active_contract(amounts=(1_000_00, 333_35))
    for milestone in contract.milestones.all():
        milestone_fund(milestone=milestone, by=contract.client)
        milestone_approve(milestone=milestone, by=contract.client)
    # 10% of $1,000 is $100; 10% of $333.35 is $33.335, rounded half up to $33.34
    assert platform_fees() == 100_00 + 33_34
    assert pending_of(contract.freelancer) == 1_333_35 - 133_34
    assert available_of(contract.freelancer) == 0


# --- Settling a disputed milestone by a split (the ledger move the Disputes capability uses) ----


def disputed(amount_cents: int = 500_00) -> Milestone:
    contract = active_contract(amounts=(amount_cents,))
    return move_to(milestone_of(contract, 1), S.DISPUTED)


@pytest.mark.parametrize(
    ("to_freelancer", "status"),
    [(300_00, S.RELEASED), (500_00, S.RELEASED), (0, S.REFUNDED)],
)
def test_a_split_settles_a_disputed_milestone_once_in_one_transaction(to_freelancer, status):
    # given a $500 milestone in dispute and a staff member who decided how it splits
    milestone = disputed()
    contract = milestone.contract
    staff = UserFactory(is_staff=True)
    # when they settle it
    milestone_settle_split(
        milestone=milestone, by=staff, freelancer_cents=to_freelancer, note="Half the work met the criteria."
    )
    # then the freelancer's part is pending (less the fee), the rest went back to the card, nothing is held
    milestone.refresh_from_db()
    to_client = 500_00 - to_freelancer
    assert (milestone.status, milestone.released_cents, milestone.refunded_cents) == (status, to_freelancer, to_client)
    assert escrow_of(milestone) == 0
    fees = fee_breakdown(amount_cents=to_freelancer, billed_before_cents=0)
    assert balance(accounts.pending(contract.freelancer_id)) == fees.freelancer_net_cents
    (split,) = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.SPLIT)
    assert split.idempotency_key == f"split:{milestone.pk}"
    run_gateway_calls()
    refunds = GatewayOperation.objects.filter(kind=GatewayOperation.Kind.REFUND)
    assert [op.amount_cents for op in refunds] == ([to_client] if to_client else [])
    assert money_problems() == []
    # and settling it again moves nothing
    with nothing_moves(InvalidTransition):
        milestone_settle_split(milestone=milestone, by=staff, freelancer_cents=to_freelancer)


def test_only_staff_split_only_a_disputed_milestone_and_only_what_it_holds():
    milestone = disputed()
    contract = milestone.contract
    staff = UserFactory(is_staff=True)
    before = money_snapshot()
    for party in (contract.client, contract.freelancer):
        with pytest.raises(NotAllowed):
            milestone_settle_split(milestone=milestone, by=party, freelancer_cents=100_00)
    for amount in (-1, 500_01, 10.5, True):
        with pytest.raises(ValidationError):
            milestone_settle_split(milestone=milestone, by=staff, freelancer_cents=amount)
    funded = move_to(milestone_of(active_contract(amounts=(200_00,)), 1), S.FUNDED)
    with pytest.raises(InvalidTransition):
        milestone_settle_split(milestone=funded, by=staff, freelancer_cents=100_00)
    assert money_snapshot()["transactions"] == before["transactions"] + [
        t for t in money_snapshot()["transactions"] if t not in before["transactions"] and t[1] == "fund"
    ]
