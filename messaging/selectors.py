"""Reads of conversations, always scoped to one person: what they are not part of does not exist."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Count, F, FilteredRelation, Max, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from messaging.models import Conversation, Message, MessageAttachment, Participant

if TYPE_CHECKING:
    from accounts.models import User


def conversations_for_user(user: User) -> QuerySet[Conversation]:
    """The person's conversations, newest activity first.

    Each carries `last_message_at`, `unread_count` (messages from others since they last read)
    and `members` (participants with their users, in joining order).
    """
    if not getattr(user, "is_authenticated", False):
        return Conversation.objects.none()
    return (
        Conversation.objects.annotate(mine=FilteredRelation("participants", condition=Q(participants__user=user)))
        .filter(mine__isnull=False)
        .annotate(
            my_last_read_at=F("mine__last_read_at"),
            last_message_at=Max("messages__created_at"),
            unread_count=Count(
                "messages",
                filter=~Q(messages__sender=user)
                & (Q(mine__last_read_at__isnull=True) | Q(messages__created_at__gt=F("mine__last_read_at"))),
            ),
        )
        .prefetch_related(
            Prefetch(
                "participants", queryset=Participant.objects.select_related("user").order_by("pk"), to_attr="members"
            )
        )
        .order_by(Coalesce("last_message_at", "created_at").desc(), "-pk")
    )


def other_members(conversation: Conversation, user: User) -> list[User]:
    """The users in the conversation other than `user` (from the prefetched `members` when present)."""
    members = getattr(conversation, "members", None)
    if members is None:
        members = conversation.participants.select_related("user").order_by("pk")
    return [member.user for member in members if member.user_id != user.pk]


def is_participant(*, conversation: Conversation, user: User) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Participant.objects.filter(conversation=conversation, user=user).exists()


def conversation_unread_total(user: User) -> int:
    """How many messages from others the person has not read yet, over all their conversations."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Participant.objects.filter(user=user).aggregate(
        unread=Count(
            "conversation__messages",
            filter=~Q(conversation__messages__sender=user)
            & (Q(last_read_at__isnull=True) | Q(conversation__messages__created_at__gt=F("last_read_at"))),
        )
    )["unread"]


def messages_for_conversation(conversation: Conversation) -> QuerySet[Message]:
    """Oldest first, with senders and attachments loaded in a fixed number of queries."""
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("sender")
        .prefetch_related(Prefetch("attachments", queryset=MessageAttachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )


def with_receipts(messages: Iterable[Message], *, conversation: Conversation, user: User) -> list[Message]:
    """Set `.is_mine` and `.read_by_other` (some other participant has read up to it) on each message."""
    others_read = (
        Participant.objects.filter(conversation=conversation, last_read_at__isnull=False)
        .exclude(user=user)
        .aggregate(latest=Max("last_read_at"))["latest"]
    )
    messages = list(messages)
    for message in messages:
        message.is_mine = message.sender_id == user.pk
        message.read_by_other = others_read is not None and others_read >= message.created_at
    return messages


def messages_with_receipts(conversation: Conversation, user: User) -> list[Message]:
    """The whole thread as `user` sees it: each message with `.is_mine` and `.read_by_other`."""
    return with_receipts(messages_for_conversation(conversation), conversation=conversation, user=user)


def attachments_for_user(user: User) -> QuerySet[MessageAttachment]:
    """Attachments of messages in the person's conversations; any other is a 404."""
    if not getattr(user, "is_authenticated", False):
        return MessageAttachment.objects.none()
    return MessageAttachment.objects.filter(
        message__conversation__in=Participant.objects.filter(user=user).values("conversation")
    )


def topic_conversation(*, topic_type: str, topic_id: int, user: User) -> Conversation | None:
    """The conversation about one topic, if it exists and the person takes part in it."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Conversation.objects.filter(topic_type=topic_type, topic_id=topic_id, participants__user=user).first()


def topic_conversation_ids(*, topic_type: str, topic_ids: Iterable[int], user: User) -> dict[int, int]:
    """The conversation id for each of these topics that the person takes part in, in one query."""
    if not getattr(user, "is_authenticated", False):
        return {}
    return dict(
        Conversation.objects.filter(topic_type=topic_type, topic_id__in=list(topic_ids), participants__user=user)
        .order_by("pk")
        .values_list("topic_id", "pk")
    )
