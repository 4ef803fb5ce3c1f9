"""PostgreSQL restarted under a live gunicorn taking money actions, with money tasks running.

Everything runs against a PostgreSQL cluster of this suite's own (tests/reliability/servers.py),
stopped and started twice while clients fund, submit and approve through the API: once politely
(`pg_ctl -m fast`: sessions are ended, open transactions roll back) and once as a crash
(`-m immediate`). Clients do what the API asks of them: a failed money call is retried with the
same Idempotency-Key until it answers. Afterwards every milestone was funded and released exactly
once, and the money invariants hold.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.reliability.servers import PrivatePostgres, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = Path(__file__).with_name("pg_scenario.py")
PROXY = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front of gunicorn sets
CONTRACTS = 6
CLIENT_DEADLINE = 60  # seconds a client keeps retrying one call before the test gives up on it

pytestmark = [pytest.mark.faults]


def run_scenario(env: dict, *argv: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(SCENARIO), *argv], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.split("RESULT ", 1)[1])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    server = PrivatePostgres()
    server.create_database("proofwork_faults")
    folder = tmp_path_factory.mktemp("pg-faults")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DEBUG", "SECRET_KEY"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=server.url("proofwork_faults"),
        CELERY_TASK_ALWAYS_EAGER="1",  # notification emails run in the request, as a worker would
        EMAIL_URL="file://",
        EMAIL_FILE_PATH=str(folder / "mail"),
        STATIC_ROOT=str(folder / "static"),
        MEDIA_ROOT=str(folder / "media"),
        PRIVATE_MEDIA_ROOT=str(folder / "private"),
        CELERY_DATA_DIR=str(folder / "celery"),
        LOG_LEVEL="ERROR",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True, timeout=300
    )
    yield server, env, folder
    server.destroy()


class Gunicorn:
    def __init__(self, env: dict, folder: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 (closed in stop)
        command = [shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn")), "config.wsgi"]
        command += ["-b", f"127.0.0.1:{self.port}", "-w", "2", "--timeout", "60", "--log-level", "warning"]
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, stderr=self.log)

        def healthy() -> bool:
            try:
                return requests.get(self.base + "/healthz/", headers=PROXY, timeout=5).status_code == 200
            except requests.RequestException:
                return False

        wait_for(healthy, seconds=60, what="gunicorn did not answer /healthz/")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


class Journeys:
    """Each contract's client and freelancer fund, submit and approve both milestones, retrying
    every failed call with the same Idempotency-Key; every answer is kept for the checks."""

    def __init__(self, base: str, contracts: list[dict]):
        self.base, self.contracts = base, contracts
        self.answers: list[tuple[str, int, str, str]] = []  # (step, status, content type, body start)
        self.failed_connections = 0
        self.unfinished: list[str] = []
        self.unexpected: list[str] = []
        self.lock = threading.Lock()

    def call(self, session: requests.Session, token: str, url: str, key: str | None, done_if_409: bool) -> None:
        headers = {**PROXY, "Authorization": f"Token {token}"}
        if key:
            headers["Idempotency-Key"] = key
        deadline = time.monotonic() + CLIENT_DEADLINE
        while time.monotonic() < deadline:
            try:
                body = {"message": "Done."} if url.endswith("/submit/") else {}
                response = session.post(self.base + url, headers=headers, data=body, timeout=30)
            except requests.RequestException:
                with self.lock:
                    self.failed_connections += 1
                time.sleep(0.2)
                continue
            with self.lock:
                self.answers.append(
                    (url, response.status_code, response.headers.get("Content-Type", ""), response.text[:2000])
                )
            running = response.status_code == 409 and "still running" in response.text
            if response.status_code == 200 or (done_if_409 and response.status_code == 409 and not running):
                # 409 to a submit retried after its answer was lost: it is submitted; to an approval:
                # the automatic release got there first. Either way the ledger check below counts.
                return
            if response.status_code < 500 and response.status_code != 409:
                with self.lock:
                    self.unexpected.append(f"{url}: {response.status_code} {response.text[:300]}")
                return
            time.sleep(0.2)  # 5xx, or 409 while the first try with this key still runs: retry
        with self.lock:
            self.unfinished.append(url)

    def run_one(self, contract: dict) -> None:
        session = requests.Session()
        for milestone in contract["milestones"]:
            url = f"/api/v1/milestones/{milestone}"
            self.call(session, contract["client"], f"{url}/fund/", f"fund-{milestone}", False)
            self.call(session, contract["freelancer"], f"{url}/submit/", None, True)
            self.call(session, contract["client"], f"{url}/approve/", f"approve-{milestone}", True)

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.run_one, args=(c,), daemon=True) for c in self.contracts]
        for thread in threads:
            thread.start()
        return threads


def test_money_actions_through_a_postgresql_restart_happen_exactly_once(cluster):
    server, env, folder = cluster
    # given active contracts, each with two unfunded milestones, and gunicorn serving the API
    contracts = run_scenario(env, "prepare", str(CONTRACTS))["contracts"]
    gunicorn = Gunicorn(env, folder)
    stop_file = folder / "stop-sweeps"
    sweeps = subprocess.Popen(
        [sys.executable, str(SCENARIO), "sweeps", str(stop_file)], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        # when clients and freelancers work through their milestones, and the money tasks run,
        journeys = Journeys(gunicorn.base, contracts)
        threads = journeys.start()
        # and PostgreSQL is restarted under them, once politely and once as a crash
        for mode in ("fast", "immediate"):
            wait_for(lambda: len(journeys.answers) >= 4, seconds=60, what="no API call answered")
            server.stop(mode)
            time.sleep(1)
            server.start()
            time.sleep(1)
        for thread in threads:
            thread.join(timeout=CLIENT_DEADLINE * 8)
    finally:
        stop_file.touch()
        sweeps_out, _ = sweeps.communicate(timeout=120)
        gunicorn.stop()
    # then every call was answered in the end, each failure cleanly: JSON or the site's error page
    assert journeys.unexpected == []
    assert journeys.unfinished == []
    assert all(not thread.is_alive() for thread in threads)
    by_status = Counter(status for _, status, _, _ in journeys.answers)
    print("answers by status:", dict(by_status), "connection failures:", journeys.failed_connections)
    print("sweeps:", sweeps_out.strip()[-200:])
    for url, status, content_type, body in journeys.answers:
        if status >= 500:
            assert "Traceback" not in body and 'File "' not in body, (url, status, body)
            assert content_type.startswith(("application/json", "text/html")), (url, status, content_type)
    # and each money action happened exactly once
    report = run_scenario(env, "report")
    milestones = [pk for contract in contracts for pk in contract["milestones"]]
    assert set(report["statuses"].values()) == {"released"}
    for pk in milestones:
        assert report["ledger_keys"].get(f"fund:{pk}") == 1
        assert report["ledger_keys"].get(f"release:{pk}") == 1
        # one charge at the processor, whichever attempt (pay:milestone:<pk>:<attempt>) made it
        charges = {key: n for key, n in report["gateway_keys"].items() if key.startswith(f"pay:milestone:{pk}:")}
        assert list(charges.values()) == [1], charges
    assert report["problems"] == []
