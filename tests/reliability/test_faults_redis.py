"""Redis stopped: pages keep serving, and what could not be queued is done once Redis is back.

A Redis of the suite's own (tests/reliability/servers.py) is the cache and the task broker here,
and is killed and started again; the machine's shared Redis is never touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.tokens import api_token_issue
from config.celery import app as celery_app
from contracts import tasks as contract_tasks
from contracts.invariants import money_problems
from contracts.models import Milestone
from notifications.models import Notification
from notifications.tasks import requeue_unsent_emails
from payments.models import LedgerTransaction
from tests.contracts.factories import submitted_milestone
from tests.reliability.servers import PrivateRedis

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.faults]


@pytest.fixture(scope="module")
def private_redis():
    server = PrivateRedis()
    yield server
    server.destroy()


@pytest.fixture
def redis_cache(private_redis, settings):
    """The production cache settings, on the private Redis, with every page cache turned on."""
    if private_redis.process is None:
        private_redis.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FaultTolerantRedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 10
    settings.PUBLIC_LIST_CACHE_SECONDS = 10
    settings.VIEWER_PAGE_CACHE_SECONDS = 5
    cache.clear()
    return private_redis


def pages_for(milestone: Milestone) -> list[tuple[str, str]]:
    contract = milestone.contract
    project = contract.offer.proposal.project
    return [
        ("anonymous", "/"),
        ("anonymous", "/projects/"),
        ("anonymous", f"/projects/{project.pk}/"),
        ("anonymous", "/api/v1/projects/"),
        ("client", "/dashboard/"),
        ("client", f"/contracts/{contract.pk}/"),
        ("client", "/notifications/"),
        ("client", f"/projects/{project.pk}/"),
        ("client", "/api/v1/contracts/"),
    ]


def statuses(milestone: Milestone) -> dict[str, int]:
    client_user = milestone.contract.client
    anonymous = Client(raise_request_exception=False)
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(client_user)
    token = api_token_issue(user=client_user, name="a script")[1]
    seen = {}
    for who, path in pages_for(milestone):
        browser = anonymous if who == "anonymous" else signed_in
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if path.startswith("/api/") and who == "client" else {}
        seen[f"{who} {path}"] = browser.get(path, **headers).status_code
    return seen


@pytest.mark.django_db
def test_pages_serve_while_redis_is_down_and_after_it_returns(redis_cache):
    # given a client with a contract whose work was submitted, and pages kept in Redis
    milestone = submitted_milestone()
    assert set(statuses(milestone).values()) == {200}
    # when Redis stops
    redis_cache.stop()
    # then every page still answers, from the database
    assert set(statuses(milestone).values()) == {200}, statuses(milestone)
    # and a money action through the API works (its notification's page refresh cannot be recorded)
    api = Client(raise_request_exception=False)
    token = api_token_issue(user=milestone.contract.client, name="a script")[1]
    approved = api.post(
        f"/api/v1/milestones/{milestone.pk}/approve/", HTTP_AUTHORIZATION=f"Token {token}", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert approved.status_code == 200, approved.content[:500]
    # when Redis returns, pages are served and cached again
    redis_cache.start()
    assert set(statuses(milestone).values()) == {200}
    assert money_problems() == []


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or "postgres"
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def broker(private_redis):
    """Tasks go to the private Redis for real (not eagerly); returns a starter for a worker on it."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = private_redis.url
    processes: list[subprocess.Popen] = []

    def start_worker(mail_dir: Path) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "faults-worker-" + "s" * 60,
            "DEBUG": "0",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": private_redis.url,
            "EMAIL_URL": "file://",
            "EMAIL_FILE_PATH": str(mail_dir),
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
        command += ["-Q", "default,email,money", "--loglevel=WARNING", "--without-mingle", "--without-gossip"]
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))

    try:
        yield start_worker
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
        for process in processes:
            process.terminate()
            try:
                output, _ = process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
            print(output.decode(errors="replace")[-3000:])
        if private_redis.process is None:
            private_redis.start()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_work_that_could_not_be_queued_while_redis_was_down_is_done_once_it_returns(broker, private_redis, tmp_path):
    # given a milestone past its review window, and another one the client is about to approve
    due = submitted_milestone(amounts=(100_00,))
    Milestone.objects.filter(pk=due.pk).update(auto_release_at=timezone.now() - timedelta(minutes=1))
    approving = submitted_milestone(amounts=(200_00,))
    token = api_token_issue(user=approving.contract.client, name="a script")[1]
    # when Redis stops
    private_redis.stop()
    # then the client's approval still succeeds: the money moved, and its email waits in the database
    response = Client(raise_request_exception=False).post(
        f"/api/v1/milestones/{approving.pk}/approve/",
        HTTP_AUTHORIZATION=f"Token {token}",
        HTTP_IDEMPOTENCY_KEY="approve-while-redis-is-down",
    )
    assert response.status_code == 200, response.content[:500]
    waiting = Notification.objects.filter(email_wanted=True, emailed_at__isnull=True)
    assert waiting.filter(recipient=approving.contract.freelancer, kind="milestone.released").exists()
    # and the beat cannot hand the auto-release sweep to a worker
    with pytest.raises(OperationalError):
        contract_tasks.auto_release_milestones.delay()
    # when Redis is back, a worker runs, and the beat's next ticks come (minutes later)
    private_redis.start()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    broker(mail_dir)
    Notification.objects.filter(pk__in=waiting.values("pk")).update(created_at=timezone.now() - timedelta(minutes=3))
    contract_tasks.auto_release_milestones.delay()
    requeue_unsent_emails.delay()
    # then the due milestone is released and every email that was wanted goes out
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        released = Milestone.objects.get(pk=due.pk).status == Milestone.Status.RELEASED
        unsent = Notification.objects.filter(email_wanted=True, emailed_at__isnull=True)
        if released and not unsent.exists():
            break
        time.sleep(0.5)
    assert Milestone.objects.get(pk=due.pk).status == Milestone.Status.RELEASED
    assert not Notification.objects.filter(email_wanted=True, emailed_at__isnull=True).exists()
    # each exactly once: one release per milestone, one email per notification
    releases = LedgerTransaction.objects.filter(kind="release").values_list("idempotency_key", flat=True)
    assert sorted(releases) == sorted([f"release:{due.pk}", f"release:{approving.pk}"])
    time.sleep(1)
    emails = "".join(path.read_text() for path in mail_dir.glob("*.txt"))
    assert (
        emails.count("\nSubject: ") + emails.startswith("Subject: ")
        == Notification.objects.filter(email_wanted=True).count()
    )
    assert money_problems() == []
