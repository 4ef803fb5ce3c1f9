from celery import shared_task

from payments.services import clearances_due


@shared_task
def clear_released_money() -> int:
    """Hourly: released money past its clearance period becomes available. Safe to run twice."""
    return clearances_due()
