"""Conversations between people, one per relationship, told apart by topic references.

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
    """One relationship: the same people talking about one line of work, from first contact on.

    Between a client and a freelancer that line of work starts with a proposal (the chat and the
    interviews before the hire), goes on with the contract hired from it (and a re-hire of the
    same proposal) and with every follow-on contract after it: all of it is one conversation, so
    what was agreed before the hire stays beside the work. Each thing it is about is one
    `ConversationTopic` row, and a topic belongs to one conversation at most. Two proposals on
    two projects of the same client are two relationships (each is weighed on its own before a
    hire), so they are two conversations.

    `topic_type` + `topic_id` name the topic the conversation started with; `topics` holds it
    and every topic that continued it. The title names the relationship as it now stands.
    """

    topic_type = models.CharField(max_length=40)  # what it started about: "proposal", "contract", …
    topic_id = models.PositiveBigIntegerField()
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic_type", "topic_id"], name="one_conversation_per_topic")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("conversation_detail", args=[self.pk])


class ConversationTopic(models.Model):
    """One thing a conversation is about; looking a topic up finds its one conversation."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="topics")
    topic_type = models.CharField(max_length=40)
    topic_id = models.PositiveBigIntegerField()
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["topic_type", "topic_id"], name="one_conversation_per_topic_ref")
        ]

    def __str__(self) -> str:
        return f"{self.topic_type}:{self.topic_id} in {self.conversation}"


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
