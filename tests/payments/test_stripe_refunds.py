"""Refunds with the Stripe gateway, against the fake Stripe: the ledger gives the money back at
once, and Stripe's Refund on the PaymentIntent follows after commit from the outbox, for the
amounts the ledger says; a refund above what is left is refused here and never reaches Stripe."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from contracts.models import Milestone
from contracts.services import milestone_refund_offer, milestone_refund_request, refund_request_accept
from core.exceptions import DomainError
from notifications.models import Notification
from payments.models import GatewayCall, LedgerTransaction, Payment
from payments.outbox import refund_enqueue
from tests.contracts.factories import escrow_of, nothing_moves
from tests.payments.stripe_support import funded_on_stripe, payment_of

pytestmark = [pytest.mark.django_db, pytest.mark.stripe]


def refunds_at_stripe(stripe_api, payment: Payment) -> list[int]:
    listed = stripe_api.client().v1.refunds.list(params={"payment_intent": payment.intent_id, "limit": 100})
    return sorted(refund.amount for refund in listed.data)


def ledger_refunds(milestone: Milestone) -> list[int]:
    return sorted(
        -amount
        for txn in LedgerTransaction.objects.filter(
            kind=LedgerTransaction.Kind.REFUND, reference=milestone.ledger_reference
        )
        for account, amount in txn.entries.values_list("account", "amount_cents")
        if account.startswith("escrow:")
    )


def test_a_full_refund_becomes_one_stripe_refund_of_the_milestone_amount_after_commit(
    on_stripe, django_capture_on_commit_callbacks
):
    milestone = funded_on_stripe()
    payment = payment_of(milestone)

    with django_capture_on_commit_callbacks(execute=True):
        milestone_refund_offer(
            milestone=milestone, by=milestone.contract.freelancer, amount_cents=milestone.amount_cents
        )
        assert on_stripe.count("/v1/refunds") == 0  # nothing is sent before the commit

    milestone.refresh_from_db()
    call = GatewayCall.objects.get(kind=GatewayCall.Kind.REFUND)
    assert milestone.status == Milestone.Status.REFUNDED and escrow_of(milestone) == 0
    assert call.status == GatewayCall.Status.DONE and call.result_id.startswith("re_")
    assert refunds_at_stripe(on_stripe, payment) == ledger_refunds(milestone) == [milestone.amount_cents]
    assert on_stripe.ids("/v1/refunds") == [call.result_id]
    refund = on_stripe.client().v1.refunds.retrieve(call.result_id)
    assert refund.metadata["call_key"] == call.idempotency_key


def test_partial_refunds_each_become_a_stripe_refund_of_the_amount_the_ledger_gave_back(
    on_stripe, django_capture_on_commit_callbacks
):
    milestone = funded_on_stripe()
    contract = milestone.contract
    payment = payment_of(milestone)

    with django_capture_on_commit_callbacks(execute=True):
        request = milestone_refund_request(milestone=milestone, by=contract.client, amount_cents=150_00)
        refund_request_accept(request=request, by=contract.freelancer)
    with django_capture_on_commit_callbacks(execute=True):
        milestone_refund_offer(milestone=milestone, by=contract.freelancer, amount_cents=50_00)

    milestone.refresh_from_db()
    payment.refresh_from_db()
    assert milestone.status == Milestone.Status.FUNDED
    assert escrow_of(milestone) == milestone.amount_cents - 200_00
    assert refunds_at_stripe(on_stripe, payment) == ledger_refunds(milestone) == [50_00, 150_00]
    assert payment.refunded_cents == 200_00
    assert set(GatewayCall.objects.values_list("status", flat=True)) == {GatewayCall.Status.DONE}


def test_a_refund_above_what_is_left_is_refused_here_and_never_reaches_stripe(
    on_stripe, django_capture_on_commit_callbacks
):
    milestone = funded_on_stripe()
    freelancer = milestone.contract.freelancer
    with django_capture_on_commit_callbacks(execute=True):
        milestone_refund_offer(milestone=milestone, by=freelancer, amount_cents=milestone.amount_cents - 100_00)
    milestone.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True), nothing_moves(ValidationError):
        milestone_refund_offer(milestone=milestone, by=freelancer, amount_cents=100_01)
    payment = payment_of(milestone)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError, match="more than is left"):
        refund_enqueue(payment=payment, amount_cents=payment.total_cents - payment.refunded_cents + 1, key="too-much")

    assert on_stripe.count("/v1/refunds") == 1
    assert GatewayCall.objects.count() == 1
    payment.refresh_from_db()
    assert payment.refunded_cents == milestone.amount_cents - 100_00


def test_a_refund_stripe_refuses_fails_and_staff_are_told(on_stripe, moderator, django_capture_on_commit_callbacks):
    milestone = funded_on_stripe()
    payment = payment_of(milestone)
    # Someone refunded the whole charge in Stripe's dashboard: nothing is left there to refund.
    on_stripe.client().v1.refunds.create(params={"payment_intent": payment.intent_id})

    with django_capture_on_commit_callbacks(execute=True):
        milestone_refund_offer(milestone=milestone, by=milestone.contract.freelancer, amount_cents=100_00)

    call = GatewayCall.objects.get(kind=GatewayCall.Kind.REFUND)
    assert call.status == GatewayCall.Status.FAILED
    assert "already been refunded" in call.last_error
    told = Notification.objects.get(recipient=moderator, kind="staff.refund_failed")
    assert told.title == "A refund of $100.00 could not be made"
