"""The load benchmark: see bench/README.md. Run with `make bench` (or `python bench/run.py --help`)."""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"
PG_LOG = Path("/var/log/postgresql/postgresql-15-main.log")
PROXY = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front of gunicorn sets


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(args) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DEBUG", "SECRET_KEY"))}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"{args.pg}/{args.db}",
        REDIS_URL=args.redis,
        BENCH_BARE_VIEW="1",
        STATIC_ROOT=str(VAR / "staticfiles"),
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env, *argv, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([BIN / "python", ROOT / "manage.py", *argv], env=env, cwd=ROOT, check=True, **kwargs)


# --- Data ------------------------------------------------------------------------------------


def analyze(args) -> None:
    db = psycopg2.connect(f"{args.pg}/{args.db}")
    db.autocommit = True
    with db.cursor() as cur:
        cur.execute("ANALYZE")
    db.close()


def ensure_seeded(args, env) -> dict:
    info_file = VAR / f"{args.db}.json"
    admin = psycopg2.connect(f"{args.pg}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.db])
        exists = cur.fetchone() is not None
        if exists and info_file.exists() and json.loads(info_file.read_text())["projects"] == args.projects:
            log(f"Data present: {args.db} ({info_file})")
            manage(env, "migrate", "--noinput", "-v0")
            analyze(args)  # a migration may have rewritten a table; plans need fresh statistics
            return json.loads(info_file.read_text())
        log(f"Seeding {args.db} with {args.projects} projects (seed {args.seed})…")
        if exists:
            cur.execute(f'DROP DATABASE "{args.db}"')
        cur.execute(f'CREATE DATABASE "{args.db}"')
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_scale", "--projects", str(args.projects), "--seed", str(args.seed), "--output", str(info_file))
    return json.loads(info_file.read_text())


# --- The server ------------------------------------------------------------------------------


class Server:
    def __init__(self, args, env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [BIN / "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", str(args.workers)]
        cmd += ["-k", args.worker_class, "--timeout", "120", "--log-level", "warning"]
        if args.worker_class == "gthread":
            cmd += ["--threads", str(args.threads)]
        self.process = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/healthz/", headers=PROXY, timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz/ within 30 s")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


# --- Pages -----------------------------------------------------------------------------------


def pages(info, prep) -> list[dict]:
    s = info["search"]
    # A browser that has seen one page holds the CSRF cookie too; without it every page would set
    # a new one, and a page that sets a cookie is never kept in the per-person cache.
    csrf = secrets.token_hex(16)
    cookie = lambda role: {"Cookie": f"sessionid={prep['sessions'][role]}; csrftoken={csrf}"}  # noqa: E731
    token = lambda role: {"Authorization": f"Token {prep['tokens'][role]}"}  # noqa: E731
    skills = "&".join(f"skills={pk}" for pk in info["skills_filter"]["skills"])
    return [
        {"name": "/projects/", "path": "/projects/"},
        {"name": "/projects/?page=200", "path": "/projects/?page=200"},
        {"name": "search, rare word", "path": f"/projects/?q={s['rare']}"},
        {"name": "search, common word", "path": f"/projects/?q={s['common']}"},
        {"name": "search, three words", "path": "/projects/?q=" + s["three_words"].replace(" ", "+")},
        {"name": "search, quoted phrase", "path": "/projects/?q=" + requests.utils.quote(s["phrase"])},
        {
            "name": "skills + budget filter",
            "path": f"/projects/?{skills}&budget_min={info['skills_filter']['budget_min']}",
        },
        {"name": "project page (anonymous)", "path": f"/projects/{info['project_id']}/"},
        {
            "name": "project page (freelancer)",
            "path": f"/projects/{info['project_id']}/",
            "headers": cookie("freelancer"),
        },
        {"name": "dashboard, heavy client", "path": "/dashboard/", "headers": cookie("heavy_client")},
        {"name": "dashboard, heavy freelancer", "path": "/dashboard/", "headers": cookie("heavy_freelancer")},
        {
            "name": "contract page, 10 milestones",
            "path": f"/contracts/{info['contract_10_milestones']}/",
            "headers": cookie("heavy_client"),
        },
        {"name": "billing, heavy client", "path": "/billing/", "headers": cookie("heavy_client")},
        {"name": "earnings, heavy freelancer", "path": "/earnings/", "headers": cookie("heavy_freelancer")},
        {"name": "freelancer profile, heavy freelancer", "path": f"/freelancers/{info['heavy_freelancer']['id']}/"},
        {"name": "client profile, heavy client", "path": f"/clients/{info['heavy_client']['id']}/"},
        {
            "name": "proposals of a project (its client)",
            "path": f"/projects/{info['project_id']}/proposals/",
            "headers": cookie("heavy_client"),
        },
        {
            "name": "reputation API, heavy freelancer",
            "path": f"/api/v1/users/{info['heavy_freelancer']['id']}/reputation/",
        },
        {"name": "/api/v1/projects/ (anonymous)", "path": "/api/v1/projects/?page=2"},
        {"name": "/api/v1/projects/", "path": "/api/v1/projects/", "headers": token("heavy_freelancer")},
        {"name": "/api/v1/contracts/", "path": "/api/v1/contracts/", "headers": token("heavy_client")},
    ]


def count_queries(server, page) -> tuple[int, int | None, int]:
    response = requests.get(
        server.base + page["path"], headers={**PROXY, **page.get("headers", {})}, timeout=120, allow_redirects=False
    )
    queries = response.headers.get("X-Query-Count")
    return response.status_code, int(queries) if queries else None, len(response.content)


def wrk(server, path, headers, args) -> dict:
    cmd = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "30s"]
    cmd += ["-s", str(ROOT / "bench" / "report.lua")]
    for name, value in {**PROXY, **headers}.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, server.base + path], capture_output=True, text=True, check=True).stdout
    data = json.loads(re.search(r"BENCH_JSON (.*)", out).group(1))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def drain(server, limit: float = 180) -> None:
    """Wait until the bare view answers within 0.5 s: requests wrk left queued behind slow pages
    must not be counted against the next measurement."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if requests.get(server.base + "/bench/bare/", headers=PROXY, timeout=0.5).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.5)


def measure_pages(server, page_list, args) -> list[dict]:
    for page in page_list:
        page["status"], page["queries"], page["bytes"] = count_queries(server, page)
        page["rounds"] = []
        log(f"  {page['name']}: HTTP {page['status']}, {page['queries']} queries, {page['bytes']} bytes")
    for r in range(args.rounds):
        log(f"Round {r + 1}/{args.rounds}")
        for page in page_list:
            drain(server)
            bare = wrk(server, "/bench/bare/", {}, args)
            got = wrk(server, page["path"], page.get("headers", {}), args)
            got["bare_rps"], got["ratio"] = bare["rps"], got["rps"] / bare["rps"] if bare["rps"] else 0.0
            page["rounds"].append(got)
            log(f"  {page['name']:<30} {got['rps']:8.1f} req/s  bare {bare['rps']:7.0f}  ratio {got['ratio']:.4f}")
    for page in page_list:
        rounds = page["rounds"]
        page["median"] = {
            key: statistics.median(r[key] for r in rounds) for key in ("rps", "bare_rps", "ratio", "p50_us", "p95_us")
        }
        page["bad_responses"] = sum(r["bad_status"] + r["socket_errors"] + r["timeouts"] for r in rounds)
    return page_list


# --- The money path --------------------------------------------------------------------------


class LockSampler(threading.Thread):
    """Samples pg_locks every 5 ms: each waiting lock's age (waitstart, PostgreSQL 14+), so a wait
    is caught while it lasts; the longest age seen per wait is its length, to within 5 ms."""

    def __init__(self, dsn: str, db: str):
        super().__init__(daemon=True)
        self.dsn, self.db, self.waits, self.running = dsn, db, {}, True

    def run(self):
        conn = psycopg2.connect(self.dsn)
        conn.autocommit = True
        with conn.cursor() as cur:
            while self.running:
                cur.execute(
                    "SELECT l.pid, l.waitstart, EXTRACT(EPOCH FROM clock_timestamp() - l.waitstart) * 1000 "
                    "FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                    "WHERE NOT l.granted AND l.waitstart IS NOT NULL AND d.datname = %s",
                    [self.db],
                )
                for pid, start, ms in cur.fetchall():
                    self.waits[(pid, start)] = max(self.waits.get((pid, start), 0), float(ms))
                time.sleep(0.005)
        conn.close()

    def stop(self) -> list[float]:
        self.running = False
        self.join()
        return sorted(self.waits.values())


def money_path(server, pairs, concurrency, seconds, args) -> dict:
    """Each of `concurrency` client/freelancer pairs runs fund → submit → approve through the API
    on its own milestones for `seconds`; cycles per second over all of them."""
    deadline = time.monotonic() + seconds
    cycles, errors = [0] * concurrency, []

    def one_pair(n: int):
        pair = pairs[n]
        session = requests.Session()
        session.headers.update(PROXY)
        client = {"Authorization": f"Token {pair['client_token']}"}
        freelancer = {"Authorization": f"Token {pair['freelancer_token']}"}
        for milestone in pair["milestones"]:
            if time.monotonic() >= deadline:
                return
            url = f"{server.base}/api/v1/milestones/{milestone}"
            steps = [
                (f"{url}/fund/", client, {}),
                (f"{url}/submit/", freelancer, {"message": "Done."}),
                (f"{url}/approve/", client, {}),
            ]
            for step, who, body in steps:
                response = session.post(step, headers={**who, "Idempotency-Key": str(uuid.uuid4())}, data=body)
                if response.status_code != 200:
                    errors.append(f"{step}: {response.status_code} {response.text[:200]}")
                    return
            cycles[n] += 1

    sampler = LockSampler(f"{args.pg}/postgres", args.db)
    sampler.start()
    log_offset = PG_LOG.stat().st_size if PG_LOG.exists() else None
    started = time.monotonic()
    threads = [threading.Thread(target=one_pair, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    waits = sampler.stop()
    logged = []
    if log_offset is not None:
        with PG_LOG.open(errors="replace") as f:
            f.seek(log_offset)
            logged = [float(m) for m in re.findall(r"still waiting for \w+ on .*? after ([\d.]+) ms", f.read())]
    return {
        "pairs": concurrency,
        "cycles": sum(cycles),
        "seconds": round(elapsed, 2),
        "cycles_per_second": sum(cycles) / elapsed,
        "sampled_lock_waits_over_20ms": sum(1 for w in waits if w > 20),
        "sampled_lock_waits_over_100ms": sum(1 for w in waits if w > 100),
        "longest_sampled_lock_wait_ms": round(waits[-1], 1) if waits else 0,
        "logged_lock_waits_over_20ms": len(logged),
        "errors": errors[:5],
    }


# --- Cold start of `make run` -----------------------------------------------------------------


def cold_start(timeout: float = 60) -> dict:
    """`make run` on a free port with its data present: seconds from start to the first 200 on /.
    Run twice; the first one makes sure the data is there, the second one is the figure."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG")}
    figures = []
    for _ in range(2):
        port = free_port()
        started = time.monotonic()
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds = None
        while time.monotonic() - started < timeout:
            try:
                if requests.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                    seconds = time.monotonic() - started
                    break
            except requests.RequestException:
                pass
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        figures.append(seconds)
    return {"first_run_seconds": figures[0], "seconds_to_first_page": figures[1]}


# --- Output ----------------------------------------------------------------------------------


def table(page_list, money, cold, args) -> str:
    lines = [
        f"{args.projects:,} projects, gunicorn {args.workers} {args.worker_class} workers"
        + (f" × {args.threads} threads" if args.worker_class == "gthread" else "")
        + f", wrk -t{args.wrk_threads} -c{args.connections} {args.duration}s, medians of {args.rounds} rounds",
        "",
        "| page | req/s | p50 ms | p95 ms | ratio to bare | queries |",
        "|---|---|---|---|---|---|",
    ]
    for p in page_list:
        m = p["median"]
        flag = (
            "" if p["status"] == 200 and not p["bad_responses"] else f" (HTTP {p['status']}, {p['bad_responses']} bad)"
        )
        lines.append(
            f"| {p['name']}{flag} | {m['rps']:.1f} | {m['p50_us'] / 1000:.0f} | {m['p95_us'] / 1000:.0f} "
            f"| {m['ratio']:.4f} | {p['queries']} |"
        )
    bare = statistics.median(p["median"]["bare_rps"] for p in page_list) if page_list else 0
    lines += ["", f"Bare view: {bare:.0f} req/s (median over every round)."]
    for m in money:
        lines.append(
            f"Money path, {m['pairs']} pair(s): {m['cycles_per_second']:.1f} cycles/s ({m['cycles']} in {m['seconds']} s); "
            f"lock waits > 20 ms: {m['sampled_lock_waits_over_20ms']} sampled, {m['logged_lock_waits_over_20ms']} logged; "
            f"> 100 ms: {m['sampled_lock_waits_over_100ms']}; longest {m['longest_sampled_lock_wait_ms']} ms"
            + (f"; errors: {m['errors']}" if m["errors"] else "")
        )
    if len(money) == 2 and money[0]["cycles_per_second"]:
        lines.append(
            f"Money path scaling, 8 pairs / 1 pair: {money[1]['cycles_per_second'] / money[0]['cycles_per_second']:.2f}×"
        )
    if cold:
        lines.append(
            f"Cold start of `make run` with data present: {cold['seconds_to_first_page']} s to the first 200 on /."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=int(os.environ.get("BENCH_PROJECTS", 100_000)))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default="proofwork_bench")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--pages", default="", help="only pages whose name contains one of these (comma-separated)")
    parser.add_argument("--money-seconds", type=int, default=10, help="0 skips the money path")
    parser.add_argument("--no-cold-start", action="store_true")
    args = parser.parse_args()

    env = server_env(args)
    info = ensure_seeded(args, env)
    manage(env, "collectstatic", "--noinput", "-v0")
    pairs = 9 if args.money_seconds else 0
    # Enough milestones for the fastest pair to keep cycling for the whole run.
    per_pair = max(10, args.money_seconds * 15)
    log("Preparing sessions and money-path contracts…")
    prep_file = VAR / "prepared.json"
    subprocess.run(
        [BIN / "python", ROOT / "bench" / "prepare.py", VAR / f"{args.db}.json", str(pairs), str(per_pair), prep_file],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    prep = json.loads(prep_file.read_text())
    page_list = pages(info, prep)
    if args.pages:
        wanted = [w.strip() for w in args.pages.split(",")]
        page_list = [p for p in page_list if any(w in p["name"] for w in wanted)]

    admin = psycopg2.connect(f"{args.pg}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        # Lock waits over 20 ms go to the server log too, for the connections opened from now on.
        cur.execute(f'ALTER DATABASE "{args.db}" SET log_lock_waits = on')
        cur.execute(f"ALTER DATABASE \"{args.db}\" SET deadlock_timeout = '20ms'")
    server = Server(args, env)
    money = []
    try:
        log(f"Serving on {server.base}; counting queries…")
        page_list = measure_pages(server, page_list, args)
        if args.money_seconds:
            # Nine pairs: the one-pair run uses the last, the eight-pair run the others, fresh.
            for concurrency, chosen in ((1, prep["pairs"][8:]), (8, prep["pairs"][:8])):
                log(f"Money path, {concurrency} pair(s), {args.money_seconds} s…")
                money.append(money_path(server, chosen, concurrency, args.money_seconds, args))
    finally:
        server.stop()
        with admin.cursor() as cur:
            cur.execute(f'ALTER DATABASE "{args.db}" RESET log_lock_waits')
            cur.execute(f'ALTER DATABASE "{args.db}" RESET deadlock_timeout')
    cold = None if args.no_cold_start else cold_start()
    text = table(page_list, money, cold, args)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result = {
        "when": stamp,
        "args": vars(args),
        "seed_info": info,
        "pages": [{k: v for k, v in p.items() if k != "headers"} for p in page_list],
        "money_path": money,
        "cold_start": cold,
        "table": text,
    }
    (RESULTS / f"{stamp}.json").write_text(json.dumps(result, indent=2, default=str))
    log(f"Written to bench/results/{stamp}.json")


if __name__ == "__main__":
    main()
