"""Auto-release with frozen time: reminders 2 days and 1 day before, approval at the deadline,
exactly once however often (or however concurrently) the beat tasks run."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from contracts import tasks
from contracts.models import ContractEvent, Milestone
from contracts.services import (
    milestone_approve,
    milestone_release_partial,
    milestone_request_changes,
    milestone_submit,
    milestones_auto_release_due,
    milestones_send_reminders,
)
from contracts.services import milestones as milestone_services
from notifications.models import Notification
from payments.models import LedgerTransaction
from tests.conftest import seed_skill_taxonomy
from tests.contracts.factories import escrow_of, funded_milestone, money_snapshot, pending_of, platform_fees

pytestmark = pytest.mark.django_db

S = Milestone.Status
WINDOW = timedelta(days=settings.AUTO_RELEASE_DAYS)


class Clock:
    """A frozen `timezone.now()` that a test moves by hand."""

    def __init__(self, monkeypatch, start):
        self.now = start
        monkeypatch.setattr("django.utils.timezone.now", lambda: self.now)

    def set(self, moment):
        self.now = moment
        return moment


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, timezone.now().replace(microsecond=0))


def submit(milestone: Milestone, message: str = "Here it is.") -> Milestone:
    milestone_submit(milestone=milestone, by=milestone.contract.freelancer, message=message)
    milestone.refresh_from_db()
    return milestone


def reminders(milestone: Milestone) -> list[str]:
    return list(
        Notification.objects.filter(recipient=milestone.contract.client, title__startswith="Review ")
        .order_by("pk")
        .values_list("title", flat=True)
    )


def releases() -> int:
    return LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.RELEASE).count()


# --- Reminders ------------------------------------------------------------------------------------


def test_the_client_is_reminded_two_days_and_one_day_before_each_once(clock):
    # given work delivered now, due to be approved automatically in 14 days
    milestone = submit(funded_milestone())
    deadline = milestone.auto_release_at
    assert deadline == clock.now + WINDOW
    # when the reminder task runs 3 days before, then nobody is reminded yet
    assert milestones_send_reminders(now=deadline - timedelta(days=3)) == 0
    # when it runs 2 days before, twice, then the client is reminded once
    assert milestones_send_reminders(now=deadline - timedelta(days=2)) == 1
    assert milestones_send_reminders(now=deadline - timedelta(days=2) + timedelta(minutes=30)) == 0
    assert reminders(milestone) == ["Review “Milestone 1” within 2 days"]
    # when it runs 1 day before, twice (once through the beat task), then the second reminder goes out once
    assert milestones_send_reminders(now=deadline - timedelta(days=1)) == 1
    clock.set(deadline - timedelta(hours=23))
    assert tasks.send_review_reminders.delay().get() == 0
    assert reminders(milestone) == ["Review “Milestone 1” within 2 days", "Review “Milestone 1” within 1 day"]
    # and the reminder says when and how much is released
    last = Notification.objects.filter(recipient=milestone.contract.client, title__contains="within 1 day").get()
    assert "approved automatically" in last.body
    assert "$400.00" in last.body
    # and nothing moved
    assert escrow_of(milestone) == milestone.amount_cents


def test_reminders_stop_once_the_work_is_approved(clock):
    milestone = submit(funded_milestone())
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    assert milestones_send_reminders(now=clock.now + WINDOW - timedelta(days=1)) == 0
    assert reminders(milestone) == []


# --- Approval at the deadline -----------------------------------------------------------------------


def test_at_the_deadline_the_work_is_approved_automatically_once(clock):
    # given delivered work on a $400 milestone
    milestone = submit(funded_milestone())
    contract = milestone.contract
    deadline = milestone.auto_release_at
    # when the task runs a second before the deadline, then nothing happens
    assert milestones_auto_release_due(now=deadline - timedelta(seconds=1)) == 0
    # when it runs at the deadline, and again, then the work is approved once
    clock.set(deadline)
    assert milestones_auto_release_due(now=deadline) == 1
    assert milestones_auto_release_due(now=deadline + timedelta(minutes=15)) == 0
    milestone.refresh_from_db()
    assert (milestone.status, escrow_of(milestone), milestone.auto_release_at) == (S.RELEASED, 0, None)
    assert releases() == 1
    # and the freelancer has $360 pending, the platform $40
    assert (pending_of(contract.freelancer), platform_fees()) == (360_00, 40_00)
    # and the timeline says it was automatic, by nobody
    (event,) = ContractEvent.objects.filter(milestone=milestone, verb="auto-approved")
    assert (event.actor, event.from_status, event.to_status, event.amount_cents) == (
        None,
        S.SUBMITTED,
        S.RELEASED,
        400_00,
    )
    # and the client is told why the money went
    (told,) = Notification.objects.filter(recipient=contract.client, title__contains="approved automatically")
    assert f"{settings.AUTO_RELEASE_DAYS}-day review window ended" in told.body


def test_the_beat_task_run_twice_releases_once(clock):
    milestone = submit(funded_milestone())
    clock.set(milestone.auto_release_at + timedelta(minutes=1))
    assert tasks.auto_release_milestones.delay().get() == 1
    assert tasks.auto_release_milestones.delay().get() == 0
    assert releases() == 1
    milestone.refresh_from_db()
    assert milestone.status == S.RELEASED


def test_two_overlapping_runs_release_once(clock, monkeypatch):
    # given two milestones due, and a run that has listed them when a second run starts and finishes
    contract_milestone = submit(funded_milestone(amounts=(400_00, 600_00)))
    other = submit(funded_milestone())
    deadline = max(contract_milestone.auto_release_at, other.auto_release_at)
    real_approve = milestone_services.milestone_approve
    overlapped: list[int] = []
    started = []

    def approve_while_another_run_goes(**kwargs):
        if not started:
            started.append(True)
            overlapped.append(milestones_auto_release_due(now=deadline))  # the second run, inside the first
        return real_approve(**kwargs)

    monkeypatch.setattr(milestone_services, "milestone_approve", approve_while_another_run_goes)
    # when the first run goes on with its stale list
    first = milestones_auto_release_due(now=deadline)
    # then the second run released both, the first found nothing left to do, and each was released once
    assert overlapped == [2]
    assert first == 0
    assert releases() == 2
    assert LedgerTransaction.objects.filter(kind="release", reference=other.ledger_reference).count() == 1


def test_resubmitting_after_changes_restarts_the_clock(clock):
    # given work delivered at t0 and reminded about at t0 + 12 days
    milestone = submit(funded_milestone())
    first_deadline = milestone.auto_release_at
    assert milestones_send_reminders(now=first_deadline - timedelta(days=2)) == 1
    # when the client asks for changes on day 12 and the freelancer resubmits on day 13
    clock.set(first_deadline - timedelta(days=2))
    milestone_request_changes(milestone=milestone, by=milestone.contract.client, reason="Fix the export.")
    milestone.refresh_from_db()
    assert milestone.auto_release_at is None
    resubmitted_at = clock.set(first_deadline - timedelta(days=1))
    milestone = submit(milestone, "Fixed.")
    # then the new deadline is 14 days from the resubmission, and the old one passes harmlessly
    assert milestone.auto_release_at == resubmitted_at + WINDOW
    assert milestones_auto_release_due(now=first_deadline + timedelta(hours=1)) == 0
    assert milestones_send_reminders(now=first_deadline) == 0
    # and the reminders start again for the new deadline
    assert milestones_send_reminders(now=milestone.auto_release_at - timedelta(days=2)) == 1
    assert len(reminders(milestone)) == 2
    # and at the new deadline the work is approved
    assert milestones_auto_release_due(now=milestone.auto_release_at) == 1
    assert releases() == 1


def test_work_approved_by_hand_meanwhile_is_skipped(clock, monkeypatch):
    # given due work that the client approves while the task is about to release it
    milestone = submit(funded_milestone())
    real_approve = milestone_services.milestone_approve

    def client_approves_first(**kwargs):
        real_approve(milestone=milestone, by=milestone.contract.client)
        return real_approve(**kwargs)

    monkeypatch.setattr(milestone_services, "milestone_approve", client_approves_first)
    # when the task runs
    assert milestones_auto_release_due(now=milestone.auto_release_at) == 0
    # then it was released once, by the client, and nobody reads that it was automatic
    assert releases() == 1
    assert ContractEvent.objects.filter(milestone=milestone, verb="approved").count() == 1
    assert not ContractEvent.objects.filter(milestone=milestone, verb="auto-approved").exists()
    assert not Notification.objects.filter(title__contains="approved automatically").exists()


def test_work_approved_by_hand_before_the_task_is_not_released_again(clock):
    milestone = submit(funded_milestone())
    milestone_approve(milestone=milestone, by=milestone.contract.client)
    before = money_snapshot()
    assert milestones_auto_release_due(now=clock.now + WINDOW * 2) == 0
    assert money_snapshot() == before


def test_after_a_partial_release_the_deadline_releases_the_rest(clock):
    milestone = submit(funded_milestone(amounts=(400_00,)))
    milestone_release_partial(milestone=milestone, by=milestone.contract.client, amount_cents=100_00)
    assert milestones_auto_release_due(now=milestone.auto_release_at) == 1
    milestone.refresh_from_db()
    assert (milestone.status, milestone.released_cents, escrow_of(milestone)) == (S.RELEASED, 400_00, 0)
    assert pending_of(milestone.contract.freelancer) == 360_00


def test_disputed_work_is_never_released_automatically(clock):
    milestone = submit(funded_milestone())
    Milestone.objects.filter(pk=milestone.pk).update(status=S.DISPUTED)  # the Disputes issue opens disputes
    before = money_snapshot()
    assert milestones_auto_release_due(now=milestone.auto_release_at + timedelta(days=1)) == 0
    assert money_snapshot() == before


# --- Real concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_release_once_on_postgres():
    # (an earlier transactional test's flush removed the migration-seeded skills projects need)
    seed_skill_taxonomy()
    # given five milestones whose review window has ended
    milestones = [submit(funded_milestone()) for _ in range(5)]
    deadline = max(m.auto_release_at for m in milestones)
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            counts.append(milestones_auto_release_due(now=deadline))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    # when two beat runs start at the same moment
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then every milestone was released exactly once between them
    assert errors == []
    assert sum(counts) == 5
    assert releases() == 5
    assert set(Milestone.objects.filter(pk__in=[m.pk for m in milestones]).values_list("status", flat=True)) == {
        S.RELEASED
    }
