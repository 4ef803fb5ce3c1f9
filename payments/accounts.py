"""Ledger account names. An account is a string; its balance lives in AccountBalance."""

from payments.models import EXTERNAL_PREFIX

GATEWAY = f"{EXTERNAL_PREFIX}gateway"  # money at the payment processor: enters and leaves here
PLATFORM_FEES = "platform:fees"


def escrow(reference: str) -> str:
    """Money held for one thing (a milestone), by reference: payments knows nothing of deals."""
    return f"escrow:{reference}"


def pending(user_id: int) -> str:
    return f"user:{user_id}:pending"


def available(user_id: int) -> str:
    return f"user:{user_id}:available"
