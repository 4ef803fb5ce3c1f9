"""Reviews in the admin, read-only: a moderator hides a reported one from the moderation area (a
reason shown in its place, the audit log written), never by editing it here. The private answers
are for staff eyes only, here."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from reviews.models import Review


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["pk", "author", "subject", "direction", "overall", "submitted_at", "published_at", "hidden_at"]
    list_filter = ["direction", "overall"]
    search_fields = ["author__email", "subject__email", "comment"]
    list_select_related = ["author", "subject"]
