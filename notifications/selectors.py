from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, QuerySet, Subquery
from django.db.models.functions import Coalesce

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


def unread_count_expression(user_ref) -> Coalesce:
    """`unread_count` as an expression over a user (an OuterRef), so the page header reads it in
    the same query as another app's count."""
    unread = (
        Notification.objects.filter(recipient=user_ref, read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread), 0)


def unread_count_kept(user_id: int) -> int | None:
    """The count the header read in the last few seconds, or None."""
    return cache.get(_unread_key(user_id))


def unread_count_keep(user_id: int, count: int) -> None:
    cache.set(_unread_key(user_id), count, UNREAD_CACHE_SECONDS)


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


def unsent_email_ids(
    *, now, grace: timedelta = timedelta(minutes=2), max_age: timedelta = timedelta(days=2)
) -> list[int]:
    """Notifications whose email is wanted but was never sent, oldest first: their task could not be
    queued, or was lost. Younger than `grace` they are left to the task queued at commit; older than
    `max_age` they are news no longer worth an email."""
    return list(
        Notification.objects.filter(
            email_wanted=True, emailed_at__isnull=True, created_at__lte=now - grace, created_at__gte=now - max_age
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:1000]
    )
