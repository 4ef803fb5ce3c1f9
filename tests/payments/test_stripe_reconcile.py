"""Reconciliation against the fake Stripe: our charges, refunds and transfers agree with Stripe's
after real payments, refunds and a withdrawal; each drift seeded on one side (a transfer Stripe
never made, a payment one cent off, a refund made at Stripe only) is reported, by the run and by
`manage.py reconcile_payments`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from contracts.services import milestone_approve, milestone_refund_offer
from notifications.models import Notification
from payments.models import GatewayCall, Payment
from payments.reconcile import reconcile
from payments.services import clearances_due, payout_request
from tests.contracts.factories import available_of, later, milestone_of
from tests.payments.stripe_support import payment_of, ready_payout_account, stripe_contract, stripe_funded

pytestmark = [pytest.mark.django_db, pytest.mark.stripe]


@pytest.fixture
def books_at_stripe(on_stripe, django_capture_on_commit_callbacks):
    """A contract of two milestones paid at the fake: one released and withdrawn, one partly refunded."""
    contract = stripe_contract()
    released, refunded = milestone_of(contract, 1), milestone_of(contract, 2)
    stripe_funded(released)
    stripe_funded(refunded)
    milestone_approve(milestone=released, by=contract.client)
    clearances_due(now=later(30))
    ready_payout_account(contract.freelancer)
    with django_capture_on_commit_callbacks(execute=True):
        milestone_refund_offer(milestone=refunded, by=contract.freelancer, amount_cents=100_00)
        payout_request(freelancer=contract.freelancer, amount_cents=available_of(contract.freelancer), key="w-1")
    assert set(GatewayCall.objects.values_list("status", flat=True)) == {GatewayCall.Status.DONE}
    return contract


def details(run) -> list[str]:
    return [item.detail for item in run.items.all()]


def test_books_that_agree_with_stripe_have_no_differences(books_at_stripe, moderator):
    run = reconcile()

    assert (run.differences, run.error, details(run)) == (0, "", [])
    assert run.groups_checked == 2  # the contract's transfer group and the freelancer's account
    assert not Notification.objects.filter(kind="staff.reconciliation").exists()
    out = StringIO()
    call_command("reconcile_payments", stdout=out)
    assert "2 groups and payout accounts checked, 0 differences." in out.getvalue()


def test_a_transfer_stripe_never_made_is_reported(books_at_stripe, on_stripe):
    call = GatewayCall.objects.get(kind=GatewayCall.Kind.TRANSFER)
    GatewayCall.objects.filter(pk=call.pk).update(result_id="tr_made_up")

    run = reconcile()

    amount = f"${call.amount_cents / 100:,.2f}"
    assert sorted(details(run)) == sorted(
        [
            f"transfer tr_made_up of {amount} is in our books but not at the processor",
            f"transfer {call.result_id} of {amount} is at the processor but not in our books",
        ]
    )


def test_a_payment_one_cent_off_is_reported(books_at_stripe):
    payment = payment_of(milestone_of(books_at_stripe, 1))
    Payment.objects.filter(pk=payment.pk).update(amount_cents=F("amount_cents") - 1)

    run = reconcile()

    ours, theirs = payment.total_cents - 1, payment.total_cents
    assert details(run) == [
        f"charge {payment.intent_id}: ${ours / 100:,.2f} in our books, ${theirs / 100:,.2f} at the processor"
    ]
    item = run.items.get()
    assert (item.group, item.kind, item.ledger_cents, item.processor_cents) == (
        f"contract_{books_at_stripe.pk}",
        "charge",
        ours,
        theirs,
    )


def test_a_refund_made_at_stripe_only_is_reported_and_staff_are_told(books_at_stripe, on_stripe, moderator):
    payment = payment_of(milestone_of(books_at_stripe, 2))
    orphan = on_stripe.client().v1.refunds.create(params={"payment_intent": payment.intent_id, "amount": 25_00})

    run = reconcile()

    assert details(run) == [f"refund {orphan.id} of $25.00 is at the processor but not in our books"]
    assert Notification.objects.get(recipient=moderator, kind="staff.reconciliation").title == (
        "Payments reconciliation: 1 difference"
    )
    out = StringIO()
    with pytest.raises(CommandError, match="1 difference\\."):
        call_command("reconcile_payments", stdout=out)
    assert f"contract_{books_at_stripe.pk}: refund {orphan.id} of $25.00" in out.getvalue()
