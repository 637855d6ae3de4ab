"""Leads admin: find a lead, see its whole history (inlines and the merged timeline), and act on
it through the lead services: assign, change status with a reason, release a consent hold, add
an activity (list actions and buttons on the lead), export. Work queue: "Held for consent", with
why each lead is held. The audit trail is read-only. `LeadAdmin` is registered by
people/admin.py, which adds what the higher apps hang off a lead (appointments, conversions, the
follow-ups queue)."""
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from leadhub.actors import actor_for_user
from leadhub.admin import (
    AuditLogAdmin,
    BaseAdmin,
    ConfirmationPageMixin,
    CsvExportMixin,
    ExactSearchMixin,
    LargeTableMixin,
    LatestRowsFormSet,
    NoBulkDeleteMixin,
    ReadOnlyInline,
    ReasonForm,
    RecordActionsMixin,
    change_link,
    json_display,
    phone_display,
    reason_field,
)
from leadhub.search import PERSON_SEARCH_FIELDS
from leadhub.choices import US_STATES
from leads.models import (
    ENTRY_STAGE,
    ActivityType,
    ConsentEvidence,
    DuplicateRule,
    Lead,
    LeadAccess,
    LeadActivity,
    LeadEvent,
    LeadHold,
    LeadPipelineStage,
    LeadStatusHistory,
    WorkspaceTracking,
)
from leads.compliance_record import lead_compliance_record
from leads.selectors import lead_timeline
from leads.holds import HOLD_REASONS, lead_hold_place, lead_hold_release
from leads.services.status import lead_status_change
from leads.services.working import LEAD_OPS_FIELDS, lead_activity_add, lead_update
from providers.admin import webhook_admin_inline_register
from providers.models import WebhookConfig

LATEST = LatestRowsFormSet.limit



class LeadPipelineStageForm(forms.ModelForm):
    class Meta:
        model = LeadPipelineStage
        fields = ["name", "description", "order_index", "is_active"]

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name", self.instance.name)  # read-only or not on the changelist form
        if name == ENTRY_STAGE and not cleaned.get("is_active", True):
            raise forms.ValidationError({"is_active": f"'{ENTRY_STAGE}' receives every new lead; it stays active."})
        return cleaned


def stage_in_use(stage) -> bool:
    """`leads.status` and the status history store the stage *name*: such a stage is kept as is."""
    return (
        Lead.objects.filter(status=stage.name).exists()
        or LeadStatusHistory.objects.filter(Q(new_status=stage.name) | Q(old_status=stage.name)).exists()
    )


@admin.register(LeadPipelineStage)
class LeadPipelineStageAdmin(BaseAdmin):
    """The pipeline as a tool: order by `order_index`, add, deactivate (old leads keep their
    status, no new lead may enter it). Stages in use cannot be renamed or deleted."""

    form = LeadPipelineStageForm
    list_display = ["name", "order_index", "is_active", "description"]
    list_editable = ["order_index", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    ordering = ["order_index", "name"]
    actions = ["deactivate_stages"]

    @admin.action(description="Deactivate selected stages (leads in them keep their status)", permissions=["change"])
    def deactivate_stages(self, request, queryset):
        changed = queryset.exclude(name=ENTRY_STAGE).update(is_active=False)
        self.message_user(request, f"{changed} stage(s) deactivated; '{ENTRY_STAGE}' always stays active.")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # bulk delete would skip the in-use check
        return actions

    def get_readonly_fields(self, request, obj=None):
        return ["name"] if obj is not None and stage_in_use(obj) else []

    def has_delete_permission(self, request, obj=None):
        return obj is not None and super().has_delete_permission(request, obj) and not stage_in_use(obj)


class PipelineStageFilter(admin.SimpleListFilter):
    """Status choices from the stage table, not a DISTINCT scan over every lead."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(name, name) for name in LeadPipelineStage.objects.values_list("name", flat=True)]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class WebhookFilter(admin.SimpleListFilter):
    """Choices from the webhook config table (small), not a DISTINCT scan over every lead."""

    title = "webhook"
    parameter_name = "webhook_id"

    def lookups(self, request, model_admin):
        return list(WebhookConfig.objects.order_by("webhook_id").values_list("webhook_id", "name"))

    def queryset(self, request, queryset):
        return queryset.filter(webhook_id=self.value()) if self.value() else queryset


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return sorted(US_STATES.items())

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


class LeadEventInline(ReadOnlyInline):
    model = LeadEvent
    fields = ["event_type", "details", "created_at"]
    verbose_name_plural = f"lead events (latest {LATEST})"

    @admin.display(description="Details")
    def details(self, obj):
        return json_display(obj.event_data)


class LeadStatusHistoryInline(ReadOnlyInline):
    model = LeadStatusHistory
    fields = ["old_status", "new_status", "changed_by", "reason", "created_at"]
    verbose_name_plural = f"status history (latest {LATEST})"


class LeadAccessInline(ReadOnlyInline):
    """Every workspace the lead reached, live or revoked, with that workspace's own work on it."""

    model = LeadAccess
    fields = ["workspace", "how", "granted_at", "revoked_at", "workspace_status", "status", "assigned_to", "priority",
              "follow_up_date", "contact_attempts", "notes"]
    verbose_name_plural = f"workspace access (latest {LATEST})"


class LeadHoldInline(ReadOnlyInline):
    """Why the lead is (or was) held, who placed each hold and who released it, and why."""

    model = LeadHold
    fields = ["reason", "message", "placed_by", "placed_at", "released_at", "released_by", "release_note"]
    verbose_name_plural = f"holds (latest {LATEST})"


class ConsentEvidenceInline(ReadOnlyInline):
    """What the verifiers said of the lead's TrustedForm certificate and Jornaya token."""

    model = ConsentEvidence
    fields = ["kind", "value", "outcome", "reason", "checked_at", "expires_at", "phone_match", "email_match",
              "one_to_one"]
    verbose_name_plural = "consent evidence verification"


class LeadActivityInline(ReadOnlyInline):
    model = LeadActivity
    fields = ["activity_type", "title", "created_by", "activity_date"]
    verbose_name_plural = f"activities (latest {LATEST})"


# Lead changelist actions that live in the apps above leads, which leads may not import: each
# registers itself here from its own admin module (distribution's `assign_to_workspace`: assigning
# by hand sells), and the lead admin lists them by name like its own.
LEAD_ADMIN_ACTIONS = {}


def lead_admin_action(func):
    """Register `func(modeladmin, request, queryset)` (decorated with @admin.action) as a lead action."""
    LEAD_ADMIN_ACTIONS[func.__name__] = func
    return func


# Read-only panels on the lead's page that show what the apps above leads know about it
# (distribution's latest decision): each registers `func(lead)` (decorated with @admin.display)
# from its own admin module, and the page shows it in the "Workspace" section after the lead's
# own assignment fields.
LEAD_ADMIN_PANELS = {}
PANELS_AFTER = "workspace_assigned_at"


def lead_admin_panel(func):
    LEAD_ADMIN_PANELS[func.__name__] = func
    return func


class HeldFilter(admin.SimpleListFilter):
    """Leads with any live hold (the indexed `hold_reasons`), or held for one reason."""

    title = "held"
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return [("any", "Held (any reason)"), *((code, f"Held: {reason.label}") for code, reason in HOLD_REASONS.items()),
                ("no", "Not held")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.exclude(hold_reasons="")
        if value == "no":
            return queryset.filter(hold_reasons="")
        if value in HOLD_REASONS:
            return queryset.filter(Q(hold_reasons=value) | Q(hold_reasons__startswith=f"{value},")
                                   | Q(hold_reasons__contains=f",{value}"))
        return queryset


class HoldForm(forms.Form):
    """Which hold to place or release, and why (kept with the hold)."""

    PLACE = "Why the lead may not reach any buyer now (e.g. the consumer disputes the consent)."
    RELEASE = "Why the lead may leave now (e.g. consent obtained on a recorded call). Kept with the release."

    hold = forms.ChoiceField(choices=[(code, reason.label) for code, reason in HOLD_REASONS.items()], label="Hold")

    def __init__(self, *args, why: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"] = reason_field(why)


class AddActivityForm(forms.Form):
    activity_type = forms.ChoiceField(
        choices=[(value, label) for value, label in ActivityType.choices if value != ActivityType.STATUS_CHANGE],
        label="Activity", help_text="A call also counts as a contact attempt.",
    )
    title = forms.CharField(max_length=255, required=False, help_text="Default: the activity's name.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=False,
                                  max_length=4000)


class ChangeStatusForm(ReasonForm):
    new_status = forms.ChoiceField(label="New status")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "cols": 60}), required=False, max_length=4000)
    field_order = ["new_status", "reason", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stages = LeadPipelineStage.objects.filter(is_active=True).values_list("name", flat=True)
        self.fields["new_status"].choices = [(name, name) for name in stages]


def _pretty_json(value):
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str))


def _compliance_label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _compliance_value(value):
    """A record value for the page: nested rows and dicts as key/value rows, a flag in words."""
    if isinstance(value, dict | list):
        return json_display(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "—" if value in (None, "") else value


def hold_reason(lead):
    """Why ingest held the lead (lead_ingest holds it unless both consent and TCPA are given)."""
    missing = [what for what, given in (("no consent", lead.consent_value), ("no TCPA compliance", lead.tcpa_compliance))
               if not given]
    return ", ".join(missing) or "consent given since"


class LeadAdmin(NoBulkDeleteMixin, RecordActionsMixin, ConfirmationPageMixin, CsvExportMixin, ExactSearchMixin,
                LargeTableMixin, BaseAdmin):
    list_display = ["id", "name", "phone_number", "lead_type", "status", "workspace_link", "webhook_id", "created_at"]
    list_display_links = ["id", "name"]
    # Every filter is an indexed column or a small lookup table.
    list_filter = [
        "lead_type",
        PipelineStageFilter,
        "workspace",
        "workspace_status",
        WebhookFilter,
        StateFilter,
        "state_conflicts_zip",
        HeldFilter,
        "held_for_consent",
        "tcpa_compliance",
        "created_at",
        "follow_up_date",
    ]
    search_fields = ["=webhook_id", "=campaign_id", "=external_id"]
    search_help_text = (
        "Phone in any format, lead or contact id, email, webhook id, campaign id, the sender's reference "
        "(external id), or the words of a first and/or last name."
    )
    person_search_fields = PERSON_SEARCH_FIELDS
    number_search_fields = ["pk", "contact_id"]
    list_select_related = ["workspace"]
    raw_id_fields = ["contact", "workspace"]
    export_fields = [
        "id", "contact_id", "webhook_id", "provider_id", "external_id", "lead_type", "first_name", "last_name", "email",
        "phone", "city",
        "state", "zip_code", "source", "campaign_id", "utm_source", "utm_medium", "utm_campaign", "status",
        "priority", "assigned_to", "follow_up_date", "workspace_id", "workspace_status", "consent_value",
        "tcpa_compliance", "held_for_consent", "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["contact", "webhook_id", "provider_id", "external_id", "lead_type", "first_name", "last_name",
                           "email", "phone_number", "phone_extension", "phone_flags", "payout_withheld"]}),
        ("Address", {"fields": ["address", "address2", "city", "state", "state_source", "state_conflicts_zip",
                                "zip_code"]}),
        ("Work", {"fields": ["status", "status_changed_at", "status_changed_by", "priority", "assigned_to",
                             "follow_up_date", "contact_attempts", "notes", "conversion_score", "revenue_potential"]}),
        ("Workspace", {"fields": ["workspace", "workspace_status", "workspace_assigned_at", "conversion_id",
                                  "conversion_metadata_rows"]}),
        ("Consent", {"fields": ["consent_description", "consent_value", "tcpa_compliance", "held_for_consent",
                                "ip_address", "user_agent", "trustedform_cert_url", "jornaya_leadid",
                                "evidence_invalid", "source_ip", "source_user_agent", "processed_at"]}),
        ("Source", {"classes": ["collapse"], "fields": [
            "source", "campaign_id", "utm_source", "utm_medium", "utm_campaign", "subsource", "landing_page_url",
            "productid"]}),
        ("Details", {"classes": ["collapse"], "fields": [
            "monthly_electric_bill", "property_type", "roof_condition", "roof_age", "shade_coverage", "system_type",
            "system_age", "service_type", "urgency", "property_size", "policy_type", "coverage_amount",
            "current_premium", "property_value", "claims_history"]}),
        ("Raw payload", {"fields": ["raw_payload_pretty", "created_at", "updated_at"]}),
    ]
    # Status and assignment change only through their services (history, tracking, outbox);
    # what arrived from the provider is the record of the submission.
    readonly_fields = [
        "contact",
        "webhook_id",
        "provider_id",
        "payout_withheld",
        "external_id",
        "lead_type",
        "phone",
        "phone_number",
        "phone_extension",
        "phone_flags",
        "status",
        "status_changed_at",
        "status_changed_by",
        "workspace",
        "workspace_status",
        "workspace_assigned_at",
        "conversion_id",
        "conversion_metadata_rows",
        "raw_payload_pretty",
        "state_source",
        "state_conflicts_zip",
        "ip_address",
        "user_agent",
        "trustedform_cert_url",
        "jornaya_leadid",
        "evidence_invalid",
        "source_ip",
        "source_user_agent",
        "consent_description",
        "consent_value",
        "tcpa_compliance",
        "held_for_consent",
        "processed_at",
        "created_at",
        "updated_at",
    ]
    inlines = [LeadHoldInline, ConsentEvidenceInline, LeadAccessInline, LeadStatusHistoryInline, LeadActivityInline,
               LeadEventInline]
    actions = ["change_status", "assign_to_workspace", "place_hold", "release_hold", "add_activity", "export_csv"]
    record_actions = ["change_status", "assign_to_workspace", "place_hold", "release_hold", "add_activity"]
    assign_limit = 500
    HELD = "held_for_consent__exact"

    def get_action(self, action):
        if isinstance(action, str) and action in LEAD_ADMIN_ACTIONS:
            func = LEAD_ADMIN_ACTIONS[action]
            return func, action, func.short_description
        return super().get_action(action)

    def get_list_display(self, request):
        """The held-for-consent queue says why each lead is held."""
        if request.GET.get(self.HELD) == "1":
            return [*self.list_display[:3], "held_because", *self.list_display[3:]]
        return self.list_display

    def record_action_buttons(self, request, obj):
        buttons = super().record_action_buttons(request, obj)
        return [button for button in buttons if button["name"] != "release_hold" or obj.hold_reasons]

    @admin.display(description="Name", ordering="last_name")
    def name(self, obj):
        return f"{obj.first_name} {obj.last_name}".strip() or "—"

    @admin.display(description="Phone", ordering="phone")
    def phone_number(self, obj):
        return phone_display(obj.phone)

    @admin.display(description="Workspace", ordering="workspace")
    def workspace_link(self, obj):
        return change_link(obj.workspace, obj.workspace.name) if obj.workspace else "—"

    @admin.display(description="Held because")
    def held_because(self, obj):
        return hold_reason(obj) if obj.held_for_consent else "—"

    @admin.display(description="Conversion metadata")
    def conversion_metadata_rows(self, obj):
        return json_display(obj.conversion_metadata)

    def has_add_permission(self, request):
        # Every lead is created by lead_ingest (contact upsert, events, counters).
        return False

    def save_model(self, request, obj, form, change):
        """A correction by hand (change form or list) goes through lead_update, which records the
        `updated` event with the changed fields, as a partner's PATCH does."""
        lead_update(lead=obj, data={name: form.cleaned_data[name] for name in form.changed_data},
                    by=actor_for_user(request.user), editable=LEAD_OPS_FIELDS)

    def get_fieldsets(self, request, obj=None):
        panels = list(LEAD_ADMIN_PANELS.values())
        return [
            (name, {**options, "fields": [part for field in options["fields"]
                                          for part in ([field, *panels] if field == PANELS_AFTER else [field])]})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *LEAD_ADMIN_PANELS.values()]

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "<int:object_id>/timeline/",
                self.admin_site.admin_view(self.timeline_view),
                name=f"{opts.app_label}_{opts.model_name}_timeline",
            ),
            path(
                "<int:object_id>/compliance/",
                self.admin_site.admin_view(self.compliance_view),
                name=f"{opts.app_label}_{opts.model_name}_compliance",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Raw payload")
    def raw_payload_pretty(self, obj):
        return _pretty_json(obj.raw_payload)

    def timeline_view(self, request, object_id):
        """The lead's merged timeline (the partner API's, unfiltered by workspace) with its consent
        record and the payload as received."""
        lead = get_object_or_404(Lead.objects.select_related("contact", "workspace"), pk=object_id)
        if not self.has_view_or_change_permission(request, lead):
            raise PermissionDenied
        items = [{**item, "data_pretty": json_display(item["data"])} for item in lead_timeline(lead=lead, workspace=None)]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Timeline of {lead}",
            "opts": self.opts,
            "original": lead,
            "lead": lead,
            "items": items,
            "raw_payload": _pretty_json(lead.raw_payload),
        }
        return TemplateResponse(request, "admin/leads/lead/timeline.html", context)

    def compliance_view(self, request, object_id):
        """The lead's whole compliance record (`leads.compliance_record`, ops' view), one page
        that prints clean (its print stylesheet drops the admin's chrome)."""
        lead = get_object_or_404(Lead.objects.select_related("contact"), pk=object_id)
        if not self.has_view_or_change_permission(request, lead):
            raise PermissionDenied
        record = lead_compliance_record(lead=lead, workspace=None)
        sections = [
            {**section, "rows": [[(_compliance_label(name), _compliance_value(value)) for name, value in entry.items()]
                                 for entry in section["entries"]]}
            for section in record["sections"]
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Compliance record of lead #{lead.pk}",
            "opts": self.opts,
            "original": lead,
            "lead": lead,
            "sections": sections,
            "printed_at": timezone.now(),
        }
        return TemplateResponse(request, "admin/leads/lead/compliance.html", context)

    def _selected(self, request, queryset):
        leads = list(queryset.select_related("workspace").order_by("id")[: self.assign_limit + 1])
        if len(leads) > self.assign_limit:
            self.message_user(request, f"Select at most {self.assign_limit} leads at once.", messages.ERROR)
            return None
        return leads

    @admin.action(description="Change status (with a reason)", permissions=["change"])
    def change_status(self, request, queryset):
        """Ask for the new status and the reason, then change each lead through lead_status_change."""
        leads = self._selected(request, queryset)
        if leads is None:
            return None
        statuses = {lead.status for lead in leads}
        form = ChangeStatusForm(self.confirmation_data(request),
                                initial={"new_status": statuses.pop()} if len(statuses) == 1 else None)
        if form.is_bound and form.is_valid():
            data, user = form.cleaned_data, request.user
            for lead in leads:
                lead_status_change(
                    lead=lead,
                    new_status=data["new_status"],
                    changed_by=actor_for_user(request.user),
                    changed_by_name=user.get_full_name() or user.get_username(),
                    reason=data["reason"],
                    notes=data["notes"],
                )
            self.message_user(
                request, f"Changed the status of {len(leads)} lead(s) to {data['new_status']}.", messages.SUCCESS
            )
            return None
        return self.confirmation_page(
            request, template="admin/leads/lead/action_form.html", title="Change the status of leads",
            action="change_status", selected=leads, form=form,
        )

    @admin.action(description="Place a hold (with the reason)", permissions=["change"])
    def place_hold(self, request, queryset):
        """Hold each selected lead for a reason (lead_hold_place): what it already gave a workspace
        stays, nothing more leaves (events wait) until the hold is released."""
        leads = self._selected(request, queryset)
        if leads is None:
            return None
        form = HoldForm(self.confirmation_data(request), why=HoldForm.PLACE)
        if form.is_bound and form.is_valid():
            by, code = actor_for_user(request.user), form.cleaned_data["hold"]
            for lead in leads:
                lead_hold_place(lead=lead, reason=code, by=by, message=form.cleaned_data["reason"])
            self.message_user(request, f"Held {len(leads)} lead(s) for {code}.", messages.SUCCESS)
            return None
        return self.confirmation_page(
            request, template="admin/leads/lead/action_form.html", title="Place a hold on leads",
            action="place_hold", selected=leads, form=form,
        )

    @admin.action(description="Release a hold (with the reason)", permissions=["change"])
    def release_hold(self, request, queryset):
        """Release one hold of each selected lead holding it, saying why (lead_hold_release); a
        lead whose last hold goes is distributed, and the message says what became of it."""
        leads = self._selected(request, queryset.exclude(hold_reasons=""))
        if leads is None:
            return None
        if not leads:
            self.message_user(request, "None of the selected leads is held.", messages.WARNING)
            return None
        held = {code for lead in leads for code in lead.hold_reasons.split(",")}
        form = HoldForm(self.confirmation_data(request), why=HoldForm.RELEASE,
                        initial={"hold": min(held)} if len(held) == 1 else None)
        if form.is_bound and form.is_valid():
            by, code = actor_for_user(request.user), form.cleaned_data["hold"]
            for lead in leads:
                release = lead_hold_release(lead=lead, reason=code, by=by, note=form.cleaned_data["reason"])
                self.message_user(request, release.summary, messages.SUCCESS if release.released else messages.WARNING)
            return None
        return self.confirmation_page(
            request, template="admin/leads/lead/action_form.html", title="Release a hold of leads",
            action="release_hold", selected=leads, form=form,
        )

    @admin.action(description="Add activity (call, email, meeting, note)", permissions=["change"])
    def add_activity(self, request, queryset):
        """Log the same activity on each lead through lead_activity_add."""
        leads = self._selected(request, queryset)
        if leads is None:
            return None
        form = AddActivityForm(self.confirmation_data(request))
        if form.is_bound and form.is_valid():
            data, user = form.cleaned_data, request.user
            for lead in leads:
                lead_activity_add(lead=lead, activity_type=data["activity_type"], title=data["title"],
                                  description=data["description"], created_by=actor_for_user(request.user),
                                  created_by_name=user.get_full_name() or user.get_username())
            self.message_user(request, f"Added the {data['activity_type']} to {len(leads)} lead(s).", messages.SUCCESS)
            return None
        return self.confirmation_page(
            request, template="admin/leads/lead/action_form.html", title="Add an activity to leads",
            action="add_activity", selected=leads, form=form,
        )


@admin.register(LeadEvent)
class LeadEventAdmin(ExactSearchMixin, AuditLogAdmin):
    list_display = ["id", "lead", "event_type", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=event_type"]
    number_search_fields = ["lead_id"]
    raw_id_fields = list_select_related = ["lead"]


@admin.register(LeadAccess)
class LeadAccessAdmin(ExactSearchMixin, AuditLogAdmin):
    """Read-only: access is granted and revoked by assignment, routing, forwarding and sales."""

    list_display = ["id", "lead", "workspace", "how", "workspace_status", "status", "granted_at", "revoked_at"]
    list_filter = ["how", "workspace_status", "granted_at"]
    search_fields = ["=workspace__id"]
    number_search_fields = ["lead_id"]
    raw_id_fields = list_select_related = ["lead", "workspace"]


@admin.register(LeadHold)
class LeadHoldAdmin(ExactSearchMixin, AuditLogAdmin):
    """Read-only: holds are placed by ingest (or ops) and released from the lead ("Release a hold")."""

    list_display = ["id", "lead", "reason", "placed_by", "placed_at", "released_at", "released_by"]
    list_filter = ["reason", "placed_at"]
    search_fields = ["=reason"]
    number_search_fields = ["lead_id"]
    raw_id_fields = list_select_related = ["lead"]


@admin.register(ConsentEvidence)
class ConsentEvidenceAdmin(ExactSearchMixin, AuditLogAdmin):
    """Read-only: written by the verification (leads.services.evidence), with the verifier's raw answer."""

    list_display = ["id", "lead", "kind", "outcome", "checked_at", "expires_at", "one_to_one"]
    list_filter = ["kind", "outcome", "checked_at"]
    search_fields = ["=value"]
    number_search_fields = ["lead_id"]
    raw_id_fields = list_select_related = ["lead"]


@admin.register(LeadStatusHistory)
class LeadStatusHistoryAdmin(ExactSearchMixin, AuditLogAdmin):
    list_display = ["id", "lead", "old_status", "new_status", "changed_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=changed_by"]
    number_search_fields = ["lead_id"]
    raw_id_fields = list_select_related = ["lead"]


@admin.register(LeadActivity)
class LeadActivityAdmin(ExactSearchMixin, AuditLogAdmin):
    list_display = ["id", "lead", "activity_type", "title", "created_by", "activity_date"]
    list_filter = ["activity_type", "activity_date"]
    search_fields = ["=created_by", "^title"]
    number_search_fields = ["lead_id"]
    raw_id_fields = list_select_related = ["lead"]


@admin.register(WorkspaceTracking)
class WorkspaceTrackingAdmin(ExactSearchMixin, AuditLogAdmin):
    list_display = ["id", "workspace", "action", "contact", "lead", "performed_by", "timestamp"]
    list_filter = ["action", "timestamp"]
    search_fields = ["=workspace__id", "=performed_by"]
    number_search_fields = ["contact_id", "lead_id"]
    raw_id_fields = list_select_related = ["contact", "lead", "workspace"]


DUPLICATE_RULE_FIELDS = ["keys", "match", "window_seconds", "scope", "action", "is_active"]


class DuplicateRuleInline(admin.TabularInline):
    """A webhook's own duplicate rules, edited on its page (providers' webhook admin shows the
    inlines leads registers): with any of them, the global defaults no longer apply to it."""

    model = DuplicateRule
    fk_name = "webhook"
    fields = DUPLICATE_RULE_FIELDS
    extra = 0
    verbose_name = "duplicate rule (this webhook's own: the global defaults then do not apply)"


webhook_admin_inline_register(DuplicateRuleInline)


class GlobalRuleFilter(admin.SimpleListFilter):
    title = "applies to"
    parameter_name = "applies_to"

    def lookups(self, request, model_admin):
        return [("global", "Global default"), ("webhook", "One webhook")]

    def queryset(self, request, queryset):
        if self.value() == "global":
            return queryset.filter(webhook__isnull=True)
        if self.value() == "webhook":
            return queryset.filter(webhook__isnull=False)
        return queryset


@admin.register(DuplicateRule)
class DuplicateRuleAdmin(BaseAdmin):
    """Every duplicate rule; a rule without a webhook is a global default, used by every webhook
    that has no rules of its own (leads.intake_duplicates.duplicate_rules_for)."""

    list_display = ["id", "webhook", "keys", "match", "window_seconds", "scope", "action", "is_active"]
    list_filter = [GlobalRuleFilter, "action", "scope", "match", "is_active"]
    list_select_related = ["webhook"]
    raw_id_fields = ["webhook"]
    fields = ["webhook", *DUPLICATE_RULE_FIELDS]
