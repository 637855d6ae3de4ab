"""Ops admin for workspaces and routing rules; key rotation goes through the service."""
from django.contrib import admin, messages

from workspaces.models import AppointmentRoutingRule, Workspace
from workspaces.services import workspace_key_rotate


class RoutingRuleInline(admin.TabularInline):
    model = AppointmentRoutingRule
    extra = 0
    fields = ("priority", "zip_codes", "product_types", "is_active", "notes")


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "is_active", "has_key", "webhook_active", "last_activity_at", "total_conversions")
    list_filter = ("is_active", "webhook_active")
    search_fields = ("id", "name")
    readonly_fields = ("has_key", "last_activity_at", "total_conversions", "total_revenue", "created_at", "updated_at")
    inlines = [RoutingRuleInline]
    actions = ["rotate_api_key"]

    @admin.display(boolean=True, description="API key issued")
    def has_key(self, obj):
        return bool(obj.api_key)

    @admin.action(description="Rotate API key")
    def rotate_api_key(self, request, queryset):
        # Shown once here and never again: only the digest is stored.
        for workspace in queryset:
            raw_key = workspace_key_rotate(workspace=workspace)
            self.message_user(
                request,
                f"New API key for {workspace.id} (copy it now, it will not be shown again): {raw_key}",
                messages.WARNING,
            )


@admin.register(AppointmentRoutingRule)
class AppointmentRoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("id", "workspace", "priority", "is_active", "zip_codes", "product_types")
    list_filter = ("is_active",)
    search_fields = ("workspace__id", "workspace__name", "notes")
    list_select_related = ("workspace",)
