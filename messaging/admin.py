from django.contrib import admin

from core.admin import ReadOnlyAdmin
from messaging.models import Conversation, ConversationTopic, Message, Participant


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    fields = ["user", "last_read_at"]
    readonly_fields = ["user", "last_read_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TopicInline(admin.TabularInline):
    model = ConversationTopic
    extra = 0
    fields = ["topic_type", "topic_id", "added_at"]
    readonly_fields = ["topic_type", "topic_id", "added_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Read-mostly: conversations are started and written to by services, never by hand."""

    list_display = ["title", "topic_type", "topic_id", "created_at"]
    list_filter = ["topic_type"]
    search_fields = ["title", "participants__user__email"]
    readonly_fields = ["title", "topic_type", "topic_id", "created_at"]
    fields = ["title", "topic_type", "topic_id", "created_at"]
    inlines = [TopicInline, ParticipantInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """Read only: a moderator hides a message from the moderation area, which tells its sender why."""

    list_display = ["created_at", "sender", "conversation", "hidden_at"]
    list_filter = ["hidden_at"]
    search_fields = ["body", "sender__email"]
    list_select_related = ["sender", "conversation"]
