# ruff: noqa: E402  (Django is set up before the app modules are imported)
"""Run in a subprocess against the faults suite's private PostgreSQL (DATABASE_URL), with the
production settings: `prepare <contracts>` makes active contracts and API tokens, `sweeps
<stop-file>` runs the money tasks in a loop as a worker would until the file appears, riding out
a database restart, and `report` prints what the ledger says. Each prints one JSON object."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from collections import Counter

from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from accounts.tokens import api_token_issue
from contracts.invariants import money_problems
from contracts.models import Milestone
from contracts.services import milestones_auto_release_due
from payments.models import GatewayOperation, LedgerTransaction
from payments.services import clearances_due


def prepare(count: int) -> dict:
    from accounts.models import SkillCategory
    from tests.conftest import seed_skill_taxonomy
    from tests.contracts.factories import active_contract

    if not SkillCategory.objects.exists():
        seed_skill_taxonomy()
    contracts = []
    for _ in range(count):
        contract = active_contract(amounts=(150_00, 250_00))
        contracts.append(
            {
                "client": api_token_issue(user=contract.client, name="a script")[1],
                "freelancer": api_token_issue(user=contract.freelancer, name="a script")[1],
                "milestones": list(contract.milestones.order_by("position").values_list("pk", flat=True)),
            }
        )
    return {"contracts": contracts}


def sweeps(stop_file: str) -> dict:
    runs, failures = 0, 0
    while not Path(stop_file).exists():
        try:
            close_old_connections()
            milestones_auto_release_due(now=timezone.now() + timedelta(days=30))
            clearances_due(now=timezone.now() + timedelta(days=30))
            runs += 1
        except DatabaseError:
            failures += 1  # the task fails; Celery's retry (or the next beat tick) runs it again
            from django.db import connection

            connection.close()
        time.sleep(0.05)
    clearances_due(now=timezone.now() + timedelta(days=30))
    return {"runs": runs, "failures": failures}


def report() -> dict:
    keys = Counter(LedgerTransaction.objects.values_list("idempotency_key", flat=True))
    return {
        "problems": money_problems(),
        "statuses": dict(Milestone.objects.values_list("pk", "status")),
        "ledger_keys": dict(keys),
        "gateway_keys": dict(Counter(GatewayOperation.objects.values_list("idempotency_key", flat=True))),
    }


if __name__ == "__main__":
    command = sys.argv[1]
    result = {"prepare": lambda: prepare(int(sys.argv[2])), "sweeps": lambda: sweeps(sys.argv[2]), "report": report}
    print("RESULT " + json.dumps(result[command](), default=str))
