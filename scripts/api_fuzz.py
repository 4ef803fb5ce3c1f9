"""Schemathesis against the running API: `make fuzz` (CI runs it after the tests).

A database of its own is migrated and filled with the demo data; API tokens are made for a client,
a freelancer and an outsider (a freelancer with no contracts); gunicorn serves it with production
settings on 127.0.0.1; then `st run` drives every operation of /api/v1/schema/ as each of them,
with every check and the stateful phase, a fixed seed and a bounded number of examples. Any
failure fails the run. DATABASE_URL (PostgreSQL) is used when set, a throwaway SQLite otherwise.

    .venv/bin/python scripts/api_fuzz.py [--max-examples 25] [--seed 1] [--roles client,freelancer,outsider]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
ROLES = {
    "client": "client@example.com",
    "freelancer": "freelancer@example.com",
    "outsider": "outsider@example.com",
}
# A freelancer with no contracts, proposals or conversations: every object of the others is foreign to them.
OUTSIDER = """
from allauth.account.models import EmailAddress
from accounts.models import User
from accounts.services import user_set_roles
user = User.objects.filter(email="outsider@example.com").first() or User.objects.create_user(
    email="outsider@example.com", password="proofwork-demo", full_name="Olivia Outsider")
EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
user_set_roles(user=user, is_client=False, is_freelancer=True)
"""
# Checks that do not apply to this API, with the reason:
EXCLUDED_CHECKS = {
    # Schema-valid input is still refused when the object's state does not allow it (409) or a rule
    # the schema cannot state holds (a milestone total, a date in the future): 400 is right there.
    "positive_data_acceptance": "business rules the schema cannot express refuse valid-looking input",
}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def own_database(base_url: str) -> tuple[str, callable]:
    """A fresh PostgreSQL database beside DATABASE_URL's, dropped afterwards."""
    import psycopg2

    parts = urlsplit(base_url)
    name = f"proofwork_fuzz_{os.getpid()}_{int(time.time())}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="proofwork-fuzz-"))
    cleanup = []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECRET_KEY"))}
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        url, drop = own_database(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = url
        cleanup.append(drop)
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(work / "fuzz.sqlite3")
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_ROOT=str(work / "static"),
        MEDIA_ROOT=str(work / "media"),
        LOG_LEVEL="WARNING",
        # The fuzzer sends thousands of requests as three people: rate limits would answer most of
        # them 429 (documented, but nothing would be tested behind them).
        THROTTLE_AUTH_TOKEN="100000/min",
        MESSAGE_RATE_LIMIT="100000",
        PROPOSAL_RATE_LIMIT="100000",
        CELERY_TASK_ALWAYS_EAGER="1",
    )
    server = None
    try:
        manage = lambda *argv: subprocess.run(  # noqa: E731
            [BIN / "python", ROOT / "manage.py", *argv], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
        log("Migrating and seeding the demo data…")
        manage("migrate", "--noinput", "-v0")
        manage("seed_demo")
        manage("collectstatic", "--noinput", "-v0")
        manage("shell", "-c", OUTSIDER)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                BIN / "gunicorn",
                "config.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(args.workers),
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        for _ in range(150):
            try:
                if requests.get(base + "/healthz/", headers={"X-Forwarded-Proto": "https"}, timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer /healthz/")

        tokens = {}
        for role, email in ROLES.items():
            answer = requests.post(
                base + "/api/v1/auth/token/",
                json={"email": email, "password": "proofwork-demo"},
                headers={"X-Forwarded-Proto": "https"},
                timeout=30,
            )
            answer.raise_for_status()
            tokens[role] = answer.json()["token"]

        failed = []
        for role in args.roles.split(","):
            log(f"\n== schemathesis as the {role}")
            command = [
                BIN / "st",
                "run",
                f"{base}/api/v1/schema/",
                "--url",
                base,
                "--header",
                f"Authorization: Token {tokens[role]}",
                "--header",
                "X-Forwarded-Proto: https",
                "--checks",
                "all",
                "--exclude-checks",
                ",".join(EXCLUDED_CHECKS),
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-examples",
                str(args.max_examples),
                "--seed",
                str(args.seed),
                "--workers",
                "1",
                "--no-color",
                # Revoking the token the run is signed in with would turn every later call into a 401
                # (tests/accounts/test_api_tokens.py covers the revocation).
                "--exclude-operation-id",
                "auth_token_destroy",
                "--suppress-health-check",
                "all",
            ]
            if subprocess.run(command, cwd=work, env={**os.environ, "NO_COLOR": "1"}).returncode != 0:
                failed.append(role)
        if failed:
            log(f"\nschemathesis found failures as: {', '.join(failed)}")
            return 1
        log("\nschemathesis: no failures")
        return 0
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        for step in cleanup:
            step()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
