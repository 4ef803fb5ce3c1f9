"""Stripe's webhook, with events the fake Stripe made and signed: delivered several times and in
any order they change what one delivery in order changes; a bad, missing or stale signature is
refused and writes nothing; unknown events are kept and ignored; chargebacks, reversed transfers
and failed bank payouts reach the milestone, the balance and the people concerned."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import timedelta

import pytest
import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contracts.models import Dispute, Milestone
from contracts.selectors import dispute_queue
from contracts.services import milestone_approve, milestone_fund, milestone_refund_offer
from core.exceptions import InvalidTransition
from notifications.models import Notification
from payments.cards import card_setup_start
from payments.models import (
    AccountBalance,
    BankPayout,
    LedgerTransaction,
    Payment,
    Payout,
    PayoutAccount,
    WebhookEvent,
)
from payments.services import clearances_due, payout_request
from tests.contracts.factories import available_of, escrow_of, milestone_of
from tests.helpers import browser_for
from tests.payments.stripe_support import (
    APP,
    WEBHOOK_SECRET,
    about,
    browse,
    checkout_card,
    deliver,
    deliver_event,
    event_of,
    funded_on_stripe,
    payment_of,
    ready_payout_account,
    start_onboarding,
    stripe_contract,
    stripe_funded,
)

pytestmark = [pytest.mark.django_db, pytest.mark.stripe]


def books() -> dict:
    """What the webhooks can change, named without row ids (they differ after a rollback on PostgreSQL)."""
    return {
        "milestones": sorted(Milestone.objects.values_list("title", "status", "refunded_cents", "released_cents")),
        "payments": sorted(Payment.objects.values_list("idempotency_key", "status", "charge_id")),
        "ledger": sorted(LedgerTransaction.objects.values_list("idempotency_key", "kind")),
        "balances": dict(AccountBalance.objects.values_list("account", "balance_cents")),
        "payouts": sorted(Payout.objects.values_list("idempotency_key", "status")),
        "accounts": sorted(PayoutAccount.objects.values_list("account_id", "payouts_enabled", "label")),
        "bank_payouts": sorted(BankPayout.objects.values_list("payout_id", "status")),
        "notifications": Counter(Notification.objects.values_list("recipient_id", "kind", "title")),
        "events": Counter(WebhookEvent.objects.values_list("event_id", flat=True)),
    }


def test_events_delivered_three_times_in_any_order_change_what_one_delivery_in_order_does(
    on_stripe, webhook_receiver, django_capture_on_commit_callbacks
):
    contract = stripe_contract(amounts=(400_00, 600_00, 300_00))
    client, freelancer = contract.client, contract.freelancer
    earned, waiting, refunded = (milestone_of(contract, n) for n in (1, 2, 3))
    stripe_funded(earned)
    milestone_approve(milestone=earned, by=client)
    clearances_due(now=timezone.now() + timedelta(days=settings.CLEARANCE_DAYS, hours=1))
    stripe_funded(refunded)
    with django_capture_on_commit_callbacks(execute=True):
        milestone_refund_offer(milestone=refunded, by=freelancer, amount_cents=100_00)
    account = ready_payout_account(freelancer)
    with django_capture_on_commit_callbacks(execute=True):
        payout_request(freelancer=freelancer, amount_cents=available_of(freelancer), key="withdraw-1")
    on_stripe.payout_event(account.account_id, 300_00, "paid")
    milestone_fund(milestone=waiting, by=client)  # processing until its webhook comes
    assert payment_of(waiting).status == Payment.Status.PROCESSING

    intents = [payment_of(m).intent_id for m in (earned, waiting, refunded)]
    wanted = [("payment_intent.succeeded", about(intent)) for intent in intents] + [
        ("refund.created", lambda obj: True),
        ("charge.refunded", about(payment_of(refunded).charge_id)),
        ("refund.updated", lambda obj: True),
        ("account.updated", about(account.account_id)),
        ("transfer.created", lambda obj: True),
        ("payout.paid", lambda obj: True),
    ]
    deliveries = [webhook_receiver.wait_for_event(type, match) for type, match in wanted]
    assert len({event_of(d)["id"] for d in deliveries}) == len(wanted)
    browser = browser_for(client)

    with transaction.atomic():
        for delivery in deliveries:
            assert deliver(browser, delivery).status_code == 200
        once_in_order = books()
        transaction.set_rollback(True)
    assert not WebhookEvent.objects.exists()
    shuffled = deliveries * 3
    random.Random(20240501).shuffle(shuffled)
    answers = [deliver(browser, delivery) for delivery in shuffled]

    assert {answer.status_code for answer in answers} == {200}
    assert [answer.content for answer in answers].count(b"duplicate") == 2 * len(deliveries)
    assert books() == once_in_order
    assert set(books()["events"].values()) == {1}
    waiting.refresh_from_db()
    assert waiting.status == Milestone.Status.FUNDED and escrow_of(waiting) == waiting.amount_cents
    assert BankPayout.objects.get().status == BankPayout.Status.PAID
    assert WebhookEvent.objects.get(type="refund.created").outcome == "ignored"


@pytest.fixture
def waiting_payment(on_stripe, webhook_receiver):
    """A milestone paid at the fake, processing here, and the signed payment_intent.succeeded it sent."""
    contract = stripe_contract()
    milestone = milestone_of(contract)
    milestone_fund(milestone=milestone, by=contract.client)
    payment = payment_of(milestone)
    return payment, webhook_receiver.wait_for_event("payment_intent.succeeded", about(payment.intent_id))


def header_for(body: bytes, *, secret: str = WEBHOOK_SECRET, age: int = 0) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=int(time.time()) - age)


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(lambda body: (body.replace(b'"amount": ', b'"amount": 1'), None), id="tampered-body"),
        pytest.param(lambda body: (body, header_for(body, secret="whsec_wrong")), id="wrong-secret"),
        pytest.param(lambda body: (body, header_for(body, age=301)), id="301-seconds-old"),
        pytest.param(lambda body: (body, ""), id="no-header"),
    ],
)
def test_a_bad_or_stale_signature_is_refused_and_writes_nothing(client, waiting_payment, forged):
    payment, delivery = waiting_payment
    body, signature = forged(delivery[1])
    assert body != delivery[1] or signature is not None

    refused = deliver(client, delivery, body=body, signature=signature)

    assert refused.status_code == 400
    assert not WebhookEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PROCESSING
    assert not LedgerTransaction.objects.exists()
    # The same event, signed as the fake signed it, is taken.
    assert deliver(client, delivery).status_code == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED


def test_a_signature_just_inside_the_tolerance_is_taken(client, waiting_payment):
    payment, (_, body) = waiting_payment

    taken = deliver(client, (None, body), signature=header_for(body, age=290))

    assert taken.status_code == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED


def test_an_event_we_do_not_handle_is_stored_and_ignored(on_stripe, webhook_receiver, client_user):
    setup = card_setup_start(user=client_user, return_url=APP + "/billing/card/return/", cancel_url=APP + "/billing/")
    checkout_card(setup.redirect_url)
    delivery = webhook_receiver.wait_for_event("setup_intent.succeeded")

    answer = deliver(browser_for(client_user), delivery)

    assert (answer.status_code, answer.content) == (200, b"ignored")
    stored = WebhookEvent.objects.get()
    assert (stored.event_id, stored.type, stored.outcome) == (
        event_of(delivery)["id"],
        "setup_intent.succeeded",
        "ignored",
    )


def test_a_chargeback_freezes_the_milestone_and_tells_staff_and_both_parties(on_stripe, webhook_receiver, moderator):
    milestone = funded_on_stripe()
    contract = milestone.contract
    payment = payment_of(milestone)
    on_stripe.dispute(payment.charge_id, amount=payment.total_cents, reason="fraudulent")

    deliver_event(browser_for(contract.client), webhook_receiver, "charge.dispute.created")

    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.DISPUTED
    assert escrow_of(milestone) == milestone.amount_cents
    with pytest.raises(InvalidTransition):
        milestone_approve(milestone=milestone, by=contract.client)
    staff = Notification.objects.get(recipient=moderator, kind="staff.chargeback")
    assert staff.title == f"Chargeback on “{milestone.title}” (${payment.total_cents / 100:,.2f})"
    assert {n.recipient_id for n in Notification.objects.filter(kind="milestone.chargeback")} == {
        contract.client_id,
        contract.freelancer_id,
    }
    # and it waits in the moderators' dispute queue, for staff to decide what the freelancer keeps
    (dispute,) = Dispute.objects.filter(milestone=milestone)
    assert (dispute.filer, dispute.status, dispute.held_cents) == ("bank", "escalated", milestone.amount_cents)
    assert [d.pk for d in dispute_queue()] == [dispute.pk]


def test_a_reversed_transfer_puts_the_withdrawal_back_in_the_available_balance(
    on_stripe, webhook_receiver, django_capture_on_commit_callbacks
):
    milestone = funded_on_stripe()
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    clearances_due(now=timezone.now() + timedelta(days=settings.CLEARANCE_DAYS, hours=1))
    freelancer = milestone.contract.freelancer
    ready_payout_account(freelancer)
    earned = available_of(freelancer)
    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_request(freelancer=freelancer, amount_cents=earned, key="withdraw-1")
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID and available_of(freelancer) == 0

    on_stripe.client().v1.transfers.reversals.create(payout.gateway_reference)
    deliver_event(browser_for(freelancer), webhook_receiver, "transfer.reversed", about(payout.gateway_reference))

    payout.refresh_from_db()
    assert payout.status == Payout.Status.REVERSED
    assert available_of(freelancer) == earned
    assert LedgerTransaction.objects.filter(idempotency_key=f"payout-returned:{payout.pk}").exists()
    assert Notification.objects.filter(recipient=freelancer, kind="payout.returned").exists()


def test_a_failed_bank_payout_is_recorded_and_the_freelancer_is_told(on_stripe, webhook_receiver, freelancer):
    account = ready_payout_account(freelancer)
    on_stripe.payout_event(account.account_id, 250_00, "failed", failure_message="The bank account has been closed.")

    deliver_event(browser_for(freelancer), webhook_receiver, "payout.failed")

    bank_payout = BankPayout.objects.get()
    assert (bank_payout.account_id, bank_payout.amount_cents, bank_payout.status) == (
        account.pk,
        250_00,
        BankPayout.Status.FAILED,
    )
    told = Notification.objects.get(recipient=freelancer, kind="payout.bank_failed")
    assert told.title == "Your bank refused a payout of $250.00"
    assert told.body == "The bank account has been closed."


def test_a_payout_of_an_account_that_is_not_ours_is_ignored(on_stripe, webhook_receiver, freelancer):
    url = start_onboarding(freelancer)
    browse(url)
    account_id = PayoutAccount.objects.get(user=freelancer).account_id
    PayoutAccount.objects.filter(user=freelancer).delete()
    on_stripe.payout_event(account_id, 100_00, "paid")

    answer = deliver_event(browser_for(freelancer), webhook_receiver, "payout.paid")

    assert answer.content == b"not ours"
    assert not BankPayout.objects.exists()


def test_either_of_two_configured_secrets_may_sign(settings, client, waiting_payment):
    payment, delivery = waiting_payment
    settings.STRIPE_WEBHOOK_SECRET = f"whsec_connect_endpoint, {WEBHOOK_SECRET}"

    assert deliver(client, delivery).status_code == 200

    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
