"""Conversations over the REST API: the same selectors and services as the pages.

A conversation the caller is not part of is a 404 everywhere, and so are its messages and files.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.files import attachment_response
from core.serializers import RejectUnknownFieldsMixin, StoredFileSerializer
from messaging import selectors, services
from messaging.models import MESSAGE_MAX_LENGTH, Conversation, Message, MessageAttachment

CONVERSATION_ID = OpenApiParameter(
    "conversation_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The conversation's id."
)
ATTACHMENT_ID = OpenApiParameter("attachment_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The file's id.")


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(read_only=True)


class ParticipantSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user_id", read_only=True)
    display_name = serializers.CharField(source="user.display_name", read_only=True)
    last_read_at = serializers.DateTimeField(read_only=True, allow_null=True)


class TopicSerializer(serializers.Serializer):
    type = serializers.CharField(source="topic_type", read_only=True, help_text="What it is: proposal, contract, …")
    id = serializers.IntegerField(source="topic_id", read_only=True)


class ConversationSerializer(serializers.ModelSerializer):
    topics = TopicSerializer(
        many=True,
        read_only=True,
        help_text="Everything this conversation is about, in the order it joined: the proposal the two "
        "first talked about, then the contracts that continued it. `topic_type` and `topic_id` name the first.",
    )
    last_message_at = serializers.DateTimeField(read_only=True, allow_null=True)
    unread_count = serializers.IntegerField(read_only=True)
    participants = ParticipantSerializer(source="members", many=True, read_only=True)
    url = serializers.SerializerMethodField(help_text="The conversation's page on the site.")

    class Meta:
        model = Conversation
        fields = [
            "id",
            "title",
            "topic_type",
            "topic_id",
            "topics",
            "created_at",
            "last_message_at",
            "unread_count",
            "participants",
            "url",
        ]
        read_only_fields = fields

    def get_url(self, conversation: Conversation) -> str:
        return conversation.get_absolute_url()


class AttachmentSerializer(StoredFileSerializer):
    download_route = "conversation-attachment"
    owner_pk = "message.conversation_id"

    class Meta(StoredFileSerializer.Meta):
        model = MessageAttachment


class MessageSerializer(serializers.ModelSerializer):
    sender = PersonSerializer(read_only=True)
    is_mine = serializers.BooleanField(read_only=True)
    read_by_other = serializers.BooleanField(
        read_only=True, help_text="Another participant has opened the conversation since this was sent."
    )
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "sender", "body", "created_at", "is_mine", "read_by_other", "attachments"]
        read_only_fields = fields


class MessageCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, max_length=MESSAGE_MAX_LENGTH, default="")
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="Up to 5 files (multipart only)."
    )


class ConversationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in person's conversations, most recent activity first. The list holds those with at
    least one message; a proposal's conversation nobody wrote in yet is read by its id."""

    serializer_class = ConversationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Conversation.objects.none()
        if self.action == "list":  # the inbox: threads with messages; any of theirs can be read by id
            return selectors.inbox_for_user(self.request.user).prefetch_related("topics")
        return selectors.conversations_for_user(self.request.user).prefetch_related("topics")

    @extend_schema(request=None, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        services.conversation_mark_read(conversation=self.get_object(), user=request.user)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        parameters=[ATTACHMENT_ID],
        responses={(200, "*/*"): OpenApiTypes.BINARY},
        description="Download one file of this conversation, as an attachment.",
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_pk>[0-9]+)", url_name="attachment")
    def attachment(self, request, pk=None, attachment_pk=None):
        conversation = self.get_object()
        attachment = get_object_or_404(
            selectors.attachments_for_user(request.user).filter(message__conversation=conversation), pk=attachment_pk
        )
        return attachment_response(attachment)


@extend_schema_view(
    list=extend_schema(parameters=[CONVERSATION_ID], description="The conversation's messages, oldest first."),
    create=extend_schema(
        parameters=[CONVERSATION_ID],
        request=MessageCreateSerializer,
        responses={201: MessageSerializer},
        description="Send a message: text, files (multipart `files`), or both. 429 when sending too quickly.",
    ),
)
class ConversationMessageViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = MessageSerializer

    def get_conversation(self) -> Conversation:
        if not hasattr(self, "_conversation"):
            self._conversation = get_object_or_404(
                selectors.conversations_for_user(self.request.user), pk=self.kwargs["conversation_pk"]
            )
        return self._conversation

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return Message.objects.none()
        return selectors.messages_for_conversation(self.get_conversation())

    def list(self, request, *args, **kwargs):
        conversation = self.get_conversation()
        page = self.paginate_queryset(self.get_queryset())
        messages = selectors.with_receipts(page, conversation=conversation, user=request.user)
        return self.get_paginated_response(self.get_serializer(messages, many=True).data)

    def create(self, request, *args, **kwargs):
        conversation = self.get_conversation()
        data = MessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_send(
            conversation=conversation,
            sender=request.user,
            body=data.validated_data["body"],
            files=data.validated_data["files"],
        )
        (message,) = selectors.with_receipts([message], conversation=conversation, user=request.user)
        return Response(self.get_serializer(message).data, status=status.HTTP_201_CREATED)
