"""Open projects expire after PROJECT_OPEN_DAYS: the sweep closes exactly those, tells each client
once, and is safe to run twice (directly or as the Celery task)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import Project, ProjectEvent, Proposal
from marketplace.services import projects_expire_due
from marketplace.tasks import expire_projects
from notifications.models import Notification
from tests.marketplace.factories import ProjectFactory, ProposalFactory, open_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(settings):
    """Projects published now (so expiring in 30 days), plus ones that must never be swept."""
    settings.PROJECT_OPEN_DAYS = 30
    due = [open_project(title="Due one"), open_project(title="Due two")]
    later = open_project(title="Published later")
    Project.objects.filter(pk=later.pk).update(expires_at=later.expires_at + timedelta(days=5))
    untouchable = [
        ProjectFactory(title="Draft"),
        ProjectFactory(published=True, status=Project.Status.FILLED, title="Filled"),
        ProjectFactory(published=True, status=Project.Status.CLOSED, title="Closed"),
    ]
    # the finished ones have an expiry in the past too: only the status keeps them out
    Project.objects.filter(pk__in=[p.pk for p in untouchable[1:]]).update(expires_at=timezone.now() - timedelta(days=1))
    waiting = ProposalFactory(project=due[0])
    withdrawn = ProposalFactory(project=due[0], status=Proposal.Status.WITHDRAWN)
    Notification.objects.all().delete()
    return {
        "due": due,
        "later": Project.objects.get(pk=later.pk),
        "untouchable": untouchable,
        "waiting": waiting,
        "withdrawn": withdrawn,
    }


def statuses() -> dict[str, str]:
    return dict(Project.objects.values_list("title", "status"))


def test_nothing_expires_a_second_before_its_time(board):
    expires_at = board["due"][0].expires_at
    assert projects_expire_due(now=expires_at - timedelta(seconds=1)) == 0
    assert statuses()["Due one"] == Project.Status.OPEN
    assert not Notification.objects.exists()


def test_the_sweep_closes_exactly_the_open_projects_past_their_expiry(board):
    before = statuses()
    # when the sweep runs 30 days and a minute after publishing
    now = board["due"][1].expires_at + timedelta(minutes=1)
    assert projects_expire_due(now=now) == 2
    # then the two due projects show as expired; nothing else changed
    after = statuses()
    assert after == {**before, "Due one": Project.Status.CLOSED, "Due two": Project.Status.CLOSED}
    for project in board["due"]:
        project.refresh_from_db()
        assert (project.close_reason, project.closed_at) == (Project.CloseReason.EXPIRED, now)
        (event,) = ProjectEvent.objects.filter(project=project, to_status="closed")
        assert (event.actor, event.from_status, event.note) == (None, "open", "Expired")


def test_each_client_is_told_once_and_waiting_freelancers_too(board):
    projects_expire_due(now=board["due"][1].expires_at)
    for project in board["due"]:
        (notification,) = Notification.objects.filter(recipient=project.client)
        assert notification.kind == "project.closed"
        assert "expired" in notification.title and project.title in notification.title
        assert "30 days" in notification.body
    (told,) = Notification.objects.filter(recipient=board["waiting"].freelancer)
    assert "expired" in told.body
    assert not Notification.objects.filter(recipient=board["withdrawn"].freelancer).exists()
    # and the waiting proposal is declined with the reason, so it cannot be acted on any more
    board["waiting"].refresh_from_db()
    assert board["waiting"].status == Proposal.Status.DECLINED
    assert board["waiting"].decline_reason == "The project expired without a hire."


def test_running_the_sweep_twice_closes_nothing_more_and_tells_nobody_again(board):
    now = board["due"][1].expires_at + timedelta(hours=1)
    assert projects_expire_due(now=now) == 2
    counts = (Notification.objects.count(), ProjectEvent.objects.count())
    snapshot = list(Project.objects.order_by("pk").values())
    assert projects_expire_due(now=now + timedelta(minutes=5)) == 0
    assert (Notification.objects.count(), ProjectEvent.objects.count()) == counts
    assert list(Project.objects.order_by("pk").values()) == snapshot


def test_the_later_project_expires_on_its_own_day(board):
    projects_expire_due(now=board["due"][1].expires_at)
    assert projects_expire_due(now=board["later"].expires_at) == 1
    assert statuses()["Published later"] == Project.Status.CLOSED


def test_the_celery_task_run_twice_with_the_clock_moved_forward(board, monkeypatch):
    # given the clock 31 days ahead (the task takes no arguments; it reads the time itself)
    future = timezone.now() + timedelta(days=31)
    monkeypatch.setattr("django.utils.timezone.now", lambda: future)
    # when the hourly task runs twice (eagerly, as in the worker)
    first = expire_projects.delay().get()
    second = expire_projects.delay().get()
    # then the first closes the two projects past their 30 days, the second nothing more
    assert (first, second) == (2, 0)
    assert statuses() == {
        "Due one": "closed",
        "Due two": "closed",
        "Published later": "open",  # its 30 days started 5 days later
        "Draft": "draft",
        "Filled": "filled",
        "Closed": "closed",
    }
    # and each client heard exactly once
    for project in board["due"]:
        assert Notification.objects.filter(recipient=project.client, kind="project.closed").count() == 1
        project.refresh_from_db()
        assert project.closed_at == future
    assert not Notification.objects.filter(recipient=board["later"].client).exists()
