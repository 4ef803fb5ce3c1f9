"""Two-way, double-blind reviews of an ended contract with money paid.

Each party reviews the other once, within REVIEW_WINDOW_DAYS of the contract's end. A review is
hidden from everyone but its author — its subject included — until both have reviewed or the
window closes; then both are published together (`published_at`). A review is never edited;
its subject may reply once, in public, within REVIEW_REPLY_DAYS of publication.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


def _stars(field: str) -> models.Q:
    return models.Q(**{f"{field}__isnull": True}) | models.Q(**{f"{field}__gte": 1, f"{field}__lte": 5})


class Review(models.Model):
    class Direction(models.TextChoices):
        OF_FREELANCER = "of_freelancer", "The client reviews the freelancer"
        OF_CLIENT = "of_client", "The freelancer reviews the client"

    # What each side rates besides the overall stars.
    ASPECTS = {
        Direction.OF_FREELANCER: ("quality", "communication", "timeliness", "expertise"),
        Direction.OF_CLIENT: ("clarity", "communication", "payment"),
    }

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_written")
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received")
    direction = models.CharField(max_length=20, choices=Direction.choices)
    overall = models.PositiveSmallIntegerField()
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    communication = models.PositiveSmallIntegerField(null=True, blank=True)
    timeliness = models.PositiveSmallIntegerField(null=True, blank=True)
    expertise = models.PositiveSmallIntegerField(null=True, blank=True)
    clarity = models.PositiveSmallIntegerField(null=True, blank=True)  # clarity of scope
    payment = models.PositiveSmallIntegerField(null=True, blank=True)  # paying on time
    comment = models.TextField(max_length=2000)  # public
    private_feedback = models.TextField(max_length=2000, blank=True)  # never shown to the other side
    # Private too: only the share of "yes" among published, visible reviews is ever shown.
    would_work_again = models.BooleanField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "author"], name="one_review_per_party_per_contract"),
            models.CheckConstraint(condition=models.Q(overall__gte=1, overall__lte=5), name="review_overall_stars"),
            *[
                models.CheckConstraint(condition=_stars(aspect), name=f"review_{aspect}_stars")
                for aspect in ("quality", "communication", "timeliness", "expertise", "clarity", "payment")
            ],
            models.CheckConstraint(condition=~models.Q(author=models.F("subject")), name="review_of_someone_else"),
        ]

    def __str__(self) -> str:
        return f"Review {self.pk} of {self.subject_id} on contract {self.contract_id}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ReviewReply(models.Model):
    """The subject's one public answer to a published review."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="reply")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Reply to review {self.review_id}"


class Reputation(models.Model):
    """A person's figures in one role, as reviews.figures computes them, kept so a page reads one
    row. Forgotten when anything they are computed from changes (reviews.reputation), recomputed
    by a task after that commit, and at the latest a day later (job success looks back 24 months)."""

    class Role(models.TextChoices):
        FREELANCER = "freelancer", "As a freelancer"
        CLIENT = "client", "As a client"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices)
    figures = models.JSONField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="one_reputation_per_role")]

    def __str__(self) -> str:
        return f"Reputation of {self.user_id} as {self.role}"
