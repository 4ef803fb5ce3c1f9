"""Reactions to allauth's signals: a confirmed email gets a welcome with next steps."""

from __future__ import annotations

from allauth.account.signals import email_confirmed
from django.dispatch import receiver
from django.urls import reverse

from notifications.services import notify


@receiver(email_confirmed)
def welcome_on_first_confirmation(sender, request, email_address, **kwargs) -> None:
    user = email_address.user
    if user.notifications.filter(kind="account.welcome").exists():
        return
    notify(
        recipient=user,
        kind="account.welcome",
        title="Welcome to Proofwork",
        body=(
            "Your email is confirmed. Next: choose whether you want to hire, work or both, and fill in "
            "your profile. Clients start with a small paid test project; freelancers see a client's "
            "record before they apply."
        ),
        url=reverse("onboarding"),
    )
