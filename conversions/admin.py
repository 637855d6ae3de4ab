"""Conversions admin. Conversions are view-only: recording, changing or voiding one moves contact
and workspace aggregates, so the only write here is the "Void" action, through the service.
The currency rate table is the one thing ops edit by hand."""
from django.contrib import admin, messages

from conversions.models import Conversion, ConversionEvent, ConversionIdempotencyKey, CurrencyRate
from conversions.services.changes import conversion_void
from leadhub.actors import actor_for_user
from leadhub.errors import ServiceRefusal
from leadhub.admin import (
    AuditLogAdmin,
    BaseAdmin,
    ConfirmationPageMixin,
    ExactSearchMixin,
    LargeTableMixin,
    LatestRowsFormSet,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ReasonForm,
    RecordActionsMixin,
    change_link,
    json_display,
    money_display,
    reason_field,
    short_id,
)


class ConversionEventInline(ReadOnlyInline):
    model = ConversionEvent
    fields = ["event_type", "details", "created_by", "created_at"]
    verbose_name_plural = f"conversion events (latest {LatestRowsFormSet.limit})"

    @admin.display(description="Details")
    def details(self, obj):
        return json_display(obj.event_data)


class VoidStateFilter(admin.SimpleListFilter):
    title = "void state"
    parameter_name = "voided"

    def lookups(self, request, model_admin):
        return [("no", "Counted"), ("yes", "Voided")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(voided_at__isnull=self.value() == "no")
        return queryset


class VoidForm(ReasonForm):
    reason = reason_field("Why these conversions no longer count (kept on each row and in its events).")


@admin.register(Conversion)
class ConversionAdmin(RecordActionsMixin, ConfirmationPageMixin, ExactSearchMixin, LargeTableMixin, ReadOnlyAdmin):
    list_display = [
        "short_conversion_id", "conversion_type", "value", "reported_as", "workspace_link", "contact_link",
        "converted_at", "voided_at",
    ]
    list_display_links = ["short_conversion_id"]
    list_filter = [VoidStateFilter, "conversion_type", "original_currency", "workspace", "converted_at"]
    search_fields = ["=id", "=converted_by"]
    search_help_text = "Conversion UUID, contact or lead id, or who converted."
    number_search_fields = ["contact_id", "lead_id"]
    list_select_related = ["workspace", "contact"]
    raw_id_fields = ["contact", "lead", "workspace"]
    inlines = [ConversionEventInline]
    actions = ["void"]
    record_actions = ["void"]
    void_limit = 200

    def get_fields(self, request, obj=None):
        return [name if name != "custom_data" else "custom_data_rows" for name in super().get_fields(request, obj)]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "custom_data_rows"]

    def record_action_buttons(self, request, obj):
        return [] if obj.voided_at else super().record_action_buttons(request, obj)

    @admin.display(description="Id", ordering="id")
    def short_conversion_id(self, obj):
        return short_id(obj.pk)

    @admin.display(description="Value (USD)", ordering="conversion_value")
    def value(self, obj):
        return money_display(obj.conversion_value, obj.currency)

    @admin.display(description="Reported as")
    def reported_as(self, obj):
        if obj.original_value is None or obj.original_currency in ("", obj.currency):
            return "—"
        return money_display(obj.original_value, obj.original_currency)

    @admin.display(description="Workspace", ordering="workspace")
    def workspace_link(self, obj):
        return change_link(obj.workspace, obj.workspace.name) if obj.workspace else "—"

    @admin.display(description="Contact", ordering="contact")
    def contact_link(self, obj):
        return change_link(obj.contact) if obj.contact else "—"

    @admin.display(description="Custom data")
    def custom_data_rows(self, obj):
        return json_display(obj.custom_data)

    def has_void_permission(self, request):
        return request.user.has_perm("conversions.change_conversion")

    @admin.action(description="Void (take out of all totals)", permissions=["void"])
    def void(self, request, queryset):
        """Ask for the reason on an intermediate page, then void each conversion through the service."""
        conversions = list(queryset.select_related("workspace", "contact").order_by("converted_at")[: self.void_limit + 1])
        if len(conversions) > self.void_limit:
            self.message_user(request, f"Select at most {self.void_limit} conversions at once.", messages.ERROR)
            return None
        form = VoidForm(self.confirmation_data(request))
        if form.is_bound and form.is_valid():
            by = actor_for_user(request.user)
            voided = 0
            for conversion in conversions:
                try:
                    conversion_void(conversion=conversion, workspace=None, by=by, reason=form.cleaned_data["reason"])
                except ServiceRefusal as exc:
                    self.message_user(request, f"Conversion {conversion.pk} not voided: {exc.reason}", messages.WARNING)
                    continue
                voided += 1
            if voided:
                self.message_user(request, f"Voided {voided} conversion(s); totals updated.", messages.SUCCESS)
            return None
        return self.confirmation_page(
            request, template="admin/conversions/conversion/void_confirmation.html", title="Void conversions",
            action="void", selected=conversions, form=form,
        )


@admin.register(ConversionEvent)
class ConversionEventAdmin(AuditLogAdmin):
    list_display = ["id", "conversion", "event_type", "created_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=conversion__id", "=event_type", "=created_by"]
    raw_id_fields = list_select_related = ["conversion"]


@admin.register(CurrencyRate)
class CurrencyRateAdmin(BaseAdmin):
    """One row per currency and day. A conversion reported in that currency on that day (UTC) is
    valued at this rate when it is recorded; changing a rate later does not revalue it."""

    list_display = ["currency", "date", "usd_rate", "updated_by", "updated_at"]
    list_filter = ["currency"]
    search_fields = ["=currency"]
    date_hierarchy = "date"
    readonly_fields = ["updated_by", "created_at", "updated_at"]
    fields = ["currency", "date", "usd_rate", "updated_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = actor_for_user(request.user)
        super().save_model(request, obj, form, change)


@admin.register(ConversionIdempotencyKey)
class ConversionIdempotencyKeyAdmin(AuditLogAdmin):
    list_display = ["key", "workspace", "conversion", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=key", "=workspace__id"]
    raw_id_fields = list_select_related = ["workspace", "conversion"]
