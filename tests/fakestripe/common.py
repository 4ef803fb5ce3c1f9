"""Helpers shared by the fake's routes: Stripe-shaped errors, request parameters, events."""

import json
import random
import string

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import Event, store
from localstripe.server import get_post_data, unflatten_data

from tests.fakestripe.patches import schedule_webhook


def stripe_error(status: int, message: str, *, type: str = "invalid_request_error", **fields) -> UserError:
    """An error as Stripe sends it: {"error": {"type", "message", "code", "param", ...}} with an HTTP status.

    localstripe's UserError always says invalid_request_error; the type is put back afterwards.
    """
    error = UserError(status, message, {key: value for key, value in fields.items() if value is not None})
    error.body["error"]["type"] = type
    return error


def no_such(kind: str, id: str, param: str | None = None) -> UserError:
    # Stripe: "No such destination: 'acct_123'", code resource_missing, HTTP 400 when the id came as a parameter
    # and 404 when it is the object addressed by the URL.
    return stripe_error(400 if param else 404, f"No such {kind}: '{id}'", code="resource_missing", param=param)


def find(kind: str, id, *, param: str | None = None, noun: str | None = None):
    """The stored object of that kind and id, or Stripe's resource_missing error naming it by `noun`."""
    obj = store.get(f"{kind}:{id}") if isinstance(id, str) else None
    if obj is None:
        raise no_such(noun or kind, id, param=param)
    return obj


def random_id(prefix: str, length: int = 14) -> str:
    return prefix + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(length))


async def params(request: web.Request) -> dict:
    """The parameters of a call: the form (or JSON) body of a POST, else the query string, nested like Stripe's."""
    if request.method == "POST":
        return dict(await get_post_data(request) or {})
    return dict(unflatten_data(request.query) or {})


def pop_expand(data: dict) -> list[str]:
    expand = data.pop("expand", None) or []
    return [expand] if isinstance(expand, str) else list(expand)


def as_int(value, param: str, *, minimum: int = 1) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise stripe_error(400, f"Invalid integer: {value}", param=param) from None
    if number < minimum:
        raise stripe_error(400, f"This value must be greater than or equal to {minimum}.", param=param)
    return number


def as_bool(value) -> bool:
    return value is True or str(value).lower() == "true"


def required(data: dict, *names: str) -> None:
    for name in names:
        if data.get(name) in (None, ""):
            raise stripe_error(400, f"Missing required param: {name}.", code="parameter_missing", param=name)


def unexpected(data: dict) -> None:
    if data:
        name = sorted(data)[0]
        raise stripe_error(400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name)


def json_response(body, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda value: json.dumps(value, indent=2, sort_keys=True))


def stored(kind: str) -> list:
    """Every stored object of one kind ("transfer", "checkout.session"...), oldest first."""
    return [value for key, value in store.items() if key.startswith(kind + ":")]


def send_event(type: str, obj, *, account: str | None = None) -> Event:
    """Record an Event (listed by GET /v1/events) and deliver it, signed, to the registered webhook endpoints.

    Stripe: events about a connected account carry "account: the connected account that originated the event".
    The payload is taken when the event is made, like Stripe's snapshot of the object at that moment.
    """
    event = Event(type, obj)
    if account:
        event.account = account
    schedule_webhook(event)
    return event


class Snapshot:
    """An object sent in an event but not kept by the platform (a connected account's payout)."""

    def __init__(self, fields: dict):
        self._fields = fields

    def _export(self, expand=None):
        return dict(self._fields)
