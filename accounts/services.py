"""Every write to accounts and profiles goes through these functions."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import ClientProfile, FreelancerProfile, PortfolioItem, Skill, User
from accounts.moderation import audit, suspension_changed
from core.exceptions import DomainError, NotAllowed
from core.uploads import normalized_image
from notifications.services import notify

FREELANCER_FIELDS = ("headline", "bio", "hourly_rate_cents", "availability")
CLIENT_FIELDS = ("company_name", "website", "team_size", "about_team", "vision", "values")
USER_FIELDS = ("full_name", "country", "timezone")


def _assign(instance, data: dict, allowed: tuple[str, ...]) -> list[str]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    for name, value in data.items():
        setattr(instance, name, value)
    return list(data)


@transaction.atomic
def user_set_roles(*, user: User, is_client: bool, is_freelancer: bool) -> User:
    """A person hires, works or both; choosing a role opens its profile. At least one role."""
    if not (is_client or is_freelancer):
        raise DomainError("Choose at least one: hire, work, or both.", field="roles")
    user = User.objects.select_for_update().get(pk=user.pk)
    user.is_client = is_client
    user.is_freelancer = is_freelancer
    user.save(update_fields=["is_client", "is_freelancer"])
    if is_client:
        ClientProfile.objects.get_or_create(user=user)
    if is_freelancer:
        FreelancerProfile.objects.get_or_create(user=user)
    return user


@transaction.atomic
def user_update(*, user: User, avatar=None, remove_avatar: bool = False, **data) -> User:
    """Name, country, timezone and avatar; the avatar is re-encoded before it is stored."""
    _assign(user, data, USER_FIELDS)
    fields = list(data)
    if remove_avatar and user.avatar:
        user.avatar.delete(save=False)
        user.avatar = ""
        fields.append("avatar")
    elif avatar is not None:
        old = user.avatar.name if user.avatar else None
        image = normalized_image(avatar, prefix="avatar")
        user.avatar.save(image.name, image, save=False)
        fields.append("avatar")
        if old:
            user.avatar.storage.delete(old)
    user.full_clean(exclude=["password", "avatar"])
    user.save(update_fields=fields or None)
    return user


def _profile_save(model, *, user: User, user_details: dict | None, data: dict, fields):
    # Both profile pages save the person's details and the profile together, each checked by its model.
    if user_details:
        user_update(user=user, **user_details)
    profile, _ = model.objects.select_for_update().get_or_create(user=user)
    _assign(profile, data, fields)
    profile.full_clean(exclude=["user"])
    profile.save()
    return profile


@transaction.atomic
def freelancer_profile_update(
    *, user: User, skills: list[Skill] | None = None, user_details: dict | None = None, **data
) -> FreelancerProfile:
    """Only a freelancer edits their own profile; skills come from the taxonomy, at most the limit."""
    if not user.is_freelancer:
        raise DomainError("Choose 'I want to work' before filling in a freelancer profile.")
    profile = _profile_save(
        FreelancerProfile, user=user, user_details=user_details, data=data, fields=FREELANCER_FIELDS
    )
    if skills is not None:
        if len(skills) > settings.FREELANCER_MAX_SKILLS:
            raise DomainError(f"Choose at most {settings.FREELANCER_MAX_SKILLS} skills.", field="skills")
        profile.skills.set(skills)
    return profile


@transaction.atomic
def client_profile_update(*, user: User, user_details: dict | None = None, **data) -> ClientProfile:
    """Only a client edits their own company details and pitch."""
    if not user.is_client:
        raise DomainError("Choose 'I want to hire' before filling in a client profile.")
    return _profile_save(ClientProfile, user=user, user_details=user_details, data=data, fields=CLIENT_FIELDS)


def client_payment_method_verified(*, user: User, at=None) -> bool:
    """The client's card went through a real charge: their profile shows the payment method as
    verified from then on. The first charge sets the time; later ones change nothing."""
    updated = ClientProfile.objects.filter(user=user, payment_method_verified_at__isnull=True).update(
        payment_method_verified_at=at or timezone.now()
    )
    return bool(updated)


@transaction.atomic
def portfolio_item_save(
    *,
    user: User,
    item: PortfolioItem | None = None,
    image=None,
    remove_image: bool = False,
    **data,
) -> PortfolioItem:
    """Add or edit a portfolio item of one's own profile, up to the configured number."""
    if not user.is_freelancer:
        raise NotAllowed("Only freelancers have a portfolio.")
    profile = FreelancerProfile.objects.select_for_update().get(user=user)
    if item is None:
        if profile.portfolio_items.count() >= settings.PORTFOLIO_MAX_ITEMS:
            raise DomainError(f"A portfolio holds at most {settings.PORTFOLIO_MAX_ITEMS} items. Remove one first.")
        item = PortfolioItem(profile=profile)
    elif item.profile_id != profile.pk:
        raise NotAllowed("This portfolio item is not yours.")
    _assign(item, data, ("title", "description", "url"))
    if remove_image and item.image:
        item.image.delete(save=False)
        item.image = ""
    elif image is not None:
        if item.image:
            item.image.delete(save=False)
        normalized = normalized_image(image, prefix="portfolio")
        item.image.save(normalized.name, normalized, save=False)
    item.full_clean(exclude=["profile", "image"])
    item.save()
    return item


@transaction.atomic
def portfolio_item_delete(*, user: User, item: PortfolioItem) -> None:
    """A freelancer removes an item from their own portfolio."""
    if item.profile.user_id != user.pk:
        raise NotAllowed("This portfolio item is not yours.")
    if item.image:
        image_name = item.image.name
        storage = item.image.storage
        transaction.on_commit(lambda: storage.delete(image_name))
    item.delete()


@transaction.atomic
def user_suspend(*, user: User, by: User, reason: str) -> User:
    """Staff with the moderation permission suspend an account, with a reason the person sees."""
    if not (by.is_staff and by.has_perm("accounts.moderate")):
        raise NotAllowed("Only moderators can suspend accounts.")
    if user.pk == by.pk:
        raise DomainError("You cannot suspend your own account.")
    reason = reason.strip()
    if not reason:
        raise DomainError("Give the reason for the suspension; the person will see it.", field="reason")
    updated = User.objects.filter(pk=user.pk, suspended_at__isnull=True).update(
        suspended_at=timezone.now(), suspension_reason=reason
    )
    if not updated:
        raise DomainError("This account is already suspended.")
    user.refresh_from_db()
    audit(actor=by, verb="suspended", target=f"user:{user.pk}", label=user.email, reason=reason)
    suspension_changed(user=user, suspended=True)
    notify(
        recipient=user,
        kind="account.suspended",
        title="Your account has been suspended",
        body=f"Reason: {reason}\nYou can still sign in and read, but not take part in the market.",
    )
    return user


@transaction.atomic
def user_unsuspend(*, user: User, by: User, reason: str) -> User:
    """Staff lift a suspension, with a reason the person reads and the audit log keeps."""
    if not (by.is_staff and by.has_perm("accounts.moderate")):
        raise NotAllowed("Only moderators can lift suspensions.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for lifting the suspension; the person will see it.", field="reason")
    updated = User.objects.filter(pk=user.pk, suspended_at__isnull=False).update(
        suspended_at=None, suspension_reason=""
    )
    if not updated:
        raise DomainError("This account is not suspended.")
    user.refresh_from_db()
    audit(actor=by, verb="reinstated", target=f"user:{user.pk}", label=user.email, reason=reason)
    suspension_changed(user=user, suspended=False)
    notify(recipient=user, kind="account.suspended", title="Your account is active again", body=f"Reason: {reason}")
    return user
