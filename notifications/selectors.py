from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from notifications.kinds import KINDS
from notifications.models import Notification, NotificationPreference


def notifications_for_user(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# The bell's count is on every page: kept briefly per person, forgotten by every write that changes
# it, and the few seconds bound what a write made outside the services could leave stale.
UNREAD_CACHE_SECONDS = 5


def _unread_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count_cached(user) -> int:
    """`unread_count` for the page header, from the cache when it was read in the last few seconds."""
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = unread_count(user)
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return count


def unread_count_forget(user_id: int) -> None:
    """Drop the cached count now and again at commit, so a page read in between cannot keep the old one."""
    key = _unread_key(user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def email_preferences(user) -> list[tuple[str, str, bool, bool]]:
    """(key, label, emails, locked) for every kind, in registration order."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return [
        (key, spec.label, True if spec.always_email else chosen.get(key, spec.email_default), spec.always_email)
        for key, spec in KINDS.items()
    ]
