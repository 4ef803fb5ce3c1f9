"""The ledger in the admin: read only. Corrections are reversals posted by a service."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from payments.models import AccountBalance, GatewayOperation, LedgerEntry, LedgerTransaction, Payout


class EntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ["account", "amount_cents", "currency"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "idempotency_key", "reference", "memo"]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "reference"]
    inlines = [EntryInline]


@admin.register(AccountBalance)
class AccountBalanceAdmin(ReadOnlyAdmin):
    list_display = ["account", "balance_cents", "currency", "updated_at"]
    search_fields = ["account"]


admin.site.register(GatewayOperation, ReadOnlyAdmin)
admin.site.register(Payout, ReadOnlyAdmin)
