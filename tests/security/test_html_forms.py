"""Every HTML form, posted with what people (and scripts) type: empty, far too long, the wrong type,
control characters and unicode edges. The answer is a page (field errors, a refusal, a redirect),
never a 500.

The forms are not listed by hand: the demo market is seeded, and the site is walked as the demo
client and the demo freelancer from their dashboards, following every link on the site, reading
every <form method="post"> on every page reached. A form added tomorrow is posted the day it lands.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db(transaction=False)

ROLES = ("client@example.com", "freelancer@example.com")
PAGES_PER_ROLE = 120
SKIP_LINKS = re.compile(
    r"^/(admin|static|media|accounts/logout|api|moderation)/|/files?/|/attachments?/|\.ics$|/download"
)
LONG = "x" * 20_000
VALUES = {
    "empty": "",
    "long": LONG,
    "control": "Line one\r\nBcc: someone@example.com\x00\x07\x1b",
    "unicode": "\u202eevil\u200b \U0001f4a5 \ufeff \u0301",
    "number-like": "1e400",
    "arabic digits": "\u0661\u0664",
    "negative": "-1",
    "nan": "NaN",
}


class Forms(HTMLParser):
    """Links and post forms of a page: each form's action and its fields with their current values."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"].split("#")[0])
        elif tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = {"action": a.get("action") or "", "fields": {}, "types": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select") and a.get("name"):
            kind = a.get("type", tag).lower()
            if kind in ("file", "submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["types"].setdefault(a["name"], kind)
                return
            self._form["fields"][a["name"]] = a.get("value", "")
            self._form["types"][a["name"]] = kind
            if tag == "select":
                self._select = a["name"]
        elif tag == "option" and self._select and self._form is not None and not self._form["fields"].get(self._select):
            self._form["fields"][self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def walk(browser: Client, start: str) -> list[tuple[str, dict]]:
    """(page, form) for every post form on the pages reachable from `start`."""
    seen, queue, found = set(), deque([start]), []
    while queue and len(seen) < PAGES_PER_ROLE:
        path = queue.popleft()
        shape = re.sub(r"\d+", "N", path)
        if path in seen or SKIP_LINKS.search(path) or sum(1 for p in seen if re.sub(r"\d+", "N", p) == shape) >= 2:
            continue
        seen.add(path)
        response = browser.get(path)
        assert response.status_code < 500, f"GET {path} answered {response.status_code}"
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = Forms()
        page.feed(response.content.decode())
        queue.extend(link for link in page.links if link not in seen)
        found.extend((path, form) for form in page.forms)
    return found


def shapes(form: dict) -> str:
    return re.sub(r"\d+", "N", form["action"]) + "|" + ",".join(sorted(form["types"]))


@pytest.fixture
def market():
    call_command("seed_demo", verbosity=0)


@pytest.mark.parametrize("email", ROLES)
def test_every_form_answers_a_page_whatever_is_typed(market, email):
    browser = Client()
    browser.force_login(User.objects.get(email=email))
    forms = walk(browser, "/dashboard/")
    assert len(forms) >= 10, "the walk should reach the market's forms"
    posted, failures, done = 0, [], set()
    for page, form in forms:
        if shapes(form) in done or "logout" in form["action"]:
            continue
        done.add(shapes(form))
        action = form["action"] or page
        if urlsplit(action).netloc:
            continue
        typed = [name for name, kind in form["types"].items() if kind not in ("hidden", "checkbox", "radio")]
        for label, value in VALUES.items():
            data = dict(form["fields"])
            for name in typed or list(form["fields"]):
                data[name] = value
            response = browser.post(action, data)
            posted += 1
            if response.status_code >= 500:
                failures.append(f"{label} → POST {action} ({', '.join(typed)}): {response.status_code}")
    assert failures == []
    assert posted >= 40
