# ruff: noqa: E402  (Django is set up before the app modules are imported)
"""Run by bench/run.py with the server's environment: signed-in sessions for the seeded users and
fresh contracts for the money path. Writes one JSON object to the file named last on the command line.

Sessions are created with the server's SECRET_KEY (the session stores a hash derived from it), so
the cookie is one the real login would have set. Money-path contracts are made by the services,
one per client/freelancer pair, with enough unfunded milestones for the whole run.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import timedelta
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management.base import OutputWrapper
from django.test import override_settings
from django.utils import timezone

from accounts.models import ClientProfile, FreelancerProfile, Skill, User
from accounts.tokens import api_token_issue
from config.management.commands.seed_scale import PASSWORD, Command
from contracts import services as deals
from contracts.models import Contract, Milestone


def session_for(user: User) -> str:
    session = import_module(settings.SESSION_ENGINE).SessionStore()  # as signing in stores it
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def money_pairs(count: int, milestones: int) -> list[dict]:
    """`count` new client/freelancer pairs, each with one active contract of `milestones` unfunded milestones."""
    run = f"{int(time.time())}"
    pairs, plans = [], []
    for n in range(count):
        client = User.objects.create_user(
            email=f"bench.money.client.{run}.{n}@example.com", password=PASSWORD, is_client=True
        )
        freelancer = User.objects.create_user(
            email=f"bench.money.freelancer.{run}.{n}@example.com", password=PASSWORD, is_freelancer=True
        )
        ClientProfile.objects.create(user=client, company_name=f"Money {n}", about_team="Pays on time.")
        FreelancerProfile.objects.create(user=freelancer, headline="Ships", bio="Ships.", hourly_rate_cents=50_00)
        plans.append((client, freelancer))
    seeder = Command()
    seeder.rng, seeder.now, seeder.started = random.Random(7), timezone.now(), time.monotonic()
    seeder.skills = list(Skill.objects.order_by("pk")[:5])
    seeder.stdout = OutputWrapper(sys.stderr)
    # Hired and accepted with unfunded milestones; the client adds the rest as the services allow.
    contract_ids = seeder._contracts(plans, move=False)
    due = timezone.localdate() + timedelta(days=30)
    for (client, freelancer), contract_id in zip(plans, contract_ids, strict=True):
        contract = Contract.objects.get(pk=contract_id)
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            for i in range(milestones):
                deals.milestone_add(contract=contract, by=client, title=f"Cycle {i}", amount_cents=100_00, due_date=due)
        ids = list(
            contract.milestones.filter(status=Milestone.Status.PENDING).order_by("pk").values_list("pk", flat=True)
        )
        pairs.append(
            {
                "client_token": api_token_issue(user=client, name="load benchmark")[1],
                "freelancer_token": api_token_issue(user=freelancer, name="load benchmark")[1],
                "milestones": ids,
            }
        )
    return pairs


def main() -> None:
    info = json.loads(Path(sys.argv[1]).read_text())
    pairs, per_pair = int(sys.argv[2]), int(sys.argv[3])
    users = {role: User.objects.get(pk=info[role]["id"]) for role in ("heavy_client", "heavy_freelancer", "freelancer")}
    out = {
        "sessions": {role: session_for(user) for role, user in users.items()},
        # Fresh API tokens: the seeded ones expire, and a data set seeded before tokens were hashed has none.
        "tokens": {role: api_token_issue(user=user, name="bench")[1] for role, user in users.items()},
        "pairs": money_pairs(pairs, per_pair) if pairs else [],
    }
    Path(sys.argv[4]).write_text(json.dumps(out))


if __name__ == "__main__":
    main()
