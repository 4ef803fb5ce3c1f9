"""A real Celery worker, on Redis, against the test's PostgreSQL database, sends a notification email."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from notifications.services import notify
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or "postgres"
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "worker-test-" + "s" * 60,
        "DEBUG": "0",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "EMAIL_URL": "file://",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue, "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    old = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue, celery_app.conf.broker_url)
    old_routes = celery_app.conf.task_routes
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    celery_app.conf.broker_url = os.environ["REDIS_URL"]
    # Every kind of task goes to this test's own queue: another run's worker on the same Redis,
    # pointed at another database, must not take the email from the shared `email` queue.
    celery_app.conf.update(task_routes={"*": {"queue": queue}})
    try:
        yield mail_dir
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue, celery_app.conf.broker_url = old
        celery_app.conf.update(task_routes=old_routes)
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output.decode(errors="replace")[-4000:])


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_notification_email(worker):
    # given a person who wants welcome emails
    user = UserFactory(email="worker-test@example.com")
    # when a notification is recorded and its transaction commits
    notification = notify(recipient=user, kind="account.welcome", title="Welcome from the worker", url="/welcome/")
    # then a worker process picks the task from Redis and the email goes out once
    deadline = time.monotonic() + 60
    sent: list[Path] = []
    while time.monotonic() < deadline and not sent:
        sent = list(worker.glob("*.txt"))
        time.sleep(0.5)
    assert sent, "the worker sent no email within 60 seconds"
    time.sleep(1)
    emails = "".join(path.read_text() for path in worker.glob("*.txt"))
    assert emails.count("Subject: [Proofwork] Welcome from the worker") == 1
    assert "To: worker-test@example.com" in emails
    assert f"{settings.SITE_URL}/welcome/" in emails
    notification.refresh_from_db()
    assert notification.emailed_at is not None
