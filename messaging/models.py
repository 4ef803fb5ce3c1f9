"""Conversations between people about one thing (a proposal, a contract), told apart by a topic reference.

Messaging knows nothing about what a topic is: `topic_type` + `topic_id` point at it the way the
ledger points at what it pays for, and `messaging.topics` turns that into a label and a link.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.files import StoredFile

MESSAGE_MAX_LENGTH = 5000
MESSAGE_MAX_FILES = 5


class Conversation(models.Model):
    topic_type = models.CharField(max_length=40)  # "proposal", "contract", …
    topic_id = models.PositiveBigIntegerField()
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic_type", "topic_id"], name="one_conversation_per_topic")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("conversation_detail", args=[self.pk])


class Participant(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_memberships"
    )
    # Everything sent by others after this moment is unread for this person; it also drives the
    # "Read" receipts the others see under their own messages.
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="one_membership_per_conversation")]

    def __str__(self) -> str:
        return f"{self.user} in {self.conversation}"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_sent")
    body = models.TextField(blank=True, validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH)])
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Hidden by a moderator: the others read that it was hidden; its sender reads why.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="message_thread_idx")]

    def __str__(self) -> str:
        return f"Message {self.pk} from {self.sender}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class MessageAttachment(StoredFile):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")

    class Meta(StoredFile.Meta):
        ordering = ["pk"]
