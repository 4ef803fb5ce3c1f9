"""Read-mostly admin views: money and contract state change only through the services."""

from django.contrib import admin

from contracts.models import (
    Contract,
    ContractEvent,
    Dispute,
    Milestone,
    MilestoneEdit,
    Offer,
    OfferEvent,
    RefundRequest,
)
from core.admin import ReadOnlyAdmin


class MilestoneInline(admin.TabularInline):
    model = Milestone
    fields = ["position", "title", "amount_cents", "status", "released_cents", "refunded_cents", "auto_release_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = ["title", "client", "freelancer", "status", "end_reason", "is_test_project", "started_at"]
    list_filter = ["status", "is_test_project"]
    search_fields = ["title", "client__email", "freelancer__email"]
    inlines = [MilestoneInline]


class OfferEventInline(admin.TabularInline):
    model = OfferEvent
    fields = ["at", "actor", "from_status", "to_status", "revision", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = ["title", "client", "freelancer", "status", "total_cents", "awaiting", "expires_at"]
    list_filter = ["status"]
    search_fields = ["title", "client__email", "freelancer__email"]
    inlines = [OfferEventInline]


@admin.register(ContractEvent)
class ContractEventAdmin(ReadOnlyAdmin):
    list_display = ["contract", "milestone", "actor", "verb", "amount_cents", "at"]
    list_filter = ["verb"]


admin.site.register(RefundRequest, ReadOnlyAdmin)
admin.site.register(MilestoneEdit, ReadOnlyAdmin)


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    """Disputes are answered, settled and decided in the moderation area, never here."""

    list_display = ["pk", "contract", "filer", "reason", "status", "opened_at"]
    list_filter = ["status", "reason"]
