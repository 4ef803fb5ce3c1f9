from __future__ import annotations

from django.db.models import QuerySet

from notifications.kinds import KINDS
from notifications.models import Notification, NotificationPreference


def notifications_for_user(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def email_preferences(user) -> list[tuple[str, str, bool, bool]]:
    """(key, label, emails, locked) for every kind, in registration order."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return [
        (key, spec.label, True if spec.always_email else chosen.get(key, spec.email_default), spec.always_email)
        for key, spec in KINDS.items()
    ]
