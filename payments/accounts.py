"""Ledger account names. An account is a string; an account that must never go negative keeps
its running balance in AccountBalance, the gateway and the platform's fees are summed from entries."""

from payments.models import EXTERNAL_PREFIX, PLATFORM_PREFIX, SUMMED_PREFIXES

GATEWAY = f"{EXTERNAL_PREFIX}gateway"  # money at the payment processor: enters and leaves here
PLATFORM_FEES = f"{PLATFORM_PREFIX}fees"


def escrow(reference: str) -> str:
    """Money held for one thing (a milestone), by reference: payments knows nothing of deals."""
    return f"escrow:{reference}"


def pending(user_id: int) -> str:
    return f"user:{user_id}:pending"


def available(user_id: int) -> str:
    return f"user:{user_id}:available"


def keeps_balance_row(account: str) -> bool:
    """Whether posting locks and updates a stored balance for this account (one that must never
    go negative), rather than leaving its balance to the sum of its entries."""
    return not account.startswith(SUMMED_PREFIXES)
