"""The one writer of the ledger, and its balances."""

from __future__ import annotations

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from core.exceptions import DomainError
from payments.accounts import keeps_balance_row
from payments.models import EXTERNAL_PREFIX, AccountBalance, LedgerEntry, LedgerTransaction


class InsufficientFunds(DomainError):
    """A posting would take an account below zero; nothing was posted."""


class IdempotencyConflict(DomainError):
    """The same idempotency key was used for a different posting."""


def _normalized(entries) -> list[tuple[str, int]]:
    merged: dict[str, int] = defaultdict(int)
    for account, amount in entries:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise TypeError("Ledger amounts are integer cents.")
        merged[account] += amount
    return sorted((account, amount) for account, amount in merged.items() if amount != 0)


def _existing_entries(txn: LedgerTransaction) -> list[tuple[str, int]]:
    return sorted(txn.entries.values_list("account", "amount_cents"))


@transaction.atomic
def ledger_post(
    *,
    kind: str,
    key: str,
    reference: str,
    entries,
    currency: str = "USD",
    memo: str = "",
    reverses: LedgerTransaction | None = None,
) -> tuple[LedgerTransaction, bool]:
    """Post a balanced transaction once. Returns (transaction, created).

    The same key with the same entries returns the first transaction (created=False); the same
    key with other entries raises IdempotencyConflict. A posting that would take any account but
    the external gateway below zero raises InsufficientFunds and posts nothing. The gateway and the
    platform's fees are written as entries only: no balance row of theirs is locked or updated.
    """
    entries = _normalized(entries)
    if not entries:
        raise ValueError("A transaction needs entries.")
    if sum(amount for _, amount in entries) != 0:
        raise ValueError("A transaction must net to zero.")
    existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if _existing_entries(existing) != entries:
            raise IdempotencyConflict(f"The key {key} was already used for a different posting.")
        return existing, False
    try:
        with transaction.atomic():
            txn = LedgerTransaction.objects.create(
                kind=kind, idempotency_key=key, reference=reference, memo=memo[:300], reverses=reverses
            )
    except IntegrityError:
        # Another request posted the same key first: it is the same movement, done once.
        existing = LedgerTransaction.objects.get(idempotency_key=key)
        if _existing_entries(existing) != entries:
            raise IdempotencyConflict(f"The key {key} was already used for a different posting.") from None
        return existing, False
    # Only the balances that must never go negative are stored and locked: the gateway and the
    # fees are in nearly every posting, and a locked row each would queue every posting behind it.
    kept = [(account, amount) for account, amount in entries if keeps_balance_row(account)]
    for account, _ in kept:
        AccountBalance.objects.get_or_create(account=account, defaults={"currency": currency})
    # Lock the balances in a stable order so concurrent postings cannot deadlock.
    list(AccountBalance.objects.select_for_update().filter(account__in=[a for a, _ in kept]).order_by("account"))
    try:
        with transaction.atomic():
            for account, amount in kept:
                AccountBalance.objects.filter(account=account).update(balance_cents=F("balance_cents") + amount)
    except IntegrityError as error:
        raise InsufficientFunds("There is not enough money in the account for this.") from error
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction=txn, account=account, amount_cents=amount, currency=currency)
        for account, amount in entries
    )
    return txn, True


def ledger_reverse(*, original: LedgerTransaction, key: str, memo: str = "") -> LedgerTransaction:
    """Correct a mistake by posting the opposite of a transaction; the original stays as it was."""
    txn, _ = ledger_post(
        kind=LedgerTransaction.Kind.REVERSAL,
        key=key,
        reference=original.reference,
        entries=[(account, -amount) for account, amount in _existing_entries(original)],
        memo=memo or f"Reverses {original.idempotency_key}",
        reverses=original,
    )
    return txn


def balance(account: str) -> int:
    """An account's balance from its entries (the source of truth)."""
    return LedgerEntry.objects.filter(account=account).aggregate(total=Sum("amount_cents"))["total"] or 0


def balances(accounts: list[str]) -> dict[str, int]:
    rows = LedgerEntry.objects.filter(account__in=accounts).values("account").annotate(total=Sum("amount_cents"))
    found = {row["account"]: row["total"] for row in rows}
    return {account: found.get(account, 0) for account in accounts}


def ledger_problems() -> list[str]:
    """Ledger-wide invariants: every transaction nets to zero, stored balances equal the entries
    (and every account that must keep one has one), and no account but the external gateway is
    negative."""
    problems = []
    unbalanced = LedgerEntry.objects.values("transaction_id").annotate(total=Sum("amount_cents")).exclude(total=0)
    problems += [f"transaction {row['transaction_id']} nets to {row['total']}" for row in unbalanced]
    from_entries = dict(
        LedgerEntry.objects.values("account").annotate(total=Sum("amount_cents")).values_list("account", "total")
    )
    stored = dict(AccountBalance.objects.values_list("account", "balance_cents"))
    kept = {account for account in from_entries if keeps_balance_row(account)}
    for account in sorted(kept | set(stored)):
        if from_entries.get(account, 0) != stored.get(account, 0):
            problems.append(
                f"{account}: entries say {from_entries.get(account, 0)}, balance says {stored.get(account, 0)}"
            )
    for account, total in sorted(from_entries.items()):
        if not account.startswith(EXTERNAL_PREFIX) and total < 0:
            problems.append(f"{account} is negative: {total}")
    return problems
