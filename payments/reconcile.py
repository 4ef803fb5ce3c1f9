"""Reconciliation: our books against the processor's, per transfer group and payout account.

For each contract (`transfer_group`) the card payments we recorded as made and the refunds we
made are compared with the charges and refunds the processor holds for that group; for each
payout account, the withdrawals we sent with the transfers it received. Each disagreement (a
charge or transfer missing on either side, an amount off by any cent, a refund we never made) is
a ReconciliationDifference of the run, listed in the moderation area and by
`manage.py reconcile_payments`. A clean run has none.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.templatetags.core_tags import money
from payments import listeners
from payments.gateways import GatewayError, GatewayUnavailable, PaymentGateway, get_gateway
from payments.models import (
    GatewayCall,
    Payment,
    Payout,
    PayoutAccount,
    ReconciliationDifference,
    ReconciliationRun,
)


def _compare(kind: str, group: str, ours: dict[str, int], theirs: dict[str, int]) -> list[ReconciliationDifference]:
    differences = []
    for ref in sorted(set(ours) | set(theirs)):
        mine, processor = ours.get(ref), theirs.get(ref)
        if mine == processor:
            continue
        if processor is None:
            detail = f"{kind} {ref} of {money(mine)} is in our books but not at the processor"
        elif mine is None:
            detail = f"{kind} {ref} of {money(processor)} is at the processor but not in our books"
        else:
            detail = f"{kind} {ref}: {money(mine)} in our books, {money(processor)} at the processor"
        differences.append(
            ReconciliationDifference(
                group=group, kind=kind, ledger_cents=mine or 0, processor_cents=processor or 0, detail=detail[:300]
            )
        )
    return differences


def group_differences(group: str, gateway: PaymentGateway) -> list[ReconciliationDifference]:
    payments = Payment.objects.filter(group=group, status=Payment.Status.SUCCEEDED)
    charges = {p.intent_id or p.idempotency_key: p.total_cents for p in payments}
    refunds = dict(
        GatewayCall.objects.filter(
            kind=GatewayCall.Kind.REFUND, status=GatewayCall.Status.DONE, payment__group=group
        ).values_list("result_id", "amount_cents")
    )
    theirs = gateway.group_totals(group=group)
    return _compare("charge", group, charges, theirs.charges) + _compare("refund", group, refunds, theirs.refunds)


def account_differences(account: PayoutAccount, gateway: PaymentGateway) -> list[ReconciliationDifference]:
    sent = dict(
        GatewayCall.objects.filter(
            kind=GatewayCall.Kind.TRANSFER,
            status=GatewayCall.Status.DONE,
            payout__freelancer_id=account.user_id,
            payout__status=Payout.Status.PAID,
        ).values_list("result_id", "amount_cents")
    )
    theirs = gateway.transfers_to(destination=account.account_id)
    return _compare("transfer", account.account_id, sent, theirs)


def reconcile(*, gateway: PaymentGateway | None = None) -> ReconciliationRun:
    gateway = gateway or get_gateway()
    run = ReconciliationRun.objects.create(gateway=gateway.name)
    differences: list[ReconciliationDifference] = []
    groups = sorted(set(Payment.objects.filter(gateway=gateway.name).exclude(group="").values_list("group", flat=True)))
    accounts = list(PayoutAccount.objects.filter(gateway=gateway.name).order_by("pk"))
    error = ""
    try:
        for group in groups:
            differences += group_differences(group, gateway)
        for account in accounts:
            differences += account_differences(account, gateway)
    except (GatewayError, GatewayUnavailable) as failure:
        error = f"The processor could not be read: {failure}"[:300]
    with transaction.atomic():
        for difference in differences:
            difference.run = run
        ReconciliationDifference.objects.bulk_create(differences)
        ReconciliationRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now(),
            groups_checked=len(groups) + len(accounts),
            differences=len(differences),
            error=error,
        )
        run.refresh_from_db()
        if differences or error:
            listeners.emit(listeners.RECONCILIATION_DIFFERENCES, run=run)
    return run
