"""Where a freelancer's withdrawals go: a Stripe Express account (Account + Account Link, its
status kept current from account.updated), or in the sandbox a stand-in bank account entered on
our own page. Withdrawals need the account's payouts enabled."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from payments import listeners
from payments.gateways import AccountStatus, get_gateway
from payments.models import PayoutAccount


def payout_account_start(*, user, return_url: str, refresh_url: str, details: dict | None = None) -> str:
    """Create (or continue) the payout account; the address to send the freelancer to, or "" when
    it is ready at once (the sandbox)."""
    gateway = get_gateway()
    account = PayoutAccount.objects.filter(user=user).first()
    existing = account.account_id if account and account.gateway == gateway.name else ""
    account_id, url = gateway.payout_account_start(
        user_id=user.pk,
        email=user.email,
        account_id=existing,
        return_url=return_url,
        refresh_url=refresh_url,
        details=details or {},
    )
    with transaction.atomic():
        PayoutAccount.objects.update_or_create(
            user=user, defaults={"gateway": gateway.name, "account_id": account_id, "updated_at": timezone.now()}
        )
        if gateway.is_sandbox:
            last4 = str((details or {}).get("account_number", ""))[-4:]
            payout_account_apply(
                AccountStatus(
                    account_id=account_id,
                    details_submitted=True,
                    payouts_enabled=True,
                    label=f"Sandbox bank account •••• {last4}" if last4 else "Sandbox bank account",
                ),
                announce=False,  # the freelancer is looking at the result
            )
    return url


def payout_account_refresh(*, user) -> PayoutAccount | None:
    """Read the account's status from the processor (the freelancer is back from onboarding)."""
    account = PayoutAccount.objects.filter(user=user).first()
    if account is None:
        return None
    return payout_account_apply(get_gateway().payout_account_status(account_id=account.account_id)) or account


@transaction.atomic
def payout_account_apply(status: AccountStatus, *, announce: bool = True) -> PayoutAccount | None:
    """Keep what the processor says of an account (its API or an account.updated event)."""
    account = PayoutAccount.objects.select_for_update().filter(account_id=status.account_id).first()
    if account is None:
        return None
    was_enabled = account.payouts_enabled
    changes = {
        "details_submitted": status.details_submitted,
        "payouts_enabled": status.payouts_enabled,
        "requirements_due": status.requirements_due,
        "disabled_reason": status.disabled_reason[:200],
        "updated_at": timezone.now(),
    }
    if status.label:
        changes["label"] = status.label[:100]
    PayoutAccount.objects.filter(pk=account.pk).update(**changes)
    account.refresh_from_db()
    if announce and was_enabled != account.payouts_enabled:
        listeners.emit(listeners.PAYOUT_ACCOUNT_UPDATED, account=account)
    return account
