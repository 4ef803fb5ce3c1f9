from celery import shared_task

from contracts.services import disputes_due as apply_dispute_deadlines
from contracts.services import milestones_auto_release_due, milestones_send_reminders, offers_expire_due


@shared_task
def auto_release_milestones() -> int:
    """Every 15 minutes: submitted work past its review window is approved. Safe to run twice."""
    return milestones_auto_release_due()


@shared_task
def send_review_reminders() -> int:
    """Hourly: remind clients 2 days and 1 day before work is approved automatically."""
    return milestones_send_reminders()


@shared_task
def expire_offers() -> int:
    """Hourly: offers not accepted in time expire."""
    return offers_expire_due()


@shared_task
def disputes_due() -> int:
    """Every 15 minutes: each dispute deadline's default, once (no response: the filer's ask
    applies; not settled: staff decide). Safe to run twice."""
    return apply_dispute_deadlines()
