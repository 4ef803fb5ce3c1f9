"""The market: projects (including paid test projects), proposals, invitations and interviews.

Each model with a state carries its allowed moves in TRANSITIONS; services move it through
core.transitions, which locks the row, re-checks the move, compares-and-sets the status and
writes an event row.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.files import StoredFile
from core.transitions import Stateful, StatusEvent

DESCRIPTION_MAX_LENGTH = 10_000
COVER_LETTER_MAX_LENGTH = 5_000

DEFAULT_NDA_TEXT = (
    "I agree to keep the full description and attachments of this project confidential. I will "
    "not share, copy or use them for anything other than preparing my proposal and, if hired, "
    "doing the work."
)


# Open and public: what the project list and search show (expiry aside), and what their indexes hold.
LISTED = models.Q(status="open", visibility="public")


class Project(Stateful, models.Model):
    class Kind(models.TextChoices):
        TEST = "test", "Paid test project"
        STANDARD = "standard", "Project"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for proposals"
        FILLED = "filled", "Filled"
        CLOSED = "closed", "Closed"

    class CloseReason(models.TextChoices):
        CLIENT = "client", "Closed by the client"
        EXPIRED = "expired", "Expired"
        HIRED = "hired", "Hired"

    class BudgetType(models.TextChoices):
        FIXED = "fixed", "Fixed price"
        # Hourly contracts come later; the field leaves room for them.

    class ExperienceLevel(models.TextChoices):
        ENTRY = "entry", "Entry level"
        INTERMEDIATE = "intermediate", "Intermediate"
        EXPERT = "expert", "Expert"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Anyone can find it and propose"
        INVITE_ONLY = "invite_only", "Only freelancers I invite"

    TRANSITIONS = {
        Status.DRAFT: {Status.OPEN, Status.CLOSED},
        Status.OPEN: {Status.FILLED, Status.CLOSED},
        Status.FILLED: set(),
        Status.CLOSED: set(),
    }

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="projects")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STANDARD)
    title = models.CharField(max_length=120)
    summary = models.CharField(max_length=300, help_text="Shown to everyone, also on confidential projects.")
    description = models.TextField(validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)])
    # What "done" means; required for paid test projects.
    acceptance_criteria = models.TextField(blank=True, validators=[MaxLengthValidator(3000)])
    # For a paid test: what the client plans to offer if it goes well.
    follow_on_plan = models.TextField(blank=True, validators=[MaxLengthValidator(2000)])
    category = models.ForeignKey("accounts.SkillCategory", on_delete=models.PROTECT, related_name="projects")
    skills = models.ManyToManyField("accounts.Skill", related_name="projects", blank=True)
    experience_level = models.CharField(
        max_length=20, choices=ExperienceLevel.choices, default=ExperienceLevel.INTERMEDIATE
    )
    budget_type = models.CharField(max_length=10, choices=BudgetType.choices, default=BudgetType.FIXED)
    budget_min_cents = models.PositiveBigIntegerField()  # minor units of `currency`
    budget_max_cents = models.PositiveBigIntegerField()  # equal to the minimum for a fixed amount
    currency = models.CharField(max_length=3, default="USD")
    duration_days = models.PositiveIntegerField(help_text="Expected duration in days.")
    apply_by = models.DateField(help_text="Last day to send proposals.")
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    is_confidential = models.BooleanField(default=False)
    nda_text = models.TextField(blank=True, default=DEFAULT_NDA_TEXT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    close_reason = models.CharField(max_length=10, choices=CloseReason.choices, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Stored when published so the expiry sweep is a plain indexed range query.
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Hidden by a moderator (with the reason its client reads), or while its client is suspended:
    # nobody but its client finds or opens it.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=500, blank=True)
    hidden_for_suspension = models.BooleanField(default=False)
    # Title, skills and description joined; what full-text search indexes (GIN on PostgreSQL).
    search_text = models.TextField(blank=True, editable=False)
    # Title (weight A) and search_text (weight B), parsed once when written: a PostgreSQL trigger
    # keeps it current and a GIN index covers it. Empty on SQLite, which searches search_text.
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "published_at"], name="project_open_recent_idx"),
            # The public list and search walk open public projects newest first; partial, so the
            # index holds only what anyone can find. Expiry is checked on the row: the sweep closes
            # expired projects within minutes, so few entries fail it.
            models.Index(fields=["-published_at", "-id"], name="project_listed_newest_idx", condition=LISTED),
            models.Index(
                fields=["-budget_max_cents", "-published_at", "-id"],
                name="project_listed_budget_hi_idx",
                condition=LISTED,
            ),
            models.Index(
                fields=["budget_min_cents", "-published_at", "-id"],
                name="project_listed_budget_lo_idx",
                condition=LISTED,
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget_max_cents__gte=models.F("budget_min_cents")), name="budget_range_ordered"
            ),
            models.CheckConstraint(condition=models.Q(budget_min_cents__gt=0), name="budget_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("project_detail", args=[self.pk])

    @property
    def is_test(self) -> bool:
        return self.kind == self.Kind.TEST

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_fixed_amount(self) -> bool:
        return self.budget_min_cents == self.budget_max_cents

    # One predicate per status, so templates never spell a status out.
    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_filled(self) -> bool:
        return self.status == self.Status.FILLED

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    def accepts_proposals_at(self, now) -> bool:
        return (
            self.is_open
            and timezone.localdate(now) <= self.apply_by
            and (self.expires_at is None or now < self.expires_at)
        )


class ProjectEvent(StatusEvent):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")


class ScreeningQuestion(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["project", "position"], name="question_position_unique")]

    def __str__(self) -> str:
        return self.text


class ProjectAttachment(StoredFile):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="attachments")


class NdaAcceptance(models.Model):
    """A freelancer agreed to the project's NDA text; kept as evidence with time and address."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="nda_acceptances")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    nda_text = models.TextField()  # the text as it was when accepted
    accepted_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "freelancer"], name="one_nda_per_freelancer")]

    def __str__(self) -> str:
        return f"NDA of {self.project} accepted by {self.freelancer}"


class ConfidentialAccess(models.Model):
    """Every view of a confidential project's full text and every attachment download."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed the full description"
        DOWNLOAD = "download", "Downloaded an attachment"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="confidential_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    attachment = models.ForeignKey(ProjectAttachment, on_delete=models.SET_NULL, null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display().lower()} ({self.project})"


class Invitation(Stateful, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    TRANSITIONS = {Status.PENDING: {Status.ACCEPTED, Status.DECLINED}, Status.ACCEPTED: set(), Status.DECLINED: set()}

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    message = models.TextField(blank=True, validators=[MaxLengthValidator(2000)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decline_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["project", "freelancer"], name="one_invitation_per_freelancer")]

    def __str__(self) -> str:
        return f"Invitation of {self.freelancer} to {self.project}"

    # One predicate per status, so templates never spell a status out.
    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class Proposal(Stateful, models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        SHORTLISTED = "shortlisted", "Shortlisted"
        OFFERED = "offered", "Offer sent"
        HIRED = "hired", "Hired"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # Hiring sends an offer; the proposal is hired when the freelancer accepts it, and goes back to
    # the shortlist if the offer is declined, withdrawn or expires.
    TRANSITIONS = {
        Status.SUBMITTED: {Status.SHORTLISTED, Status.OFFERED, Status.DECLINED, Status.WITHDRAWN},
        Status.SHORTLISTED: {Status.OFFERED, Status.DECLINED, Status.WITHDRAWN},
        Status.OFFERED: {Status.HIRED, Status.SHORTLISTED},
        Status.HIRED: set(),
        Status.DECLINED: set(),
        Status.WITHDRAWN: set(),
    }
    EDITABLE = {Status.SUBMITTED, Status.SHORTLISTED}

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="proposals")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals")
    cover_letter = models.TextField(validators=[MaxLengthValidator(COVER_LETTER_MAX_LENGTH)])
    bid_cents = models.PositiveBigIntegerField()  # equals the sum of the proposed milestones
    currency = models.CharField(max_length=3, default="USD")
    duration_days = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    invitation = models.OneToOneField(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposal"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "freelancer"], name="one_proposal_per_project"),
            models.CheckConstraint(condition=models.Q(bid_cents__gt=0), name="bid_positive"),
        ]

    def __str__(self) -> str:
        return f"Proposal by {self.freelancer} on {self.project}"

    def get_absolute_url(self) -> str:
        return reverse("proposal_detail", args=[self.pk])

    # One predicate per status, so templates never spell a status out.
    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def is_offered(self) -> bool:
        return self.status == self.Status.OFFERED

    @property
    def is_hired(self) -> bool:
        return self.status == self.Status.HIRED

    @property
    def is_declined(self) -> bool:
        return self.status == self.Status.DECLINED

    @property
    def is_withdrawn(self) -> bool:
        return self.status == self.Status.WITHDRAWN

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE


class ProposalEvent(StatusEvent):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")


class ProposedMilestone(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    amount_cents = models.PositiveBigIntegerField()
    due_date = models.DateField()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="milestone_amount_positive")]

    def __str__(self) -> str:
        return self.title


class ScreeningAnswer(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(ScreeningQuestion, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(validators=[MaxLengthValidator(2000)])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "question"], name="one_answer_per_question")]

    def __str__(self) -> str:
        return self.text[:60]


class ProposalAttachment(StoredFile):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments")


def _meeting_token() -> str:
    return secrets.token_urlsafe(12)


class Interview(Stateful, models.Model):
    """A video interview about one proposal. Whoever did not offer the open times picks one or
    offers others; either side can reschedule (offer new times) or cancel."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Times offered"
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        Status.PROPOSED: {Status.PROPOSED, Status.SCHEDULED, Status.CANCELLED},
        Status.SCHEDULED: {Status.PROPOSED, Status.CANCELLED},
        Status.CANCELLED: set(),
    }

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="interviews")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    # The person who offered the open times; the other one answers.
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(null=True, blank=True)  # set once scheduled
    meeting_token = models.CharField(max_length=32, default=_meeting_token, unique=True)
    note = models.CharField(max_length=500, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    sequence = models.PositiveIntegerField(default=0)  # bumps on every change, for calendar updates
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Interview about {self.proposal}"

    # One predicate per status, so templates never spell a status out.
    @property
    def is_proposed(self) -> bool:
        return self.status == self.Status.PROPOSED

    @property
    def is_scheduled(self) -> bool:
        return self.status == self.Status.SCHEDULED

    @property
    def meeting_url(self) -> str:
        return settings.VIDEO_MEETING_URL_TEMPLATE.format(token=self.meeting_token, id=self.pk)

    @property
    def ends_at(self):
        from datetime import timedelta

        return self.starts_at + timedelta(minutes=self.duration_minutes) if self.starts_at else None


class InterviewSlot(models.Model):
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    is_open = models.BooleanField(default=True)  # closed when new times replace it

    class Meta:
        ordering = ["starts_at", "pk"]

    def __str__(self) -> str:
        return self.starts_at.isoformat()


class InvitationEvent(StatusEvent):
    """An invitation's history: sent, accepted or declined, by whom and when."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="events")


class InterviewEvent(StatusEvent):
    """An interview's history: times offered, picked, rescheduled, cancelled, by whom and when."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="events")
