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
from playwright.sync_api import Page, expect, sync_playwright

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
def browser():
    # No check for Chromium here: tests/conftest.py handles the `browser` marker before fixtures run.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(live_server, settings):
    """The live server with the skill taxonomy in place."""
    seed_skill_taxonomy()  # a previous browser test's flush removed it
    return live_server


@pytest.fixture
def open_browser(browser, site):
    """Opens a fresh browser context (no cookies) per person, with relative URLs resolved against the site.

    Uncaught JavaScript errors in any of them fail the test: a person would see a half-working page.
    """
    contexts, js_errors = [], []

    def make() -> Page:
        context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        new_page = context.new_page()
        new_page.on("pageerror", lambda error: js_errors.append(str(error)))
        return new_page

    yield make
    for context in contexts:
        context.close()
    assert not js_errors, f"JavaScript errors on the page: {js_errors}"


@pytest.fixture
def page(open_browser) -> Page:
    """One person's browser, for a test that follows one person."""
    return open_browser()
