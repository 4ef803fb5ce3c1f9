"""The one way anything tells a person something: an in-app notification, and email if they want it."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError, NotAllowed
from core.viewer_cache import viewer_changed
from notifications.kinds import KINDS
from notifications.models import Notification, NotificationPreference
from notifications.selectors import unread_count_forget

logger = logging.getLogger(__name__)


def wants_email(*, user, kind: str) -> bool:
    spec = KINDS[kind]
    if spec.always_email:
        return True
    choice = NotificationPreference.objects.filter(user=user, kind=kind).values_list("email", flat=True).first()
    return spec.email_default if choice is None else choice


def notify(*, recipient, kind: str, title: str, body: str = "", url: str = "", collapse: bool = False) -> Notification:
    """Record a notification; its email is queued only once the surrounding transaction commits.

    With `collapse`, a notification of the same kind about the same page that the person has not
    read yet is brought up to date instead (the latest title and text, moved to the top) and no
    second email goes out: ten chat messages in a row are one line in the bell and one email."""
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind: {kind}")
    if url and not url.startswith("/"):
        raise ValueError("Notification links are paths on this site.")
    if collapse:
        with transaction.atomic():
            unread = (
                Notification.objects.select_for_update()
                .filter(recipient=recipient, kind=kind, url=url, read_at__isnull=True)
                .order_by("-created_at", "-pk")
                .first()
            )
            if unread is not None:
                unread.title, unread.body, unread.created_at = title[:200], body, timezone.now()
                unread.save(update_fields=["title", "body", "created_at"])
                viewer_changed(recipient.pk)
                return unread
    email = recipient.is_active and wants_email(user=recipient, kind=kind)
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, title=title[:200], body=body, url=url, email_wanted=email
    )
    unread_count_forget(recipient.pk)
    viewer_changed(recipient.pk)
    if email:
        transaction.on_commit(lambda: notification_email_queue(notification_id=notification.pk))
    return notification


def notification_email_queue(*, notification_id: int) -> bool:
    """Queue one notification's email. While the task broker is unreachable the email is not lost:
    the row still wants its email, and the sweep (`requeue_unsent_emails`) queues it again later.
    Never fails the request whose work already committed."""
    from kombu.exceptions import OperationalError

    from notifications.tasks import send_notification_email

    try:
        send_notification_email.delay(notification_id)
    except (OperationalError, OSError) as error:
        logger.warning("Notification email %s not queued, the sweep will retry: %s", notification_id, error)
        return False
    return True


def notification_mark_read(*, notification: Notification, user) -> Notification:
    """Only the recipient marks a notification read; marking twice keeps the first time."""
    if notification.recipient_id != user.pk:
        raise NotAllowed("This notification is not yours.")
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    unread_count_forget(user.pk)
    notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_read_for(*, user, kind: str, url: str) -> int:
    """The person saw what these notifications point at (a conversation they opened): mark them read."""
    marked = Notification.objects.filter(recipient=user, kind=kind, url=url, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    unread_count_forget(user.pk)
    if marked:
        viewer_changed(user.pk)  # a page shown while reading (a conversation) changed the bell
    return marked


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of this person read; returns how many changed."""
    marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    unread_count_forget(user.pk)
    return marked


@transaction.atomic
def notification_preferences_update(*, user, email_kinds: set[str]) -> None:
    """Email exactly the chosen kinds; kinds that always email stay on whatever is sent."""
    unknown = email_kinds - set(KINDS)
    if unknown:
        raise DomainError(f"Unknown notification kinds: {', '.join(sorted(unknown))}.")
    for key, spec in KINDS.items():
        if spec.always_email:
            continue
        NotificationPreference.objects.update_or_create(user=user, kind=key, defaults={"email": key in email_kinds})


def notifications_purge_old(*, older_than) -> int:
    """Read notifications past the retention period are deleted; unread ones are kept."""
    cutoff = timezone.now() - older_than
    deleted, _ = Notification.objects.filter(read_at__isnull=False, created_at__lt=cutoff).delete()
    return deleted
