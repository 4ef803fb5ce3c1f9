"""The ledger's tests share the contracts' after-test money check (see tests/contracts/conftest.py);
the Stripe tests switch the site to the Stripe gateway, pointed at the fake Stripe."""

import pytest

from tests.contracts.conftest import (  # noqa: F401
    money_invariants_hold,
    pytest_configure,
    pytest_runtest_makereport,
)
from tests.payments.stripe_support import WEBHOOK_SECRET


@pytest.fixture
def on_stripe(settings, stripe_api, webhook_receiver):
    """The Stripe gateway against the fake Stripe, whose signed events arrive at `webhook_receiver`."""
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_fakestripe"
    settings.STRIPE_API_BASE = stripe_api.base
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    stripe_api.register_webhook(webhook_receiver.url, WEBHOOK_SECRET)
    return stripe_api
