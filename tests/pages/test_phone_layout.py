"""On a 390px-wide phone nothing scrolls sideways: long names wrap and tables fit.

The stylesheet checks are cheap and always run; the browser test measures the real pages in
Debian's Chromium (skipped without it, like the other browser tests)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from marketplace import services
from tests.conftest import CHROMIUM
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.factories import PASSWORD, ClientProfileFactory, FreelancerProfileFactory
from tests.helpers import browser_for
from tests.marketplace.factories import draft_project, open_project, submit_proposal

PHONE = 390
# One unbroken word, as some people's names and many company names are.
LONG_NAME = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaft Okafor"


def stylesheet() -> str:
    return Path(finders.find("css/app.css")).read_text()


def rule(selector: str) -> str:
    """The declarations of the rule whose selector list is exactly `selector`."""
    match = re.search(rf"(?m)^{re.escape(selector)} {{([^}}]*)}}", stylesheet())
    assert match, f"no rule for {selector}"
    return match.group(1)


def test_fact_values_wrap_instead_of_widening_the_page():
    assert "overflow-wrap: anywhere" in rule(".facts dd")
    assert "min-width: 0" in rule(".facts dd")
    assert "nowrap" not in rule("aside .facts dd")


@pytest.mark.django_db
def test_the_dashboard_project_tables_scroll_or_stack_on_a_phone(client_user):
    open_project(client=client_user)
    draft_project(client=client_user)
    page = browser_for(client_user).get(reverse("dashboard")).content.decode()
    tables = re.findall(r'<div class="table-scroll">\s*<table class="stack-table[^"]*">', page)
    assert len(tables) == 2  # one per group: draft, open
    assert 'data-label="Deadline"' in page and 'data-label="Budget"' in page


@pytest.mark.browser
def test_no_page_scrolls_sideways_on_a_phone(live_server):
    # given a client with a long name, whose projects fill the dashboard tables
    client = ClientProfileFactory(user__full_name=LONG_NAME, user__email="long@example.com").user
    freelancer = FreelancerProfileFactory(user__email="worker@example.com").user
    project = open_project(client=client, title="Import patient records from a new partner system")
    open_project(client=client, kind="test", title="Fix the timezone bug in appointment reminders")
    draft_project(client=client, title="Accessibility audit of the booking flow")
    filled = open_project(client=client, title="Stripe Connect payouts", budget_max_cents=6_000_00)
    services.proposal_hire(proposal=submit_proposal(project=filled), by=client)
    # when each of them opens their pages on a phone
    spec = {
        "base": live_server.url,
        "chromium": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "width": PHONE,
        "people": [
            {"email": client.email, "password": PASSWORD, "paths": [reverse("dashboard")]},
            {
                "email": freelancer.email,
                "password": PASSWORD,
                "paths": [reverse("proposal_create", args=[project.pk]), project.get_absolute_url()],
            },
        ],
    }
    script = Path(__file__).with_name("phone_width.py")
    run = subprocess.run(
        [sys.executable, str(script), json.dumps(spec)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    widths = json.loads(run.stdout)
    # then every page fits the screen
    assert len(widths) == 3
    assert {path: width for path, width in widths.items() if width > PHONE} == {}
