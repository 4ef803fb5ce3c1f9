"""The money invariants, checked against the ledger. An empty list means all hold.

1. every ledger transaction nets to zero (and stored balances match the entries);
2. a milestone's escrow equals what it still holds (amount − released − refunded) while held,
   and zero when pending or settled; no balance but the external gateway is negative;
3. per contract: funded = released + refunded + held (fees are part of what was released);
4. a milestone is fully released or fully refunded at most once;
5. (replays change nothing: checked by the tests that replay);
6. entries are never updated or deleted (a PostgreSQL trigger; reversals are new transactions).
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Sum

from contracts.models import Milestone
from payments import accounts
from payments.ledger import balances, ledger_problems
from payments.models import LedgerEntry, LedgerTransaction


def money_problems() -> list[str]:
    problems = ledger_problems()
    milestones = list(Milestone.objects.all())
    escrow = balances([accounts.escrow(m.ledger_reference) for m in milestones])
    funded = dict(
        LedgerEntry.objects.filter(transaction__kind=LedgerTransaction.Kind.FUND, account__startswith="escrow:")
        .values("account")
        .annotate(total=Sum("amount_cents"))
        .values_list("account", "total")
    )
    for m in milestones:
        account = accounts.escrow(m.ledger_reference)
        expected = m.held_cents
        if escrow[account] != expected:
            problems.append(f"milestone {m.pk} ({m.status}): escrow {escrow[account]} but it should hold {expected}")
        was_funded = funded.get(account, 0)
        if (
            m.status != Milestone.Status.PENDING
            and m.status != Milestone.Status.CANCELLED
            and was_funded != m.amount_cents
        ):
            problems.append(f"milestone {m.pk}: funded {was_funded}, amount {m.amount_cents}")
        if was_funded and was_funded != m.released_cents + m.refunded_cents + escrow[account]:
            problems.append(
                f"milestone {m.pk}: funded {was_funded} != released {m.released_cents} + refunded "
                f"{m.refunded_cents} + held {escrow[account]}"
            )
    funds = Counter(
        LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.FUND).values_list("reference", flat=True)
    )
    problems += [f"fund of {reference} posted {n} times" for reference, n in funds.items() if n > 1]
    # A milestone is settled in full once: by one release (approval) or one split (a dispute).
    settlements = Counter(
        LedgerTransaction.objects.filter(
            kind__in=[LedgerTransaction.Kind.RELEASE, LedgerTransaction.Kind.SPLIT]
        ).values_list("reference", flat=True)
    )
    problems += [f"{reference} settled {n} times" for reference, n in settlements.items() if n > 1]
    return problems
