"""Stripe calls that fail, against the fake Stripe's injected faults: "before" Stripe acted (nothing
happened there) or "after" (Stripe acted and the answer was lost). The outbox keeps the call
pending and its sweeper retries it with the same key, so there is one transfer, one refund, one
PaymentIntent however the first call ended; the payments sweeper settles a payment left processing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contracts.models import Milestone
from contracts.services import (
    contract_end,
    milestone_edit_propose,
    milestone_fund,
    milestone_refund_offer,
    milestone_removal_propose,
)
from core.exceptions import InvalidTransition
from payments.models import GatewayCall, Payment, Payout
from payments.outbox import calls_sweep
from payments.services import payout_request
from tests.contracts.factories import available_of, escrow_of, milestone_of
from tests.helpers import browser_for
from tests.marketplace.factories import in_days
from tests.payments.stripe_support import (
    about,
    deliver_event,
    earned_on_stripe,
    funded_on_stripe,
    payment_of,
    ready_payout_account,
    settle_payments,
    stripe_contract,
)

pytestmark = [pytest.mark.django_db, pytest.mark.stripe]


def in_minutes(minutes: int):
    return timezone.now() + timedelta(minutes=minutes)


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_transfer_whose_call_failed_is_completed_by_the_sweeper_as_one_transfer(
    on_stripe, when, django_capture_on_commit_callbacks
):
    freelancer = earned_on_stripe().contract.freelancer
    ready_payout_account(freelancer)
    amount = available_of(freelancer)
    on_stripe.fail_next("POST", "/v1/transfers", when)

    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_request(freelancer=freelancer, amount_cents=amount, key="withdraw-1")

    call = GatewayCall.objects.get(kind=GatewayCall.Kind.TRANSFER)
    payout.refresh_from_db()
    assert call.status == GatewayCall.Status.PENDING and call.attempts == 1
    assert call.last_error.startswith("No answer from the processor")
    assert payout.status == Payout.Status.SENDING
    assert on_stripe.count("/v1/transfers") == (1 if when == "after" else 0)
    assert calls_sweep() == 0  # not due yet: it backs off

    assert calls_sweep(now=in_minutes(2)) == 1

    call.refresh_from_db()
    payout.refresh_from_db()
    assert on_stripe.count("/v1/transfers") == 1
    assert call.status == GatewayCall.Status.DONE and call.result_id == on_stripe.ids("/v1/transfers")[0]
    assert payout.status == Payout.Status.PAID and available_of(freelancer) == 0
    assert calls_sweep(now=in_minutes(60)) == 0


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_refund_whose_call_failed_is_completed_by_the_sweeper_as_one_refund(
    on_stripe, when, django_capture_on_commit_callbacks
):
    milestone = funded_on_stripe()
    on_stripe.fail_next("POST", "/v1/refunds", when)

    with django_capture_on_commit_callbacks(execute=True):
        milestone_refund_offer(milestone=milestone, by=milestone.contract.freelancer, amount_cents=120_00)

    call = GatewayCall.objects.get(kind=GatewayCall.Kind.REFUND)
    assert call.status == GatewayCall.Status.PENDING and call.last_error.startswith("No answer from the processor")
    assert on_stripe.count("/v1/refunds") == (1 if when == "after" else 0)

    calls_sweep(now=in_minutes(2))

    call.refresh_from_db()
    assert call.status == GatewayCall.Status.DONE
    assert on_stripe.ids("/v1/refunds") == [call.result_id]
    assert on_stripe.client().v1.refunds.retrieve(call.result_id).amount == 120_00
    assert escrow_of(milestone) == milestone.amount_cents - 120_00


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_payment_whose_call_failed_stays_processing_until_the_sweeper_settles_it_with_one_intent(on_stripe, when):
    contract = stripe_contract()
    milestone = milestone_of(contract)
    on_stripe.fail_next("POST", "/v1/payment_intents", when)

    milestone_fund(milestone=milestone, by=contract.client)

    milestone.refresh_from_db()
    payment = payment_of(milestone)
    assert milestone.status == Milestone.Status.PENDING
    assert payment.status == Payment.Status.PROCESSING and payment.intent_id == ""
    assert on_stripe.count("/v1/payment_intents") == (1 if when == "after" else 0)

    assert settle_payments() == 1

    milestone.refresh_from_db()
    payment.refresh_from_db()
    assert on_stripe.count("/v1/payment_intents") == 1
    assert payment.status == Payment.Status.SUCCEEDED and payment.intent_id == on_stripe.ids("/v1/payment_intents")[0]
    assert milestone.status == Milestone.Status.FUNDED and escrow_of(milestone) == milestone.amount_cents
    assert settle_payments() == 0


def test_a_milestone_whose_payment_is_processing_cannot_be_changed_removed_or_ended_with_its_contract(on_stripe):
    # given a milestone paid by card whose answer from Stripe was lost: the payment is processing
    contract = stripe_contract()
    milestone = milestone_of(contract)
    on_stripe.fail_next("POST", "/v1/payment_intents", "after")
    milestone_fund(milestone=milestone, by=contract.client)
    assert payment_of(milestone).status == Payment.Status.PROCESSING
    # when either side tries to change its terms, remove it, or end the contract meanwhile
    attempts = [
        lambda: milestone_edit_propose(
            milestone=milestone, by=contract.freelancer, title="More", amount_cents=999_00, due_date=in_days(30)
        ),
        lambda: milestone_removal_propose(milestone=milestone, by=contract.client),
        lambda: contract_end(contract=contract, by=contract.client),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidTransition) as refused:
            attempt()
        # then each is told the payment is processing, and nothing changed
        assert "is processing" in refused.value.message
    contract.refresh_from_db()
    assert contract.is_active and not milestone.edits.exists()
    # and once the sweeper has settled the payment, the milestone is funded as paid
    assert settle_payments() == 1
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.FUNDED and escrow_of(milestone) == milestone.amount_cents


def test_a_payment_whose_answer_was_lost_is_found_by_its_webhook_through_its_key(on_stripe, webhook_receiver):
    contract = stripe_contract()
    milestone = milestone_of(contract)
    on_stripe.fail_next("POST", "/v1/payment_intents", "after")
    milestone_fund(milestone=milestone, by=contract.client)
    intent_id = on_stripe.ids("/v1/payment_intents")[0]

    deliver_event(browser_for(contract.client), webhook_receiver, "payment_intent.succeeded", about(intent_id))

    payment = payment_of(milestone)
    milestone.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED and payment.intent_id == intent_id
    assert milestone.status == Milestone.Status.FUNDED
    assert Payment.objects.count() == 1
