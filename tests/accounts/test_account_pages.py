"""Every account page a person can reach renders inside the site layout, with no server error."""

import pytest
from django.urls import reverse

from tests.factories import FreelancerProfileFactory

pytestmark = pytest.mark.django_db

ANONYMOUS_PAGES = ["account_login", "account_signup", "account_reset_password", "home"]
SIGNED_IN_PAGES = [
    "dashboard",
    "account_email",
    "account_change_password",
    "mfa_index",
    "account_reauthenticate",
    "account_settings",
    "notification_list",
    "notification_preferences",
    "onboarding",
    "profile_freelancer_edit",
    "portfolio_item_create",
]


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_public_account_pages_render_in_the_layout(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert 'class="site-header"' in response.text and "Skip to content" in response.text


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_pages_render_in_the_layout(client, name):
    client.force_login(FreelancerProfileFactory().user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "Sign out" in response.text


def test_pages_that_need_a_login_send_visitors_to_log_in(client):
    for name in ("dashboard", "account_settings", "notification_list", "profile_client_edit"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_a_missing_page_uses_the_friendly_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "We can't find that page" in response.text


def test_two_factor_setup_asks_for_the_password_again_then_shows_the_qr_code(client):
    from tests.factories import PASSWORD

    user = FreelancerProfileFactory().user
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(response["Location"], {"password": PASSWORD})
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    assert "Authenticator secret" in response.text or "authenticator" in response.text.lower()
    assert 'src="data:image/svg+xml' in response.text or "<svg" in response.text
