"""Offers made by a hire. Contracts, milestones and escrow build on these."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Offer(models.Model):
    """The terms agreed when a client hired a proposal: a snapshot that later edits to the
    project or proposal do not change."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Waiting for the freelancer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Expired"

    proposal = models.OneToOneField("marketplace.Proposal", on_delete=models.PROTECT, related_name="offer")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offers_made")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offers_received")
    title = models.CharField(max_length=120)
    scope = models.TextField()
    acceptance_criteria = models.TextField(blank=True)
    currency = models.CharField(max_length=3, default="USD")
    total_cents = models.PositiveBigIntegerField()  # equals the sum of the milestones
    is_test_project = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(total_cents__gt=0), name="offer_total_positive")]

    def __str__(self) -> str:
        return f"Offer: {self.title}"


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
