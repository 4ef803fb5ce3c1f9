"""Test-only controls under /_fake/: things Stripe does on its own (disputes, payouts), faults, counts, reset."""

import time

from aiohttp import web
from localstripe.resources import StripeObject, store

from tests.fakestripe import middleware
from tests.fakestripe.common import (
    Snapshot,
    as_int,
    find,
    json_response,
    params,
    random_id,
    required,
    send_event,
    stored,
    stripe_error,
)
from tests.fakestripe.patches import forget_webhooks

routes = web.RouteTableDef()


class Dispute(StripeObject):
    """Stripe: "A dispute occurs when a customer questions your charge with their card issuer." It starts in
    needs_response and Stripe sends charge.dispute.created."""

    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, charge, amount, reason):
        super().__init__()
        self.charge = charge.id
        self.payment_intent = charge.payment_intent
        self.amount = amount
        self.currency = charge.currency
        self.reason = reason
        self.status = "needs_response"
        self.is_charge_refundable = False
        self.metadata = {}
        self.evidence_details = {"due_by": self.created + 7 * 24 * 3600, "has_evidence": False}


@routes.post("/_fake/disputes")
async def open_dispute(request: web.Request) -> web.Response:
    data = await params(request)
    required(data, "charge")
    charge = find("charge", data["charge"], param="charge")
    amount = as_int(data["amount"], "amount") if data.get("amount") is not None else charge.amount
    dispute = Dispute(charge, amount, data.get("reason") or "fraudulent")
    send_event("charge.dispute.created", dispute)
    return json_response(dispute._export())


@routes.get("/v1/disputes/{id}")
async def retrieve_dispute(request: web.Request) -> web.Response:
    return json_response(find("dispute", request.match_info["id"])._export())


@routes.post("/_fake/payouts")
async def connected_account_payout(request: web.Request) -> web.Response:
    """Stripe pays a connected account's balance out to its bank on its own schedule and tells the platform with
    payout.paid or payout.failed ("failure_message: Message that provides the reason for a payout failure"), a
    Connect event whose top-level `account` names the connected account. The payout belongs to that account, so
    the platform cannot retrieve it: the fake only sends the event."""
    data = await params(request)
    required(data, "account", "amount", "status")
    account = find("account", data["account"], param="account")
    if data["status"] not in ("paid", "failed"):
        raise stripe_error(400, "status must be paid or failed", param="status")
    failed = data["status"] == "failed"
    now = int(time.time())
    payout = {
        "id": random_id("po_"),
        "object": "payout",
        "amount": as_int(data["amount"], "amount"),
        "currency": data.get("currency") or account.default_currency,
        "arrival_date": now,
        "created": now,
        "automatic": True,
        "destination": random_id("ba_"),
        "method": "standard",
        "type": "bank_account",
        "status": data["status"],
        "failure_code": (data.get("failure_code") or "could_not_process") if failed else None,
        "failure_message": (data.get("failure_message") or None) if failed else None,
        "livemode": False,
        "metadata": {},
    }
    send_event(f"payout.{data['status']}", Snapshot(payout), account=account.id)
    return json_response(payout)


@routes.delete("/_fake/data")
async def reset(request: web.Request) -> web.Response:
    """Forget everything: objects (what localstripe's DELETE /_config/data clears), stored idempotent results,
    pending faults, webhook endpoints and the deliveries not yet made."""
    store.clear()
    middleware.idempotent_results.clear()
    middleware.faults.clear()
    forget_webhooks()
    return json_response({"deleted": True})


@routes.post("/_fake/fail")
async def fail_next(request: web.Request) -> web.Response:
    data = await params(request)
    required(data, "method", "path", "when")
    if data["when"] not in ("before", "after"):
        raise stripe_error(400, "when must be before or after", param="when")
    fault = {
        "method": str(data["method"]).upper(),
        "path": data["path"],
        "when": data["when"],
        "times": as_int(data.get("times", 1), "times"),
    }
    middleware.faults.append(fault)
    return json_response(fault)


# The stored object kind behind a list path, where it is not the path's last word without its "s".
KINDS = {"/v1/checkout/sessions": "checkout.session", "/v1/transfer_reversals": "transfer_reversal"}


@routes.get("/_fake/calls")
async def count_objects(request: web.Request) -> web.Response:
    """How many objects of a kind exist, e.g. ?path=/v1/transfers -> {"count": 1, "ids": ["tr_..."]}."""
    path = request.query.get("path", "").rstrip("/")
    if not path.startswith("/v1/"):
        raise stripe_error(400, "path must look like /v1/transfers", param="path")
    kind = KINDS.get(path) or path.rsplit("/", 1)[-1].removesuffix("s")
    ids = [obj.id for obj in stored(kind)]
    return json_response({"path": path, "object": kind, "count": len(ids), "ids": ids})


@routes.get("/_fake/health")
async def health(request: web.Request) -> web.Response:
    return json_response({"ok": True})
