"""A payer's saved card: added on the processor's own page (Stripe Checkout in setup mode) or,
in the sandbox, with a test card number on ours. A saved card verifies the payment method."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError
from payments import listeners
from payments.gateways import CardSetup, SavedCard, get_gateway
from payments.models import BillingProfile


def billing_profile(user) -> BillingProfile:
    gateway = get_gateway()
    profile, _ = BillingProfile.objects.get_or_create(user=user, defaults={"gateway": gateway.name})
    if not profile.customer_id or profile.gateway != gateway.name:
        customer_id = gateway.customer(user_id=user.pk, email=user.email, name=user.get_full_name() or user.email)
        BillingProfile.objects.filter(pk=profile.pk).update(customer_id=customer_id, gateway=gateway.name)
        profile.refresh_from_db()
    return profile


@transaction.atomic
def card_store(*, user_id: int, card: SavedCard, gateway: str) -> BillingProfile:
    profile, _ = BillingProfile.objects.get_or_create(user_id=user_id, defaults={"gateway": gateway})
    BillingProfile.objects.filter(pk=profile.pk).update(
        card_id=card.card_id,
        card_brand=card.brand,
        card_last4=card.last4,
        card_exp_month=card.exp_month,
        card_exp_year=card.exp_year,
        card_saved_at=timezone.now(),
        pending_setup_id="",
    )
    listeners.emit(listeners.CARD_SAVED, user_id=user_id)
    profile.refresh_from_db()
    return profile


def card_setup_start(*, user, return_url: str, cancel_url: str, card_number: str = "") -> CardSetup:
    """Start saving (or replacing) a card: saved at once in the sandbox, or a page to go to."""
    profile = billing_profile(user)
    gateway = get_gateway()
    setup = gateway.card_setup_start(
        customer_id=profile.customer_id,
        user_id=user.pk,
        return_url=return_url,
        cancel_url=cancel_url,
        card_number=card_number,
    )
    if setup.card is not None:
        card_store(user_id=user.pk, card=setup.card, gateway=gateway.name)
    else:
        BillingProfile.objects.filter(pk=profile.pk).update(pending_setup_id=setup.setup_id)
    return setup


def card_setup_finish(*, user, setup_id: str) -> BillingProfile:
    """The payer is back from the processor's page: keep the card if the setup completed. Only
    the setup this payer started is looked at, so nobody can attach another person's session."""
    profile = BillingProfile.objects.filter(user=user).first()
    if profile is None or not setup_id or setup_id != profile.pending_setup_id:
        if profile is not None and profile.has_card and setup_id and setup_id == profile.card_id:
            return profile
        raise DomainError("That card setup is not one you started. Add your card again.")
    card = get_gateway().card_setup_finish(setup_id=setup_id)
    if card is None:
        raise DomainError("The card was not saved: the page at Stripe was not completed. Try again.")
    return card_store(user_id=user.pk, card=card, gateway=profile.gateway)
