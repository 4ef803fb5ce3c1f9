"""Check every money invariant over the whole ledger: `manage.py check_ledger`.

Prints one line per violation and exits 1 when there is any; prints "Ledger OK: N transactions,
M entries" and exits 0 otherwise. It reads only, so it is safe against a live database.

What it checks (see docs/testing.md, "Ledger check"):
- the invariants the tests check after every money move (contracts.invariants.money_problems):
  every transaction nets to zero, stored balances equal their entries, no balance but the
  gateway is negative, each milestone's escrow equals funded − released − refunded and agrees
  with its status, a milestone is funded once and settled once;
- every transaction has at least two entries in one currency, and its idempotency key is unique
  (the database enforces it too; this notices a copy restored without the constraint);
- fees follow the fee rule: the client fee of each funding is the flat client rate of what
  entered escrow, and the freelancer fee of each release or split is the tiered fee on what the
  pair had been billed before it, in the order the releases were posted;
- a clearance moves exactly the pending money of the release it names, once;
- every withdrawal row has its ledger posting for the same amount, every payout posting has its
  withdrawal row, a failed or reversed withdrawal was given back once (and only those), and no
  freelancer's available balance was ever below zero after a posting;
- every card payment that succeeded funded escrow for exactly what was charged, or was returned
  to the card in full, and every funding has its card payment.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from contracts.invariants import money_problems
from contracts.models import Milestone
from payments import accounts
from payments.fees import client_fee_cents, freelancer_fee_cents
from payments.models import LedgerEntry, LedgerTransaction, Payment, Payout

Kind = LedgerTransaction.Kind
PAYEE_KINDS = (Kind.RELEASE, Kind.PARTIAL_RELEASE, Kind.SPLIT)


def _entries_by_transaction() -> dict[int, list[tuple[str, int, str]]]:
    found: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
    for txn_id, account, amount, currency in LedgerEntry.objects.order_by("pk").values_list(
        "transaction_id", "account", "amount_cents", "currency"
    ):
        found[txn_id].append((account, amount, currency))
    return found


def shape_problems(transactions, entries) -> list[str]:
    """At least two entries, one currency, and a key used once."""
    problems = []
    for txn in transactions:
        rows = entries.get(txn.pk, [])
        if len(rows) < 2:
            problems.append(f"transaction {txn.pk} ({txn.idempotency_key}) has {len(rows)} entries")
        if len({currency for _, _, currency in rows}) > 1:
            problems.append(f"transaction {txn.pk} ({txn.idempotency_key}) mixes currencies")
    duplicated = LedgerTransaction.objects.values("idempotency_key").annotate(n=Count("pk")).filter(n__gt=1).order_by()
    problems += [f"idempotency key {row['idempotency_key']} used {row['n']} times" for row in duplicated]
    duplicated = Payout.objects.values("idempotency_key").annotate(n=Count("pk")).filter(n__gt=1).order_by()
    problems += [f"withdrawal key {row['idempotency_key']} used {row['n']} times" for row in duplicated]
    return problems


def fee_problems(transactions, entries) -> list[str]:
    """Client fees on fundings and tiered freelancer fees on releases, replayed in posting order."""
    pairs = {
        f"milestone:{pk}": (client_id, freelancer_id)
        for pk, client_id, freelancer_id in Milestone.objects.values_list(
            "pk", "contract__client_id", "contract__freelancer_id"
        )
    }
    reversed_ids = set(LedgerTransaction.objects.filter(reverses__isnull=False).values_list("reverses_id", flat=True))
    billed: dict[tuple[int, int], int] = defaultdict(int)
    problems = []
    for txn in transactions:
        if txn.pk in reversed_ids:
            continue
        rows = entries.get(txn.pk, [])
        fee = sum(amount for account, amount, _ in rows if account == accounts.PLATFORM_FEES)
        if txn.kind == Kind.FUND:
            funded = sum(amount for account, amount, _ in rows if account == accounts.escrow(txn.reference))
            expected = client_fee_cents(funded)
            if fee != expected:
                problems.append(
                    f"transaction {txn.pk} ({txn.idempotency_key}): client fee {fee}, the fee rule says {expected}"
                )
        elif txn.kind in PAYEE_KINDS:
            pair = pairs.get(txn.reference)
            if pair is None:
                problems.append(f"transaction {txn.pk} ({txn.idempotency_key}) pays for unknown {txn.reference}")
                continue
            gross = fee + sum(amount for account, amount, _ in rows if account.endswith(":pending"))
            expected = freelancer_fee_cents(amount_cents=gross, billed_before_cents=billed[pair])
            if fee != expected:
                problems.append(
                    f"transaction {txn.pk} ({txn.idempotency_key}): freelancer fee {fee} on {gross}, "
                    f"the fee rule says {expected} (billed before: {billed[pair]})"
                )
            billed[pair] += gross
    return problems


def clearance_problems(transactions, entries) -> list[str]:
    """A clearance names its release by key and moves exactly that release's pending money."""
    by_pk = {txn.pk: txn for txn in transactions}
    problems = []
    for txn in transactions:
        if txn.kind != Kind.CLEAR:
            continue
        release_pk = txn.idempotency_key.removeprefix("clear:")
        release = by_pk.get(int(release_pk)) if release_pk.isdigit() else None
        if release is None or release.kind not in PAYEE_KINDS:
            problems.append(f"transaction {txn.pk} ({txn.idempotency_key}) clears no release")
            continue
        owed = {a: amount for a, amount, _ in entries.get(release.pk, []) if a.endswith(":pending")}
        moved = {a: -amount for a, amount, _ in entries.get(txn.pk, []) if a.endswith(":pending")}
        if owed != moved:
            problems.append(f"transaction {txn.pk} ({txn.idempotency_key}) clears {moved}, the release owed {owed}")
    return problems


def payout_problems(transactions, entries) -> list[str]:
    """Withdrawals and their postings agree, and no available balance ever went below zero."""
    problems = []
    posted = {txn.idempotency_key: txn for txn in transactions if txn.kind == Kind.PAYOUT}
    returned = {txn.idempotency_key for txn in transactions if txn.kind == Kind.REVERSAL}
    for payout in Payout.objects.order_by("pk"):
        txn = posted.pop(f"payout:{payout.pk}", None)
        # Every withdrawal posts when asked; one that failed or was reversed is also given back once.
        gave_back = f"payout-returned:{payout.pk}" in returned
        if payout.status in (Payout.Status.FAILED, Payout.Status.REVERSED) and not gave_back:
            problems.append(f"withdrawal {payout.pk} was {payout.status} but its money was never returned")
        elif payout.status in (Payout.Status.SENDING, Payout.Status.PAID) and gave_back:
            problems.append(f"withdrawal {payout.pk} is {payout.status} yet its money was returned")
        if txn is None:
            problems.append(f"withdrawal {payout.pk} of {payout.amount_cents} has no ledger posting")
            continue
        taken = -sum(
            amount for a, amount, _ in entries.get(txn.pk, []) if a == accounts.available(payout.freelancer_id)
        )
        if taken != payout.amount_cents:
            problems.append(f"withdrawal {payout.pk} of {payout.amount_cents}: the ledger took {taken}")
    problems += [f"transaction {txn.pk} ({key}) pays out with no withdrawal row" for key, txn in posted.items()]
    running: dict[str, int] = defaultdict(int)
    for txn in transactions:
        for account, amount, _ in entries.get(txn.pk, []):
            if account.endswith(":available"):
                running[account] += amount
                if running[account] < 0:
                    problems.append(f"{account} went to {running[account]} after transaction {txn.pk}")
    return problems


def payment_problems(transactions, entries) -> list[str]:
    """Each card payment that succeeded is in escrow for exactly what was charged (or was returned
    to the card in full), and every funding in the ledger has the card payment that paid it."""
    problems = []
    funds = {txn.reference: txn for txn in transactions if txn.kind == Kind.FUND}
    paid = set()
    for payment in Payment.objects.filter(status=Payment.Status.SUCCEEDED).order_by("pk"):
        txn = funds.get(payment.reference)
        if txn is None:
            if payment.refunded_cents != payment.total_cents:
                problems.append(f"payment {payment.pk} of {payment.total_cents} is neither in escrow nor returned")
            continue
        paid.add(payment.reference)
        charged = -sum(amount for a, amount, _ in entries.get(txn.pk, []) if a == accounts.GATEWAY)
        if charged != payment.total_cents:
            problems.append(f"payment {payment.pk} charged {payment.total_cents}, the ledger funded {charged}")
    problems += [
        f"transaction {txn.pk} ({txn.idempotency_key}) funds escrow with no card payment"
        for reference, txn in funds.items()
        if reference not in paid
    ]
    return problems


def ledger_check() -> tuple[list[str], int, int]:
    """Every violation as a readable line, with the numbers of transactions and entries read."""
    transactions = list(LedgerTransaction.objects.order_by("created_at", "pk"))
    entries = _entries_by_transaction()
    problems = money_problems()
    problems += shape_problems(transactions, entries)
    problems += fee_problems(transactions, entries)
    problems += clearance_problems(transactions, entries)
    problems += payout_problems(transactions, entries)
    problems += payment_problems(transactions, entries)
    return problems, len(transactions), sum(len(rows) for rows in entries.values())


class Command(BaseCommand):
    help = "Check every ledger invariant; print each violation and exit non-zero on any."

    def handle(self, *args, **options):
        problems, transactions, entries = ledger_check()
        if problems:
            for problem in problems:
                self.stderr.write(f"VIOLATION: {problem}")
            raise CommandError(f"Ledger check failed: {len(problems)} violation(s).", returncode=1)
        self.stdout.write(f"Ledger OK: {transactions} transactions, {entries} entries")
