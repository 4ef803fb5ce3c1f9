"""A local Stripe for the tests: localstripe's aiohttp app, plus the calls the project needs that it lacks.

    python -m tests.fakestripe.server --port 8420

Listens on 127.0.0.1 only and starts empty (localstripe's pickled store is never read nor written).
What is added, each imitating a documented Stripe behaviour (see the modules):

- middleware: idempotency keys (replay, idempotency_error), injected faults, Stripe-shaped errors;
- payments: PaymentIntent fields localstripe refuses (transfer_group, off_session, ...), 402 card_error on a
  declined confirmation, charges listed by transfer_group, refund limits and refund events, the platform balance;
- connect: Express accounts, onboarding links, transfers and their reversals;
- checkout: Checkout Sessions in setup mode, with a card form at /_fake/checkout/<id>;
- testing: /_fake/ controls (disputes, connected-account payouts, faults, counts, reset).

Webhook endpoints are registered with localstripe's POST /_config/webhooks/<id> (url, secret, events[]); every
event is a localstripe Event, signed by its sender (about one second after the call) and listed by GET /v1/events.
"""

import argparse
import logging

from aiohttp import web
from localstripe.server import app

from tests.fakestripe import checkout, connect, middleware, payments, testing  # noqa: F401 (payments: overrides)

middleware.install(app)
for module in (connect, checkout, testing):
    app.router.add_routes(module.routes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
