from celery import shared_task

from reviews.services import reviews_publish_due, reviews_remind_due


@shared_task
def publish_reviews() -> int:
    """Hourly: the reviews of contracts whose review window closed are published. Safe to run twice."""
    return reviews_publish_due()


@shared_task
def remind_to_review() -> int:
    """Hourly: parties who have not reviewed a finished contract are reminded before the window closes. Once each."""
    return reviews_remind_due()


@shared_task(acks_late=True)
def refresh_reputation(user_ids: list[int]) -> None:
    """After an event: these people's reputation figures, computed again and kept. Safe to repeat."""
    from reviews.reputation import refresh

    refresh(user_ids)
