from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import (
    ClientProfile,
    FreelancerProfile,
    ModerationAction,
    PortfolioItem,
    Report,
    Skill,
    SkillCategory,
    User,
)
from core.admin import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_client", "is_freelancer", "is_staff", "suspended_at", "date_joined"]
    list_filter = ["is_client", "is_freelancer", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["suspended_at", "suspension_reason", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "country", "timezone", "avatar", "is_client", "is_freelancer"]}),
        ("Suspension (use the moderation area)", {"fields": ["suspended_at", "suspension_reason"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(SkillCategory)
class SkillCategoryAdmin(admin.ModelAdmin):
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "category"]
    list_filter = ["category"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class PortfolioItemInline(admin.TabularInline):
    model = PortfolioItem
    extra = 0


@admin.register(FreelancerProfile)
class FreelancerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "headline", "hourly_rate_cents", "availability"]
    search_fields = ["user__email", "headline"]
    autocomplete_fields = ["skills"]
    inlines = [PortfolioItemInline]


@admin.register(ClientProfile)
class ClientProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "company_name", "team_size", "payment_method_verified_at"]
    search_fields = ["user__email", "company_name"]
    # Set by a real card charge only: freelancers trust it, so nobody types it in.
    readonly_fields = ["payment_method_verified_at"]


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The audit log, read-only here as everywhere: no one adds, changes or deletes a row by hand."""

    list_display = ["at", "actor", "verb", "target", "target_label"]
    list_filter = ["verb"]
    search_fields = ["target", "target_label", "reason", "actor__email"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """Reports are answered in the moderation area, which tells the reporter; here they are read only."""

    list_display = ["created_at", "reporter", "target", "target_label", "reason", "status"]
    list_filter = ["status", "reason"]
    search_fields = ["target", "target_label", "reporter__email"]
