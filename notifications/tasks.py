from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from core.text import one_line
from notifications.models import Notification
from notifications.selectors import unsent_email_ids
from notifications.services import notification_email_queue, notifications_purge_old

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def send_notification_email(self, notification_id: int) -> None:
    """Email one notification. Claiming it first means a redelivered task sends nothing twice."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    context = {"notification": notification, "site_url": settings.SITE_URL}
    try:
        send_mail(
            subject=one_line(f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{notification.title}"),
            message=render_to_string("notifications/email.txt", context),
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
    except Exception as error:
        # Give the claim back so the retry can send it.
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        logger.warning("Notification email %s failed: %s", notification_id, error)
        raise self.retry(exc=error) from error


@shared_task
def purge_old_notifications() -> int:
    """Daily: drop read notifications older than NOTIFICATION_RETENTION_DAYS. Safe to run twice."""
    return notifications_purge_old(older_than=settings.PROOFWORK_NOTIFICATION_RETENTION)


@shared_task
def requeue_unsent_emails() -> int:
    """Every 5 minutes: queue again the emails that were wanted but never sent (their task could not
    be queued while the broker was down). Sending claims the row, so an email still goes out once."""
    return sum(notification_email_queue(notification_id=pk) for pk in unsent_email_ids(now=timezone.now()))
