"""A local Stripe for the tests: localstripe (GPL, test-only) plus the calls it lacks.

Run it with `python -m tests.fakestripe.server --port N`; the pytest fixtures are in `tests.fakestripe.fixtures`.
Each module says which Stripe behaviour it imitates; together they are what the project assumes of Stripe.
"""
