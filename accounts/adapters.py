from __future__ import annotations

from functools import partial

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.urls import reverse

from accounts.moderation import staff_home_url
from accounts.tasks import send_account_email
from core.middleware import client_address


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request) -> str:
        # Staff start in the staff area; a new person chooses to hire, work or both before anything else.
        user = request.user
        if user.is_authenticated and user.is_staff:
            return staff_home_url(user)
        if user.is_authenticated and not user.has_chosen_role:
            return reverse("onboarding")
        return super().get_login_redirect_url(request)

    def get_email_verification_redirect_url(self, email_address) -> str:
        if not email_address.user.has_chosen_role:
            return reverse("onboarding")
        return super().get_email_verification_redirect_url(email_address)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Rendered here, sent by the worker after commit: a sign-up for a new address and one for
        # an address that has an account both only queue one email, so neither waits on SMTP.
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request), **context},
        )
        payload = {
            "subject": message.subject,
            "body": message.body,
            "from_email": message.from_email,
            "to": list(message.to),
            "headers": dict(message.extra_headers),
            "content_subtype": message.content_subtype,
            "alternatives": [list(alternative) for alternative in getattr(message, "alternatives", [])],
        }
        transaction.on_commit(partial(send_account_email.delay, payload))

    def get_client_ip(self, request) -> str:
        # allauth's per-address limits key on the same address as every other limit; behind the
        # proxy, REMOTE_ADDR alone would put every visitor in one bucket.
        return client_address(request)


def user_display(user) -> str:
    """How allauth names a person in its messages ("Signed in as …"): their name, else their email
    address, never a username they did not choose."""
    return user.full_name or user.email
