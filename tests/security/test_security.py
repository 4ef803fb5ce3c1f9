import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, FreelancerProfileFactory, UserFactory
from tests.helpers import browser_for

pytestmark = pytest.mark.django_db


def test_every_page_carries_the_security_headers(client):
    response = client.get(reverse("account_login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_post_without_csrf_token_is_refused():
    user = FreelancerProfileFactory().user
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    response = strict.post(reverse("profile_freelancer_edit"), {"headline": "Hijacked"})
    assert response.status_code == 403
    user.freelancer_profile.refresh_from_db()
    assert user.freelancer_profile.headline != "Hijacked"


def test_login_refuses_an_offsite_next():
    UserFactory(email="a@example.com")
    response = Client().post(
        reverse("account_login") + "?next=https://evil.example.com/",
        {"login": "a@example.com", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert "evil.example.com" not in response["Location"]


def test_password_reset_does_not_reveal_who_has_an_account(client, mailoutbox):
    UserFactory(email="known@example.com")
    known = client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_repeated_failed_logins_for_one_email_are_blocked(client):
    UserFactory(email="victim@example.com")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "victim@example.com", "password": "wrong-guess"})
    response = client.post(reverse("account_login"), {"login": "victim@example.com", "password": PASSWORD})
    assert response.status_code == 429 or "Too many failed login attempts" in response.text


def test_moderator_signs_in_with_password_and_code_to_reach_the_admin(moderator):
    from allauth.mfa.models import Authenticator

    secret = decrypt(Authenticator.objects.get(user=moderator, type="totp").data["secret"])
    browser = Client()
    response = browser.post(reverse("account_login"), {"login": moderator.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    # the password alone does not open the admin
    assert browser.get("/admin/")["Location"].startswith("/admin/login/")
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    browser.post(reverse("mfa_authenticate"), {"code": code})
    assert browser.get("/admin/").status_code == 200
    assert browser.get(reverse("moderation_home")).status_code == 200


def test_staff_read_contracts_and_the_ledger_in_the_admin_but_cannot_change_them(client):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    admin_user = UserFactory(is_staff=True, is_superuser=True)
    TOTP.activate(admin_user, generate_totp_secret())
    client = browser_for(admin_user)
    for path in ("/admin/contracts/contract/", "/admin/payments/ledgertransaction/", "/admin/payments/accountbalance/"):
        page = client.get(path)
        assert page.status_code == 200
        assert "Add " not in page.text.split("<main", 1)[-1].split("</h1>", 1)[0]
    assert client.get("/admin/payments/ledgertransaction/add/").status_code == 403
