"""Projects in the admin, read-only: they change through the market's services, and a moderator
hides one from the moderation area, which tells its client why and writes the audit log."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from marketplace.models import Project


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["title", "client", "kind", "status", "visibility", "is_confidential", "published_at", "hidden_at"]
    list_filter = ["status", "kind", "visibility", "is_confidential"]
    search_fields = ["title", "client__email"]
    list_select_related = ["client"]
