"""The fake Stripe answers the real `stripe` library the way the project assumes Stripe does."""

import urllib.error
import urllib.parse
import urllib.request

import pytest
import stripe

pytestmark = pytest.mark.stripe

SECRET = "whsec_test_secret"


@pytest.fixture
def client(stripe_api):
    return stripe_api.client()


def pay(client, amount, **params):
    """A PaymentIntent paid off-session with the test card that succeeds."""
    customer = client.v1.customers.create(params={"email": "buyer@example.com"})
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "off_session": True,
            **params,
        }
    )


def onboarded_account(client):
    account = client.v1.accounts.create(
        params={"type": "express", "email": "pro@example.com", "capabilities": {"transfers": {"requested": True}}}
    )
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": "http://app.test/refresh",
            "return_url": "http://app.test/back",
            "type": "account_onboarding",
        }
    )
    status, _headers, _body = browse(link.url)
    assert status == 302
    return account


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def browse(url, form=None):
    """What a browser gets from a page: (status, headers, text), redirects not followed."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, data=data, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers, answer.read().decode()


def test_an_idempotency_key_replays_the_first_answer_and_refuses_other_parameters(stripe_api, client):
    first = client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k1"})
    again = client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k1"})

    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert stripe_api.count("/v1/customers") == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={"email": "b@example.com"}, options={"idempotency_key": "k1"})


def test_an_idempotency_key_replays_an_error_too(stripe_api, client):
    params = {"amount": 500, "currency": "usd", "payment_method": "pm_card_chargeCustomerFail", "confirm": True}
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.create(params=params, options={"idempotency_key": "declined"})
    with pytest.raises(stripe.CardError) as replayed:
        client.v1.payment_intents.create(params=params, options={"idempotency_key": "declined"})

    assert replayed.value.headers.get("Idempotent-Replayed") == "true"
    assert stripe_api.count("/v1/payment_intents") == 1


def test_a_payment_with_a_transfer_group_succeeds_and_its_charge_is_found_by_group(client):
    intent = pay(client, 2500, transfer_group="deal_42", description="Milestone 1", receipt_email="b@example.com")

    assert intent.status == "succeeded"
    assert intent.transfer_group == "deal_42"
    assert isinstance(intent.latest_charge, str) and intent.latest_charge.startswith("ch_")
    charges = client.v1.charges.list(params={"transfer_group": "deal_42"})
    assert [c.id for c in charges.data] == [intent.latest_charge]
    assert charges.data[0].transfer_group == "deal_42"
    assert client.v1.charges.list(params={"transfer_group": "other"}).data == []
    expanded = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
    assert expanded.latest_charge.amount == 2500


def test_a_declined_card_raises_a_card_error_and_leaves_the_intent_unpaid(client):
    customer = client.v1.customers.create(params={})
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "usd",
                "customer": customer.id,
                "payment_method": "pm_card_chargeCustomerFail",
                "confirm": True,
                "off_session": True,
                "transfer_group": "deal_7",
            }
        )

    assert declined.value.code == "card_declined"
    assert declined.value.user_message == "Your card was declined."
    intent = declined.value.error.payment_intent
    assert intent.status == "requires_payment_method"
    assert intent.transfer_group == "deal_7"


def test_refunds_go_up_to_the_amount_paid_and_no_further(client):
    intent = pay(client, 3000)

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 5000})
    assert str(too_much.value.user_message) == (
        "Refund amount ($50.00) is greater than unrefunded amount on charge ($30.00)"
    )
    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1000})
    client.v1.refunds.create(params={"charge": intent.latest_charge, "amount": 2000})
    with pytest.raises(stripe.InvalidRequestError) as nothing_left:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1})

    assert nothing_left.value.code == "charge_already_refunded"
    refunds = client.v1.refunds.list(params={"payment_intent": intent.id})
    assert sorted(r.amount for r in refunds.data) == [1000, 2000]
    assert client.v1.charges.retrieve(intent.latest_charge).refunded is True


def test_an_express_account_is_enabled_by_its_onboarding_link(client):
    account = client.v1.accounts.create(
        params={
            "type": "express",
            "email": "pro@example.com",
            "country": "US",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"freelancer": "7"},
        }
    )
    assert account.id.startswith("acct_")
    assert (account.details_submitted, account.payouts_enabled, account.charges_enabled) == (False, False, False)
    assert account.requirements.currently_due

    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": "http://app.test/refresh",
            "return_url": "http://app.test/back?x=1",
            "type": "account_onboarding",
        }
    )
    status, headers, _ = browse(link.url)

    assert status == 302
    assert headers["Location"] == "http://app.test/back?x=1"
    account = client.v1.accounts.retrieve(account.id)
    assert (account.details_submitted, account.payouts_enabled, account.charges_enabled) == (True, True, True)
    assert account.requirements.currently_due == []
    assert account.metadata["freelancer"] == "7"


def test_transfers_need_an_enabled_destination_and_enough_balance(stripe_api, client):
    pending = client.v1.accounts.create(params={"type": "express", "capabilities": {"transfers": {"requested": True}}})
    with pytest.raises(stripe.InvalidRequestError) as not_enabled:
        client.v1.transfers.create(params={"amount": 100, "currency": "usd", "destination": pending.id})
    assert not_enabled.value.code == "insufficient_capabilities_for_transfer"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.transfers.create(params={"amount": 100, "currency": "usd", "destination": "acct_nope"})
    assert unknown.value.code == "resource_missing"

    account = onboarded_account(client)
    with pytest.raises(stripe.InvalidRequestError) as empty:
        client.v1.transfers.create(params={"amount": 100, "currency": "usd", "destination": account.id})
    assert empty.value.code == "balance_insufficient"

    pay(client, 5000, transfer_group="deal_1")
    transfer = client.v1.transfers.create(
        params={
            "amount": 4000,
            "currency": "usd",
            "destination": account.id,
            "transfer_group": "deal_1",
            "metadata": {"milestone": "3"},
        }
    )
    assert transfer.id.startswith("tr_")
    with pytest.raises(stripe.InvalidRequestError) as short:
        client.v1.transfers.create(params={"amount": 2000, "currency": "usd", "destination": account.id})
    assert short.value.code == "balance_insufficient"
    funded = pay(client, 2000)
    client.v1.transfers.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "destination": account.id,
            "source_transaction": funded.latest_charge,
        }
    )

    listed = client.v1.transfers.list(params={"destination": account.id, "transfer_group": "deal_1"})
    assert [t.id for t in listed.data] == [transfer.id]
    assert listed.has_more is False
    assert stripe_api.count("/v1/transfers") == 2


def test_a_transfer_is_reversed_in_parts_until_nothing_is_left(client):
    account = onboarded_account(client)
    pay(client, 3000)
    transfer = client.v1.transfers.create(params={"amount": 3000, "currency": "usd", "destination": account.id})

    reversal = client.v1.transfers.reversals.create(transfer.id, params={"amount": 1000})
    assert (reversal.amount, reversal.transfer) == (1000, transfer.id)
    partly = client.v1.transfers.retrieve(transfer.id)
    assert (partly.amount_reversed, partly.reversed) == (1000, False)
    client.v1.transfers.reversals.create(transfer.id)
    fully = client.v1.transfers.retrieve(transfer.id)
    assert (fully.amount_reversed, fully.reversed) == (3000, True)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 1})
    # The reversed money is back in the platform's balance.
    client.v1.transfers.create(params={"amount": 3000, "currency": "usd", "destination": account.id})


def test_a_setup_checkout_saves_the_card_typed_on_its_page(client):
    customer = client.v1.customers.create(params={"email": "buyer@example.com"})
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "customer": customer.id,
            "currency": "usd",
            "payment_method_types": ["card"],
            "success_url": "http://app.test/saved?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://app.test/cancelled",
            "metadata": {"client": "3"},
        }
    )
    assert session.status == "open"

    status, _, page = browse(session.url)
    assert status == 200
    assert '<label for="card_number">' in page and 'id="card_number"' in page and "Save card" in page
    _, _, declined = browse(session.url, {"card_number": "4000 0000 0000 0002"})
    assert "Your card was declined." in declined
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    status, headers, _ = browse(session.url, {"card_number": "4242424242424242"})

    assert status == 303
    assert headers["Location"] == f"http://app.test/saved?session={session.id}"
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["setup_intent.payment_method"]})
    assert done.status == "complete"
    assert done.setup_intent.status == "succeeded"
    card = done.setup_intent.payment_method
    assert (card.card.brand, card.card.last4, card.customer) == ("visa", "4242", customer.id)
    # The saved card pays off-session.
    paid = client.v1.payment_intents.create(
        params={
            "amount": 700,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": card.id,
            "confirm": True,
            "off_session": True,
        }
    )
    assert paid.status == "succeeded"


def test_a_call_that_fails_after_stripe_acted_is_retried_safely_with_its_key(stripe_api, client):
    account = onboarded_account(client)
    pay(client, 1000)
    params = {"amount": 800, "currency": "usd", "destination": account.id}

    stripe_api.fail_next("POST", "/v1/transfers", "after")
    with pytest.raises(stripe.APIError):
        client.v1.transfers.create(params=params, options={"idempotency_key": "payout-1"})
    assert stripe_api.count("/v1/transfers") == 1
    retried = client.v1.transfers.create(params=params, options={"idempotency_key": "payout-1"})

    assert retried.id == stripe_api.ids("/v1/transfers")[0]
    assert stripe_api.count("/v1/transfers") == 1


def test_a_call_that_fails_before_stripe_acted_does_nothing(stripe_api, client):
    stripe_api.fail_next("POST", "/v1/customers", "before")
    with pytest.raises(stripe.APIError):
        client.v1.customers.create(params={}, options={"idempotency_key": "c-1"})
    assert stripe_api.count("/v1/customers") == 0
    client.v1.customers.create(params={}, options={"idempotency_key": "c-1"})
    assert stripe_api.count("/v1/customers") == 1


def _verified(delivery, secret=SECRET):
    headers, body = delivery
    return stripe.Webhook.construct_event(body, headers["Stripe-Signature"], secret)


def test_events_arrive_signed_at_a_registered_endpoint(stripe_api, client, webhook_receiver):
    stripe_api.register_webhook(webhook_receiver.url, SECRET)
    intent = pay(client, 4000, transfer_group="deal_9")
    account = onboarded_account(client)
    client.v1.transfers.create(params={"amount": 1500, "currency": "usd", "destination": account.id})
    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 500})

    deliveries = webhook_receiver.wait_for(
        "payment_intent.succeeded", "transfer.created", "account.updated", "charge.refunded", "refund.updated"
    )

    events = {event.type: event for event in map(_verified, deliveries)}
    assert events["payment_intent.succeeded"].data.object.id == intent.id
    assert events["payment_intent.succeeded"].data.object.transfer_group == "deal_9"
    assert events["account.updated"].account == account.id
    assert events["account.updated"].data.object.payouts_enabled is True
    assert events["transfer.created"].data.object.amount == 1500
    assert events["charge.refunded"].data.object.amount_refunded == 500
    assert events["charge.refunded"].data.object.transfer_group == "deal_9"
    with pytest.raises(stripe.SignatureVerificationError):
        _verified(deliveries[0], secret="whsec_wrong")
    listed = {event.type for event in client.v1.events.list(params={"limit": 100}).data}
    assert {"payment_intent.succeeded", "transfer.created", "charge.refunded"} <= listed


def test_only_the_event_types_asked_for_are_sent(stripe_api, client, webhook_receiver):
    stripe_api.register_webhook(webhook_receiver.url, SECRET, events=["transfer.created"])
    account = onboarded_account(client)
    pay(client, 1000)
    client.v1.transfers.create(params={"amount": 1000, "currency": "usd", "destination": account.id})

    webhook_receiver.wait_for("transfer.created")
    assert set(webhook_receiver.event_types()) == {"transfer.created"}


def test_disputes_and_connected_payouts_are_triggered_by_the_tests(stripe_api, client, webhook_receiver):
    stripe_api.register_webhook(webhook_receiver.url, SECRET)
    intent = pay(client, 1200)
    account = onboarded_account(client)

    dispute = stripe_api.dispute(intent.latest_charge)
    stripe_api.payout_event(account.id, 900, "failed", failure_message="The bank account has been closed.")
    deliveries = webhook_receiver.wait_for("charge.dispute.created", "payout.failed")

    events = {event.type: event for event in map(_verified, deliveries)}
    disputed = events["charge.dispute.created"].data.object
    assert disputed.id == dispute["id"] and disputed.id.startswith("dp_")
    assert (disputed.charge, disputed.payment_intent, disputed.amount) == (intent.latest_charge, intent.id, 1200)
    payout = events["payout.failed"]
    assert payout.account == account.id
    assert (payout.data.object.amount, payout.data.object.status) == (900, "failed")
    assert payout.data.object.failure_message == "The bank account has been closed."


def test_a_reset_forgets_objects_and_keys(stripe_api, client):
    first = client.v1.customers.create(params={}, options={"idempotency_key": "same"})
    stripe_api.reset()

    assert stripe_api.count("/v1/customers") == 0
    again = client.v1.customers.create(params={}, options={"idempotency_key": "same"})
    assert again.id != first.id


def test_the_balance_is_charges_less_refunds_and_transfers(client):
    intent = pay(client, 5000)
    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1000})
    account = onboarded_account(client)
    client.v1.transfers.create(params={"amount": 2500, "currency": "usd", "destination": account.id})

    balance = client.v1.balance.retrieve()
    assert [(b.amount, b.currency) for b in balance.available] == [(1500, "usd")]
