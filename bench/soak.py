"""The soak test: see bench/README.md ("Soak"). Many clients and freelancers run the whole journey at
once through the API against gunicorn on PostgreSQL, for a bounded time; afterwards no request
answered 5xx and the money adds up to the cent.

    .venv/bin/python bench/soak.py --seconds 60 --users 6

It creates (and drops first) a database of its own, `proofwork_soak` by default; it refuses to
touch `proofwork_bench`. Results go to bench/results/soak-<time>.json (ignored by git).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg2
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BIN, PROXY, RESULTS, ROOT, VAR, Server, log, manage, server_env

AMOUNT_CENTS = 300_00  # each journey's one milestone: a paid test project


# --- Inside Django (run as a subprocess with the server's environment) ----------------------


def _django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def prepare_users(count: int) -> dict:
    """`count` clients and `count` freelancers with profiles and API tokens, and the ids a project needs."""
    _django()
    from accounts.models import ClientProfile, FreelancerProfile, Skill, SkillCategory, User
    from accounts.tokens import api_token_issue
    from payments.payout_accounts import payout_account_start

    run = uuid.uuid4().hex[:6]
    pairs = []
    for n in range(count):
        client = User.objects.create_user(email=f"soak.client.{run}.{n}@example.com", password=None, is_client=True)
        freelancer = User.objects.create_user(
            email=f"soak.freelancer.{run}.{n}@example.com", password=None, is_freelancer=True
        )
        ClientProfile.objects.create(user=client, company_name=f"Soak {n}", about_team="Pays on time.")
        FreelancerProfile.objects.create(user=freelancer, headline="Ships", bio="Ships.", hourly_rate_cents=50_00)
        # Withdrawals go to a payout account (the sandbox's stand-in for Stripe's onboarding).
        payout_account_start(
            user=freelancer,
            return_url="",
            refresh_url="",
            details={"holder": "Soak", "routing_number": "110000000", "account_number": "000123456789"},
        )
        pairs.append(
            {
                "client": api_token_issue(user=client, name="soak")[1],
                "freelancer": api_token_issue(user=freelancer, name="soak")[1],
            }
        )
    category = SkillCategory.objects.order_by("pk").first()
    skills = list(Skill.objects.filter(category=category).order_by("pk").values_list("pk", flat=True)[:2])
    return {"pairs": pairs, "category": category.pk, "skills": skills}


def sweep(stop_file: str) -> dict:
    """What the Celery beat does, compressed: released money clears at once, so it can be withdrawn, and
    the outbox's transfers are made."""
    _django()
    from django.db import close_old_connections
    from django.utils import timezone

    from payments.outbox import calls_sweep
    from payments.services import clearances_due

    cleared = 0
    while not Path(stop_file).exists():
        close_old_connections()
        cleared += clearances_due(now=timezone.now() + timedelta(days=365))
        calls_sweep()
        time.sleep(1)
    return {"cleared": cleared}


def ledger_check() -> dict:
    """The money from the ledger: funding = released + refunded + fees + held, to the cent."""
    _django()
    from django.db.models import Sum

    from contracts.invariants import money_problems
    from payments import accounts
    from payments.models import LedgerEntry, LedgerTransaction

    escrow = LedgerEntry.objects.filter(account__startswith="escrow:")
    funded = escrow.filter(transaction__kind=LedgerTransaction.Kind.FUND).aggregate(s=Sum("amount_cents"))["s"] or 0
    held = escrow.aggregate(s=Sum("amount_cents"))["s"] or 0
    fees = LedgerEntry.objects.filter(account=accounts.PLATFORM_FEES).aggregate(s=Sum("amount_cents"))["s"] or 0
    to_freelancers = (
        LedgerEntry.objects.filter(
            transaction__kind__in=["release", "partial_release", "split"], account__startswith="user:"
        ).aggregate(s=Sum("amount_cents"))["s"]
        or 0
    )
    refunded = (
        LedgerEntry.objects.filter(
            transaction__kind__in=["refund", "split"], account=accounts.GATEWAY, amount_cents__gt=0
        ).aggregate(s=Sum("amount_cents"))["s"]
        or 0
    )
    paid_out = (
        LedgerEntry.objects.filter(transaction__kind="payout", account=accounts.GATEWAY).aggregate(
            s=Sum("amount_cents")
        )["s"]
        or 0
    )
    return {
        "funded_cents": funded,
        "released_to_freelancers_cents": to_freelancers,
        "refunded_cents": refunded,
        "fees_cents": fees,
        "held_cents": held,
        "paid_out_cents": paid_out,
        "adds_up": funded == to_freelancers + refunded + fees + held,
        "money_problems": money_problems(),
        "transactions": LedgerTransaction.objects.count(),
    }


# --- The clients ------------------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.errors: list[str] = []
        self.journeys = 0
        self.messages = 0

    def record(self, method: str, path: str, response: requests.Response | None, seconds: float, error: str = ""):
        with self.lock:
            self.latencies.append(seconds)
            status = response.status_code if response is not None else "connection error"
            self.statuses[status] += 1
            if response is None or response.status_code >= 400:
                body = response.text[:200] if response is not None else error
                self.errors.append(f"{method} {path}: {status} {body}")


class Person:
    def __init__(self, base: str, token: str, stats: Stats):
        self.base, self.stats = base, stats
        self.session = requests.Session()
        self.session.headers.update({**PROXY, "Authorization": f"Token {token}"})

    def call(self, method: str, path: str, body: dict | None = None, *, key: bool = False) -> dict:
        headers = {"Idempotency-Key": str(uuid.uuid4())} if key else {}
        started = time.monotonic()
        try:
            response = self.session.request(method, self.base + path, json=body, headers=headers, timeout=60)
        except requests.RequestException as error:
            self.stats.record(method, path, None, time.monotonic() - started, str(error))
            raise
        self.stats.record(method, path, response, time.monotonic() - started)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code}")
        return response.json() if response.content else {}


def journey(client: Person, freelancer: Person, setup: dict, n: int) -> None:
    """Post, propose, hire, accept, fund, talk, submit, approve, withdraw: one paid test project."""
    today = date.today()
    project = client.call(
        "POST",
        "/api/v1/projects/",
        {
            "kind": "test",
            "title": f"Soak project {n}",
            "summary": "A small paid test of the whole journey.",
            "description": "Build the thing, then we talk about more.",
            "acceptance_criteria": "It works.",
            "follow_on_plan": "More work if it goes well.",
            "category": setup["category"],
            "skills": setup["skills"],
            "experience_level": "intermediate",
            "budget_min_cents": AMOUNT_CENTS,
            "duration_days": 7,
            "apply_by": (today + timedelta(days=10)).isoformat(),
            "visibility": "public",
            "is_confidential": False,
            "questions": [],
        },
    )
    client.call("POST", f"/api/v1/projects/{project['id']}/publish/")
    freelancer.call("GET", f"/api/v1/projects/{project['id']}/")
    proposal = freelancer.call(
        "POST",
        f"/api/v1/projects/{project['id']}/proposals/",
        {
            "cover_letter": "I have built this before and can start today.",
            "bid_cents": AMOUNT_CENTS,
            "duration_days": 5,
            "milestones": [
                {"title": "The work", "amount_cents": AMOUNT_CENTS, "due_date": (today + timedelta(days=6)).isoformat()}
            ],
            "answers": [],
        },
    )
    conversation = proposal.get("conversation_id")
    if conversation:
        client.call(
            "POST", f"/api/v1/conversations/{conversation}/messages/", {"body": "Thanks, can you start Monday?"}
        )
        freelancer.call("POST", f"/api/v1/conversations/{conversation}/messages/", {"body": "Yes, Monday it is."})
        client.stats.messages += 2
    client.call("POST", f"/api/v1/proposals/{proposal['id']}/shortlist/")
    offer = client.call("POST", f"/api/v1/proposals/{proposal['id']}/hire/")["offer"]
    accepted = freelancer.call("POST", f"/api/v1/offers/{offer['id']}/accept/")
    contract_id = accepted["contract"]["id"] if isinstance(accepted["contract"], dict) else accepted["contract"]
    contract = client.call("GET", f"/api/v1/contracts/{contract_id}/")
    for milestone in contract["milestones"]:
        url = f"/api/v1/milestones/{milestone['id']}"
        client.call("POST", f"{url}/fund/", {}, key=True)
        freelancer.call("POST", f"{url}/submit/", {"message": "Here it is."})
        client.call("POST", f"{url}/approve/", {}, key=True)
    client.call("GET", "/api/v1/contracts/")
    balance = freelancer.call("GET", "/api/v1/me/balance/")
    available = _available(balance)
    if available > 0:
        freelancer.call("POST", "/api/v1/payouts/", {"amount_cents": available}, key=True)


def _available(balance) -> int:
    if isinstance(balance, dict) and "results" in balance:
        balance = balance["results"]
    if isinstance(balance, list):
        balance = balance[0] if balance else {}
    return int(balance.get("available_cents", 0) or 0)


def drive(base: str, setup: dict, seconds: int) -> Stats:
    stats, deadline = Stats(), time.monotonic() + seconds

    def one_pair(n: int, pair: dict):
        client, freelancer = Person(base, pair["client"], stats), Person(base, pair["freelancer"], stats)
        count = 0
        while time.monotonic() < deadline:
            try:
                journey(client, freelancer, setup, n * 10_000 + count)
            except (RuntimeError, requests.RequestException):
                time.sleep(0.5)  # recorded; the pair starts a new journey
                continue
            count += 1
            with stats.lock:
                stats.journeys += 1

    threads = [threading.Thread(target=one_pair, args=(n, pair)) for n, pair in enumerate(setup["pairs"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats


def in_django(env: dict, *argv: str) -> dict:
    done = subprocess.run(
        [BIN / "python", __file__, "--inside", *argv], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"soak.py --inside {' '.join(argv)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=6, help="client/freelancer pairs working at once")
    parser.add_argument("--db", default="proofwork_soak")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--inside", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        command, rest = args.inside[0], args.inside[1:]
        result = {"users": lambda: prepare_users(int(rest[0])), "sweep": lambda: sweep(rest[0]), "check": ledger_check}
        print(json.dumps(result[command](), default=str))
        return
    if args.db == "proofwork_bench":
        parser.error("proofwork_bench belongs to the load benchmark; the soak test uses a database of its own")
    args.worker_class, args.threads = "sync", 1
    env = server_env(args)
    env["BENCH_BARE_VIEW"] = "0"
    env["THROTTLE_AUTH_TOKEN"] = "1000/min"
    env["PROPOSAL_RATE_LIMIT"] = "100000"
    env["MESSAGE_RATE_LIMIT"] = "100000"
    env["EMAIL_URL"] = "dummy://"
    env["CELERY_TASK_ALWAYS_EAGER"] = "1"  # notification emails run in the request; no worker needed
    admin = psycopg2.connect(f"{args.pg}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
        cur.execute(f'CREATE DATABASE "{args.db}"')
    admin.close()
    log(f"Migrating {args.db}…")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    setup = in_django(env, "users", str(args.users))
    server = Server(args, env)
    stop_file = VAR / f"soak-stop-{uuid.uuid4().hex[:6]}"
    VAR.mkdir(parents=True, exist_ok=True)
    sweeper = subprocess.Popen(
        [BIN / "python", __file__, "--inside", "sweep", str(stop_file)], env=env, cwd=ROOT, stdout=subprocess.PIPE
    )
    log(f"Serving on {server.base}; {args.users} pairs for {args.seconds} s…")
    started = time.monotonic()
    try:
        stats = drive(server.base, setup, args.seconds)
    finally:
        elapsed = time.monotonic() - started
        stop_file.touch()
        sweeper.communicate(timeout=60)
        stop_file.unlink(missing_ok=True)
        server.stop()
    money = in_django(env, "check")
    report(args, stats, money, elapsed)


def report(args, stats: Stats, money: dict, elapsed: float) -> None:
    latencies = sorted(stats.latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0
    server_errors = sum(n for status, n in stats.statuses.items() if isinstance(status, int) and status >= 500)
    rows = [
        ("pairs × seconds", f"{args.users} × {args.seconds} (ran {elapsed:.0f} s)"),
        ("requests", f"{sum(stats.statuses.values())} ({sum(stats.statuses.values()) / elapsed:.1f}/s)"),
        ("journeys completed", str(stats.journeys)),
        ("messages sent", str(stats.messages)),
        ("responses by status", ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses.items(), key=str))),
        ("5xx", str(server_errors)),
        ("p50 / p95 latency", f"{statistics.median(latencies) * 1000:.0f} / {p95 * 1000:.0f} ms" if latencies else "-"),
        ("funded", f"{money['funded_cents'] / 100:,.2f}"),
        ("released to freelancers", f"{money['released_to_freelancers_cents'] / 100:,.2f}"),
        ("refunded", f"{money['refunded_cents'] / 100:,.2f}"),
        ("fees", f"{money['fees_cents'] / 100:,.2f}"),
        ("still held", f"{money['held_cents'] / 100:,.2f}"),
        ("withdrawn", f"{money['paid_out_cents'] / 100:,.2f}"),
        ("funded = released + refunded + fees + held", "yes" if money["adds_up"] else "NO"),
        ("money_problems()", "none" if not money["money_problems"] else str(len(money["money_problems"]))),
    ]
    text = "\n".join(["| measure | value |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)])
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result = {
        "when": stamp,
        "args": {k: v for k, v in vars(args).items() if k != "inside"},
        "requests": sum(stats.statuses.values()),
        "journeys": stats.journeys,
        "statuses": {str(k): v for k, v in stats.statuses.items()},
        "errors": stats.errors[:50],
        "p95_ms": round(p95 * 1000, 1),
        "money": money,
        "table": text,
    }
    (RESULTS / f"soak-{stamp}.json").write_text(json.dumps(result, indent=2, default=str))
    log(f"Written to bench/results/soak-{stamp}.json")
    if server_errors or not money["adds_up"] or money["money_problems"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
