"""Money movements that are not about any one deal: clearing and withdrawals."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from core import transitions
from core.exceptions import DomainError, NotAllowed
from core.moments import moment_for
from core.templatetags.core_tags import money
from payments import accounts, listeners
from payments.ledger import InsufficientFunds, balance, ledger_post, ledger_reverse
from payments.models import AccountBalance, LedgerEntry, LedgerTransaction, Payout, PayoutAccount, PayoutEvent
from payments.outbox import transfer_enqueue
from payments.selectors import RELEASE_KINDS, next_clearing


def clearances_due(*, now=None) -> int:
    """Released money becomes available CLEARANCE_DAYS after its release; each release clears once."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CLEARANCE_DAYS)
    # Only releases without their clearing transaction, found through the unique key's index.
    clearing = LedgerTransaction.objects.filter(
        idempotency_key=Concat(Value("clear:"), Cast(OuterRef("pk"), output_field=CharField()))
    )
    releases = LedgerTransaction.objects.filter(kind__in=RELEASE_KINDS, created_at__lte=cutoff).filter(
        ~Exists(clearing)
    )
    cleared = 0
    for release in releases.order_by("pk").iterator():
        if clear_release(release=release):
            cleared += 1
    return cleared


def clear_release(*, release: LedgerTransaction) -> bool:
    """Move one release's pending money to available (key clear:<release>); True if it moved now."""
    pending_entries = [
        entry for entry in LedgerEntry.objects.filter(transaction=release) if entry.account.endswith(":pending")
    ]
    if not pending_entries:
        return False
    moves = []
    for entry in pending_entries:
        user_part = entry.account.rsplit(":", 1)[0]
        moves += [(entry.account, -entry.amount_cents), (f"{user_part}:available", entry.amount_cents)]
    _, created = ledger_post(
        kind=LedgerTransaction.Kind.CLEAR,
        key=f"clear:{release.pk}",
        reference=release.reference,
        entries=moves,
        memo="Clearance period over",
    )
    return created


@transaction.atomic
def payout_request(*, freelancer, amount_cents: int, key: str) -> Payout:
    """A freelancer (a suspended one too) withdraws available money to their payout account, at most what is available;
    the same key pays once. The ledger moves the money now; the transfer follows from the outbox
    after commit (key transfer:<ledger transaction>), so nothing is sent for a rolled-back request."""
    # Serialize one freelancer's withdrawals on their balance row before looking at keys and amounts.
    AccountBalance.objects.get_or_create(account=accounts.available(freelancer.pk))
    AccountBalance.objects.select_for_update().filter(account=accounts.available(freelancer.pk)).first()
    existing = Payout.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.freelancer_id != freelancer.pk or existing.amount_cents != amount_cents:
            raise DomainError("This withdrawal key was already used for a different amount.")
        return existing
    # A suspended member still withdraws what they already earned (the moderation rules): the
    # suspension stops new work and money moves on their say-so, not payment for work done.
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise DomainError("Enter an amount above zero.", field="amount")
    available = balance(accounts.available(freelancer.pk))
    if amount_cents > available:
        raise DomainError(_over_available(freelancer.pk, available, reader=freelancer), field="amount")
    account = PayoutAccount.objects.filter(user=freelancer).first()
    if account is None or not account.payouts_enabled:
        raise NotAllowed(
            "Add a payout account first: withdrawals go to it."
            if account is None
            else "Your payout account is not ready to receive money yet: finish setting it up."
        )
    try:
        with transaction.atomic():
            payout = Payout.objects.create(
                freelancer=freelancer, amount_cents=amount_cents, idempotency_key=key, destination=account.label[:100]
            )
    except IntegrityError:
        # The same key won a race on SQLite (no row locks): it is the same withdrawal.
        existing = Payout.objects.get(idempotency_key=key)
        if existing.freelancer_id != freelancer.pk or existing.amount_cents != amount_cents:
            raise DomainError("This withdrawal key was already used for a different amount.") from None
        return existing
    try:
        txn, _ = ledger_post(
            kind=LedgerTransaction.Kind.PAYOUT,
            key=f"payout:{payout.pk}",
            reference=f"payout:{payout.pk}",
            entries=[(accounts.available(freelancer.pk), -amount_cents), (accounts.GATEWAY, amount_cents)],
            memo="Withdrawal",
        )
    except InsufficientFunds as error:
        raise DomainError("You cannot withdraw more than is available.", field="amount") from error
    transfer_enqueue(payout=payout, amount_cents=amount_cents, key=f"transfer:{txn.pk}", currency=payout.currency)
    return payout


def _over_available(user_id: int, available: int, *, reader=None) -> str:
    """What is available, what is still clearing, and when the next part of it can be withdrawn
    (in the reader's own timezone)."""
    pending = balance(accounts.pending(user_id))
    upcoming = next_clearing(user_id) if pending else None
    if upcoming is None:
        return (
            f"You can withdraw at most {money(available)}: that is all that is available now, and nothing is clearing."
        )
    amount, at = upcoming
    return (
        f"You can withdraw at most {money(available)} now. {money(pending)} is still clearing: the next "
        f"{money(amount)} becomes available on {moment_for(reader, at)}, "
        f"{settings.CLEARANCE_DAYS} days after it was released."
    )


@transaction.atomic
def payout_sent(payout: Payout, *, reference: str) -> Payout:
    """The processor made the transfer; the payout account pays it out to the bank from there."""
    current = transitions.lock(payout)
    Payout.objects.filter(pk=payout.pk).update(gateway_reference=reference)
    if current.status != Payout.Status.SENDING:
        return current
    current = transitions.move(current, to=Payout.Status.PAID, by=None, event_model=PayoutEvent, event_field="payout")
    listeners.emit(listeners.PAYOUT_SENT, payout=current)
    return current


@transaction.atomic
def payout_returned(payout: Payout, *, reason: str) -> Payout:
    """A transfer that failed for good, or that the processor reversed: the money goes back to
    the freelancer's available balance (a reversing ledger transaction), once."""
    current = transitions.lock(payout)
    if current.status in (Payout.Status.FAILED, Payout.Status.REVERSED):
        return current
    to = Payout.Status.FAILED if current.status == Payout.Status.SENDING else Payout.Status.REVERSED
    current = transitions.move(
        current, to=to, by=None, event_model=PayoutEvent, event_field="payout", note=reason[:300]
    )
    original = LedgerTransaction.objects.get(idempotency_key=f"payout:{payout.pk}")
    ledger_reverse(original=original, key=f"payout-returned:{payout.pk}", memo=f"Withdrawal returned: {reason}"[:300])
    listeners.emit(listeners.PAYOUT_RETURNED, payout=current, reason=reason)
    return current
