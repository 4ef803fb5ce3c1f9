from celery import shared_task

from reviews.services import reviews_publish_due


@shared_task
def publish_reviews() -> int:
    """Hourly: the reviews of contracts whose review window closed are published. Safe to run twice."""
    return reviews_publish_due()
