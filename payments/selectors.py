"""Reads of money: balances, earnings, releases and withdrawals, each scoped to one person.

The ledger refers to what it pays for by reference ("milestone:12"). What a reference means to a
person (a title, the deal it belongs to, its page) comes from a resolver that the app owning the
reference registers at start-up, so payments never imports it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet, Sum

from payments import accounts
from payments.ledger import balance, balances
from payments.models import LedgerEntry, LedgerTransaction, Payout

RELEASE_KINDS = (LedgerTransaction.Kind.RELEASE, LedgerTransaction.Kind.PARTIAL_RELEASE, LedgerTransaction.Kind.SPLIT)
# How a release reads from the payee's side.
RELEASE_LABELS = {
    LedgerTransaction.Kind.RELEASE: "Approved",
    LedgerTransaction.Kind.PARTIAL_RELEASE: "Part released early",
    LedgerTransaction.Kind.SPLIT: "Split in a dispute",
}
SETTLEMENT_KINDS = (LedgerTransaction.Kind.RELEASE, LedgerTransaction.Kind.SPLIT)


@dataclass(frozen=True)
class ReferenceLabel:
    """What a ledger reference is, as a person reads it."""

    title: str  # the thing paid for: a milestone's title
    context: str  # what it belongs to: the contract's title
    url: str


# resolver(references, viewer) -> {reference: ReferenceLabel}, only for what the viewer may see.
ReferenceResolver = Callable[[list[str], object], dict[str, ReferenceLabel]]
_resolvers: dict[str, ReferenceResolver] = {}


def register_reference_resolver(prefix: str, resolver: ReferenceResolver) -> None:
    """The app that owns references starting with `prefix:` says what they are, in one query for many."""
    _resolvers[prefix] = resolver


def references_described(references: list[str], *, viewer) -> dict[str, ReferenceLabel]:
    """Labels for the references the viewer may see; any other (or one nobody resolves) is left out."""
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for reference in sorted(set(references)):
        by_prefix[reference.split(":", 1)[0]].append(reference)
    found: dict[str, ReferenceLabel] = {}
    for prefix, group in by_prefix.items():
        resolver = _resolvers.get(prefix)
        if resolver is not None:
            found.update(resolver(group, viewer))
    return found


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def earnings_for_user(user) -> dict[str, int]:
    """Pending (still clearing) and available (withdrawable) balances, in cents."""
    if not _signed_in(user):
        return {"pending": 0, "available": 0}
    figures = balances([accounts.pending(user.pk), accounts.available(user.pk)])  # both in one query
    return {"pending": figures[accounts.pending(user.pk)], "available": figures[accounts.available(user.pk)]}


@dataclass(frozen=True)
class ReleaseLine:
    """One release into a payee's pending balance and when it becomes withdrawable."""

    released_at: datetime
    clears_at: datetime
    net_cents: int
    cleared: bool
    kind_label: str
    subject: ReferenceLabel | None  # what was paid for, when its owner says so to this person


def releases_for_payee(user, *, limit: int = 50) -> list[ReleaseLine]:
    """The person's releases, newest first, each with the moment it clears."""
    if not _signed_in(user):
        return []
    entries = list(
        LedgerEntry.objects.filter(
            account=accounts.pending(user.pk), amount_cents__gt=0, transaction__kind__in=RELEASE_KINDS
        )
        .select_related("transaction")
        .order_by("-transaction__created_at", "-pk")[:limit]
    )
    keys = [f"clear:{entry.transaction_id}" for entry in entries]
    cleared = set(LedgerTransaction.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    subjects = references_described([entry.transaction.reference for entry in entries], viewer=user)
    clearance = timedelta(days=settings.CLEARANCE_DAYS)
    return [
        ReleaseLine(
            released_at=entry.transaction.created_at,
            clears_at=entry.transaction.created_at + clearance,
            net_cents=entry.amount_cents,
            cleared=f"clear:{entry.transaction_id}" in cleared,
            kind_label=RELEASE_LABELS.get(entry.transaction.kind, entry.transaction.get_kind_display()),
            subject=subjects.get(entry.transaction.reference),
        )
        for entry in entries
    ]


def payouts_for_user(user) -> QuerySet[Payout]:
    if not _signed_in(user):
        return Payout.objects.none()
    return Payout.objects.filter(freelancer=user).order_by("-created_at", "-pk")


def gateway_balance() -> int:
    """What has entered through the payment processor less what left by it (negative: money in)."""
    return balance(accounts.GATEWAY)


def platform_fees_balance() -> int:
    """Every fee the platform has taken, client and freelancer, summed from the entries."""
    return balance(accounts.PLATFORM_FEES)


def ledger_key_used(key: str) -> bool:
    """Whether the ledger already holds the transaction this key names: a replayed request."""
    return LedgerTransaction.objects.filter(idempotency_key=key).exists()


@dataclass(frozen=True)
class EscrowFigures:
    """What the ledger says of the money held for one reference, for the invariant checks."""

    held_cents: int
    funded_cents: int


def escrow_figures(references: list[str]) -> dict[str, EscrowFigures]:
    """What is held for each reference and what was funded into it, in two queries for any number."""
    escrows = {reference: accounts.escrow(reference) for reference in references}
    held = balances(list(escrows.values()))
    funded = dict(
        LedgerEntry.objects.filter(transaction__kind=LedgerTransaction.Kind.FUND, account__in=list(escrows.values()))
        .values("account")
        .annotate(total=Sum("amount_cents"))
        .values_list("account", "total")
    )
    return {
        reference: EscrowFigures(held_cents=held[account], funded_cents=funded.get(account, 0))
        for reference, account in escrows.items()
    }


def escrow_problems() -> list[str]:
    """Escrow-wide invariants: a reference is funded once, and settled in full (one release or one
    split) at most once."""
    funds = Counter(
        LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.FUND).values_list("reference", flat=True)
    )
    problems = [f"fund of {reference} posted {n} times" for reference, n in funds.items() if n > 1]
    settlements = Counter(
        LedgerTransaction.objects.filter(kind__in=SETTLEMENT_KINDS).values_list("reference", flat=True)
    )
    problems += [f"{reference} settled {n} times" for reference, n in settlements.items() if n > 1]
    return problems
