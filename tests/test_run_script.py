"""`make run` (scripts/run.sh): each thing printed once, no noise, and Ctrl-C ends it cleanly."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.django_db


def test_seed_demo_prints_the_moderators_secret_once(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    secret = next(line for line in out.splitlines() if "two-factor secret" in line).split()[-1]
    assert out.count(secret) == 1


def test_the_local_broker_connects_without_a_hostname_warning(tmp_path):
    # the settings as `make run` reads them, without Redis (whatever this test run uses)
    env = {name: value for name, value in os.environ.items() if name not in ("REDIS_URL", "DATABASE_URL")}
    env |= {"DEBUG": "1", "CELERY_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    script = (
        "import logging, django; logging.basicConfig(level=logging.WARNING); django.setup()\n"
        "from django.conf import settings; from kombu import Connection\n"
        "assert settings.CELERY_BROKER_URL.startswith('filesystem://')\n"
        "Connection(settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS).info()\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "hostname" not in run.stderr.lower()


def test_djangos_log_lines_are_printed_once():
    # Django's own console handler would print each line (runserver's "Watching for file changes")
    # a second time after the root's.
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate


def _fake_bin(folder: Path, port: int) -> Path:
    """Stand-ins for the virtualenv's python and celery, each writing its pid to a file: seed_demo
    prints a line, runserver answers on the port (so the worker starts at once), the worker waits."""
    folder.mkdir()
    serve = f"exec {sys.executable} -m http.server --bind 127.0.0.1 {port}"
    for name, rest in (("python", serve), ("celery", "exec sleep 60")):
        script = folder / name
        script.write_text(
            "#!/usr/bin/env bash\n"
            f'echo $$ >> "{folder}/pids"\n'
            'case "$*" in *seed_demo*) echo "Demo data ready"; exit 0;; esac\n'
            f"{rest}\n"
        )
        script.chmod(0o755)
    return folder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_ctrl_c_stops_the_server_and_the_worker_and_exits_0(tmp_path):
    port = _free_port()
    fake = _fake_bin(tmp_path / "bin", port)
    env = {**os.environ, "BIN": str(fake), "PORT": str(port), "EMAIL_URL": "console://"}
    run = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "run.sh")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 20
    # seed_demo, then the server and the worker
    while len((fake / "pids").read_text().split() if (fake / "pids").exists() else []) < 3:
        assert time.monotonic() < deadline, "the server and the worker did not start"
        time.sleep(0.1)
    time.sleep(0.3)
    run.send_signal(signal.SIGINT)
    out, _ = run.communicate(timeout=30)
    assert run.returncode == 0, out
    assert out.count("Demo data ready") == 1 and "Stopping Proofwork…" in out and "Stopped." in out
    for pid in (fake / "pids").read_text().split():
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)
