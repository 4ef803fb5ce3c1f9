"""What contracts know about a person's record, for the market's trust panel and the profiles."""

from __future__ import annotations

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum

from contracts.models import Contract, Dispute, Milestone
from marketplace.selectors import DISPUTE_FIGURES


def client_figures(client_ids: list[int]) -> dict[int, dict]:
    """Total spent (released to freelancers), average days from delivery to approval, and the share
    of completed paid tests that led to a longer contract — three queries for any number of clients."""
    spent = dict(
        Milestone.objects.filter(contract__client_id__in=client_ids)
        .values("contract__client_id")
        .annotate(total=Sum("released_cents"))
        .values_list("contract__client_id", "total")
    )
    approvals = {
        row["contract__client_id"]: row
        for row in Milestone.objects.filter(
            contract__client_id__in=client_ids,
            status=Milestone.Status.RELEASED,
            submitted_at__isnull=False,
            settled_at__isnull=False,
        )
        .values("contract__client_id")
        .annotate(
            avg=Avg(ExpressionWrapper(F("settled_at") - F("submitted_at"), output_field=DurationField())),
            n=Count("pk"),
        )
    }
    tests = {
        row["client_id"]: row
        for row in Contract.objects.filter(
            client_id__in=client_ids,
            is_test_project=True,
            status=Contract.Status.ENDED,
            end_reason=Contract.EndReason.COMPLETED,
        )
        .values("client_id")
        .annotate(
            done=Count("pk", distinct=True),
            continued=Count("pk", filter=Q(follow_on_contracts__isnull=False), distinct=True),
        )
    }
    figures: dict[int, dict] = {}
    for client_id in client_ids:
        row = tests.get(client_id)
        approved = approvals.get(client_id)
        average = approved["avg"] if approved else None
        figures[client_id] = {
            "total_spent_cents": spent.get(client_id) or 0 if client_id in spent else None,
            "average_days_to_approve": round(average.total_seconds() / 86400, 1) if average is not None else None,
            "approvals_basis": approved["n"] if approved else 0,
            "tests_to_longer_percent": round(100 * row["continued"] / row["done"]) if row and row["done"] else None,
            "tests_done": row["done"] if row else 0,
        }
    return figures


def dispute_records(user_ids: list[int]) -> dict[int, dict]:
    """Each person's record in disputes, on either side of a contract, in one query: opened by
    them, opened against them, settled between the parties (or withdrawn), and decided by staff or
    by a deadline's default for them (they got at least half of what was held) or against them.
    A bank chargeback counts as opened against the freelancer."""
    records = {user_id: dict.fromkeys(DISPUTE_FIGURES, 0) for user_id in user_ids}
    rows = Dispute.objects.filter(Q(contract__client_id__in=user_ids) | Q(contract__freelancer_id__in=user_ids)).values(
        "filer", "status", "held_cents", "outcome_freelancer_cents", "contract__client_id", "contract__freelancer_id"
    )
    for row in rows:
        for role, user_id in (("client", row["contract__client_id"]), ("freelancer", row["contract__freelancer_id"])):
            record = records.get(user_id)
            if record is None:
                continue
            record["disputes_opened" if row["filer"] == role else "disputes_against"] += 1
            if row["status"] in (Dispute.Status.SETTLED, Dispute.Status.WITHDRAWN):
                record["disputes_settled"] += 1
            elif row["status"] in (Dispute.Status.DECIDED, Dispute.Status.DEFAULTED):
                to_freelancer = row["outcome_freelancer_cents"]
                share = to_freelancer if role == "freelancer" else row["held_cents"] - to_freelancer
                record["disputes_decided_for" if 2 * share >= row["held_cents"] else "disputes_decided_against"] += 1
    return records


def client_figures_with_disputes(client_ids: list[int]) -> dict[int, dict]:
    figures = client_figures(client_ids)
    for client_id, record in dispute_records(client_ids).items():
        figures.setdefault(client_id, {}).update(record)
    return figures
