"""Sign-in limits behind the production proxy (gunicorn on 127.0.0.1, one TLS proxy in front that
appends the address it saw to X-Forwarded-For): every limit keys on that address, and failed
passwords and two-factor codes count per account on the web sign-in and the API alike."""

from __future__ import annotations

import time

import pytest
from allauth.account.adapter import get_adapter
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from core.middleware import client_address
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"
TOKEN_URL = "/api/v1/auth/token/"


def via_proxy(client_says: str | None, seen: str) -> dict:
    """What gunicorn receives: the connection from the proxy, and X-Forwarded-For with whatever the
    client sent followed by the address the proxy saw."""
    forwarded = f"{client_says}, {seen}" if client_says else seen
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def web_sign_in(browser: Client, email: str, password: str, **meta):
    return browser.post(reverse("account_login"), {"login": email, "password": password}, **meta)


# --- One notion of the client's address ------------------------------------------------------


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the left entry is the client's own claim
        ("198.51.100.1, 127.0.0.1, 203.0.113.7", "203.0.113.7"),
        ("not-an-address", PROXY),
    ],
)
def test_every_limiter_sees_the_address_the_proxy_saw(forwarded, expected):
    request = RequestFactory().post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
    assert get_adapter(request).get_client_ip(request) == expected
    if expected != PROXY:
        assert SimpleRateThrottle.get_ident(object.__new__(SimpleRateThrottle), request) == expected


def test_without_a_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_address(request) == "203.0.113.7"


# --- The API token endpoint ------------------------------------------------------------------


@pytest.mark.parametrize("claim", ["198.51.100.{n}", "198.51.100.{n}, 127.0.0.1"])
def test_a_new_forwarded_header_per_request_does_not_escape_the_token_throttle(claim):
    api = APIClient()
    statuses = [
        api.post(
            TOKEN_URL,
            {"email": f"guess{n}@example.com", "password": "guess"},
            format="json",
            **via_proxy(claim.format(n=n), "203.0.113.9"),
        ).status_code
        for n in range(11)
    ]
    assert statuses[0] == 400
    assert statuses[-1] == 429


def test_an_account_locked_on_the_web_gets_no_api_token():
    user = UserFactory(email="victim@example.com")
    for n in range(5):
        web_sign_in(Client(), user.email, "wrong-guess", **via_proxy(None, f"198.51.100.{n}"))
    locked = web_sign_in(Client(), user.email, PASSWORD, **via_proxy(None, "198.51.100.77"))
    assert "Too many failed login attempts" in locked.text

    response = APIClient().post(
        TOKEN_URL, {"email": user.email, "password": PASSWORD}, format="json", **via_proxy(None, "198.51.100.78")
    )
    assert response.status_code == 429
    assert "token" not in response.json()


def test_wrong_passwords_on_the_api_lock_the_web_sign_in_too():
    user = UserFactory(email="victim@example.com")
    api = APIClient()
    for n in range(5):
        wrong = api.post(
            TOKEN_URL, {"email": user.email, "password": "wrong"}, format="json", **via_proxy(None, f"198.51.100.{n}")
        )
        assert wrong.status_code == 400
    locked = api.post(
        TOKEN_URL, {"email": user.email, "password": PASSWORD}, format="json", **via_proxy(None, "198.51.100.50")
    )
    assert locked.status_code == 429
    response = web_sign_in(Client(), user.email, PASSWORD, **via_proxy(None, "198.51.100.51"))
    assert "Too many failed login attempts" in response.text


def test_wrong_two_factor_codes_on_the_api_are_limited_per_person():
    user = UserFactory()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    api = APIClient()
    body = {"email": user.email, "password": PASSWORD}
    for n in range(5):
        wrong = api.post(TOKEN_URL, {**body, "code": "000000"}, format="json", **via_proxy(None, f"198.51.100.{n}"))
        assert wrong.status_code == 400
    right = api.post(
        TOKEN_URL, {**body, "code": current_code(secret)}, format="json", **via_proxy(None, "198.51.100.60")
    )
    assert right.status_code == 429
    assert "token" not in right.json()


def test_wrong_codes_on_the_web_two_factor_page_lock_the_api_too():
    user = UserFactory()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    browser = Client()
    assert web_sign_in(browser, user.email, PASSWORD)["Location"] == reverse("mfa_authenticate")
    for _ in range(5):
        browser.post(reverse("mfa_authenticate"), {"code": "000000"})

    response = APIClient().post(
        TOKEN_URL, {"email": user.email, "password": PASSWORD, "code": current_code(secret)}, format="json"
    )
    assert response.status_code == 429


# --- The web sign-in behind the proxy --------------------------------------------------------


def test_one_visitor_cannot_lock_every_visitor_out_of_the_web_sign_in():
    user = UserFactory(email="someone@example.com")
    attacker = Client()
    for n in range(11):
        web_sign_in(attacker, f"random{n}@example.com", "wrong-guess", **via_proxy(None, "198.51.100.66"))
    assert "Too many" in web_sign_in(attacker, "random99@example.com", "x", **via_proxy(None, "198.51.100.66")).text

    response = web_sign_in(Client(), user.email, PASSWORD, **via_proxy(None, "203.0.113.5"))
    assert response.status_code == 302
    assert response["Location"] != reverse("account_login")
