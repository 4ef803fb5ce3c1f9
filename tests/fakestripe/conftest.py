from tests.fakestripe.fixtures import stripe_api, stripe_server, webhook_receiver  # noqa: F401
