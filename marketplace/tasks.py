from celery import shared_task

from marketplace.services import projects_expire_due


@shared_task
def expire_projects() -> int:
    """Hourly: close open projects whose 30 days are up. Safe to run twice or overlapping."""
    return projects_expire_due()
