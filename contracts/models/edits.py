"""Changes to an unfunded milestone's terms, proposed by one party and answered by the other."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from contracts.models.deals import Milestone
from core.transitions import Stateful, StatusEvent


class MilestoneEdit(Stateful, models.Model):
    """A change to an unfunded milestone's title, amount or due date, or its removal, proposed by
    one party. It applies only when the other party accepts; funding the milestone first withdraws it, because a
    funded amount is held in escrow and never changes this way."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    TRANSITIONS = {
        Status.PENDING: {Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN},
        Status.ACCEPTED: set(),
        Status.DECLINED: set(),
        Status.WITHDRAWN: set(),
    }

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="edits")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="milestone_edits_proposed"
    )
    # Removing the milestone rather than changing it: accepting cancels it (terms kept as they were).
    removes = models.BooleanField(default=False)
    # The proposed terms in full (not only what differs), so accepting applies exactly what was shown.
    title = models.CharField(max_length=120)
    amount_cents = models.PositiveBigIntegerField()  # minor units of the contract's currency
    due_date = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"], condition=models.Q(status="pending"), name="one_pending_milestone_edit"
            ),
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="milestone_edit_positive"),
        ]

    def __str__(self) -> str:
        return f"Change {self.pk} to {self.milestone}"


class MilestoneEditEvent(StatusEvent):
    """A proposed change's history: accepted, declined or withdrawn, by whom (none when funding or
    removing the milestone withdrew it) and when. The contract's timeline says it in words."""

    edit = models.ForeignKey(MilestoneEdit, on_delete=models.CASCADE, related_name="events")
