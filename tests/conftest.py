"""Shared fixtures and the rule that CI must not quietly skip the tests that need real services.

With PROOFWORK_REQUIRE_SERVICES=1 (set by .ci/run), a test that would be skipped because
PostgreSQL, Redis or Chromium is missing fails instead, and any skip at all fails the run.
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.core.cache import cache
from django.db import connection

from tests.factories import ClientProfileFactory, FreelancerProfileFactory, UserFactory
from tests.fakestripe.fixtures import stripe_api, stripe_server, webhook_receiver  # noqa: F401

REQUIRE_SERVICES = os.environ.get("PROOFWORK_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (PROOFWORK_REQUIRE_SERVICES=1 forbids skipping)", pytrace=False)
    pytest.skip(reason)


def _redis_answers() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if item.get_closest_marker("redis") and not _redis_answers():
        missing("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0 with a server running")
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        missing(f"needs Chromium at {CHROMIUM}: apt-get install -y chromium")


def pytest_sessionfinish(session, exitstatus):
    if not REQUIRE_SERVICES:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(
                f"{skipped} test(s) were skipped; PROOFWORK_REQUIRE_SERVICES=1 forbids skips.", red=True
            )


def seed_skill_taxonomy() -> None:
    """The skill taxonomy comes from a data migration; a transactional test's flush removes it."""
    from django.apps import apps

    importlib.import_module("accounts.migrations.0002_skill_taxonomy").seed(apps, None)


@pytest.fixture(autouse=True)
def _restore_migration_data(request):
    """Put the migration-seeded rows back when an earlier transactional test flushed them.

    pytest-django empties the database after a transactional test (live server, real worker,
    races), which removes the skill taxonomy that a data migration created; any test that runs
    later on the same worker gets it back here, at setup, once the database is ready.
    """
    if request.node.get_closest_marker("django_db") is None and not (
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("_django_db_helper")  # the database this test asked for, set up first
    from accounts.models import SkillCategory

    if not SkillCategory.objects.exists():
        seed_skill_taxonomy()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def freelancer(db):
    return FreelancerProfileFactory().user


@pytest.fixture
def client_user(db):
    return ClientProfileFactory().user


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def moderator(db):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="moderate"))
    TOTP.activate(user, generate_totp_secret())
    return user
