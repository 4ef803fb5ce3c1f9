"""What many test modules do: act as a signed-in person on the pages or the API, read a page
the way a person does (the words on it, the links with their names), count what a page costs,
and read a row and a transition table the way the table tests do."""

from __future__ import annotations

import html
import re
import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.internal.flows.login import _AUTHENTICATION_METHODS_USER_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient


def browser_for(user) -> Client:
    """Django's test client, signed in as `user`; staff with an authenticator signed in with its
    code too, as staff areas require."""
    browser = Client()
    browser.force_login(user)
    if user.is_staff:
        signed_in_with_code(browser, user)
    return browser


def signed_in_with_code(browser: Client, user) -> None:
    """Record in the browser's session what allauth records after a sign-in with password and an
    authenticator code (when the person has one)."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return
    now = time.time()
    session = browser.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "id": authenticator.pk, "type": authenticator.type},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


def api_for(user=None) -> APIClient:
    """An API client authenticated as `user`, or anonymous without one."""
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


def text(response) -> str:
    """The page without tags, entities decoded, whitespace collapsed."""
    body = re.sub(r"<(script|style|template)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def links_to(response, href: str) -> list[str]:
    """The names of the links on the page that go to `href`."""
    found = re.findall(rf'<a\b[^>]*href="{re.escape(href)}"[^>]*>(.*?)</a>', response.content.decode(), flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", name)).split()) for name in found]


def forms_posting_to(response, action: str) -> int:
    """How many forms on the page post to `action`."""
    return len(re.findall(rf'<form\b[^>]*action="{re.escape(action)}"', response.content.decode()))


def queries(browser: Client, url: str) -> int:
    """How many queries one GET of `url` runs (after a first GET, so sessions and caches are warm)."""
    assert browser.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200
    return len(captured)


def row(instance) -> dict:
    """The row as stored, every column."""
    return type(instance).objects.filter(pk=instance.pk).values().get()


def table_pairs(model, targets) -> list:
    """Every source status of the model's TRANSITIONS against every status a service can move to."""
    return [
        pytest.param(
            source,
            target,
            id=f"{source}->{target}:{'allowed' if target in model.TRANSITIONS[source] else 'forbidden'}",
        )
        for source in model.TRANSITIONS
        for target in targets
    ]


def came_back(response, path: str) -> bool:
    """A form that failed came back by a redirect (303, so the browser GETs it) to `path` (its
    fragment aside), which answered 200: a refresh reloads that page and never posts again.
    `response` is the test client's answer to a POST made with follow=True."""
    chain = response.redirect_chain
    return bool(chain) and chain[0][1] == 303 and chain[0][0].split("#")[0] == path and response.status_code == 200
