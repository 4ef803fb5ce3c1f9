from celery import shared_task

from payments.services import clearances_due


@shared_task
def clear_released_money() -> int:
    """Hourly: released money past its clearance period becomes available. Safe to run twice."""
    return clearances_due()


@shared_task(acks_late=True, reject_on_worker_lost=True, max_retries=0)
def run_gateway_call(call_id: int) -> str:
    """One outbox call (a refund, a transfer), after the commit that wrote it. A worker killed
    mid-call is redelivered (acks_late): the call's key makes the processor act once."""
    from payments.outbox import call_run

    return call_run(call_id).status


@shared_task
def sweep_payments() -> dict:
    """Every 5 minutes: outbox calls still pending (a lost task, a retry due) and payments still
    processing after PAYMENT_STALE_MINUTES (a lost webhook) are settled."""
    from payments.charges import payments_sweep
    from payments.outbox import calls_sweep

    return {"calls": calls_sweep(), "payments": payments_sweep()}


@shared_task
def reconcile_payments() -> int:
    """Nightly: the ledger's charges, refunds and transfers against the processor's."""
    from payments.reconcile import reconcile

    return reconcile().differences
