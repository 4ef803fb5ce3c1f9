"""The moderation area's audit log: every moderator action and every private page a moderator
reads is one ModerationAction row, written in the transaction of what it records. Any app calls
audit(); staff read the log at /moderation/log/; nobody edits it."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import ModerationAction
from core.exceptions import DomainError


def can_moderate(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm("accounts.moderate"))


def staff_home_url(user) -> str:
    """Where staff start after signing in: the moderation area, or the admin for staff who do not
    moderate. Staff are never asked to choose to hire or work first."""
    return reverse("moderation_home") if can_moderate(user) else reverse("admin:index")


def moderator_text(value, *, field: str, missing: str, most: int = 500) -> str:
    """A moderator's reason or answer, which a member reads: required, and at most `most` characters."""
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise DomainError(missing, field=field)
    if len(text) > most:
        raise DomainError(f"Keep it under {most:,} characters.", field=field)
    return text


# What other apps do when a member is suspended or reinstated (the market hides a suspended
# client's open projects), registered in their AppConfig.ready(): hook(user=, suspended=).
_suspension_hooks: list = []


def register_suspension_hook(hook) -> None:
    _suspension_hooks.append(hook)


def suspension_changed(*, user, suspended: bool) -> None:
    for hook in _suspension_hooks:
        hook(user=user, suspended=suspended)


def audit(*, actor, verb: str, target: str, label: str = "", reason: str = "") -> ModerationAction:
    """Record one moderator action. `target` names the object ("dispute:4"), `label` is what a
    reader of the log recognises it by, `reason` why (the text the person concerned was given)."""
    return ModerationAction.objects.create(
        actor=actor, verb=ModerationAction.Verb(verb), target=target[:60], target_label=label[:200], reason=reason
    )


def moderation_log(*, target: str = ""):
    actions = ModerationAction.objects.select_related("actor")
    return actions.filter(target=target) if target else actions
