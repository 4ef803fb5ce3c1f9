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

from core.transitions import Stateful, StatusEvent

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
    group = models.CharField(max_length=100, blank=True, db_index=True)  # transfer group, or a transfer's destination
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class Payout(Stateful, models.Model):
    """A freelancer withdrawing available earnings to their payout account.

    The ledger moves the money out of their available balance when they ask (so it cannot be
    withdrawn twice); the transfer to their payout account follows from the outbox. It is
    `sending` until the processor has made it, then `paid`; a transfer the processor later
    reverses puts the money back in their available balance (`reversed`)."""

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        PAID = "paid", "Sent"
        FAILED = "failed", "Failed"
        REVERSED = "reversed", "Returned to your balance"

    TRANSITIONS = {
        Status.SENDING: {Status.PAID, Status.FAILED, Status.REVERSED},
        Status.PAID: {Status.REVERSED},
        Status.FAILED: set(),
        Status.REVERSED: set(),
    }

    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount_cents = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    idempotency_key = models.CharField(max_length=200, unique=True)
    gateway_reference = models.CharField(max_length=100, blank=True)
    # Where it went: the payout account's label at the time ("Visa debit •••• 4242", "Stripe account").
    destination = models.CharField(max_length=100, blank=True)
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


class PayoutEvent(StatusEvent):
    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="events")


class Payment(Stateful, models.Model):
    """A card payment for something held in escrow ("milestone:12"): recorded before the processor
    is called, so a crash between the call and our answer leaves a row to finish, never money taken
    with nothing to show for it. It is `processing` until the processor confirms it (its webhook,
    or the sandbox at once); only then does the ledger hold the money."""

    class Status(models.TextChoices):
        PROCESSING = "processing", "Payment processing"
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Declined"

    TRANSITIONS = {
        Status.PROCESSING: {Status.SUCCEEDED, Status.FAILED},
        # A payment the processor reported failed may still succeed (a retried confirmation).
        Status.FAILED: {Status.SUCCEEDED},
        Status.SUCCEEDED: set(),
    }

    reference = models.CharField(max_length=100, db_index=True)  # what it pays for
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    amount_cents = models.PositiveBigIntegerField()  # into escrow
    fee_cents = models.PositiveBigIntegerField(default=0)  # the client's marketplace fee
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSING)
    idempotency_key = models.CharField(max_length=200, unique=True)
    group = models.CharField(max_length=100, blank=True)  # the processor's transfer_group: "contract_7"
    description = models.CharField(max_length=300, blank=True)
    gateway = models.CharField(max_length=20)
    intent_id = models.CharField(max_length=100, blank=True, db_index=True)  # pi_… at Stripe
    charge_id = models.CharField(max_length=100, blank=True)
    card_label = models.CharField(max_length=60, blank=True)  # "Visa •••• 4242"
    receipt_url = models.URLField(max_length=500, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    refunded_cents = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_cents__lte=models.F("amount_cents") + models.F("fee_cents")),
                name="payment_refund_within_charge",
            ),
            # At most one payment in flight or made for one thing: a second is refused before any charge.
            models.UniqueConstraint(
                fields=["reference"],
                condition=models.Q(status__in=["processing", "succeeded"]),
                name="one_live_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} for {self.reference} ({self.status})"

    @property
    def total_cents(self) -> int:
        return self.amount_cents + self.fee_cents


class PaymentEvent(StatusEvent):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")


class BillingProfile(models.Model):
    """A payer's customer record at the processor and the card saved there."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_profile")
    gateway = models.CharField(max_length=20)
    customer_id = models.CharField(max_length=100, blank=True)
    card_id = models.CharField(max_length=100, blank=True)  # pm_… at Stripe
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    card_saved_at = models.DateTimeField(null=True, blank=True)
    # A card setup started and not finished (a Checkout session): checked when the payer comes back.
    pending_setup_id = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"Billing of {self.user_id}"

    @property
    def has_card(self) -> bool:
        return bool(self.card_id)

    @property
    def card_label(self) -> str:
        if not self.card_id:
            return ""
        return f"{self.card_brand.title() or 'Card'} •••• {self.card_last4}"


class PayoutAccount(models.Model):
    """Where a freelancer's withdrawals go: a Stripe Express account, or the sandbox's stand-in.
    Kept current from the processor (account.updated); withdrawals need payouts enabled."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payout_account")
    gateway = models.CharField(max_length=20)
    account_id = models.CharField(max_length=100, unique=True)  # acct_… at Stripe
    label = models.CharField(max_length=100, blank=True)  # "Bank account •••• 6789"
    details_submitted = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Payout account {self.account_id} of {self.user_id}"


class BankPayout(Stateful, models.Model):
    """The processor paying a payout account's balance to the bank (Stripe's payout.paid/failed)."""

    class Status(models.TextChoices):
        PENDING = "pending", "On its way"
        PAID = "paid", "Arrived"
        FAILED = "failed", "Failed"

    TRANSITIONS = {
        Status.PENDING: {Status.PAID, Status.FAILED},
        Status.PAID: {Status.FAILED},  # a bank can return a payout after it was marked paid
        Status.FAILED: set(),
    }

    account = models.ForeignKey(PayoutAccount, on_delete=models.CASCADE, related_name="bank_payouts")
    payout_id = models.CharField(max_length=100, unique=True)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    failure_message = models.CharField(max_length=300, blank=True)
    arrival_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Bank payout {self.payout_id}"


class BankPayoutEvent(StatusEvent):
    bank_payout = models.ForeignKey(BankPayout, on_delete=models.CASCADE, related_name="events")


class GatewayCall(Stateful, models.Model):
    """The outbox: a processor call that must follow a committed state (a refund after the ledger
    refunded, a transfer after a withdrawal) is written in the same transaction as that state and
    carried out after commit by a task; a sweeper retries what is still pending. The call's key is
    fixed here, so however often it is retried the processor acts once."""

    class Kind(models.TextChoices):
        REFUND = "refund", "Refund"
        TRANSFER = "transfer", "Transfer"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    TRANSITIONS = {Status.PENDING: {Status.DONE, Status.FAILED}, Status.FAILED: {Status.DONE}, Status.DONE: set()}

    kind = models.CharField(max_length=10, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    amount_cents = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="calls")
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="calls")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    result_id = models.CharField(max_length=100, blank=True)  # re_… / tr_…
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="gateway_call_positive")]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key} ({self.status})"

    @property
    def is_retrying(self) -> bool:
        return self.status == self.Status.PENDING and bool(self.last_error)

    @property
    def has_failed(self) -> bool:
        return self.status == self.Status.FAILED


class GatewayCallEvent(StatusEvent):
    call = models.ForeignKey(GatewayCall, on_delete=models.CASCADE, related_name="events")


class WebhookEvent(models.Model):
    """Each processor event, stored under its own id in the same transaction as its effect: a
    redelivered event finds its row and changes nothing."""

    event_id = models.CharField(max_length=100, unique=True)
    gateway = models.CharField(max_length=20)
    type = models.CharField(max_length=100)
    account = models.CharField(max_length=100, blank=True)  # a connected account's events name it
    payload = models.JSONField()
    outcome = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class ReconciliationRun(models.Model):
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    gateway = models.CharField(max_length=20)
    groups_checked = models.PositiveIntegerField(default=0)
    differences = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Reconciliation {self.started_at:%Y-%m-%d %H:%M}: {self.differences} differences"


class ReconciliationDifference(models.Model):
    """One thing the ledger and the processor disagree on."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="items")
    group = models.CharField(max_length=100)  # "contract_7", or a payout account for transfers
    kind = models.CharField(max_length=40)  # charges, refunds, transfers, orphan refund, …
    ledger_cents = models.BigIntegerField(default=0)
    processor_cents = models.BigIntegerField(default=0)
    detail = models.CharField(max_length=300)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.group}: {self.detail}"
