"""What staff need to see of payments: the last reconciliation and its differences, chargebacks,
refunds the processor refused, and transfers that keep failing."""

from __future__ import annotations

from payments.models import GatewayCall, ReconciliationRun, WebhookEvent


def payments_attention(*, limit: int = 50) -> dict:
    run = ReconciliationRun.objects.filter(finished_at__isnull=False).first()
    return {
        "run": run,
        "differences": list(run.items.all()[:limit]) if run else [],
        "chargebacks": list(WebhookEvent.objects.filter(type="charge.dispute.created")[:limit]),
        "failed_refunds": list(
            GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND, status=GatewayCall.Status.FAILED).order_by("-pk")[
                :limit
            ]
        ),
        "stuck_calls": list(
            GatewayCall.objects.filter(status=GatewayCall.Status.PENDING)
            .exclude(last_error="")
            .order_by("next_attempt_at")[:limit]
        ),
    }
