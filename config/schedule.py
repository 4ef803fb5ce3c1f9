"""The periodic tasks Celery beat runs, in one table (settings.CELERY_BEAT_SCHEDULE). Each task
is safe to run twice and reads its due rows from the database: a missed or doubled beat is harmless."""

from datetime import timedelta

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "purge-old-notifications": {"task": "notifications.tasks.purge_old_notifications", "schedule": timedelta(days=1)},
    "purge-expired-api-tokens": {"task": "accounts.tasks.purge_expired_api_tokens", "schedule": timedelta(days=1)},
    "requeue-unsent-emails": {"task": "notifications.tasks.requeue_unsent_emails", "schedule": timedelta(minutes=5)},
    "expire-projects": {"task": "marketplace.tasks.expire_projects", "schedule": timedelta(minutes=15)},
    "auto-release-milestones": {"task": "contracts.tasks.auto_release_milestones", "schedule": timedelta(minutes=15)},
    "send-review-reminders": {"task": "contracts.tasks.send_review_reminders", "schedule": timedelta(hours=1)},
    "expire-offers": {"task": "contracts.tasks.expire_offers", "schedule": timedelta(hours=1)},
    "disputes-due": {"task": "contracts.tasks.disputes_due", "schedule": timedelta(minutes=15)},
    "publish-reviews": {"task": "reviews.tasks.publish_reviews", "schedule": timedelta(hours=1)},
    "remind-to-review": {"task": "reviews.tasks.remind_to_review", "schedule": timedelta(hours=1)},
    "clear-released-money": {"task": "payments.tasks.clear_released_money", "schedule": timedelta(hours=1)},
    "sweep-payments": {"task": "payments.tasks.sweep_payments", "schedule": timedelta(minutes=5)},
    "reconcile-payments": {"task": "payments.tasks.reconcile_payments", "schedule": crontab(hour=3, minute=30)},
}
