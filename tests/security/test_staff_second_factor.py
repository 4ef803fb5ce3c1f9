"""Staff areas (the admin, moderation) open only to a session that signed in with a second factor:
having two-factor set up is not enough, and setting it up during a password-only session does
not count."""

from __future__ import annotations

import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.internal.flows.login import _AUTHENTICATION_METHODS_USER_SESSION_KEY
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from tests.helpers import signed_in_with_code

pytestmark = pytest.mark.django_db


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def staff_without_two_factor():
    user = UserFactory(is_staff=True, is_superuser=True)
    user.user_permissions.add(Permission.objects.get(codename="moderate"))
    return user


def sign_in(browser: Client, user, password: str = PASSWORD):
    return browser.post(reverse("account_login"), {"login": user.email, "password": password})


def test_enrolling_an_authenticator_in_a_password_session_does_not_open_staff_areas(staff_without_two_factor):
    staff = staff_without_two_factor
    attacker = Client()
    sign_in(attacker, staff)
    assert attacker.get("/admin/")["Location"] == reverse("mfa_activate_totp")

    # the attacker, who has only the password, re-authenticates with it and enrols an authenticator of their own
    attacker.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    secret = attacker.get(reverse("mfa_activate_totp")).context["form"].secret
    attacker.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert staff.authenticator_set.filter(type="totp").exists()

    for area in ("/admin/", reverse("moderation_home")):
        response = attacker.get(area)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert attacker.get(reverse("dashboard")).status_code == 302  # signed out

    # signing in again, with the code this time, opens them
    staff_browser = Client()
    assert sign_in(staff_browser, staff)["Location"] == reverse("mfa_authenticate")
    cache.clear()  # each code is good once; this stands for the next one the app shows
    staff_browser.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert staff_browser.get("/admin/").status_code == 200
    assert staff_browser.get(reverse("moderation_home")).status_code == 200


def test_a_code_given_only_to_re_authenticate_does_not_count(moderator):
    browser = Client()
    browser.force_login(moderator)  # a password-only sign-in leaves no second-factor record
    session = browser.session
    authenticator = moderator.authenticator_set.get(type="totp")
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time()},
        {"method": "mfa", "at": time.time(), "id": authenticator.pk, "type": "totp", "reauthenticated": True},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(moderator.pk)
    session.save()
    assert browser.get(reverse("moderation_home"))["Location"].startswith(reverse("account_login"))


def test_staff_signed_in_with_their_code_reach_moderation(moderator):
    browser = Client()
    browser.force_login(moderator)
    assert browser.get(reverse("moderation_home")).status_code == 302
    browser.force_login(moderator)
    signed_in_with_code(browser, moderator)
    assert browser.get(reverse("moderation_home")).status_code == 200
