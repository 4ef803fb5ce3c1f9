"""The account pages allauth draws (password reset and change, email, two-factor, sign-in's
"remember me" and its error) speak in the site's sentence case, like every other page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.helpers import browser_for, text

pytestmark = pytest.mark.django_db

TITLE_CASE = re.compile(
    r"Remember Me|Password Reset|Reset My Password|Change Password|Current Password|New Password|"
    r"Email Address|Two-Factor Authentication|Authenticator App|Recovery Codes|Account Inactive|Sign In\b|Sign Up\b"
)


@pytest.mark.parametrize("name", ["account_login", "account_reset_password", "account_signup", "account_inactive"])
def test_signed_out_account_pages_use_sentence_case(client, name):
    shown = text(client.get(reverse(name)))
    assert TITLE_CASE.findall(shown) == []


@pytest.mark.parametrize("name", ["account_change_password", "account_email", "mfa_index"])
def test_signed_in_account_pages_use_sentence_case(name):
    shown = text(browser_for(UserFactory()).get(reverse(name)))
    assert TITLE_CASE.findall(shown) == []


def test_a_wrong_password_is_told_plainly(client):
    user = UserFactory()
    page = client.post(reverse("account_login"), {"login": user.email, "password": "not-the-password"})
    shown = text(page)
    assert "That email address and password do not match an account." in shown
    assert "you specified" not in shown and "Remember me" in shown
