"""Funding a milestone by card with the Stripe gateway, against the fake Stripe: the card saved on
Stripe's Checkout page, the PaymentIntent, the milestone funded only when Stripe's webhook
confirms the payment, a declined card, and a second payment refused before any charge."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import ClientProfile
from contracts.models import Milestone
from contracts.services import milestone_fund
from core.exceptions import InvalidTransition
from payments.cards import card_setup_finish, card_setup_start
from payments.gateways import GatewayError
from payments.models import BillingProfile, LedgerTransaction, Payment, WebhookEvent
from tests.contracts.factories import active_contract, escrow_of, milestone_of, nothing_moves
from tests.helpers import browser_for, came_back, text
from tests.payments.stripe_support import (
    APP,
    about,
    checkout_card,
    deliver_event,
    local,
    payment_of,
    saved_card,
    stripe_contract,
    stripe_funded,
)

pytestmark = [pytest.mark.django_db, pytest.mark.stripe]


def test_a_card_saved_on_stripes_page_funds_a_milestone_once_stripe_confirms_the_payment(on_stripe, webhook_receiver):
    contract = active_contract()
    milestone = milestone_of(contract)
    client = contract.client
    browser = browser_for(client)
    fund_page = reverse("milestone_fund", args=[milestone.pk])

    page = browser.get(fund_page)
    assert "Add a card on Stripe" in text(page)
    to_stripe = browser.post(reverse("billing_card"), {"next": fund_page})
    assert to_stripe.status_code == 302 and to_stripe["Location"].startswith(on_stripe.base + "/_fake/checkout/")
    status, headers, _ = checkout_card(to_stripe["Location"])
    assert status == 303
    back = browser.get(local(headers["Location"]))
    assert back.status_code == 302 and back["Location"] == fund_page
    page = browser.get(fund_page)
    assert "Visa •••• 4242 saved" in text(page)
    assert "You pay with your saved Visa •••• 4242" in text(page)

    paid = browser.post(fund_page, {})
    assert paid.status_code == 302 and paid["Location"] == fund_page
    page = browser.get(fund_page)
    assert "Payment processing" in text(page)
    milestone.refresh_from_db()
    payment = payment_of(milestone)
    assert milestone.status == Milestone.Status.PENDING
    assert payment.status == Payment.Status.PROCESSING and payment.intent_id.startswith("pi_")
    assert escrow_of(milestone) == 0
    assert not LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.FUND).exists()

    deliver_event(browser, webhook_receiver, "payment_intent.succeeded", about(payment.intent_id))

    milestone.refresh_from_db()
    payment.refresh_from_db()
    assert milestone.status == Milestone.Status.FUNDED
    assert payment.status == Payment.Status.SUCCEEDED and payment.charge_id.startswith("ch_")
    assert escrow_of(milestone) == milestone.amount_cents
    intent = on_stripe.client().v1.payment_intents.retrieve(payment.intent_id)
    assert intent.amount == payment.total_cents
    assert intent.transfer_group == f"contract_{contract.pk}"
    assert intent.customer == BillingProfile.objects.get(user=client).customer_id
    assert intent.metadata["payment_key"] == payment.idempotency_key == f"pay:{milestone.ledger_reference}:1"
    assert intent.metadata["reference"] == milestone.ledger_reference
    assert ClientProfile.objects.get(user=client).payment_method_verified_at is not None
    assert f"“{milestone.title}” is already funded" in text(browser.get(fund_page, follow=True))


def test_the_card_service_saves_the_card_from_a_completed_checkout_session(on_stripe, client_user):
    setup = card_setup_start(user=client_user, return_url=APP + "/billing/card/return/", cancel_url=APP + "/billing/")
    assert setup.card is None and setup.setup_id.startswith("cs_")
    with pytest.raises(Exception, match="not saved"):
        card_setup_finish(user=client_user, setup_id=setup.setup_id)  # the page was not completed yet

    status, headers, _ = checkout_card(setup.redirect_url)

    assert status == 303 and headers["Location"].endswith(f"?session_id={setup.setup_id}")
    profile = card_setup_finish(user=client_user, setup_id=setup.setup_id)
    assert (profile.card_brand, profile.card_last4, profile.pending_setup_id) == ("visa", "4242", "")
    assert profile.card_id.startswith("pm_")
    assert ClientProfile.objects.get(user=client_user).payment_method_verified_at is not None


def test_the_checkout_completed_webhook_alone_saves_the_card(on_stripe, webhook_receiver, client_user):
    setup = card_setup_start(user=client_user, return_url=APP + "/billing/card/return/", cancel_url=APP + "/billing/")
    checkout_card(setup.redirect_url)

    deliver_event(browser_for(client_user), webhook_receiver, "checkout.session.completed", about(setup.setup_id))

    profile = BillingProfile.objects.get(user=client_user)
    assert profile.card_label == "Visa •••• 4242"


def test_a_card_declined_on_stripes_page_is_not_saved(on_stripe, client_user):
    setup = card_setup_start(user=client_user, return_url=APP + "/billing/card/return/", cancel_url=APP + "/billing/")

    status, _, page = checkout_card(setup.redirect_url, "4000000000000002")

    assert status == 200 and "Your card was declined." in page
    browser = browser_for(client_user)
    back = browser.get(reverse("billing_card_return") + f"?session_id={setup.setup_id}", follow=True)
    assert "The card was not saved" in text(back)
    assert not BillingProfile.objects.get(user=client_user).has_card


def test_someone_elses_checkout_session_is_not_attached_to_my_billing(on_stripe, client_user, other_user):
    setup = card_setup_start(user=client_user, return_url=APP + "/billing/card/return/", cancel_url=APP + "/billing/")
    checkout_card(setup.redirect_url)

    back = browser_for(other_user).get(reverse("billing_card_return") + f"?session_id={setup.setup_id}", follow=True)

    assert "not one you started" in text(back)
    assert not BillingProfile.objects.filter(user=other_user, card_id__startswith="pm_").exists()


def test_a_declined_card_leaves_the_milestone_pending_and_a_good_card_then_pays_with_a_new_key(on_stripe):
    contract = stripe_contract()
    milestone = milestone_of(contract)
    saved_card(contract.client, "pm_card_chargeCustomerFail")

    with pytest.raises(GatewayError, match=r"Your card was declined\."):
        milestone_fund(milestone=milestone, by=contract.client)

    milestone.refresh_from_db()
    declined = payment_of(milestone)
    assert milestone.status == Milestone.Status.PENDING
    assert declined.status == Payment.Status.FAILED and declined.failure_message == "Your card was declined."
    assert not LedgerTransaction.objects.exists()
    page = browser_for(contract.client).get(reverse("milestone_fund", args=[milestone.pk]))
    assert "Your last payment was declined: Your card was declined." in text(page)

    saved_card(contract.client, "pm_card_visa")
    stripe_funded(milestone)

    paid = payment_of(milestone)
    assert paid.pk != declined.pk and paid.status == Payment.Status.SUCCEEDED
    assert paid.idempotency_key == f"pay:{milestone.ledger_reference}:2"
    assert escrow_of(milestone) == milestone.amount_cents
    intents = on_stripe.client().v1.payment_intents.list(params={"limit": 10}).data
    assert sorted(i.status for i in intents) == ["requires_payment_method", "succeeded"]


def test_a_declined_card_on_the_fund_page_shows_stripes_words_and_charges_nothing(on_stripe):
    contract = stripe_contract()
    milestone = milestone_of(contract)
    saved_card(contract.client, "pm_card_chargeCustomerFail")

    url = reverse("milestone_fund", args=[milestone.pk])
    page = browser_for(contract.client).post(url, {}, follow=True)

    assert came_back(page, url)
    assert "Your card was declined." in text(page)
    assert "Payment processing" not in text(page)
    assert escrow_of(milestone) == 0


def test_an_amount_sent_from_the_browser_is_ignored_the_milestone_amount_is_charged(on_stripe):
    # given a $400 milestone and a saved card
    contract = stripe_contract()
    milestone = milestone_of(contract)
    saved_card(contract.client, "pm_card_visa")
    # when the fund form arrives with amounts of its own (an edited page, a crafted request)
    paid = browser_for(contract.client).post(
        reverse("milestone_fund", args=[milestone.pk]),
        {"amount": "1.00", "amount_cents": "100", "total_cents": "100", "currency": "JPY"},
    )
    # then Stripe is asked for the milestone's amount (and fee) in the contract's currency, once
    assert paid.status_code == 302
    payment = payment_of(milestone)
    intent = on_stripe.client().v1.payment_intents.retrieve(payment.intent_id)
    assert (intent.amount, intent.currency) == (milestone.amount_cents + payment.fee_cents, "usd")
    assert payment.amount_cents == milestone.amount_cents
    assert on_stripe.count("/v1/payment_intents") == 1


@pytest.mark.parametrize("settled", [False, True], ids=["processing", "funded"])
def test_a_second_payment_for_a_milestone_is_refused_before_any_charge(on_stripe, settled):
    contract = stripe_contract()
    milestone = milestone_of(contract)
    if settled:
        stripe_funded(milestone)
    else:
        milestone_fund(milestone=milestone, by=contract.client)
    intents = on_stripe.count("/v1/payment_intents")

    with nothing_moves(InvalidTransition):
        milestone_fund(milestone=milestone, by=contract.client)

    assert on_stripe.count("/v1/payment_intents") == intents == 1
    assert Payment.objects.filter(reference=milestone.ledger_reference).count() == 1


def test_a_payment_failed_webhook_after_the_success_changes_nothing(on_stripe, webhook_receiver):
    contract = stripe_contract()
    milestone = milestone_of(contract)
    milestone_fund(milestone=milestone, by=contract.client)
    payment = payment_of(milestone)
    browser = browser_for(contract.client)
    deliver_event(browser, webhook_receiver, "payment_intent.succeeded", about(payment.intent_id))
    late = {
        "id": "evt_late_failure",
        "object": "event",
        "type": "payment_intent.payment_failed",
        "data": {"object": {"id": payment.intent_id, "object": "payment_intent", "metadata": {}}},
    }
    from payments.webhooks import handle_event

    assert handle_event(late, gateway="stripe") == f"payment {payment.pk} succeeded"

    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.FUNDED
    assert WebhookEvent.objects.filter(event_id="evt_late_failure").exists()


def test_the_sandbox_card_page_saves_a_test_card_and_explains_a_declined_one(client_user):
    browser = browser_for(client_user)

    declined = browser.post(reverse("billing_card"), {"card_number": "4000 0000 0000 0002"})

    assert declined.status_code == 400
    assert "The card was declined (sandbox test card 4000 0000 0000 0002). It was not saved." in text(declined)
    assert not BillingProfile.objects.filter(user=client_user, card_id__gt="").exists()
    saved = browser.post(reverse("billing_card"), {"card_number": "4242 4242 4242 4242"}, follow=True)
    assert "Card saved." in text(saved)
    assert BillingProfile.objects.get(user=client_user).card_label == "Visa •••• 4242"
    assert ClientProfile.objects.get(user=client_user).payment_method_verified_at is not None


def test_the_sandbox_fund_page_says_a_declined_test_card_charged_nothing():
    contract = active_contract()
    milestone = milestone_of(contract)

    url = reverse("milestone_fund", args=[milestone.pk])
    page = browser_for(contract.client).post(url, {"card_number": "4000000000000002"}, follow=True)

    assert came_back(page, url)
    assert "The card was declined (sandbox test card 4000 0000 0000 0002). Nothing was charged." in text(page)
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.PENDING and escrow_of(milestone) == 0
