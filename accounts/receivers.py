"""Reactions to allauth's signals: a welcome on the first confirmed email, and a notice on every
change to how a person signs in (these always email, so a hijacked account is noticed)."""

from __future__ import annotations

from allauth.account.signals import email_changed, email_confirmed, password_changed, password_reset
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse

from accounts.moderation import audit
from accounts.tokens import api_tokens_revoke_all
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


AUTHENTICATOR_NAMES = {
    "totp": "authenticator app",
    "recovery_codes": "set of recovery codes",
    "webauthn": "security key",
}


def _security_notice(user, title: str, body: str) -> None:
    notify(
        recipient=user,
        kind="account.security",
        title=title,
        body=body + "\nIf this was not you, reset your password now and contact support.",
        url=reverse("account_settings"),
    )


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def revoke_api_tokens(sender, instance, created, **kwargs) -> None:
    """API tokens issued under the old password stop working: a change or reset must shut out
    whoever knew the old one. Read from the save that stores a new password (set_password leaves
    it in `_password` until then), so the account pages, a reset link, the admin's form and the
    shell all end the tokens alike."""
    if not created and getattr(instance, "_password", None) is not None:
        api_tokens_revoke_all(user=instance)


@receiver(post_save, sender=Authenticator)
def revoke_api_tokens_on_new_authenticator(sender, instance, created, **kwargs) -> None:
    """Turning on two-factor ends the tokens issued with the password alone, in the same transaction
    as the new authenticator, however it was added."""
    if created and instance.type != Authenticator.Type.RECOVERY_CODES:
        api_tokens_revoke_all(user=instance.user)


@receiver(password_changed)
def notice_password_changed(sender, request, user, **kwargs) -> None:
    _security_notice(user, "Your password was changed", "The password of your Proofwork account was changed.")


@receiver(password_reset)
def notice_password_reset(sender, request, user, **kwargs) -> None:
    _security_notice(user, "Your password was reset", "The password of your Proofwork account was reset by email link.")


@receiver(email_changed)
def notice_email_changed(sender, request, user, from_email_address, to_email_address, **kwargs) -> None:
    # Confirming the address one signed up with makes it primary too: that is not a change.
    if from_email_address is None or from_email_address.email.lower() == to_email_address.email.lower():
        return
    _security_notice(
        user,
        "Your email address was changed",
        f"Your sign-in email changed from {from_email_address.email} to {to_email_address.email}.",
    )


@receiver(authenticator_added)
def notice_authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    _security_notice(
        user,
        "Two-factor authentication was turned on",
        f"A new {AUTHENTICATOR_NAMES.get(authenticator.type, 'authenticator')} was added to your account.",
    )


@receiver(authenticator_removed)
def notice_authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    _security_notice(
        user,
        "Two-factor authentication was changed",
        f"Your {AUTHENTICATOR_NAMES.get(authenticator.type, 'authenticator')} was removed.",
    )


@receiver(post_save, sender=LogEntry)
def admin_change_into_the_audit_log(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    """A data fix in the Django admin is a moderator action like any other: it joins the audit log."""
    if created:
        _audit_admin_entry(instance)


def audit_bulk_admin_entries() -> None:
    """The admin writes the entries of an action on many objects (delete selected) with
    bulk_create, which sends no post_save: wrap its log_actions so those are audited too."""
    manager = type(LogEntry.objects)
    original = manager.log_actions
    if getattr(original, "audited", False):
        return

    def log_actions(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if isinstance(result, list) and len(result) > 1:
            for entry in result:
                _audit_admin_entry(entry)
        return result

    log_actions.audited = True
    manager.log_actions = log_actions


def _audit_admin_entry(instance: LogEntry) -> None:
    what = {ADDITION: "Added", CHANGE: "Changed", DELETION: "Deleted"}.get(instance.action_flag, "Changed")
    model = f"{instance.content_type.app_label}.{instance.content_type.model}" if instance.content_type else "object"
    audit(
        actor=instance.user,
        verb="admin_change",
        target=f"{model}:{instance.object_id}"[:60],
        label=f"{what} {instance.object_repr}",
        reason=instance.get_change_message(),
    )
