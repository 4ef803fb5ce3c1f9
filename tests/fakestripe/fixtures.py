"""Pytest fixtures for the fake Stripe: one server per test process (per xdist worker), reset for each test.

from tests.fakestripe.fixtures import stripe_api, stripe_server, webhook_receiver  # noqa: F401
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

REPO = Path(__file__).resolve().parents[2]
API_KEY = "sk_test_fakestripe"


class FakeStripe:
    """A running fake Stripe server and its test-only controls."""

    def __init__(self, base: str):
        self.base = base  # "http://127.0.0.1:PORT"

    def client(self, **options):
        """A StripeClient of the real `stripe` library, talking to this server, without retries by default."""
        import stripe

        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(API_KEY, base_addresses={"api": self.base}, **options)

    def reset(self) -> None:
        """Forget every object, idempotent result, pending fault and webhook endpoint."""
        self._call("DELETE", "/_fake/data")

    def register_webhook(self, url: str, secret: str, events: list[str] | None = None) -> str:
        """Send signed events to `url` (all of them, or only those `events`); returns the endpoint's id."""
        webhook_id = "wh_" + uuid.uuid4().hex[:12]
        body = {"url": url, "secret": secret}
        if events is not None:
            body["events"] = list(events)
        self._call("POST", f"/_config/webhooks/{webhook_id}", body, parse=False)
        return webhook_id

    def fail_next(self, method: str, path: str, when: str, times: int = 1) -> None:
        """The next `times` calls of `method` on a path starting with `path` fail with a 500: "before" acting, or
        "after" acting (then a retry with the same Idempotency-Key gets the stored success)."""
        self._call("POST", "/_fake/fail", {"method": method, "path": path, "when": when, "times": times})

    def count(self, path: str) -> int:
        """How many objects of the kind listed at `path` exist ("/v1/transfers", "/v1/refunds", ...)."""
        return len(self.ids(path))

    def ids(self, path: str) -> list[str]:
        return self._call("GET", "/_fake/calls?path=" + quote(path, safe=""))["ids"]

    def dispute(self, charge: str, **fields) -> dict:
        """Open a dispute on a charge: sends charge.dispute.created; returns the dispute."""
        return self._call("POST", "/_fake/disputes", {"charge": charge, **fields})

    def payout_event(self, account: str, amount: int, status: str, failure_message: str = "") -> dict:
        """Send payout.paid or payout.failed for a connected account's payout; returns the payout."""
        body = {"account": account, "amount": amount, "status": status, "failure_message": failure_message}
        return self._call("POST", "/_fake/payouts", body)

    def _call(self, method: str, path: str, body: dict | None = None, *, parse: bool = True):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
        return json.loads(payload) if parse else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(base: str, process: subprocess.Popen, log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the fake Stripe server exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/_fake/health", timeout=1):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise RuntimeError(f"the fake Stripe server did not answer within {timeout}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def stripe_server(tmp_path_factory):
    """The fake Stripe of this test process, started on a free port and stopped at the end of the session."""
    port = _free_port()
    log = tmp_path_factory.mktemp("fakestripe") / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakestripe.server", "--port", str(port)],
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    server = FakeStripe(f"http://127.0.0.1:{port}")
    try:
        _wait_until_up(server.base, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def stripe_api(stripe_server):
    """The fake Stripe, emptied for this test."""
    stripe_server.reset()
    return stripe_server


class WebhookReceiver:
    """A tiny HTTP endpoint that keeps what it is sent: [(headers, body bytes)]."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._arrived:
                    receiver.received.append((dict(self.headers), body))
                    receiver._arrived.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/webhook"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def event_types(self) -> list[str]:
        return [json.loads(body)["type"] for _, body in list(self.received)]

    def wait_for(self, *types: str, timeout: float = 10) -> list[tuple[dict, bytes]]:
        """Wait until an event of each type has arrived; returns the deliveries of those types."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not set(types) <= set(self.event_types()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"waited for {sorted(types)}, received {self.event_types()}")
                self._arrived.wait(left)
            return [(h, b) for h, b in self.received if json.loads(b)["type"] in types]

    def wait_for_event(self, type: str, match=lambda obj: True, timeout: float = 10) -> tuple[dict, bytes]:
        """Wait until an event of `type` whose data.object satisfies `match` has arrived; returns its delivery."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for headers, body in self.received:
                    event = json.loads(body)
                    if event["type"] == type and match(event["data"]["object"]):
                        return headers, body
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"waited for a matching {type}, received {self.event_types()}")
                self._arrived.wait(left)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()
