"""Offers, contracts, milestones, submissions and refund requests.

Money is never stored here as a balance: a milestone's escrow is the ledger's
`escrow:milestone:<id>` account. The amounts kept on a milestone (released_cents,
refunded_cents) are counters that services move together with the ledger, in one transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.files import StoredFile
from core.transitions import Stateful, StatusEvent

if TYPE_CHECKING:
    from contracts.models.edits import MilestoneEdit


class Offer(Stateful, models.Model):
    """The terms agreed when a client hired a proposal: a snapshot that later edits to the
    project or proposal do not change. Either side may revise the terms before acceptance;
    the other side must then accept again."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Expired"

    class Party(models.TextChoices):
        CLIENT = "client", "Client"
        FREELANCER = "freelancer", "Freelancer"

    LIVE = (Status.OFFERED, Status.ACCEPTED)  # at most one live offer per proposal

    TRANSITIONS = {
        Status.OFFERED: {Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN, Status.EXPIRED},
        Status.ACCEPTED: set(),
        Status.DECLINED: set(),
        Status.WITHDRAWN: set(),
        Status.EXPIRED: set(),
    }

    # A proposal may be hired again after its offer was declined, withdrawn or expired: each hire
    # is a new offer, and at most one offer of a proposal is live (waiting or accepted) at a time.
    proposal = models.ForeignKey(
        "marketplace.Proposal", on_delete=models.PROTECT, related_name="offers", null=True, blank=True
    )
    # A follow-on offer after a paid test: the record of which tests led to longer work.
    follow_on_of = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, null=True, blank=True, related_name="follow_on_offers"
    )
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offers_made")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offers_received")
    title = models.CharField(max_length=120)
    scope = models.TextField()
    acceptance_criteria = models.TextField(blank=True)
    currency = models.CharField(max_length=3, default="USD")
    total_cents = models.PositiveBigIntegerField()  # equals the sum of the milestones
    is_test_project = models.BooleanField(default=False)
    change_rounds = models.PositiveSmallIntegerField(default=2)  # change requests allowed per milestone
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    awaiting = models.CharField(max_length=10, choices=Party.choices, default=Party.FREELANCER)
    revision = models.PositiveIntegerField(default=1)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(total_cents__gt=0), name="offer_total_positive"),
            models.UniqueConstraint(
                fields=["proposal"],
                condition=models.Q(status__in=["offered", "accepted"]),
                name="one_live_offer_per_proposal",
            ),
        ]

    def __str__(self) -> str:
        return f"Offer: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("offer_detail", args=[self.pk])

    def party_of(self, user) -> str | None:
        if user.pk == self.client_id:
            return self.Party.CLIENT
        if user.pk == self.freelancer_id:
            return self.Party.FREELANCER
        return None

    # One predicate per status, so templates never spell a status out.
    @property
    def is_offered(self) -> bool:
        return self.status == self.Status.OFFERED

    @property
    def is_accepted(self) -> bool:
        return self.status == self.Status.ACCEPTED

    @property
    def is_declined(self) -> bool:
        return self.status == self.Status.DECLINED

    @property
    def is_withdrawn(self) -> bool:
        return self.status == self.Status.WITHDRAWN

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.EXPIRED


class OfferMilestone(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    amount_cents = models.PositiveBigIntegerField()  # minor units of the offer's currency
    due_date = models.DateField()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class Contract(Stateful, models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    class EndReason(models.TextChoices):
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Ended early"

    class EndReasonDetail(models.TextChoices):
        # Why the person who ended it did so, in their words; the other party reads it.
        WORK_COMPLETED = "work_completed", "The work is completed"
        UNRESPONSIVE = "unresponsive", "The other party stopped responding"
        SCOPE_CHANGED = "scope_changed", "The scope or budget changed"
        NOT_A_FIT = "not_a_fit", "Not a good fit"
        OTHER = "other", "Other"

    TRANSITIONS = {Status.ACTIVE: {Status.ENDED}, Status.ENDED: set()}

    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="contract")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_contracts")
    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="freelancer_contracts"
    )
    title = models.CharField(max_length=120)
    scope = models.TextField()
    acceptance_criteria = models.TextField(blank=True)
    currency = models.CharField(max_length=3, default="USD")
    change_rounds = models.PositiveSmallIntegerField(default=2)
    is_test_project = models.BooleanField(default=False)
    follow_on_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="follow_on_contracts"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    # Completed or ended early, from the milestones (the reputation figures count it); blank while active.
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)
    # The reason and note given by whoever ended it (the ENDED event's actor); blank for contracts
    # ended before a reason was asked for.
    end_reason_detail = models.CharField(max_length=20, choices=EndReasonDetail.choices, blank=True)
    end_note = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("contract_detail", args=[self.pk])

    @property
    def payment_group(self) -> str:
        """The processor's transfer_group of this contract's card payments, refunds and transfers."""
        return f"contract_{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def ended_completed(self) -> bool:
        return self.end_reason == self.EndReason.COMPLETED

    @classmethod
    def end_outcome(cls, milestones) -> str:
        """How ending now would count: completed when something was paid and no unfunded milestone
        is left (it would be removed); otherwise ended early."""
        paid = any(m.released_cents for m in milestones)
        unfinished = any(m.is_pending for m in milestones)
        return cls.EndReason.COMPLETED if paid and not unfinished else cls.EndReason.CANCELLED


class Milestone(Stateful, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting funding"
        FUNDED = "funded", "Funded"  # client money held in escrow; work can start
        SUBMITTED = "submitted", "Submitted for review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        RELEASED = "released", "Approved and paid"
        REFUNDED = "refunded", "Refunded"
        DISPUTED = "disputed", "In dispute"  # escrow frozen until resolved (disputes release)
        CANCELLED = "cancelled", "Cancelled"

    HELD = (Status.FUNDED, Status.SUBMITTED, Status.CHANGES_REQUESTED, Status.DISPUTED)
    SETTLED = (Status.RELEASED, Status.REFUNDED, Status.CANCELLED)
    TRANSITIONS = {
        Status.PENDING: {Status.FUNDED, Status.CANCELLED},
        Status.FUNDED: {Status.SUBMITTED, Status.RELEASED, Status.REFUNDED, Status.DISPUTED},
        Status.SUBMITTED: {Status.RELEASED, Status.CHANGES_REQUESTED, Status.REFUNDED, Status.DISPUTED},
        Status.CHANGES_REQUESTED: {Status.SUBMITTED, Status.RELEASED, Status.REFUNDED, Status.DISPUTED},
        # Settled by the dispute's outcome, or back where it was when the filer withdraws it.
        Status.DISPUTED: {Status.RELEASED, Status.REFUNDED, Status.FUNDED, Status.SUBMITTED, Status.CHANGES_REQUESTED},
        Status.RELEASED: set(),
        Status.REFUNDED: set(),
        Status.CANCELLED: set(),
    }

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    amount_cents = models.PositiveBigIntegerField()  # minor units of the contract's currency
    due_date = models.DateField()
    is_change_order = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    # Counters moved with the ledger in the same transaction; escrow = amount - released - refunded while held.
    released_cents = models.PositiveBigIntegerField(default=0)
    refunded_cents = models.PositiveBigIntegerField(default=0)
    changes_requested_count = models.PositiveSmallIntegerField(default=0)
    funded_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Stored so a beat task can release what is due; never a countdown in the broker.
    auto_release_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reminded_2d_at = models.DateTimeField(null=True, blank=True)
    reminded_1d_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="milestone_positive"),
            models.CheckConstraint(
                condition=models.Q(released_cents__lte=models.F("amount_cents") - models.F("refunded_cents")),
                name="milestone_not_overpaid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def ledger_reference(self) -> str:
        return f"milestone:{self.pk}"

    @property
    def held_cents(self) -> int:
        """What escrow holds for this milestone according to its counters."""
        return self.amount_cents - self.released_cents - self.refunded_cents if self.status in self.HELD else 0

    @property
    def is_settled(self) -> bool:
        return self.status in self.SETTLED

    @property
    def rounds_left(self) -> int:
        return max(0, self.contract.change_rounds - self.changes_requested_count)

    @property
    def is_held(self) -> bool:
        """Its money is in escrow and may still move (released, refunded, given back); a dispute
        keeps the money in escrow (see HELD) but freezes it until staff resolve it."""
        return self.status in (self.Status.FUNDED, self.Status.SUBMITTED, self.Status.CHANGES_REQUESTED)

    def actions_for(
        self, user, *, pending_refund: RefundRequest | None, pending_edit: MilestoneEdit | None
    ) -> set[str]:
        """What this person may do with the milestone now (the pages' buttons, the API's
        `available_actions`). The services still decide on submit; this only spares dead ends.
        Reads self.contract; pending_refund and pending_edit are the ones waiting for an answer."""
        contract = self.contract
        if not contract.is_active or user.pk not in (contract.client_id, contract.freelancer_id):
            return set()
        as_client = user.pk == contract.client_id
        actions: set[str] = set()
        if as_client:
            if self.is_pending:
                actions.add("fund")
                if self.is_change_order:
                    actions.add("remove")
            if self.is_held:
                actions.add("release_part")
                if not pending_refund:
                    actions.add("refund_request")
            if self.is_submitted:
                actions |= {"approve", "request_changes"}
            if self.is_funded or self.is_changes_requested:
                actions.add("release_all")
        else:
            if self.is_pending and self.is_change_order:
                actions.add("decline")
            if self.is_funded or self.is_changes_requested:
                actions.add("submit")
            if self.is_held:
                actions.add("refund_offer")
                if pending_refund:
                    actions.add("answer_refund")
        if self.is_held:
            actions.add("dispute")
        # Unfunded milestones change by agreement: propose, or answer / withdraw what is waiting.
        if self.is_pending:
            if pending_edit is None:
                actions |= {"edit"} if self.is_change_order else {"edit", "propose_removal"}
            else:
                actions.add("withdraw_edit" if pending_edit.proposed_by_id == user.pk else "answer_edit")
        return actions

    # One predicate per status, so templates never spell a status out.
    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_funded(self) -> bool:
        return self.status == self.Status.FUNDED

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def is_changes_requested(self) -> bool:
        return self.status == self.Status.CHANGES_REQUESTED

    @property
    def is_released(self) -> bool:
        return self.status == self.Status.RELEASED

    @property
    def is_refunded(self) -> bool:
        return self.status == self.Status.REFUNDED

    @property
    def is_disputed(self) -> bool:
        return self.status == self.Status.DISPUTED

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class Submission(models.Model):
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="submissions")
    message = models.TextField(validators=[MaxLengthValidator(5000)])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Submission {self.pk} of {self.milestone}"


class SubmissionFile(StoredFile):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")


class RefundRequest(Stateful, models.Model):
    """A client asks for held money back; the freelancer agrees (refund) or declines."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the freelancer"
        ACCEPTED = "accepted", "Refunded"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Withdrawn"  # the milestone was settled before the freelancer answered

    TRANSITIONS = {
        Status.PENDING: {Status.ACCEPTED, Status.DECLINED, Status.CANCELLED},
        Status.ACCEPTED: set(),
        Status.DECLINED: set(),
        Status.CANCELLED: set(),
    }

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="refund_requests")
    amount_cents = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"], condition=models.Q(status="pending"), name="one_pending_refund_request"
            )
        ]

    def __str__(self) -> str:
        return f"Refund request {self.pk}"


class OfferEvent(StatusEvent):
    """The offer's history before there is a contract: made, revised, accepted, declined,
    withdrawn, expired; who did it (none when it expired) and when."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="events")
    revision = models.PositiveIntegerField(default=1)


class ContractEvent(models.Model):
    """The contract's timeline: who did what, when, and to which milestone."""

    class Verb(models.TextChoices):
        # The value is stored and read by the contract page and the API; the label is for the admin.
        STARTED = "started", "Contract started"
        FUNDED = "funded", "Funded"
        SUBMITTED = "submitted", "Work submitted"
        CHANGES_REQUESTED = "changes requested", "Changes requested"
        APPROVED = "approved", "Approved"
        AUTO_APPROVED = "auto-approved", "Approved automatically"
        PARTLY_RELEASED = "partly released", "Partly released"
        REFUND_REQUESTED = "refund requested", "Refund requested"
        REFUNDED = "refunded", "Refund agreed"
        REFUND_DECLINED = "refund declined", "Refund declined"
        REFUND_REQUEST_WITHDRAWN = "refund request withdrawn", "Refund request withdrawn"
        REFUNDED_BY_FREELANCER = "refunded by the freelancer", "Refunded by the freelancer"
        SETTLED_BY_SPLIT = "settled by a split", "Settled by a split"
        CHARGEBACK = "chargeback", "Payment disputed at the bank"
        DISPUTE_OPENED = "dispute opened", "Dispute opened"
        DISPUTE_WITHDRAWN = "dispute withdrawn", "Dispute withdrawn"
        DISPUTE_RESOLVED = "dispute resolved", "Dispute resolved"
        MILESTONE_ADDED = "milestone added", "Change order added"
        REMOVED = "removed", "Milestone removed"
        CHANGE_PROPOSED = "milestone change proposed", "Change proposed"
        REMOVAL_PROPOSED = "milestone removal proposed", "Removal proposed"
        EDITED = "milestone edited", "Change accepted"
        CHANGE_DECLINED = "milestone change declined", "Change declined"
        CHANGE_WITHDRAWN = "milestone change withdrawn", "Change withdrawn"
        CHANGE_LAPSED = "change withdrawn", "Change withdrawn automatically"  # funded or removed first
        ENDED = "ended", "Contract ended"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="events")
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    verb = models.CharField(max_length=60, choices=Verb.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    amount_cents = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.verb} ({self.at:%Y-%m-%d})"


class RefundRequestEvent(StatusEvent):
    """A refund request's history: accepted, declined or withdrawn (none when the milestone was
    settled first), by whom and when."""

    request = models.ForeignKey(RefundRequest, on_delete=models.CASCADE, related_name="events")
