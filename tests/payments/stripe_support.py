"""What the Stripe tests share: our site switched to the Stripe gateway pointed at the fake Stripe
(tests/fakestripe), its signed webhooks handed to our endpoint, a browser at Stripe's hosted pages,
and money moved through the real services (a saved card, a funded milestone, a ready payout
account, money available to withdraw).

The fixture `on_stripe` (tests/payments/conftest.py) sets the settings and registers the webhook
receiver with the fake; every event the fake sends then arrives there, signed with WEBHOOK_SECRET.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts.models import Milestone
from contracts.services import milestone_approve, milestone_fund
from payments.cards import billing_profile
from payments.charges import latest_payment, payments_sweep
from payments.models import BillingProfile, Payment, PayoutAccount
from payments.payout_accounts import payout_account_refresh, payout_account_start
from payments.services import clearances_due
from tests.contracts.factories import active_contract, milestone_of

WEBHOOK_SECRET = "whsec_test"
APP = "http://testserver"


# --- webhooks -----------------------------------------------------------------------------------


def event_of(delivery) -> dict:
    return json.loads(delivery[1])


def deliver(client: Client, delivery, *, body: bytes | None = None, signature: str | None = None):
    """POST one delivery the fake made (its raw body and Stripe-Signature header) to our endpoint."""
    headers, raw = delivery
    extra = {} if signature == "" else {"HTTP_STRIPE_SIGNATURE": signature or headers["Stripe-Signature"]}
    return client.post(
        reverse("stripe_webhook"), data=raw if body is None else body, content_type="application/json", **extra
    )


def deliver_event(client: Client, receiver, type: str, match=lambda obj: True):
    """Wait for the fake's event of `type` (whose object satisfies `match`) and deliver it; the response."""
    response = deliver(client, receiver.wait_for_event(type, match))
    assert response.status_code == 200, response.content
    return response


def about(object_id: str):
    """A match for wait_for_event: the event is about this object."""
    return lambda obj: obj.get("id") == object_id


# --- Stripe's hosted pages, as a browser opens them -----------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def browse(url: str, form: dict | None = None) -> tuple[int, dict, str]:
    """(status, headers, text) of a page at the fake, redirects not followed."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, data=data, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, dict(answer.headers), answer.read().decode()


def local(url: str) -> str:
    """Our own address that a page at the fake redirected to, as the test client requests it."""
    assert url.startswith(APP), url
    return url[len(APP) :]


def checkout_card(setup_url: str, number: str = "4242424242424242") -> tuple[int, dict, str]:
    """Open the Checkout page at the fake and save `number` on it."""
    status, _, page = browse(setup_url)
    assert status == 200 and "Save card" in page
    return browse(setup_url, {"card_number": number})


# --- money through the real services ---------------------------------------------------------------


def saved_card(user, payment_method: str = "pm_card_visa") -> BillingProfile:
    """A customer at the fake for `user`, with one of Stripe's test payment methods as the saved card."""
    profile = billing_profile(user)
    BillingProfile.objects.filter(pk=profile.pk).update(card_id=payment_method, card_brand="visa", card_last4="4242")
    profile.refresh_from_db()
    return profile


def after_stale() -> datetime:
    return timezone.now() + timedelta(minutes=settings.PAYMENT_STALE_MINUTES + 1)


def settle_payments() -> int:
    """Settle what is processing by asking the fake (the sweeper's way: no webhook needed)."""
    return payments_sweep(now=after_stale())


def stripe_contract(**kwargs):
    """An active contract whose client has a saved card at the fake."""
    contract = active_contract(**kwargs)
    saved_card(contract.client)
    return contract


def stripe_funded(milestone: Milestone) -> Milestone:
    """Fund a milestone by card at the fake and settle the payment as the sweeper does."""
    milestone_fund(milestone=milestone, by=milestone.contract.client)
    settle_payments()
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.FUNDED
    return milestone


def funded_on_stripe(**kwargs) -> Milestone:
    return stripe_funded(milestone_of(stripe_contract(**kwargs)))


def payment_of(milestone: Milestone) -> Payment:
    return latest_payment(milestone.ledger_reference)


def start_onboarding(user) -> str:
    """An Express account at the fake for `user`; the address of its onboarding link."""
    return payout_account_start(
        user=user, return_url=APP + reverse("payout_account_return"), refresh_url=APP + reverse("payout_account")
    )


def ready_payout_account(user) -> PayoutAccount:
    """An Express account at the fake, onboarded through its link, its status read back."""
    status, _, _ = browse(start_onboarding(user))
    assert status == 302
    account = payout_account_refresh(user=user)
    assert account.payouts_enabled
    return account


def earned_on_stripe(**kwargs) -> Milestone:
    """A milestone funded at the fake, approved, and cleared: its money available to the freelancer."""
    milestone = funded_on_stripe(**kwargs)
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    clearances_due(now=timezone.now() + timedelta(days=settings.CLEARANCE_DAYS, hours=1))
    milestone.refresh_from_db()
    return milestone
