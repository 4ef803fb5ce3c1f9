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

from contracts.models import Milestone
from payments.ledger import ledger_problems
from payments.selectors import escrow_figures, escrow_problems


def money_problems() -> list[str]:
    problems = ledger_problems()
    milestones = list(Milestone.objects.all())
    figures = escrow_figures([m.ledger_reference for m in milestones])
    for m in milestones:
        held, was_funded = figures[m.ledger_reference].held_cents, figures[m.ledger_reference].funded_cents
        expected = m.held_cents
        if held != expected:
            problems.append(f"milestone {m.pk} ({m.status}): escrow {held} but it should hold {expected}")
        if (
            m.status != Milestone.Status.PENDING
            and m.status != Milestone.Status.CANCELLED
            and was_funded != m.amount_cents
        ):
            problems.append(f"milestone {m.pk}: funded {was_funded}, amount {m.amount_cents}")
        if was_funded and was_funded != m.released_cents + m.refunded_cents + held:
            problems.append(
                f"milestone {m.pk}: funded {was_funded} != released {m.released_cents} + refunded "
                f"{m.refunded_cents} + held {held}"
            )
    # A milestone is funded once and settled in full once: by one release (approval) or one split (a dispute).
    problems += escrow_problems()
    return problems
