"""Every test here that touched the database must leave the money invariants intact.

The check runs after the test body, inside the test's own transaction, so it sees what the test
left behind. It is skipped when the test body already failed (that failure is the report), and a
test that corrupts the ledger on purpose (to prove the check notices) opts out with
`@pytest.mark.no_money_check`. tests/payments/conftest.py reuses all of this.
"""

from __future__ import annotations

import pytest

NO_MONEY_CHECK = "no_money_check: skip the after-test money invariants check (the test corrupts money on purpose)"


def pytest_configure(config):
    config.addinivalue_line("markers", NO_MONEY_CHECK)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.money_call_passed = report.passed
    return report


def _uses_database(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None:
        # Set up the database before this fixture, so the check runs before the rollback or flush.
        request.getfixturevalue("_django_db_helper")
        return True
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            return True
    return False


@pytest.fixture(autouse=True)
def money_invariants_hold(request):
    """After each test that used the database: contracts.invariants.money_problems() == []."""
    check = not request.node.get_closest_marker("no_money_check") and _uses_database(request)
    yield
    if not check or not getattr(request.node, "money_call_passed", False):
        return
    from contracts.invariants import money_problems

    problems = money_problems()
    assert problems == [], "the money invariants broke:\n" + "\n".join(problems)
