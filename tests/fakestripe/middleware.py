"""The middlewares wrapped around localstripe's app, outermost first:

guard -> injected faults -> idempotency -> localstripe's errors -> auth (not for /_fake/) -> overrides -> routes
"""

import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web
from localstripe import server as localstripe_server

from tests.fakestripe.common import json_response, params

log = logging.getLogger("fakestripe")


@web.middleware
async def guard(request: web.Request, handler):
    """Whatever goes wrong answers in Stripe's shape, so the stripe library raises a readable error.

    Stripe: an unknown URL is a 404 invalid_request_error "Unrecognized request URL (GET: /v1/...)"; a fault on
    Stripe's side is a 500 api_error.
    """
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        message = f"Unrecognized request URL ({request.method}: {request.path})."
        return json_response({"error": {"type": "invalid_request_error", "message": message}}, status=404)
    except web.HTTPException:
        raise
    except Exception as exc:
        log.exception("fake Stripe failed on %s %s", request.method, request.path)
        return json_response({"error": {"type": "api_error", "message": f"fake Stripe bug: {exc!r}"}}, status=500)


# Faults asked for by POST /_fake/fail: {"method", "path" (a prefix), "when": "before" | "after", "times"}.
faults: list[dict] = []


def _api_error(message: str) -> web.Response:
    return json_response({"error": {"type": "api_error", "message": message}}, status=500)


@web.middleware
async def injected_faults(request: web.Request, handler):
    """Make the next matching call fail, as a network or Stripe fault would.

    "before": answer 500 api_error without acting. "after": act (an idempotent result is stored by the layer
    inside this one) and still answer 500, so the client believes the call failed although Stripe acted; Stripe's
    advice is to retry with the same Idempotency-Key, which then replays the stored success.
    """
    fault = next(
        (
            f
            for f in faults
            if f["method"] == request.method and request.path.startswith(f["path"]) and not _is_fake_control(request)
        ),
        None,
    )
    if fault is None:
        return await handler(request)
    fault["times"] -= 1
    if fault["times"] <= 0:
        faults.remove(fault)
    if fault["when"] == "before":
        return _api_error("Injected fault: the request failed before Stripe acted.")
    await handler(request)
    return _api_error("Injected fault: Stripe acted, but the answer was lost.")


# Idempotency: key -> {"request": (method, path, params), "status", "body"}.
idempotent_results: dict[str, dict] = {}


@web.middleware
async def idempotency(request: web.Request, handler):
    """Stripe: "Stripe's idempotency works by saving the resulting status code and body of the first request made
    for any given idempotency key, regardless of whether it succeeds or fails. Subsequent requests with the same key
    return the same result, including 500 errors." and "The idempotency layer compares incoming parameters to those
    of the original request and errors if they're not the same". A replay carries `Idempotent-Replayed: true`.
    """
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or _is_fake_control(request):
        return await handler(request)
    sent = (request.method, request.path, await params(request))
    earlier = idempotent_results.get(key)
    if earlier is not None:
        if earlier["request"] != sent:
            message = (
                "Keys for idempotent requests can only be used with the same parameters they were first used with. "
                f"Try using a key other than '{key}' if you meant to execute a different request."
            )
            return json_response({"error": {"type": "idempotency_error", "message": message}}, status=400)
        headers = {"Idempotent-Replayed": "true", "Idempotency-Key": key}
        return web.Response(
            body=earlier["body"], status=earlier["status"], content_type="application/json", headers=headers
        )
    response = await handler(request)
    if response.status != 401 and isinstance(response, web.Response) and response.body is not None:
        idempotent_results[key] = {"request": sent, "status": response.status, "body": response.body}
    response.headers["Idempotency-Key"] = key
    return response


@web.middleware
async def auth_except_fake_pages(request: web.Request, handler):
    """localstripe's API-key check, except on /_fake/: the onboarding and Checkout pages are opened by a browser."""
    if request.path.startswith("/_fake/"):
        return await handler(request)
    return await localstripe_server.auth_middleware(request, handler)


Handler = Callable[..., Awaitable[web.StreamResponse]]
_overrides: list[tuple[str, re.Pattern, Handler]] = []


def override(method: str, pattern: str):
    """Answer a localstripe route (its own handler is then not called) with the decorated handler.

    localstripe's routes are registered first and win in aiohttp's router; this middleware runs before them.
    """

    def register(handler: Handler) -> Handler:
        _overrides.append((method, re.compile(pattern), handler))
        return handler

    return register


@web.middleware
async def overrides(request: web.Request, handler):
    for method, pattern, replacement in _overrides:
        match = pattern.fullmatch(request.path)
        if method == request.method and match:
            return await replacement(request, **match.groupdict())
    return await handler(request)


def install(app: web.Application) -> None:
    app.middlewares.clear()
    app.middlewares.extend(
        [
            guard,
            injected_faults,
            idempotency,
            localstripe_server.error_middleware,
            auth_except_fake_pages,
            overrides,
        ]
    )


def _is_fake_control(request: web.Request) -> bool:
    return request.path.startswith(("/_fake/", "/_config/"))
