"""Ops admin for workspaces, routing and forwarding rules, and the outbox; actions call services."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.html import format_html

from leadhub.actors import actor_for_user
from leadhub.admin import (
    BaseAdmin,
    ConfirmationPageMixin,
    NoBulkDeleteMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    RecordActionsMixin,
    changelist_link,
    json_display,
    money_display,
    refusal_words,
    SecretsIssuedOnAddMixin,
    rotation_action,
    secret_state,
    secrets_issued_page,
    short_id,
)
from leadhub.admin_fields import ChoiceListField, KeyValueField
from leadhub.keys import previous_key_note
from workspaces.delivery import RedeliveryRefused, outbound_event_redeliver, workspace_events_redeliver
from workspaces.forwarding import (
    ZipCsvInvalid,
    forwarding_rule_secret_rotate,
    forwarding_rule_zips_load,
    zip_entries_from_csv,
)
from workspaces.models import (
    AppointmentRoutingRule,
    DeliveryAttempt,
    LeadForwardingConfig,
    LeadForwardingRule,
    EventType,
    OutboundEvent,
    Scope,
    Workspace,
)
from workspaces.services import workspace_key_rotate, workspace_signing_secret_rotate


class RoutingRuleInline(admin.TabularInline):
    model = AppointmentRoutingRule
    extra = 0
    fields = ("priority", "zip_codes", "product_types", "is_active", "notes")


class WorkspaceForm(forms.ModelForm):
    """Scopes and webhook events are ticked, metadata is key/value rows: nobody types JSON."""

    permissions = ChoiceListField(choices=Scope.choices, label="Scopes",
                                  unknown_message="Unknown scope(s): {value}.",
                                  help_text="What the workspace's API key may do.")
    webhook_events = ChoiceListField(choices=EventType.choices, label="Webhook events",
                                     unknown_message="Unknown event type(s): {value}.",
                                     help_text="None ticked: every event is sent.")
    metadata = KeyValueField(help_text="Free-form notes as key/value rows; empty a row to remove it.")
    outbound_webhook_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Workspace
        fields = "__all__"  # noqa: DJ007 the ModelAdmin's fieldsets choose what is shown

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"].show_unknown(self.instance.permissions)
        self.fields["webhook_events"].show_unknown(self.instance.webhook_events)
        self.fields["metadata"].original = self.instance.metadata


def webhook_state_words(workspace) -> str:
    """What the webhook switch means for the leads a buyer gets, in words (workspace and offer pages)."""
    if workspace is None or workspace.pk is None:
        return "—"
    if workspace.webhook_switched_off:
        return format_html(
            "<strong>Gets no leads:</strong> it has an outbound webhook URL but the webhook is switched off{}, so "
            "distribution sells it nothing (<code>buyer_webhook_off</code>). Switch the webhook on, or clear the URL "
            "for the buyer to read its leads through the API.",
            " (disabled after failed deliveries)" if workspace.webhook_disabled_at else "",
        )
    if workspace.outbound_webhook_url:
        return "Gets leads: they are delivered to its outbound webhook."
    return "Gets leads: it reads them through the API (no outbound webhook URL)."


@admin.register(Workspace)
class WorkspaceAdmin(SecretsIssuedOnAddMixin, NoBulkDeleteMixin, RecordActionsMixin, ConfirmationPageMixin, BaseAdmin):
    form = WorkspaceForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("id", "name", "is_active", "has_key", "webhook_active", "last_activity_at", "total_conversions",
                    "revenue")
    list_filter = ("is_active", "webhook_active")
    search_fields = ("id", "name")
    readonly_fields = (
        "has_key", "signing_secret", "last_activity_at", "total_conversions", "revenue", "created_at", "updated_at",
        "webhook_failure_streak", "webhook_disabled_reason", "webhook_disabled_at", "outbound_events_link",
        "webhook_state",
    )
    inlines = [RoutingRuleInline]
    actions = ["rotate_api_key", "rotate_signing_secret", "redeliver_failed_events"]
    record_actions = actions

    def get_readonly_fields(self, request, obj=None):
        return (("workspace_id",) if obj else ()) + self.readonly_fields

    def get_fields(self, request, obj=None):
        fields = [name for name in super().get_fields(request, obj) if name != "total_revenue"]
        if obj is not None:
            fields = ["workspace_id", *(name for name in fields if name not in ("id", "workspace_id"))]
        fields = [name for name in fields if name != "webhook_state"]
        if "webhook_active" in fields:  # the words stand next to the switch
            fields.insert(fields.index("webhook_active") + 1, "webhook_state")
        return fields

    @admin.display(description="Leads")
    def webhook_state(self, obj):
        return webhook_state_words(obj)

    @admin.display(description="Workspace id")
    def workspace_id(self, obj):
        return format_html(
            "<strong>{}</strong><div class=\"help\">The id cannot be changed: it is in the partners' API calls, "
            "the webhook payloads they receive and every lead, appointment and conversion assigned to it. To use "
            "another id, add a new workspace and deactivate this one.</div>", obj.pk,
        )

    @admin.display(description="Total revenue", ordering="total_revenue")
    def revenue(self, obj):
        return money_display(obj.total_revenue)

    def save_formset(self, request, form, formset, change):
        """Routing rules added inline record who created them, like those added on their own page."""
        for rule in formset.save(commit=False):
            if rule._state.adding:
                rule.created_by = actor_for_user(request.user)
            rule.save()
        for rule in formset.deleted_objects:
            rule.delete()
        formset.save_m2m()

    @admin.display(description="Outbound events")
    def outbound_events_link(self, obj):
        return changelist_link(OutboundEvent, "events of this workspace", workspace__id__exact=obj.pk)

    @admin.action(description="Rotate webhook signing secret", permissions=["change"])
    def rotate_signing_secret(self, request, queryset):
        return rotation_action(
            self, request, queryset, title="Rotate webhook signing secrets", action="rotate_signing_secret",
            rotate=lambda workspace, grace: workspace_signing_secret_rotate(workspace=workspace, grace=grace),
            describe=lambda workspace: f"New webhook signing secret for {workspace.id} (deliveries are signed with "
                                       "both secrets during the grace)",
        )

    @admin.action(description="Send again all failed/skipped outbound events", permissions=["change"])
    def redeliver_failed_events(self, request, queryset):
        for workspace in queryset:
            try:
                count = workspace_events_redeliver(workspace=workspace)
            except RedeliveryRefused as exc:
                self.message_user(request, f"{workspace.id}: {refusal_words(exc)}", messages.ERROR)
            else:
                self.message_user(request, f"{workspace.id}: {count} event(s) queued for delivery.")

    @admin.display(boolean=True, description="API key issued")
    def has_key(self, obj):
        return bool(obj.api_key)

    @admin.display(description="Webhook signing secret")
    def signing_secret(self, obj):
        return secret_state(obj.webhook_secret)

    @admin.action(description="Rotate API key", permissions=["change"])
    def rotate_api_key(self, request, queryset):
        return rotation_action(
            self, request, queryset, title="Rotate API keys", action="rotate_api_key",
            rotate=lambda workspace, grace: workspace_key_rotate(workspace=workspace, grace=grace),
            describe=lambda workspace: f"New API key for {workspace.id}. {previous_key_note(workspace)}",
        )

    def save_model(self, request, obj, form, change):
        """A new workspace gets its API key at once; both it and the signing secret generated with
        the row are shown this one time."""
        super().save_model(request, obj, form, change)
        if not change:
            self.secret_issued(request, f"API key for {obj.id}", workspace_key_rotate(workspace=obj))
            self.secret_issued(request, f"Webhook signing secret for {obj.id}", obj.webhook_secret)


@admin.register(AppointmentRoutingRule)
class AppointmentRoutingRuleAdmin(BaseAdmin):
    list_display = ("id", "workspace", "priority", "is_active", "zip_codes", "product_types")
    list_filter = ("is_active",)
    search_fields = ("workspace__id", "workspace__name", "notes")
    list_select_related = ("workspace",)
    readonly_fields = ("created_by",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = actor_for_user(request.user)
        super().save_model(request, obj, form, change)


# --- Outbound delivery and lead forwarding -----------------------------------------------------

class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ("created_at", "outcome", "status_code", "latency_ms", "error", "response_body", "target_url")
    show_change_link = False


# The admin page of an event's subject, by subject type; named by URL (the apps that own those rows
# sit above workspaces).
SUBJECT_ADMIN_URL = {
    "lead": "admin:leads_lead_change",
    "appointment": "admin:appointments_appointment_change",
    "conversion": "admin:conversions_conversion_change",
}
CONTACT_ADMIN_URL = "admin:contacts_contact_change"


def _admin_link(url_name, pk, label):
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[pk]), label)


@admin.register(OutboundEvent)
class OutboundEventAdmin(RecordActionsMixin, ReadOnlyAdmin):
    """The outbox: every event, its delivery state and attempts. Read-only except "Send again"."""

    list_display = (
        "short_event_id", "event_type", "workspace", "forwarding_rule", "subject", "status", "attempts",
        "next_attempt_at", "last_status_code", "created_at",
    )
    fields = ("id", "event_type", "status", "workspace", "forwarding_rule", "target_url", "contact", "subject",
              "data_rows", "attempts", "next_attempt_at", "enqueued_at", "last_attempt_at", "delivered_at",
              "last_status_code", "last_response", "created_at", "updated_at")
    readonly_fields = fields
    record_actions = ("send_again",)
    list_filter = ("status", "event_type")
    search_fields = ("=id", "=workspace__id", "=subject_id", "target_url")
    list_select_related = ("workspace", "forwarding_rule")
    date_hierarchy = "created_at"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [DeliveryAttemptInline]
    actions = ["send_again"]

    @admin.display(description="Id")
    def short_event_id(self, obj):
        return short_id(obj.pk)

    @admin.display(description="Contact")
    def contact(self, obj):
        return _admin_link(CONTACT_ADMIN_URL, obj.contact_id, f"contact #{obj.contact_id}") if obj.contact_id else "—"

    @admin.display(description="About")
    def subject(self, obj):
        url_name = SUBJECT_ADMIN_URL.get(obj.subject_type)
        if not (url_name and obj.subject_id):
            return "—"
        label = f"{obj.subject_type} {obj.subject_id if obj.subject_type != 'conversion' else obj.subject_id[:8] + '…'}"
        return _admin_link(url_name, obj.subject_id, label)

    @admin.display(description="Payload")
    def data_rows(self, obj):
        return json_display(obj.data)

    def has_redeliver_permission(self, request):
        return request.user.has_perm("workspaces.change_outboundevent")

    @admin.action(description="Send again", permissions=["redeliver"])
    def send_again(self, request, queryset):
        queued, refused = 0, []
        for event in queryset.select_related("workspace"):
            try:
                queued += outbound_event_redeliver(event=event)
            except RedeliveryRefused as exc:
                refused.append(f"{event.pk}: {refusal_words(exc)}")
        self.message_user(request, f"{queued} event(s) queued for delivery.")
        for message in refused:
            self.message_user(request, message, messages.ERROR)


@admin.register(LeadForwardingConfig)
class LeadForwardingConfigAdmin(BaseAdmin):
    list_display = ("webhook_id", "is_enabled", "mode", "updated_at")
    list_filter = ("is_enabled", "mode")
    search_fields = ("webhook_id",)


class LeadForwardingRuleForm(forms.ModelForm):
    target_url = forms.URLField(max_length=500, required=False, assume_scheme="https")
    zip_csv = forms.FileField(
        required=False, label="ZIP entries from CSV", help_text="Every cell is a ZIP, range (90210-90299) or prefix (902*)."
    )
    zip_csv_mode = forms.ChoiceField(
        choices=[("replace", "Replace the ZIP entries"), ("append", "Add to the ZIP entries")], initial="replace"
    )

    class Meta:
        model = LeadForwardingRule
        fields = (
            "webhook_id", "name", "priority", "product_types", "zip_codes", "states", "target_workspace", "target_url",
            "is_active",
        )

    def __init__(self, *args, **kwargs):
        """A target workspace no longer sends leads: the help points ops to the offer form, where
        leads go to a workspace at a price."""
        super().__init__(*args, **kwargs)
        if "target_workspace" not in self.fields:
            return  # a read-only view
        self.fields["target_workspace"].help_text = format_html(
            'A direct target: this webhook\'s appointments may name the workspace. It sends no leads: '
            'to send leads to a workspace, <a href="{}">add a lead offer</a>.',
            reverse("admin:distribution_offer_add"),
        )

    def clean_zip_csv(self):
        upload = self.cleaned_data.get("zip_csv")
        if upload is None:
            return None
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("The CSV must be UTF-8 text.") from None
        try:
            zip_entries_from_csv(text)
        except ZipCsvInvalid as exc:  # the form's field error, in the service's words
            raise ValidationError(exc.errors["zip_csv"]) from None
        return text


@admin.register(LeadForwardingRule)
class LeadForwardingRuleAdmin(SecretsIssuedOnAddMixin, RecordActionsMixin, BaseAdmin):
    """Per-rule counts, last delivery and failures; ZIP entries can be bulk-loaded from a CSV."""

    form = LeadForwardingRuleForm
    list_display = (
        "id", "webhook_id", "name", "priority", "target", "is_active", "forwarded_count", "failed_count",
        "last_delivered_at", "last_failed_at",
    )
    list_filter = ("is_active",)
    search_fields = ("webhook_id", "name", "target_url", "target_workspace__id")
    list_select_related = ("target_workspace",)
    readonly_fields = ("signing_secret_state", "forwarded_count", "failed_count", "last_delivered_at", "last_failed_at",
                       "created_at", "updated_at")
    actions = ["rotate_signing_secret"]
    record_actions = actions

    @admin.display(description="Target")
    def target(self, obj):
        return obj.target_workspace_id or obj.target_url

    @admin.display(description="Signing secret (external targets)")
    def signing_secret_state(self, obj):
        return secret_state(obj.signing_secret)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        csv_text = form.cleaned_data.get("zip_csv")
        if csv_text:
            replace = form.cleaned_data.get("zip_csv_mode") != "append"
            forwarding_rule_zips_load(rule=obj, csv_text=csv_text, replace=replace)
            self.message_user(request, f"The rule now has {len(obj.zip_codes)} ZIP entries.")
        if not change and obj.target_url:
            self.secret_issued(request, f"Signing secret for {obj.target_url}", obj.signing_secret)

    @admin.action(description="Rotate signing secret (external targets)", permissions=["change"])
    def rotate_signing_secret(self, request, queryset):
        issued = [(f"New signing secret for rule #{rule.pk}", forwarding_rule_secret_rotate(rule=rule))
                  for rule in queryset.exclude(target_url="")]
        if not issued:
            self.message_user(request, "Only rules with an external target URL sign their deliveries.", messages.WARNING)
            return None
        return secrets_issued_page(self, request, title="Rotate signing secrets", issued=issued)
