"""What contracts know about a client's record, for the market's trust panel."""

from __future__ import annotations

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum

from contracts.models import Contract, Milestone


def client_figures(client_ids: list[int]) -> dict[int, dict]:
    """Total spent (released to freelancers), average days from delivery to approval, and the share
    of completed paid tests that led to a longer contract — three queries for any number of clients."""
    spent = dict(
        Milestone.objects.filter(contract__client_id__in=client_ids)
        .values("contract__client_id")
        .annotate(total=Sum("released_cents"))
        .values_list("contract__client_id", "total")
    )
    approvals = dict(
        Milestone.objects.filter(
            contract__client_id__in=client_ids,
            status=Milestone.Status.RELEASED,
            submitted_at__isnull=False,
            settled_at__isnull=False,
        )
        .values("contract__client_id")
        .annotate(avg=Avg(ExpressionWrapper(F("settled_at") - F("submitted_at"), output_field=DurationField())))
        .values_list("contract__client_id", "avg")
    )
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
        average = approvals.get(client_id)
        figures[client_id] = {
            "total_spent_cents": spent.get(client_id) or 0 if client_id in spent else None,
            "average_days_to_approve": round(average.total_seconds() / 86400, 1) if average is not None else None,
            "tests_to_longer_percent": round(100 * row["continued"] / row["done"]) if row and row["done"] else None,
        }
    return figures
