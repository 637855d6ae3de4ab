"""Ops admin: ledger entries are read-only (a correction is a new entry)."""
from django.contrib import admin

from leadhub.admin import AuditLogAdmin

from .models import Entry


@admin.register(Entry)
class EntryAdmin(AuditLogAdmin):
    list_display = ("created_at", "kind", "side", "amount", "currency", "workspace_id", "provider_id", "webhook_id",
                    "lead_id")
    list_filter = ("kind", "side")
    search_fields = ("=workspace_id", "=provider_id", "=webhook_id", "=lead_id", "reference")
