"""The reputation figures as pages and the API read them: one stored row per person and role (one
query for a page), computed in a fixed number of queries when missing or a day old
(reviews.figures), and recomputed by a task once any event they depend on has committed."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from reviews.figures import MIN_BASIS, client_figures, freelancer_figures
from reviews.models import Reputation

MAX_AGE = timedelta(days=1)
logger = logging.getLogger(__name__)
COMPUTE = {Reputation.Role.FREELANCER: freelancer_figures, Reputation.Role.CLIENT: client_figures}


def reputations(user_ids: list[int], role: str, *, now=None) -> dict[int, dict]:
    """The figures of many people in one role: one query when all are kept, plus the fixed number
    of queries of one computation (and one write) for those that are not."""
    now = now or timezone.now()
    ids = list(dict.fromkeys(user_ids))
    kept = {
        row.user_id: row.figures
        for row in Reputation.objects.filter(user_id__in=ids, role=role, computed_at__gt=now - MAX_AGE)
    }
    missing = [pk for pk in ids if pk not in kept]
    if missing:
        fresh = COMPUTE[role](missing, now=now)
        _store(fresh, role, now=now)
        kept.update(fresh)
    return kept


def reputation(user_id: int, role: str) -> dict:
    return reputations([user_id], role)[user_id]


def freelancer_list_figures(user_ids: list[int]) -> dict[int, dict]:
    """For the client's list of proposals: each freelancer's figures and the basis below which a
    figure reads "New"."""
    return {pk: {**values, "min_basis": MIN_BASIS} for pk, values in reputations(user_ids, "freelancer").items()}


def _store(figures: dict[int, dict], role: str, *, now) -> None:
    Reputation.objects.bulk_create(
        [Reputation(user_id=pk, role=role, figures=value, computed_at=now) for pk, value in figures.items()],
        update_conflicts=True,
        unique_fields=["user", "role"],
        update_fields=["figures", "computed_at"],
    )


def refresh(user_ids: list[int]) -> None:
    """Compute and keep both roles' figures of these people now (the task after an event)."""
    now = timezone.now()
    for role, compute in COMPUTE.items():
        _store(compute(user_ids, now=now), role, now=now)


def reputation_stale(*user_ids: int) -> None:
    """Something these people's figures depend on changed: recompute them in a task once this
    transaction commits (pages show the kept figures meanwhile, for the seconds that takes)."""
    ids = sorted({pk for pk in user_ids if pk})
    if not ids:
        return

    def enqueue():
        from reviews.tasks import refresh_reputation

        try:
            refresh_reputation.delay(ids)
        except Exception:  # the broker is down: what was done stands; the next page computes them
            logger.warning("Reputation refresh not queued for %s; kept figures forgotten instead", ids)
            Reputation.objects.filter(user_id__in=ids).delete()

    transaction.on_commit(enqueue)
