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
from payments.models import BillingProfile, GatewayCall, LedgerEntry, LedgerTransaction, Payment, Payout

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
    context_url: str = ""  # the page of what it belongs to: the contract's


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


def next_clearing(user_id: int) -> tuple[int, datetime] | None:
    """The oldest release still clearing: what it adds to the available balance, and when."""
    entries = list(
        LedgerEntry.objects.filter(
            account=accounts.pending(user_id), amount_cents__gt=0, transaction__kind__in=RELEASE_KINDS
        )
        .select_related("transaction")
        .order_by("transaction__created_at", "pk")[:200]
    )
    keys = [f"clear:{entry.transaction_id}" for entry in entries]
    cleared = set(LedgerTransaction.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    for entry in entries:
        if f"clear:{entry.transaction_id}" not in cleared:
            return entry.amount_cents, entry.transaction.created_at + timedelta(days=settings.CLEARANCE_DAYS)
    return None


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


# --- A payer's billing: card payments, refunds to the card, and releases from escrow --------------

BILLING_LIMIT = 200  # payments on the page; the CSV has them all
# How money leaving escrow for the freelancer reads from the payer's side.
PAYER_RELEASE_LABELS = {
    LedgerTransaction.Kind.RELEASE: "Released to the freelancer",
    LedgerTransaction.Kind.PARTIAL_RELEASE: "Part released early",
    LedgerTransaction.Kind.SPLIT: "Released in a dispute split",
}
PAYMENT_STATUSES = {
    Payment.Status.PROCESSING: "processing",
    Payment.Status.SUCCEEDED: "paid",
    Payment.Status.FAILED: "declined",
}
REFUND_STATUSES = {
    GatewayCall.Status.PENDING: ("refund_pending", "Refund on its way to your card"),
    GatewayCall.Status.DONE: ("refunded", "Refunded to your card"),
    GatewayCall.Status.FAILED: ("refund_failed", "Refund not made yet: our payments team has been told"),
}


@dataclass(frozen=True)
class BillingLine:
    """One money event of a payer: a card payment, a refund to the card, or money released from
    escrow to the freelancer."""

    at: datetime
    kind: str  # payment | refund | release
    kind_label: str
    # payment: into escrow (the fee apart); refund: back to the card; release: out of escrow to the freelancer
    amount_cents: int
    fee_cents: int  # the client's marketplace fee a payment included
    currency: str
    status: str  # paid, processing, declined, refund_pending, refunded, refund_failed, released
    status_label: str
    message: str  # the processor's words on a declined payment
    card_label: str
    reference: str  # the processor's id (pi_…, re_…), or the ledger's key for a release
    subject: ReferenceLabel | None  # the milestone, when its owner describes it to the payer
    description: str  # what the payment said it was for, when nobody describes it
    payment_id: int | None = None  # a paid payment has a receipt

    @property
    def total_cents(self) -> int:
        return self.amount_cents + self.fee_cents

    @property
    def has_receipt(self) -> bool:
        return self.kind == "payment" and self.status == "paid"


@dataclass
class BillingGroup:
    """What a payer paid for one contract (a processor transfer group), and where that money is now."""

    key: str
    title: str
    url: str
    currency: str
    lines: list[BillingLine]
    charged_cents: int = 0  # paid by card: the milestones and the client fee
    refunded_cents: int = 0  # back to the card, made or on its way
    released_cents: int = 0  # out of escrow to the freelancer (before their fee)
    held_cents: int = 0  # still in escrow
    processing_cents: int = 0  # payments the processor has not confirmed yet


@dataclass(frozen=True)
class BillingTotals:
    currency: str
    charged_cents: int
    refunded_cents: int
    released_cents: int
    held_cents: int
    processing_cents: int


@dataclass(frozen=True)
class Billing:
    groups: list[BillingGroup]
    totals: list[BillingTotals]  # one per currency
    profile: BillingProfile | None
    truncated: bool  # more payments than the page shows

    @property
    def lines(self) -> list[BillingLine]:
        """Every line of every contract, oldest first: the CSV's order."""
        return sorted((line for group in self.groups for line in group.lines), key=lambda line: line.at)


def _payment_line(payment: Payment, subject: ReferenceLabel | None) -> BillingLine:
    return BillingLine(
        at=payment.settled_at or payment.created_at,
        kind="payment",
        kind_label="Card payment",
        amount_cents=payment.amount_cents,
        fee_cents=payment.fee_cents,
        currency=payment.currency,
        status=PAYMENT_STATUSES[payment.status],
        status_label=payment.get_status_display(),
        message=payment.failure_message if payment.status == Payment.Status.FAILED else "",
        card_label=payment.card_label,
        reference=payment.intent_id or payment.charge_id,
        subject=subject,
        description=payment.description,
        payment_id=payment.pk,
    )


def _refund_line(call: GatewayCall, payment: Payment, subject: ReferenceLabel | None) -> BillingLine:
    status, label = REFUND_STATUSES[call.status]
    return BillingLine(
        at=call.created_at,
        kind="refund",
        kind_label="Refund",
        amount_cents=call.amount_cents,
        fee_cents=0,
        currency=call.currency,
        status=status,
        status_label=label,
        message="",
        card_label=payment.card_label,
        reference=call.result_id,
        subject=subject,
        description=payment.description,
        payment_id=payment.pk,
    )


def _releases(references: list[str]) -> dict[str, list[tuple[LedgerTransaction, int]]]:
    """Each reference's releases with what left escrow for the freelancer (a split's refund part
    apart), in one query for any number of references."""
    rows = LedgerEntry.objects.filter(
        transaction__reference__in=references,
        transaction__kind__in=RELEASE_KINDS,
        account__in=[accounts.escrow(reference) for reference in references] + [accounts.GATEWAY],
    ).select_related("transaction")
    released: dict[int, int] = defaultdict(int)
    transactions: dict[int, LedgerTransaction] = {}
    for entry in rows:
        transactions[entry.transaction_id] = entry.transaction
        # Escrow goes down by all that left it; the gateway's part of a split went back to the card.
        released[entry.transaction_id] -= entry.amount_cents
    found: dict[str, list[tuple[LedgerTransaction, int]]] = defaultdict(list)
    for pk, txn in sorted(transactions.items()):
        if released[pk] > 0:
            found[txn.reference].append((txn, released[pk]))
    return found


def billing_for_user(user, *, limit: int | None = BILLING_LIMIT) -> Billing:
    """A payer's payments (`limit` newest, or all), their refunds and what left escrow for the
    freelancer, grouped by contract with what was charged, refunded, released and is still held.
    Six queries whatever the number of payments."""
    if not _signed_in(user):
        return Billing(groups=[], totals=[], profile=None, truncated=False)
    rows = Payment.objects.filter(payer=user).order_by("-created_at", "-pk")
    payments = list(rows if limit is None else rows[: limit + 1])
    truncated = limit is not None and len(payments) > limit
    payments = payments[:limit] if limit is not None else payments
    references = sorted({payment.reference for payment in payments})
    labels = references_described(references, viewer=user)
    refunds = defaultdict(list)
    for call in GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND, payment__in=[p.pk for p in payments]):
        refunds[call.payment_id].append(call)
    releases = _releases(references)
    held = balances([accounts.escrow(reference) for reference in references])
    groups: dict[str, BillingGroup] = {}
    counted: set[str] = set()  # what is held and released for a reference counts once per page
    for payment in reversed(payments):  # oldest first, so a group takes its first payment's currency
        subject = labels.get(payment.reference)
        key = payment.group or f"payment_{payment.pk}"
        group = groups.get(key)
        if group is None:
            group = groups[key] = BillingGroup(
                key=key,
                title=subject.context if subject else payment.description,
                url=subject.context_url if subject else "",
                currency=payment.currency,
                lines=[],
            )
        elif subject and not group.url:
            group.title, group.url = subject.context, subject.context_url
        group.lines.append(_payment_line(payment, subject))
        group.lines += [_refund_line(call, payment, subject) for call in refunds[payment.pk]]
        if payment.status == Payment.Status.SUCCEEDED:
            group.charged_cents += payment.total_cents
            group.refunded_cents += payment.refunded_cents
        elif payment.status == Payment.Status.PROCESSING:
            group.processing_cents += payment.total_cents
        if payment.status != Payment.Status.SUCCEEDED or payment.reference in counted:
            continue
        counted.add(payment.reference)
        group.held_cents += held[accounts.escrow(payment.reference)]
        for txn, amount in releases.get(payment.reference, []):
            group.released_cents += amount
            group.lines.append(
                BillingLine(
                    at=txn.created_at,
                    kind="release",
                    kind_label=PAYER_RELEASE_LABELS.get(txn.kind, txn.get_kind_display()),
                    amount_cents=amount,
                    fee_cents=0,
                    currency=payment.currency,
                    status="released",
                    status_label="Paid to the freelancer",
                    message="",
                    card_label="",
                    reference=txn.idempotency_key,
                    subject=subject,
                    description=payment.description,
                )
            )
    ordered = sorted(groups.values(), key=lambda group: max(line.at for line in group.lines), reverse=True)
    for group in ordered:
        group.lines.sort(key=lambda line: (line.at, line.kind != "payment"), reverse=True)
    return Billing(
        groups=ordered,
        totals=_billing_totals(ordered),
        profile=BillingProfile.objects.filter(user=user).first(),
        truncated=truncated,
    )


def _billing_totals(groups: list[BillingGroup]) -> list[BillingTotals]:
    by_currency: dict[str, list[BillingGroup]] = defaultdict(list)
    for group in groups:
        by_currency[group.currency].append(group)
    return [
        BillingTotals(
            currency=currency,
            charged_cents=sum(group.charged_cents for group in same),
            refunded_cents=sum(group.refunded_cents for group in same),
            released_cents=sum(group.released_cents for group in same),
            held_cents=sum(group.held_cents for group in same),
            processing_cents=sum(group.processing_cents for group in same),
        )
        for currency, same in sorted(by_currency.items())
    ]


@dataclass(frozen=True)
class Receipt:
    payment: Payment
    subject: ReferenceLabel | None  # what it paid for, when its owner describes it to the payer
    refunds: list[BillingLine]

    @property
    def paid_at(self) -> datetime:
        return self.payment.settled_at or self.payment.created_at

    @property
    def net_cents(self) -> int:
        """What the card was charged less what was (or is being) refunded to it."""
        return self.payment.total_cents - self.payment.refunded_cents


def receipt_for_user(user, payment_id: int) -> Receipt | None:
    """A paid payment of the viewer's own, what it paid for and its refunds; None for any other
    (staff too: a receipt is the payer's)."""
    if not _signed_in(user):
        return None
    payment = (
        Payment.objects.filter(pk=payment_id, payer=user, status=Payment.Status.SUCCEEDED)
        .select_related("payer")
        .first()
    )
    if payment is None:
        return None
    subject = references_described([payment.reference], viewer=user).get(payment.reference)
    calls = payment.calls.filter(kind=GatewayCall.Kind.REFUND).order_by("pk")
    return Receipt(payment=payment, subject=subject, refunds=[_refund_line(call, payment, subject) for call in calls])
