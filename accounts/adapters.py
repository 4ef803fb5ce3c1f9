from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from core.middleware import client_address


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request) -> str:
        # A new person chooses to hire, work or both before anything else.
        user = request.user
        if user.is_authenticated and not user.has_chosen_role:
            return reverse("onboarding")
        return super().get_login_redirect_url(request)

    def get_email_verification_redirect_url(self, email_address) -> str:
        if not email_address.user.has_chosen_role:
            return reverse("onboarding")
        return super().get_email_verification_redirect_url(email_address)

    def get_client_ip(self, request) -> str:
        # allauth's per-address limits key on the same address as every other limit; behind the
        # proxy, REMOTE_ADDR alone would put every visitor in one bucket.
        return client_address(request)


def user_display(user) -> str:
    """How allauth names a person in its messages ("Signed in as …"): their name, else their email
    address, never a username they did not choose."""
    return user.full_name or user.email
