"""Changes made to localstripe itself, applied once when the server module is imported.

Each one is small and says why. Everything else the fake adds lives in its own routes and middlewares.
"""

import asyncio

from localstripe import resources, webhooks
from localstripe.resources import Charge, PaymentIntent, Refund, Store

# localstripe pickles its whole store to /tmp/localstripe.pickle after every write and can reload it at start.
# Tests want a fresh server, and several servers (one per xdist worker) must not share that file: never persist.
Store.dump_to_disk = lambda self: None
Store.try_load_from_disk = lambda self: None


# Webhooks: localstripe signs and posts each event one second after it is scheduled, from a task nobody keeps.
# The fake keeps those tasks so that a reset can cancel deliveries still waiting from a previous test.
_pending_deliveries: set[asyncio.Future] = set()


def schedule_webhook(event) -> None:
    task = asyncio.ensure_future(webhooks._send_webhook(event))
    _pending_deliveries.add(task)
    task.add_done_callback(_pending_deliveries.discard)


resources.schedule_webhook = schedule_webhook  # localstripe's resources call it by this global name


def forget_webhooks() -> None:
    """Unregister every webhook endpoint and cancel the deliveries not yet made."""
    webhooks._webhooks.clear()
    for task in list(_pending_deliveries):
        task.cancel()
    _pending_deliveries.clear()


# PaymentIntent fields localstripe does not know. Stripe echoes them back on the intent ("transfer_group: A string
# that identifies the resulting payment as part of a group"); the fake sets them on the object before confirming it,
# so they appear in every response and in the events' payloads. Class attributes give the default (null).
PAYMENT_INTENT_FIELDS = (
    "transfer_group",
    "setup_future_usage",
    "receipt_email",
    "statement_descriptor_suffix",
    "description",
    "automatic_payment_methods",
)
for _field in PAYMENT_INTENT_FIELDS:
    setattr(PaymentIntent, _field, None)

# A Refund's reason ("duplicate, fraudulent, or requested_by_customer") is accepted and echoed.
Refund.reason = None


# Stripe: a Charge created by a PaymentIntent carries the intent's transfer_group
# ("transfer_group: A string that identifies this transaction as part of a group").
def _charge_transfer_group(charge):
    if not charge.payment_intent:
        return None
    intent = resources.store.get("payment_intent:" + charge.payment_intent)
    return intent.transfer_group if intent else None


Charge.transfer_group = property(_charge_transfer_group)


# Stripe: `latest_charge` is an expandable field ("ID of the latest Charge object ... Expandable"): a string unless
# the request says expand[]=latest_charge. localstripe always embeds the charge; the fake gives the id back.
# localstripe also sends the list `charges`, which Stripe removed from PaymentIntents in API version 2022-11-15.
_export_payment_intent = PaymentIntent._export


def _export_payment_intent_with_charge_id(self, expand=None):
    exported = _export_payment_intent(self, expand=expand)
    wanted = any(path == "latest_charge" or path.startswith("latest_charge.") for path in expand or [])
    if isinstance(exported.get("latest_charge"), dict) and not wanted:
        exported["latest_charge"] = exported["latest_charge"]["id"]
    exported.pop("charges", None)
    return exported


PaymentIntent._export = _export_payment_intent_with_charge_id
