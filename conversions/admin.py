"""Conversions admin, view-only: recording, changing or voiding a conversion moves the contact
and workspace aggregates, so it happens only through the conversion services."""
from django.contrib import admin

from contacts.admin import ExactSearchMixin, LatestRowsFormSet, ReadOnlyAdmin, ReadOnlyInline
from conversions.models import Conversion, ConversionEvent


class ConversionEventInline(ReadOnlyInline):
    model = ConversionEvent
    fields = ["event_type", "event_data", "created_by", "created_at"]
    verbose_name_plural = f"conversion events (latest {LatestRowsFormSet.limit})"


@admin.register(Conversion)
class ConversionAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["id", "conversion_type", "conversion_value", "currency", "workspace", "contact", "converted_at"]
    list_filter = ["conversion_type", "workspace", "converted_at"]
    search_fields = ["=id", "=converted_by"]
    search_help_text = "Conversion UUID, contact or lead id, or who converted."
    number_search_fields = ["contact_id", "lead_id"]
    list_select_related = ["workspace", "contact"]
    raw_id_fields = ["contact", "lead", "workspace"]
    show_full_result_count = False
    inlines = [ConversionEventInline]


@admin.register(ConversionEvent)
class ConversionEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "conversion", "event_type", "created_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=conversion__id", "=event_type", "=created_by"]
    raw_id_fields = ["conversion"]
    list_select_related = ["conversion"]
    show_full_result_count = False
