"""Every write in messaging: starting a conversation, sending a message, reading a thread."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.moderation import audit, can_moderate, moderator_text
from core.exceptions import DomainError, NotAllowed
from core.files import sniff
from core.ratelimit import hit
from messaging.models import (
    MESSAGE_MAX_FILES,
    MESSAGE_MAX_LENGTH,
    Conversation,
    ConversationTopic,
    Message,
    MessageAttachment,
    Participant,
)
from messaging.selectors import unread_total_forget
from notifications.services import notifications_mark_read_for, notify

if TYPE_CHECKING:
    from accounts.models import User

NOTIFICATION_PREVIEW_LENGTH = 200


def _conversation_of(topic_type: str, topic_id: int) -> Conversation | None:
    return Conversation.objects.filter(topics__topic_type=topic_type, topics__topic_id=topic_id).first()


@transaction.atomic
def conversation_for_topic(
    *,
    topic_type: str,
    topic_id: int,
    title: str,
    participants: Iterable[User],
    continues: tuple[str, int] | None = None,
) -> Conversation:
    """One conversation per relationship (see `Conversation`): asking again for a topic returns
    the same one, with anyone missing added.

    A topic that `continues` another (a contract hired from a proposal, a follow-on contract)
    joins the conversation of that one, which then takes `title`; only when that one has no
    conversation does a new one start."""
    if not topic_type:
        raise ValueError("A conversation needs a topic type.")
    conversation = _conversation_of(topic_type, topic_id)
    if conversation is None and continues is not None:
        conversation = _conversation_of(*continues)
        if conversation is not None:
            _, joined = ConversationTopic.objects.get_or_create(
                topic_type=topic_type, topic_id=topic_id, defaults={"conversation": conversation}
            )
            conversation = _conversation_of(topic_type, topic_id)  # a concurrent request may have linked it first
            if joined and title.strip():
                Conversation.objects.filter(pk=conversation.pk).update(title=title.strip()[:200])
                conversation.refresh_from_db(fields=["title"])
    if conversation is None:
        try:
            # A savepoint, so losing the race to a concurrent request leaves this transaction usable.
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    topic_type=topic_type, topic_id=topic_id, title=title.strip()[:200]
                )
                ConversationTopic.objects.create(conversation=conversation, topic_type=topic_type, topic_id=topic_id)
        except IntegrityError:
            conversation = _conversation_of(topic_type, topic_id)
    wanted = {user.pk: user for user in participants}
    present = set(Participant.objects.filter(conversation=conversation).values_list("user_id", flat=True))
    Participant.objects.bulk_create(
        [Participant(conversation=conversation, user=user) for pk, user in wanted.items() if pk not in present],
        ignore_conflicts=True,  # someone added them concurrently: the UNIQUE key keeps one row
    )
    unread_total_forget(pk for pk in wanted if pk not in present)
    return conversation


def _attachment_error(error: ValidationError) -> DomainError:
    return DomainError(" ".join(error.messages), field="files")


@transaction.atomic
def message_send(*, conversation: Conversation, sender: User, body: str, files: Sequence[UploadedFile] = ()) -> Message:
    """Only a participant in good standing sends: text and/or up to 5 checked files, within the flood limit."""
    if not Participant.objects.filter(conversation=conversation, user=sender).exists():
        raise NotAllowed("Only the people in this conversation can write in it.")
    if sender.is_suspended:
        raise NotAllowed("Your account is suspended, so you cannot send messages.")
    body = (body or "").strip()
    files = [upload for upload in files if upload]
    if not body and not files:
        raise DomainError("Write a message or attach a file.", field="body")
    if len(body) > MESSAGE_MAX_LENGTH:
        raise DomainError(
            f"Messages can be up to {MESSAGE_MAX_LENGTH:,} characters; this one has {len(body):,}.", field="body"
        )
    if len(files) > MESSAGE_MAX_FILES:
        raise DomainError(f"Attach at most {MESSAGE_MAX_FILES} files to one message.", field="files")
    # Check every file's bytes before anything is stored, so a refused file leaves nothing behind.
    for upload in files:
        try:
            sniff(upload)
        except ValidationError as error:
            raise _attachment_error(error) from error
    hit(
        key=f"message:{sender.pk}",
        limit=settings.MESSAGE_RATE_LIMIT,
        window_seconds=settings.MESSAGE_RATE_WINDOW_SECONDS,
        message="You are sending messages too quickly. Wait a minute and try again.",
    )

    now = timezone.now()
    message = Message.objects.create(conversation=conversation, sender=sender, body=body, created_at=now)
    stored: list[MessageAttachment] = []
    try:
        for upload in files:
            attachment = MessageAttachment.build(upload, message=message)
            stored.append(attachment)
            attachment.save()
    except Exception as error:
        # The rows roll back with the transaction; the files already written must go too.
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        if isinstance(error, ValidationError):
            raise _attachment_error(error) from error
        raise

    # The sender has read everything up to their own message, and what told them of it.
    Participant.objects.filter(conversation=conversation, user=sender).update(last_read_at=now)
    unread_total_forget(Participant.objects.filter(conversation=conversation).values_list("user_id", flat=True))
    notifications_mark_read_for(user=sender, kind="message.new", url=conversation.get_absolute_url())

    names = ", ".join(attachment.original_name for attachment in stored)
    summary = body or f"Sent {len(stored)} file{'s' if len(stored) != 1 else ''}: {names}"
    preview = summary[:NOTIFICATION_PREVIEW_LENGTH]
    url = conversation.get_absolute_url()
    for participant in (
        Participant.objects.filter(conversation=conversation).exclude(user=sender).select_related("user")
    ):
        unread = Message.objects.filter(conversation=conversation).exclude(sender=participant.user)
        if participant.last_read_at is not None:
            unread = unread.filter(created_at__gt=participant.last_read_at)
        count = unread.count()
        notify(
            recipient=participant.user,
            kind="message.new",
            title=f"{count} new messages in “{conversation.title}”"
            if count > 1
            else f"New message from {sender.display_name}",
            body=preview,
            url=url,
            collapse=True,
        )
    return message


def conversation_mark_read(*, conversation: Conversation, user: User) -> None:
    """Only a participant marks a conversation read: everything sent so far counts as seen, and so
    do the notifications that pointed at it."""
    updated = Participant.objects.filter(conversation=conversation, user=user).update(last_read_at=timezone.now())
    if not updated:
        raise DomainError("You are not part of this conversation.")
    unread_total_forget([user.pk])
    notifications_mark_read_for(user=user, kind="message.new", url=conversation.get_absolute_url())


def conversation_shown(*, conversation: Conversation | None, user: User) -> None:
    """Another page showed the person this conversation's latest messages (the panel on a contract
    or a proposal): what was unread counts as read. Found by `topic_conversation`, it knows whether
    anything was unread, so a page shown again writes nothing."""
    if conversation is not None and getattr(conversation, "viewer_has_unread", True):
        conversation_mark_read(conversation=conversation, user=user)


@transaction.atomic
def message_hide(*, message: Message, by: User, reason: str) -> Message:
    """A moderator hides a message (reported, abusive, off-platform payment asks): its words and
    files are gone for everyone, its sender reads the reason, and the audit log keeps it."""
    if not can_moderate(by):
        raise NotAllowed("Only moderators hide messages.")
    reason = moderator_text(reason, field="reason", missing="Give the reason: the sender reads it.")
    updated = Message.objects.filter(pk=message.pk, hidden_at__isnull=True).update(
        hidden_at=timezone.now(), hidden_reason=reason
    )
    if not updated:
        raise DomainError("This message is already hidden.")
    message.refresh_from_db()
    audit(actor=by, verb="hid", target=f"message:{message.pk}", label=message.body[:200], reason=reason)
    notify(
        recipient=message.sender,
        kind="moderation.hidden",
        title="A moderator hid one of your messages",
        body=f"Reason: {reason}",
        url=reverse("conversation_detail", args=[message.conversation_id]),
    )
    return message


def message_report_target(pk: int, viewer):
    """A message as a report names it: one in a conversation the reporter takes part in."""
    from accounts.reports import ReportTarget

    message = (
        Message.objects.filter(pk=pk, conversation__participants__user=viewer, hidden_at__isnull=True)
        .select_related("sender")
        .first()
    )
    if message is None:
        return None
    excerpt = " ".join(message.body.split())[:80] or "(files)"
    return ReportTarget(
        label=f"A message from {message.sender.display_name}: “{excerpt}”",
        author_id=message.sender_id,
        url=reverse("conversation_detail", args=[message.conversation_id]) + f"#message-{pk}",
    )
