"""Withdrawals with the Stripe gateway, against the fake Stripe: a freelancer's Express account
(created, onboarded through its link, kept current by account.updated) and a withdrawal that
becomes exactly one Transfer to it after commit; no account ready, no money moved. The sandbox's
own payout account form is checked alongside."""

from __future__ import annotations

import json
import time

import pytest
import stripe
from django.urls import reverse

from core.exceptions import NotAllowed
from notifications.models import Notification
from payments.models import GatewayCall, LedgerTransaction, Payout, PayoutAccount
from payments.services import payout_request
from tests.contracts.factories import available_of, nothing_moves
from tests.helpers import browser_for, text
from tests.payments.stripe_support import (
    APP,
    about,
    browse,
    deliver_event,
    earned_on_stripe,
    local,
    ready_payout_account,
    start_onboarding,
)

pytestmark = [pytest.mark.django_db, pytest.mark.stripe]


def test_onboarding_through_stripes_link_makes_the_payout_account_ready(on_stripe, freelancer):
    browser = browser_for(freelancer)

    to_stripe = browser.post(reverse("payout_account"))

    account = PayoutAccount.objects.get(user=freelancer)
    assert account.account_id.startswith("acct_") and not account.payouts_enabled
    assert to_stripe.status_code == 302 and to_stripe["Location"].startswith(on_stripe.base + "/_fake/onboard/")
    at_stripe = on_stripe.client().v1.accounts.retrieve(account.account_id)
    assert (at_stripe.type, at_stripe.email, at_stripe.metadata["user_id"]) == (
        "express",
        freelancer.email,
        str(freelancer.pk),
    )
    status, headers, _ = browse(to_stripe["Location"])
    assert status == 302 and headers["Location"] == APP + reverse("payout_account_return")
    back = browser.get(local(headers["Location"]), follow=True)

    assert "Your payout account is ready: you can withdraw available money to it." in text(back)
    account.refresh_from_db()
    assert account.payouts_enabled and account.details_submitted and account.requirements_due == []


def test_leaving_onboarding_early_says_stripe_still_needs_details(on_stripe, freelancer):
    url = start_onboarding(freelancer)

    _status, headers, _ = browse(url + "&incomplete=1")
    back = browser_for(freelancer).get(local(headers["Location"]), follow=True)

    assert "Stripe still needs some details before you can withdraw." in text(back)
    assert not PayoutAccount.objects.get(user=freelancer).payouts_enabled


def test_the_account_updated_webhook_alone_makes_the_account_ready_and_tells_the_freelancer(
    on_stripe, webhook_receiver, freelancer
):
    url = start_onboarding(freelancer)
    account = PayoutAccount.objects.get(user=freelancer)
    browse(url)  # onboarding done at Stripe; the freelancer never comes back to our page

    deliver_event(browser_for(freelancer), webhook_receiver, "account.updated", about(account.account_id))

    account.refresh_from_db()
    assert account.payouts_enabled and account.details_submitted
    assert Notification.objects.filter(
        recipient=freelancer, kind="payout_account.updated", title="Your payout account can receive withdrawals"
    ).exists()


def test_an_old_account_updated_arriving_late_does_not_switch_off_a_ready_account(
    on_stripe, webhook_receiver, freelancer, settings
):
    account = ready_payout_account(freelancer)
    # The account.updated Stripe sent before onboarding finished, delivered only now (events are unordered).
    stale = json.dumps(
        {
            "id": "evt_stale_account_update",
            "object": "event",
            "type": "account.updated",
            "created": int(time.time()) - 60,
            "data": {
                "object": {
                    "id": account.account_id,
                    "object": "account",
                    "details_submitted": False,
                    "payouts_enabled": False,
                    "requirements": {"currently_due": ["external_account"]},
                }
            },
        }
    )
    header = stripe.WebhookSignature.generate_signature_header(stale, settings.STRIPE_WEBHOOK_SECRET)
    response = browser_for(freelancer).post(
        reverse("stripe_webhook"), data=stale, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )

    assert response.status_code == 200
    account.refresh_from_db()
    assert account.payouts_enabled and account.requirements_due == []


def test_a_withdrawal_becomes_exactly_one_transfer_to_the_account_after_commit(
    on_stripe, django_capture_on_commit_callbacks
):
    milestone = earned_on_stripe()
    freelancer = milestone.contract.freelancer
    account = ready_payout_account(freelancer)
    available = available_of(freelancer)
    assert available > 0

    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_request(freelancer=freelancer, amount_cents=available, key="withdraw-1")
        assert on_stripe.count("/v1/transfers") == 0  # nothing is sent before the commit
    with django_capture_on_commit_callbacks(execute=True):
        assert payout_request(freelancer=freelancer, amount_cents=available, key="withdraw-1").pk == payout.pk

    payout.refresh_from_db()
    txn = LedgerTransaction.objects.get(kind=LedgerTransaction.Kind.PAYOUT)
    call = GatewayCall.objects.get(kind=GatewayCall.Kind.TRANSFER)
    assert call.idempotency_key == f"transfer:{txn.pk}" and call.status == GatewayCall.Status.DONE
    assert on_stripe.ids("/v1/transfers") == [call.result_id]
    transfer = on_stripe.client().v1.transfers.retrieve(call.result_id)
    assert (transfer.amount, transfer.destination) == (available, account.account_id)
    assert transfer.metadata["call_key"] == call.idempotency_key
    assert payout.status == Payout.Status.PAID and payout.gateway_reference == call.result_id
    assert available_of(freelancer) == 0
    assert Notification.objects.filter(recipient=freelancer, kind="payout.sent").exists()


def test_a_withdrawal_without_a_payout_account_is_refused_and_moves_nothing(
    on_stripe, django_capture_on_commit_callbacks
):
    freelancer = earned_on_stripe().contract.freelancer

    with django_capture_on_commit_callbacks(execute=True), nothing_moves(NotAllowed) as refused:
        payout_request(freelancer=freelancer, amount_cents=100_00, key="withdraw-1")

    assert "Add a payout account first" in str(refused.value)
    assert on_stripe.count("/v1/transfers") == 0


def test_a_withdrawal_to_an_account_still_onboarding_is_refused_and_moves_nothing(
    on_stripe, django_capture_on_commit_callbacks
):
    freelancer = earned_on_stripe().contract.freelancer
    start_onboarding(freelancer)

    with django_capture_on_commit_callbacks(execute=True), nothing_moves(NotAllowed) as refused:
        payout_request(freelancer=freelancer, amount_cents=100_00, key="withdraw-1")

    assert "not ready to receive money yet" in str(refused.value)
    assert on_stripe.count("/v1/transfers") == 0
    assert GatewayCall.objects.count() == 0


def test_the_sandbox_payout_account_form_adds_a_ready_account(freelancer):
    browser = browser_for(freelancer)

    page = browser.get(reverse("payout_account"))
    assert "Routing number" in text(page)
    wrong = browser.post(
        reverse("payout_account"), {"holder": "Ada Lovelace", "routing_number": "12", "account_number": "000123456789"}
    )
    assert wrong.status_code == 400 and "A routing number is 9 digits" in text(wrong)
    assert not PayoutAccount.objects.filter(user=freelancer).exists()
    added = browser.post(
        reverse("payout_account"),
        {"holder": "Ada Lovelace", "routing_number": "110000000", "account_number": "000123456789"},
        follow=True,
    )

    assert "Payout account added. You can withdraw available money to it." in text(added)
    account = PayoutAccount.objects.get(user=freelancer)
    assert account.payouts_enabled and account.label == "Sandbox bank account •••• 6789"
