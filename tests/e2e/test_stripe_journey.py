"""Real payments in the browser: the client pays with a card saved on Stripe's page and the
freelancer is paid out through a Stripe Connect account, against the local Stripe of
tests/fakestripe (localstripe plus Connect, Checkout and idempotency keys).

The live server runs with the Stripe gateway. The local Stripe's webhooks (signed with the
endpoint's secret) reach the live server's /payments/stripe/webhook/ as Stripe's would: the
milestone is funded by `payment_intent.succeeded`, not by the browser coming back. The database
is consulted only to let the clearance period pass and, at the end, to check the books.
"""

from __future__ import annotations

import copy
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from contracts.invariants import money_problems
from contracts.models import Milestone
from contracts.services import milestone_approve, milestone_submit
from payments.models import Payment, Payout, WebhookEvent
from payments.services import clearances_due
from tests.contracts.factories import active_contract, milestone_of
from tests.e2e.test_market_journey import side_by_side, the_pair
from tests.e2e.test_signup_journeys import label
from tests.fakestripe.fixtures import stripe_api, stripe_server  # noqa: F401

WEBHOOK_SECRET = "whsec_browser_journey"

pytestmark = pytest.mark.stripe


@pytest.fixture
def stripe_site(site, stripe_api, settings):  # noqa: F811
    """The live server paying through the local Stripe, whose webhooks it receives."""
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_fakestripe"
    settings.STRIPE_API_BASE = stripe_api.base
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    # The local Stripe's card and onboarding pages stand in for checkout.stripe.com and connect.stripe.com.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(stripe_api.base)
    settings.CONTENT_SECURITY_POLICY = policy
    stripe_api.register_webhook(site.url + reverse("stripe_webhook"), WEBHOOK_SECRET)
    return stripe_api


def until_funded(page: Page, milestone: Milestone, *, seconds: float = 15) -> None:
    """The client reloads the contract page until it shows the milestone funded (the webhook's work)."""
    deadline = time.monotonic() + seconds
    card = page.get_by_role("region", name=f"1. {milestone.title}", exact=True)
    while time.monotonic() < deadline:
        page.goto(milestone.contract.get_absolute_url())
        if card.locator(".pill").inner_text().strip() == "Funded":
            return
        time.sleep(0.3)
    raise AssertionError(f"still not funded after {seconds} s: {card.inner_text()}")


def test_pay_with_a_card_saved_at_stripe_and_withdraw_through_connect(open_browser, stripe_site):
    client_user, freelancer_user = the_pair()
    contract = active_contract(client=client_user, freelancer=freelancer_user, amounts=(600_00,))
    milestone = milestone_of(contract)
    client, freelancer = side_by_side(open_browser)

    # 1. The client goes to fund: with Stripe there is no card field here, only Stripe's own page. ---
    client.goto(reverse("milestone_fund", args=[milestone.pk]))
    expect(client.get_by_role("heading", level=1, name=f"Fund “{milestone.title}”")).to_be_visible()
    expect(client.get_by_label(label("Card number"))).to_have_count(0)
    expect(client.locator(".sandbox-notice")).to_have_count(0)
    client.get_by_role("button", name="Add a card on Stripe").click()

    # 2. On Stripe's page: a declined card first, then a good one; back on the fund page. ----------
    expect(client).to_have_url(re.compile("^" + re.escape(stripe_site.base) + "/"))
    client.get_by_label("Card number").fill("4000000000000002")
    client.get_by_role("button", name="Save card").click()
    expect(client.get_by_text("Your card was declined.")).to_be_visible()
    client.get_by_label("Card number").fill("4242424242424242")
    client.get_by_role("button", name="Save card").click()
    expect(client.get_by_text("Visa •••• 4242 saved. Payments are made with it from now on.")).to_be_visible()
    expect(client.get_by_role("heading", level=1, name=f"Fund “{milestone.title}”")).to_be_visible()
    expect(client.get_by_text("You pay with your saved Visa •••• 4242.")).to_be_visible()

    # 3. Paying: the page says "processing" until Stripe's webhook confirms, then the milestone is funded.
    client.get_by_role("button", name="Pay $600.00 and fund").click()
    expect(client.get_by_role("heading", name="Payment processing")).to_be_visible()
    until_funded(client, milestone)
    payment = Payment.objects.get(reference=milestone.ledger_reference)
    assert (payment.status, payment.total_cents, payment.group) == ("succeeded", 600_00, f"contract_{contract.pk}")
    assert WebhookEvent.objects.filter(type="payment_intent.succeeded").count() == 1
    client_user.client_profile.refresh_from_db()
    assert client_user.client_profile.payment_method_verified_at is not None

    # 4. The work is delivered and approved; the clearance period passes. ----------------------------
    milestone_submit(milestone=milestone, by=freelancer_user, message="Done: see the pull request.")
    milestone_approve(milestone=milestone, by=client_user)
    assert clearances_due(now=timezone.now() + timedelta(days=settings.CLEARANCE_DAYS, hours=1)) == 1

    # 5. The freelancer connects a Stripe account from the earnings page and withdraws. -------------
    freelancer.goto(reverse("earnings"))
    available = freelancer.get_by_role("region", name="Available")
    expect(available.locator(".balance-figure")).to_have_text("$540.00")
    available.get_by_role("link", name="Add a payout account").click()
    freelancer.get_by_role("button", name="Set up payouts on Stripe").click()
    # The local Stripe completes onboarding at once and sends the freelancer back.
    expect(
        freelancer.get_by_text("Your payout account is ready: you can withdraw available money to it.")
    ).to_be_visible()
    withdraw = freelancer.get_by_role("form", name="Withdraw")
    withdraw.get_by_role("button", name="Withdraw").click()
    expect(freelancer.get_by_text("Withdrawal of $540.00 on its way to")).to_be_visible()
    payout_row = freelancer.get_by_role("region", name="Withdrawals").get_by_role("row").nth(1)
    expect(payout_row).to_contain_text("$540.00")
    expect(payout_row).to_contain_text("Sent")

    payout = Payout.objects.get()
    assert (payout.status, payout.amount_cents, payout.gateway_reference[:3]) == (Payout.Status.PAID, 540_00, "tr_")
    assert stripe_site.count("/v1/transfers") == 1
    assert money_problems() == []
