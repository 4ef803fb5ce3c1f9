from __future__ import annotations

import logging

from celery import shared_task
from django.core.mail import EmailMultiAlternatives

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def send_account_email(self, message: dict) -> None:
    """Send one already-rendered account email (sign-up, confirmation, password reset). The web
    request only queues it, so no page waits on the mail server."""
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        headers=message.get("headers") or None,
    )
    email.content_subtype = message.get("content_subtype", "plain")
    for content, mimetype in message.get("alternatives", []):
        email.attach_alternative(content, mimetype)
    try:
        email.send()
    except Exception as error:
        logger.warning("Account email to %s failed: %s", message["to"], error)
        raise self.retry(exc=error) from error


@shared_task
def purge_expired_api_tokens() -> int:
    """Daily: expired API tokens are deleted, not only when their owner signs in again."""
    from accounts.tokens import api_tokens_purge_expired

    return api_tokens_purge_expired()
