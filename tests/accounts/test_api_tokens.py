"""API tokens: stored hashed, shown once, expire, and revoked by their owner, a password change or
reset, and turning on two-factor."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.factories import PASSWORD, UserFactory
from tests.helpers import browser_for, text

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
NEW_PASSWORD = "another-long-passphrase"


def sign_in_for_token(user, **extra) -> str:
    response = APIClient().post(TOKEN_URL, {"email": user.email, "password": PASSWORD, **extra}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["token"]


def me_status(key: str) -> int:
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code


def test_the_key_is_shown_once_and_only_its_digest_is_stored():
    user = UserFactory()
    response = APIClient().post(
        TOKEN_URL, {"email": user.email, "password": PASSWORD}, format="json", HTTP_USER_AGENT="invoice-sync/1.2"
    )
    key = response.json()["token"]
    assert set(response.json()) == {"token", "expires_at"}
    stored = ApiToken.objects.values().get(user=user)
    assert key not in str(stored)
    assert stored["digest"] == hashlib.sha256(key.encode()).hexdigest()
    assert stored["name"] == "invoice-sync/1.2"
    assert me_status(key) == 200


def test_signing_in_again_gives_a_new_key_and_the_old_one_keeps_working():
    user = UserFactory()
    first, second = sign_in_for_token(user), sign_in_for_token(user)
    assert first != second
    assert me_status(first) == me_status(second) == 200


def test_a_token_stops_working_when_it_expires_whether_used_or_not(settings):
    settings.API_TOKEN_LIFETIME = timedelta(days=30)
    user = UserFactory()
    key = sign_in_for_token(user)
    later = timezone.now() + timedelta(days=29)
    with mock.patch("accounts.tokens.timezone.now", return_value=later):
        assert me_status(key) == 200  # used a day before it expires: the expiry does not move
    with mock.patch("accounts.tokens.timezone.now", return_value=later + timedelta(days=1, seconds=1)):
        assert me_status(key) == 401


def test_delete_revokes_the_callers_token_only():
    user = UserFactory()
    kept, revoked = sign_in_for_token(user), sign_in_for_token(user)
    api = APIClient()
    assert api.delete(TOKEN_URL, HTTP_AUTHORIZATION=f"Token {revoked}").status_code == 204
    assert me_status(revoked) == 401
    assert me_status(kept) == 200
    assert api.delete(TOKEN_URL).status_code == 401
    assert api.delete(TOKEN_URL, HTTP_AUTHORIZATION=f"Token {revoked}").status_code == 401


def test_changing_the_password_revokes_every_token(django_capture_on_commit_callbacks):
    user = UserFactory()
    key = sign_in_for_token(user)
    browser = browser_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    assert response.status_code == 302
    assert me_status(key) == 401


def test_resetting_the_password_revokes_every_token(mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory()
    key = sign_in_for_token(user)
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+)", mailoutbox[-1].body).group(1)
    form_url = browser.get(link)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert me_status(key) == 401


def test_turning_on_two_factor_revokes_every_token():
    user = UserFactory()
    key = sign_in_for_token(user)
    browser = Client()
    browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    browser.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    secret = browser.get(reverse("mfa_activate_totp")).context["form"].secret
    browser.post(reverse("mfa_activate_totp"), {"code": format_hotp_value(hotp_value(secret, int(time.time()) // 30))})
    assert user.authenticator_set.filter(type="totp").exists()
    assert me_status(key) == 401


def test_the_settings_page_lists_active_tokens_and_revokes_one():
    user = UserFactory()
    other = UserFactory()
    APIClient().post(
        TOKEN_URL, {"email": user.email, "password": PASSWORD, "name": "nightly export"}, format="json"
    ).json()
    others_key = sign_in_for_token(other)
    browser = browser_for(user)
    page = browser.get(reverse("account_settings"))
    assert "nightly export" in text(page) and "Revoke" in text(page)

    others_token = ApiToken.objects.get(user=other)
    assert browser.post(reverse("api_token_revoke", args=[others_token.pk])).status_code == 404
    assert me_status(others_key) == 200

    token = ApiToken.objects.get(user=user)
    response = browser.post(reverse("api_token_revoke", args=[token.pk]), follow=True)
    assert "You have no active API tokens" in text(response)
    assert not ApiToken.objects.filter(user=user).exists()


def test_a_password_set_anywhere_else_ends_the_tokens_too():
    # given a person signed in to the API
    user = UserFactory()
    key = sign_in_for_token(user)
    assert me_status(key) == 200
    # when their password is changed outside the account pages (the admin's form, a shell)
    user.set_password("an-entirely-new-passphrase")
    user.save()
    # then the token stops working; other saves of the person leave tokens alone
    assert me_status(key) == 401
    fresh = (
        APIClient()
        .post(TOKEN_URL, {"email": user.email, "password": "an-entirely-new-passphrase"}, format="json")
        .json()["token"]
    )
    user.full_name = "Renamed"
    user.save()
    assert me_status(fresh) == 200


def test_expired_tokens_are_deleted_by_the_daily_task():
    from accounts.tasks import purge_expired_api_tokens

    user = UserFactory()
    sign_in_for_token(user)
    live = sign_in_for_token(user)
    oldest = ApiToken.objects.filter(user=user).order_by("pk").first()
    ApiToken.objects.filter(pk=oldest.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert purge_expired_api_tokens() == 1
    assert ApiToken.objects.filter(user=user).count() == 1
    assert me_status(live) == 200
