"""Money movements that are not about any one deal: clearing and payouts."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from core.exceptions import DomainError, NotAllowed
from core.templatetags.core_tags import money
from payments import accounts
from payments.gateways import get_gateway
from payments.ledger import InsufficientFunds, balance, ledger_post
from payments.models import AccountBalance, LedgerEntry, LedgerTransaction, Payout
from payments.selectors import RELEASE_KINDS


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
    """A freelancer withdraws available money, at most what is available; the same key pays once."""
    # Serialize one freelancer's withdrawals on their balance row before looking at keys and amounts.
    AccountBalance.objects.get_or_create(account=accounts.available(freelancer.pk))
    AccountBalance.objects.select_for_update().filter(account=accounts.available(freelancer.pk)).first()
    existing = Payout.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.freelancer_id != freelancer.pk or existing.amount_cents != amount_cents:
            raise DomainError("This withdrawal key was already used for a different amount.")
        return existing
    if freelancer.is_suspended:
        raise NotAllowed("Your account is suspended, so withdrawals are on hold.")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise DomainError("Enter an amount above zero.", field="amount")
    available = balance(accounts.available(freelancer.pk))
    if amount_cents > available:
        raise DomainError(
            f"You can withdraw at most {money(available)} now; the rest is still clearing.", field="amount"
        )
    try:
        with transaction.atomic():
            payout = Payout.objects.create(freelancer=freelancer, amount_cents=amount_cents, idempotency_key=key)
    except IntegrityError:
        # The same key won a race on SQLite (no row locks): it is the same withdrawal.
        existing = Payout.objects.get(idempotency_key=key)
        if existing.freelancer_id != freelancer.pk or existing.amount_cents != amount_cents:
            raise DomainError("This withdrawal key was already used for a different amount.") from None
        return existing
    try:
        ledger_post(
            kind=LedgerTransaction.Kind.PAYOUT,
            key=f"payout:{payout.pk}",
            reference=f"payout:{payout.pk}",
            entries=[(accounts.available(freelancer.pk), -amount_cents), (accounts.GATEWAY, amount_cents)],
            memo="Withdrawal",
        )
    except InsufficientFunds as error:
        raise DomainError("You cannot withdraw more than is available.", field="amount") from error
    # The processor's key comes from the withdrawal's own key, not the row's id: if this process dies
    # after the processor paid but before commit, the retry (same key, new row) is the same payout there.
    result = get_gateway().payout(
        amount_cents=amount_cents,
        currency=payout.currency,
        key=f"payout:{freelancer.pk}:{key}",
        description="Withdrawal",
    )
    Payout.objects.filter(pk=payout.pk).update(gateway_reference=result.reference)
    payout.refresh_from_db()
    return payout
