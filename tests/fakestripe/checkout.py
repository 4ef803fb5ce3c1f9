"""Checkout Sessions in setup mode: a Stripe-hosted page where the customer saves a card for later payments.

Stripe: "A Checkout Session in setup mode collects payment details to be charged later ... creates a SetupIntent",
then redirects to success_url, where "{CHECKOUT_SESSION_ID}" is replaced by the session's id.
"""

import html
import time

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import PaymentMethod, SetupIntent, StripeObject

from tests.fakestripe.common import (
    find,
    json_response,
    params,
    pop_expand,
    required,
    send_event,
    stripe_error,
    unexpected,
)

routes = web.RouteTableDef()


class CheckoutSession(StripeObject):
    object = "checkout.session"
    _id_prefix = "cs_test_"

    def __init__(self, customer, currency, payment_method_types, success_url, cancel_url, metadata, base):
        super().__init__()
        self.mode = "setup"
        self.customer = customer
        self.currency = currency
        self.payment_method_types = payment_method_types
        self.success_url = success_url
        self.cancel_url = cancel_url
        self.metadata = metadata
        self.client_reference_id = None
        self.status = "open"
        self.payment_status = "no_payment_required"
        self.setup_intent = None
        self.payment_intent = None
        self.expires_at = self.created + 24 * 3600
        self.url = f"{base}/_fake/checkout/{self.id}"


@routes.post("/v1/checkout/sessions")
async def create_session(request: web.Request) -> web.Response:
    data = await params(request)
    expand = pop_expand(data)
    required(data, "mode", "success_url")
    if data.pop("mode") != "setup":
        raise stripe_error(400, "The fake Stripe imitates Checkout in mode=setup only.", param="mode")
    customer = data.pop("customer", None)
    if customer:
        find("customer", customer, param="customer")
    types = data.pop("payment_method_types", None) or ["card"]
    fields = {
        "currency": data.pop("currency", None),
        "payment_method_types": [types] if isinstance(types, str) else types,
        "success_url": data.pop("success_url"),
        "cancel_url": data.pop("cancel_url", None),
        "metadata": data.pop("metadata", None) or {},
    }
    client_reference_id = data.pop("client_reference_id", None)
    unexpected(data)
    session = CheckoutSession(customer=customer, base=f"http://{request.host}", **fields)
    session.client_reference_id = client_reference_id
    return json_response(session._export(expand=expand))


@routes.get("/v1/checkout/sessions/{id}")
async def retrieve_session(request: web.Request) -> web.Response:
    """Stripe: setup_intent is expandable, and so is its payment_method (expand[]=setup_intent.payment_method)."""
    data = await params(request)
    return json_response(find("checkout.session", request.match_info["id"])._export(expand=pop_expand(data)))


@routes.post("/v1/checkout/sessions/{id}/expire")
async def expire_session(request: web.Request) -> web.Response:
    """Stripe: "A Checkout Session can be expired when it is in one of these statuses: open"."""
    session = find("checkout.session", request.match_info["id"])
    if session.status != "open":
        raise stripe_error(
            400, f"Only Checkout Sessions with a status of open can be expired; this one is {session.status}."
        )
    session.status = "expired"
    session.expires_at = int(time.time())
    send_event("checkout.session.expired", session)
    return json_response(session._export())


@routes.get("/_fake/checkout/{id}")
async def checkout_page(request: web.Request) -> web.Response:
    session = find("checkout.session", request.match_info["id"])
    return _page(session)


@routes.post("/_fake/checkout/{id}")
async def submit_checkout_page(request: web.Request) -> web.StreamResponse:
    """The card is saved like Stripe does it: a PaymentMethod, confirmed through a SetupIntent (localstripe's, which
    declines the test card 4000000000000002), attached to the customer. Then setup_intent.succeeded,
    payment_method.attached and checkout.session.completed are sent and the browser goes to success_url (303)."""
    session = find("checkout.session", request.match_info["id"])
    if session.status != "open":
        return _page(session)
    form = await request.post()
    card = {
        "number": "".join(ch for ch in str(form.get("card_number", "")) if ch.isdigit()),
        "exp_month": str(form.get("exp_month") or "12"),
        "exp_year": str(form.get("exp_year") or "2034"),
        "cvc": str(form.get("cvc") or "123"),
    }
    try:
        payment_method = PaymentMethod(type="card", card=card)
    except UserError:
        return _page(session, error="Your card number is invalid.")
    setup_intent = SetupIntent(customer=session.customer, payment_method_types=["card"], usage="off_session")
    try:
        SetupIntent._api_confirm(setup_intent.id, payment_method=payment_method.id)
    except UserError as exc:
        return _page(session, error=exc.body["error"].get("message", "Your card was declined."))
    send_event("setup_intent.succeeded", setup_intent)
    if session.customer:
        PaymentMethod._api_attach(payment_method.id, customer=session.customer)
        send_event("payment_method.attached", payment_method)
    session.status = "complete"
    session.setup_intent = setup_intent.id
    send_event("checkout.session.completed", session)
    raise web.HTTPSeeOther(session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id))


def _page(session, error: str | None = None) -> web.Response:
    if session.status != "open":
        body = f"<p>This Checkout Session is {html.escape(session.status)}.</p>"
        return web.Response(text=_html(body), content_type="text/html", status=410)
    alert = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    cancel = f'<p><a href="{html.escape(session.cancel_url)}">Cancel</a></p>' if session.cancel_url else ""
    body = f"""<h1>Save a card</h1>
{alert}
<form method="post">
  <p><label for="card_number">Card number</label>
     <input name="card_number" id="card_number" inputmode="numeric" autocomplete="cc-number" required></p>
  <p><label for="exp_month">Expiry month</label> <input name="exp_month" id="exp_month" value="12" size="2">
     <label for="exp_year">Expiry year</label> <input name="exp_year" id="exp_year" value="2034" size="4">
     <label for="cvc">CVC</label> <input name="cvc" id="cvc" value="123" size="3"></p>
  <button type="submit">Save card</button>
</form>
{cancel}"""
    return web.Response(text=_html(body), content_type="text/html")


def _html(body: str) -> str:
    return f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fake Stripe Checkout</title></head><body>{body}</body></html>'
