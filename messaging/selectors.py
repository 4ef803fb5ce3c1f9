"""Reads of conversations, always scoped to one person: what they are not part of does not exist."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, F, FilteredRelation, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from messaging.models import Conversation, ConversationTopic, Message, MessageAttachment, Participant

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


def inbox_for_user(user: User) -> QuerySet[Conversation]:
    """The conversations in the person's inbox: those with at least one message. Every proposal
    has its conversation from the start (its page shows it), but a thread nobody wrote in yet is
    no conversation to list."""
    return conversations_for_user(user).filter(last_message_at__isnull=False)


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


# The unread badge is on every page: kept briefly per person, forgotten by every write that changes
# it, and the few seconds bound what a write made outside the services could leave stale.
UNREAD_CACHE_SECONDS = 5


def _unread_key(user_id: int) -> str:
    return f"messaging:unread:{user_id}"


def conversation_unread_expression(user_ref) -> Coalesce:
    """`conversation_unread_total` as an expression over a user (an OuterRef), so the page header
    reads it in the same query as another app's count."""
    unread = (
        Participant.objects.filter(user=user_ref)
        .order_by()
        .values("user")
        .annotate(
            n=Count(
                "conversation__messages",
                filter=~Q(conversation__messages__sender=user_ref)
                & (Q(last_read_at__isnull=True) | Q(conversation__messages__created_at__gt=F("last_read_at"))),
            )
        )
        .values("n")
    )
    return Coalesce(Subquery(unread), 0)


def conversation_unread_kept(user_id: int) -> int | None:
    """The total the header read in the last few seconds, or None."""
    return cache.get(_unread_key(user_id))


def conversation_unread_keep(user_id: int, total: int) -> None:
    cache.set(_unread_key(user_id), total, UNREAD_CACHE_SECONDS)


def unread_total_forget(user_ids: Iterable[int]) -> None:
    """Drop these people's cached totals now and again at commit, so a page read in between cannot keep the old one."""
    keys = [_unread_key(pk) for pk in user_ids]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def messages_for_conversation(conversation: Conversation) -> QuerySet[Message]:
    """Oldest first, with senders and attachments loaded in a fixed number of queries."""
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("sender")
        .prefetch_related(Prefetch("attachments", queryset=MessageAttachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )


def with_receipts(messages: Iterable[Message], *, conversation: Conversation, user: User) -> list[Message]:
    """Set `.is_mine` and `.read_by_other` (some other participant has read up to it) on each message;
    a message hidden by a moderator reads as such, without its words or files."""
    if getattr(conversation, "viewer_id", None) == user.pk and hasattr(conversation, "others_read_at"):
        others_read = conversation.others_read_at  # annotated by topic_conversation
    else:
        others_read = (
            Participant.objects.filter(conversation=conversation, last_read_at__isnull=False)
            .exclude(user=user)
            .aggregate(latest=Max("last_read_at"))["latest"]
        )
    messages = list(messages)
    for message in messages:
        message.is_mine = message.sender_id == user.pk
        message.read_by_other = others_read is not None and others_read >= message.created_at
        if message.hidden_at is not None:
            # Hidden by a moderator: its words and files are gone for everyone; its sender reads why.
            message.body = (
                f"A moderator hid your message. Reason: {message.hidden_reason}"
                if message.is_mine
                else "A moderator hid this message."
            )
            message._prefetched_objects_cache = {"attachments": MessageAttachment.objects.none()}
    return messages


def messages_with_receipts(conversation: Conversation, user: User, *, last: int | None = None) -> list[Message]:
    """The thread as `user` sees it (the whole of it, or its `last` messages), oldest first: each
    message with `.is_mine` and `.read_by_other`."""
    messages = messages_for_conversation(conversation)
    if last is not None:
        messages = list(messages.reverse()[:last])[::-1]
    return with_receipts(messages, conversation=conversation, user=user)


def attachments_for_user(user: User) -> QuerySet[MessageAttachment]:
    """Attachments of messages in the person's conversations; any other is a 404."""
    if not getattr(user, "is_authenticated", False):
        return MessageAttachment.objects.none()
    return MessageAttachment.objects.filter(
        message__conversation__in=Participant.objects.filter(user=user).values("conversation"),
        message__hidden_at__isnull=True,
    )


def topic_conversation(*, topic_type: str, topic_id: int, user: User) -> Conversation | None:
    """The conversation about one topic (the one it started with or one that continued it), if it
    exists and the person takes part in it.

    It carries `viewer_id` (the person it was found for: they take part), `others_read_at` (how
    far the others have read) and `viewer_has_unread` (others wrote since the person last read), so
    a panel showing it needs no query for any of them."""
    if not getattr(user, "is_authenticated", False):
        return None
    others = Participant.objects.filter(conversation=OuterRef("pk")).exclude(user=user).order_by()
    mine = Participant.objects.filter(conversation=OuterRef("conversation"), user=user)
    never_read = Exists(mine.filter(last_read_at__isnull=True))
    unread = Message.objects.filter(conversation=OuterRef("pk")).exclude(sender=user)
    unread = unread.filter(Q(never_read) | Q(created_at__gt=Subquery(mine.values("last_read_at")[:1])))
    conversation = (
        Conversation.objects.filter(topics__topic_type=topic_type, topics__topic_id=topic_id, participants__user=user)
        .annotate(
            others_read_at=Subquery(
                others.values("conversation").annotate(latest=Max("last_read_at")).values("latest")
            ),
            viewer_has_unread=Exists(unread),
        )
        .first()
    )
    if conversation is not None:
        conversation.viewer_id = user.pk
    return conversation


def topic_conversation_ids(*, topic_type: str, topic_ids: Iterable[int], user: User) -> dict[int, int]:
    """The conversation id for each of these topics that the person takes part in, in one query."""
    if not getattr(user, "is_authenticated", False):
        return {}
    return dict(
        ConversationTopic.objects.filter(
            topic_type=topic_type, topic_id__in=list(topic_ids), conversation__participants__user=user
        )
        .order_by("pk")
        .values_list("topic_id", "conversation_id")
    )
