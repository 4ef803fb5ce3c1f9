"""The double-entry ledger. Append-only: entries are never updated or deleted (on PostgreSQL a
trigger refuses it); mistakes are corrected by a reversing transaction.

Each entry is a signed change to one account's balance and every transaction nets to zero.
AccountBalance keeps the running balance of each account that must never go negative (escrow,
freelancer balances), so that posting can lock it and the database itself refuses a negative
balance (a CHECK constraint). The external gateway and the platform's fees keep no such row:
nearly every money move touches them, so one locked row each would queue the whole site behind
it; their balances are summed from the entries when asked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.transitions import Stateful

EXTERNAL_PREFIX = "external:"
PLATFORM_PREFIX = "platform:"
# Accounts that only ever need their entries: no stored balance, no lock, no CHECK.
SUMMED_PREFIXES = (EXTERNAL_PREFIX, PLATFORM_PREFIX)


class LedgerTransaction(models.Model):
    class Kind(models.TextChoices):
        FUND = "fund", "Milestone funded"
        RELEASE = "release", "Released to the freelancer"
        PARTIAL_RELEASE = "partial_release", "Part released early"
        CLEAR = "clear", "Cleared for withdrawal"
        REFUND = "refund", "Refunded to the client"
        SPLIT = "split", "Split between both"
        PAYOUT = "payout", "Withdrawn"
        REVERSAL = "reversal", "Reversal"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Derived from what the transaction does ("release:<milestone>"), so doing it twice is a no-op.
    idempotency_key = models.CharField(max_length=200, unique=True)
    reference = models.CharField(max_length=100, db_index=True)  # what it pays for: "milestone:12"
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    memo = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.idempotency_key})"


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.CharField(max_length=100, db_index=True)
    amount_cents = models.BigIntegerField()  # signed change to the account's balance, minor units
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "ledger entries"
        constraints = [models.CheckConstraint(condition=~models.Q(amount_cents=0), name="entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_cents:+d}"


class AccountBalance(models.Model):
    account = models.CharField(max_length=100, primary_key=True)
    currency = models.CharField(max_length=3, default="USD")
    balance_cents = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance_cents__gte=0) | models.Q(account__startswith=EXTERNAL_PREFIX),
                name="balance_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.balance_cents}"


class BillingPair(models.Model):
    """One row per client and freelancer, locked while a release reads what the pair was billed
    before, so two releases of one pair at the same moment see each other and the fee tiers hold."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "freelancer"], name="one_billing_pair")]

    def __str__(self) -> str:
        return f"Billing of {self.client_id} → {self.freelancer_id}"


class GatewayOperation(models.Model):
    """What the sandbox gateway did, keyed like a real processor's idempotency keys, so a replayed
    call returns the first result instead of charging or paying twice."""

    class Kind(models.TextChoices):
        CHARGE = "charge", "Card charge"
        REFUND = "refund", "Refund"
        PAYOUT = "payout", "Payout"

    gateway = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    amount_cents = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    reference = models.CharField(max_length=100, unique=True)  # the processor's id for it
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class Payout(Stateful, models.Model):
    """A freelancer withdrawing available earnings."""

    class Status(models.TextChoices):
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"

    # A payout is written with its outcome and never changes status after.
    TRANSITIONS = {Status.PAID: set(), Status.FAILED: set()}

    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount_cents = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PAID)
    idempotency_key = models.CharField(max_length=200, unique=True)
    gateway_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="payout_positive")]

    def __str__(self) -> str:
        return f"Payout {self.pk} of {self.amount_cents}"


class IdempotentRequest(models.Model):
    """A money-moving API request seen with an Idempotency-Key: replays get the stored response."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_request_per_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
