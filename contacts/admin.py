"""Contacts admin: the contact's own audit tables. The contact admin itself (with its leads,
appointments, conversions, merge and purge) lives in people/admin.py, above those apps."""
from django.contrib import admin

from contacts.models import ContactEvent, ContactPurge
from leadhub.admin import AuditLogAdmin, ExactSearchMixin, ReadOnlyAdmin


@admin.register(ContactEvent)
class ContactEventAdmin(ExactSearchMixin, AuditLogAdmin):
    list_display = ["id", "contact", "event_type", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=event_type"]
    number_search_fields = ["contact_id"]
    raw_id_fields = list_select_related = ["contact"]


@admin.register(ContactPurge)
class ContactPurgeAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["id", "contact_id", "performed_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=performed_by"]
    number_search_fields = ["contact_id"]
    fields = ["contact_id", "reason", "performed_by", "deleted_counts", "created_at"]
