"""What payments tells the rest of the site, without knowing who listens.

payments knows money, not people or deals: when a payment succeeds, a charge is disputed, a
withdrawal is returned or a payout account changes, it says so here, and the app that owns what
the money was for (contracts registers at start-up) moves its milestone and tells the people.
Listeners run inside the transaction of the change, so what they write commits with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

_listeners: dict[str, list[Callable[..., None]]] = defaultdict(list)

# The things payments says, and what each listener receives.
PAYMENT_SUCCEEDED = "payment.succeeded"  # payment
PAYMENT_FAILED = "payment.failed"  # payment, payer_present (the payer read the decline on the page)
CARD_SAVED = "card.saved"  # user_id
CHARGE_DISPUTED = "charge.disputed"  # payment, reason, amount_cents
REFUND_FAILED = "refund.failed"  # call
PAYOUT_SENT = "payout.sent"  # payout
PAYOUT_RETURNED = "payout.returned"  # payout, reason
PAYOUT_ACCOUNT_UPDATED = "payout_account.updated"  # account
TRANSFER_PARTLY_REVERSED = "transfer.partly_reversed"  # call, amount_cents
BANK_PAYOUT_FAILED = "bank_payout.failed"  # bank_payout
RECONCILIATION_DIFFERENCES = "reconciliation.differences"  # run


def listen(name: str, listener: Callable[..., None]) -> None:
    if listener not in _listeners[name]:
        _listeners[name].append(listener)


def emit(name: str, **kwargs) -> None:
    for listener in _listeners[name]:
        listener(**kwargs)
