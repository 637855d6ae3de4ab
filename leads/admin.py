"""Leads admin: leads are looked at and annotated here; their audit trail is read-only."""
from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from contacts.admin import ExactSearchMixin, LatestRowsFormSet, ReadOnlyAdmin, ReadOnlyInline
from leads.models import Lead, LeadActivity, LeadEvent, LeadPipelineStage, LeadStatusHistory, WorkspaceTracking
from leads.services import lead_assign
from workspaces.models import Workspace

LATEST = LatestRowsFormSet.limit


@admin.register(LeadPipelineStage)
class LeadPipelineStageAdmin(admin.ModelAdmin):
    list_display = ["name", "order_index", "is_active", "description"]
    list_editable = ["order_index", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        # `leads.status` stores the stage name, so a stage in use is deactivated, not deleted.
        return False


class PipelineStageFilter(admin.SimpleListFilter):
    """Status choices from the stage table, not a DISTINCT scan over every lead."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(name, name) for name in LeadPipelineStage.objects.values_list("name", flat=True)]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class LeadEventInline(ReadOnlyInline):
    model = LeadEvent
    fields = ["event_type", "event_data", "created_at"]
    verbose_name_plural = f"lead events (latest {LATEST})"


class LeadStatusHistoryInline(ReadOnlyInline):
    model = LeadStatusHistory
    fields = ["old_status", "new_status", "changed_by", "reason", "created_at"]
    verbose_name_plural = f"status history (latest {LATEST})"


class LeadActivityInline(ReadOnlyInline):
    model = LeadActivity
    fields = ["activity_type", "title", "created_by", "activity_date"]
    verbose_name_plural = f"activities (latest {LATEST})"


class AssignToWorkspaceForm(forms.Form):
    workspace = forms.ModelChoiceField(queryset=Workspace.objects.filter(is_active=True), label="Workspace")


@admin.register(Lead)
class LeadAdmin(ExactSearchMixin, admin.ModelAdmin):
    list_display = ["id", "lead_type", "first_name", "last_name", "phone", "status", "workspace", "webhook_id", "created_at"]
    list_display_links = ["id", "first_name", "last_name"]
    list_filter = [
        "lead_type",
        PipelineStageFilter,
        "workspace_status",
        "workspace",
        "held_for_consent",
        "tcpa_compliance",
        "created_at",
    ]
    search_fields = ["=email", "^last_name", "=webhook_id", "=campaign_id"]
    search_help_text = "Phone in any format, id, email, webhook id, campaign id, or the start of a last name."
    phone_search_field = "phone"
    number_search_fields = ["pk", "contact_id"]
    list_select_related = ["workspace"]
    raw_id_fields = ["contact", "workspace"]
    show_full_result_count = False
    # Status and assignment change only through their services (history, tracking, outbox);
    # what arrived from the provider is the record of the submission.
    readonly_fields = [
        "contact",
        "webhook_id",
        "lead_type",
        "phone",
        "status",
        "status_changed_at",
        "status_changed_by",
        "workspace",
        "workspace_status",
        "workspace_assigned_at",
        "conversion_id",
        "conversion_metadata",
        "raw_payload",
        "ip_address",
        "user_agent",
        "consent_description",
        "consent_value",
        "tcpa_compliance",
        "held_for_consent",
        "processed_at",
        "created_at",
        "updated_at",
    ]
    inlines = [LeadStatusHistoryInline, LeadEventInline, LeadActivityInline]
    actions = ["assign_to_workspace"]
    assign_limit = 500

    def has_add_permission(self, request):
        # Every lead is created by lead_ingest (contact upsert, events, counters).
        return False

    @admin.action(description="Assign to workspace", permissions=["change"])
    def assign_to_workspace(self, request, queryset):
        """Choose the workspace on an intermediate page, then assign each lead through lead_assign."""
        leads = list(queryset.order_by("id")[: self.assign_limit + 1])
        if len(leads) > self.assign_limit:
            self.message_user(request, f"Select at most {self.assign_limit} leads at once.", messages.ERROR)
            return None
        form = AssignToWorkspaceForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            workspace, by = form.cleaned_data["workspace"], f"staff:{request.user.get_username()}"
            for lead in leads:
                lead_assign(lead=lead, workspace=workspace, by=by)
            self.message_user(request, f"Assigned {len(leads)} lead(s) to {workspace}.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign leads to a workspace",
            "opts": self.opts,
            "leads": leads,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/leads/lead/assign_to_workspace.html", context)


@admin.register(LeadEvent)
class LeadEventAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["id", "lead", "event_type", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=event_type"]
    number_search_fields = ["lead_id"]
    raw_id_fields = ["lead"]
    list_select_related = ["lead"]
    show_full_result_count = False


@admin.register(LeadStatusHistory)
class LeadStatusHistoryAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["id", "lead", "old_status", "new_status", "changed_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=changed_by"]
    number_search_fields = ["lead_id"]
    raw_id_fields = ["lead"]
    list_select_related = ["lead"]
    show_full_result_count = False


@admin.register(LeadActivity)
class LeadActivityAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["id", "lead", "activity_type", "title", "created_by", "activity_date"]
    list_filter = ["activity_type", "activity_date"]
    search_fields = ["=created_by", "^title"]
    number_search_fields = ["lead_id"]
    raw_id_fields = ["lead"]
    list_select_related = ["lead"]
    show_full_result_count = False


@admin.register(WorkspaceTracking)
class WorkspaceTrackingAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["id", "workspace", "action", "contact", "lead", "performed_by", "timestamp"]
    list_filter = ["action", "timestamp"]
    search_fields = ["=workspace__id", "=performed_by"]
    number_search_fields = ["contact_id", "lead_id"]
    raw_id_fields = ["contact", "lead", "workspace"]
    list_select_related = ["workspace", "contact", "lead"]
    show_full_result_count = False
