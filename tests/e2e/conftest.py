"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Every test in this folder gets the `browser` marker, so tests/conftest.py skips it (or fails
it under PROOFWORK_REQUIRE_SERVICES=1) when Chromium is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

# Playwright's sync API keeps an event loop running in the test thread; without this Django
# refuses ORM calls made from that thread (factories, assertions on the database).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect, sync_playwright

from tests.conftest import CHROMIUM, seed_skill_taxonomy

HERE = Path(__file__).parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config, items):
    # Conftest collection hooks see every item in the run, so only mark the ones in this folder.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    # No check for Chromium here: tests/conftest.py handles the `browser` marker before fixtures run.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def is_csp_violation(message: ConsoleMessage) -> bool:
    """Chromium logs every blocked inline style or script as a console error naming the policy."""
    return "Content Security Policy" in message.text


class WatchedBrowser:
    """The session's Chromium, for one test: every page of every context it opens is watched for
    uncaught JavaScript errors and for anything the Content-Security-Policy blocked."""

    def __init__(self, launched: Browser):
        self._browser = launched
        self.problems: list[str] = []

    def new_context(self, **options) -> BrowserContext:
        context = self._browser.new_context(**options)
        context.on("page", self._watch)
        return context

    def _watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if is_csp_violation(message):
            self.problems.append(f"{message.type}: {message.text}")

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture
def browser(chromium):
    """A person would see a half-working page: an uncaught JavaScript error or a style or script the
    Content-Security-Policy blocked (Chromium logs those to the console) fails the test."""
    watched = WatchedBrowser(chromium)
    yield watched
    assert not watched.problems, f"Errors on the page: {watched.problems}"


@pytest.fixture
def site(live_server, settings):
    """The live server with the skill taxonomy in place."""
    seed_skill_taxonomy()  # a previous browser test's flush removed it
    return live_server


@pytest.fixture
def open_browser(browser, site):
    """Opens a fresh browser context (no cookies) per person, with relative URLs resolved against the site.

    Errors on any of their pages fail the test (see `browser`).
    """
    contexts = []

    def make(viewport: dict | None = None) -> Page:
        context = browser.new_context(base_url=site.url, viewport=viewport or {"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_browser) -> Page:
    """One person's browser, for a test that follows one person."""
    return open_browser()
