"""Disputes over a milestone's held money.

A party (or the client's bank, by a card chargeback) opens a dispute on a funded, submitted or
changes-requested milestone; its escrow freezes (the milestone is `disputed`). The other party
has DISPUTE_RESPONSE_DAYS to respond, or the filer's requested amount applies (the default both
see from the start). Either side may propose a split; one accepted settles it at once. Not
settled DISPUTE_SETTLEMENT_DAYS after the response, it goes to staff, who decide it with a
written rationale. The filer may withdraw it, and the milestone goes back to where it was.

Amounts are kept as what goes to the freelancer (`*_freelancer_cents`): the rest of what was
held goes back to the client.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from contracts.models.deals import Contract, Milestone
from core.files import StoredFile
from core.transitions import Stateful, StatusEvent


class Dispute(Stateful, models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a response"
        RESPONDED = "responded", "Responded: settling"
        ESCALATED = "escalated", "With staff for a decision"
        SETTLED = "settled", "Settled by both sides"
        DECIDED = "decided", "Decided by staff"
        DEFAULTED = "defaulted", "Decided by default (no response in time)"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Reason(models.TextChoices):
        NOT_DELIVERED = "not_delivered", "The work was not delivered"
        QUALITY = "quality", "The work does not meet the agreed criteria"
        SCOPE = "scope", "We disagree about what was agreed"
        NOT_APPROVED = "not_approved", "The work was delivered but is not approved"
        UNRESPONSIVE = "unresponsive", "The other side stopped responding"
        CHARGEBACK = "chargeback", "The card payment was disputed at the bank"
        OTHER = "other", "Something else"

    class Filer(models.TextChoices):
        CLIENT = "client", "The client"
        FREELANCER = "freelancer", "The freelancer"
        BANK = "bank", "The client's bank"

    OPEN_STATUSES = (Status.OPEN, Status.RESPONDED, Status.ESCALATED)
    RESOLVED_STATUSES = (Status.SETTLED, Status.DECIDED, Status.DEFAULTED)
    TRANSITIONS = {
        Status.OPEN: {Status.RESPONDED, Status.SETTLED, Status.DEFAULTED, Status.WITHDRAWN},
        Status.RESPONDED: {Status.ESCALATED, Status.SETTLED, Status.WITHDRAWN},
        Status.ESCALATED: {Status.DECIDED, Status.SETTLED, Status.WITHDRAWN},
        Status.SETTLED: set(),
        Status.DECIDED: set(),
        Status.DEFAULTED: set(),
        Status.WITHDRAWN: set(),
    }

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="disputes")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="disputes")
    filer = models.CharField(max_length=20, choices=Filer.choices)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    description = models.TextField(max_length=4000)
    held_cents = models.PositiveBigIntegerField()  # what escrow held when it was opened, frozen since
    # What the filer asks for, as the freelancer's part of what is held (the rest to the client).
    asked_freelancer_cents = models.PositiveBigIntegerField()
    response = models.TextField(max_length=4000, blank=True)
    response_freelancer_cents = models.PositiveBigIntegerField(null=True, blank=True)
    # Where the milestone goes back to if the dispute is withdrawn, and the auto-approval time it had left.
    milestone_status_before = models.CharField(max_length=20)
    auto_release_left_seconds = models.PositiveIntegerField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True, db_index=True)
    settle_by = models.DateTimeField(null=True, blank=True, db_index=True)
    outcome_freelancer_cents = models.PositiveBigIntegerField(null=True, blank=True)
    rationale = models.TextField(max_length=4000, blank=True)  # staff's written reasons, read by both
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opened_at", "pk"]
        constraints = [
            # One open dispute per milestone, whatever races to open a second.
            models.UniqueConstraint(
                fields=["milestone"],
                condition=models.Q(status__in=["open", "responded", "escalated"]),
                name="one_open_dispute_per_milestone",
            ),
            models.CheckConstraint(
                condition=models.Q(asked_freelancer_cents__lte=models.F("held_cents")), name="dispute_ask_within_held"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome_freelancer_cents__isnull=True)
                | models.Q(outcome_freelancer_cents__lte=models.F("held_cents")),
                name="dispute_outcome_within_held",
            ),
        ]

    def __str__(self) -> str:
        return f"Dispute {self.pk} on {self.milestone_id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_escalated(self) -> bool:
        return self.status == self.Status.ESCALATED

    @property
    def is_chargeback(self) -> bool:
        return self.filer == self.Filer.BANK

    @property
    def asked_client_cents(self) -> int:
        return self.held_cents - self.asked_freelancer_cents

    @property
    def outcome_client_cents(self) -> int | None:
        if self.outcome_freelancer_cents is None:
            return None
        return self.held_cents - self.outcome_freelancer_cents

    def filer_user_id(self) -> int | None:
        if self.filer == self.Filer.FREELANCER:
            return self.contract.freelancer_id
        if self.filer == self.Filer.CLIENT:
            return self.contract.client_id
        return None

    def respondent_user_id(self) -> int | None:
        """Who answers: the other party (for a chargeback, the freelancer answers the bank's claim)."""
        if self.filer == self.Filer.CLIENT or self.filer == self.Filer.BANK:
            return self.contract.freelancer_id
        return self.contract.client_id


class DisputeEvent(StatusEvent):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")


class DisputeProposal(Stateful, models.Model):
    """A split one side offers; the other accepts (the dispute settles at once) or declines."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"  # replaced by a newer one, or the dispute ended

    TRANSITIONS = {
        Status.PENDING: {Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN},
        Status.ACCEPTED: set(),
        Status.DECLINED: set(),
        Status.WITHDRAWN: set(),
    }

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="proposals")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    freelancer_cents = models.PositiveBigIntegerField()
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Proposal {self.pk} on dispute {self.dispute_id}"


class DisputeProposalEvent(StatusEvent):
    proposal = models.ForeignKey(DisputeProposal, on_delete=models.CASCADE, related_name="events")


class DisputeEvidence(StoredFile):
    """A file either side (or staff) adds to the dispute; its statement is the dispute's own text."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="evidence")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
