"""Appointments admin: scheduling details are editable; routing, forwarding and the audit trail
belong to the intake, status and forwarding services."""
from django.contrib import admin

from appointments.models import Appointment, AppointmentEvent
from contacts.admin import ExactSearchMixin, LatestRowsFormSet, ReadOnlyAdmin, ReadOnlyInline


class AppointmentEventInline(ReadOnlyInline):
    model = AppointmentEvent
    fields = ["event_type", "old_value", "new_value", "created_by", "created_at"]
    verbose_name_plural = f"appointment events (latest {LatestRowsFormSet.limit})"


@admin.register(Appointment)
class AppointmentAdmin(ExactSearchMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "appointment_type",
        "scheduled_at",
        "status",
        "customer_name",
        "customer_zip",
        "matched_workspace",
        "forward_status",
    ]
    list_filter = ["status", "appointment_type", "location_type", "forward_status", "matched_workspace", "scheduled_at"]
    search_fields = ["=customer_email", "^customer_name", "=customer_zip", "=assigned_to"]
    search_help_text = "Customer phone in any format, id, email, ZIP, assignee, or the start of a name."
    phone_search_field = "customer_phone"
    number_search_fields = ["pk", "contact_id", "lead_id"]
    list_select_related = ["matched_workspace"]
    raw_id_fields = ["contact", "lead", "matched_workspace"]
    show_full_result_count = False
    readonly_fields = [
        "contact",
        "lead",
        "status",
        "matched_workspace",
        "routing_method",
        "forwarded_at",
        "forward_status",
        "forward_response",
        "forward_attempts",
        "raw_payload",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [AppointmentEventInline]

    def has_add_permission(self, request):
        # Appointments enter through intake, which routes them and writes the "created" event.
        return False


@admin.register(AppointmentEvent)
class AppointmentEventAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["id", "appointment", "event_type", "old_value", "new_value", "created_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=event_type", "=created_by"]
    number_search_fields = ["appointment_id"]
    raw_id_fields = ["appointment"]
    list_select_related = ["appointment"]
    show_full_result_count = False
