"""Appointments admin. Creation, edits, status changes, routing and forwarding all go through
appointments.services, so the admin writes the same events and outbox rows as the APIs."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError

from appointments.intake import scheduled_at_problem
from appointments.models import (
    Appointment,
    AppointmentEvent,
    AppointmentLead,
    AppointmentStatus,
    Outcome,
    UnroutedAppointment,
)
from appointments.selectors import CUSTOMER_SEARCH_FIELDS
from appointments.services.common import AppointmentError
from appointments.services.create import appointment_create
from appointments.services.forwarding import appointment_forward_again
from appointments.services.routing import appointment_route, appointment_route_by_rules
from appointments.services.status import TRANSITIONS, appointment_status_change, appointment_update
from leadhub.actors import actor_for_user
from leadhub.times import time_in_calendar
from leadhub.admin import (
    AuditLogAdmin,
    BaseAdmin,
    ConfirmationPageMixin,
    ExactSearchMixin,
    LargeTableMixin,
    LatestRowsFormSet,
    NoBulkDeleteMixin,
    ReadOnlyInline,
    ReasonForm,
    RecordActionsMixin,
    change_link,
    json_display,
    money_display,
    phone_display,
    reason_field,
    refusal_words,
)
from leadhub.errors import ServiceRefusal
from workspaces.models import Workspace

SCHEDULING_FIELDS = [
    "scheduled_at", "duration_minutes", "appointment_type", "location_type", "location_address", "assigned_to",
    "notes", "customer_notes", "estimated_value",
]
CUSTOMER_FIELDS = ["customer_name", "customer_phone", "customer_email", "customer_zip", "service_type"]
# Who the customer is and what routing used: set at creation, not edited afterwards.
FIXED_AFTER_CREATION = ["customer_name", "customer_phone", "customer_zip"]
ROUTING_FIELDS = [
    "status", "outcome", "next_action", "next_action_date", "matched_workspace", "routing_method", "forward_status",
    "forwarded_at", "forward_attempts", "forward_response", "created_by", "raw_payload_rows", "created_at", "updated_at",
]


class AppointmentEventInline(ReadOnlyInline):
    model = AppointmentEvent
    fields = ["event_type", "old_value", "new_value", "created_by", "created_at"]
    verbose_name_plural = f"appointment events (latest {LatestRowsFormSet.limit})"


class AppointmentLeadInline(ReadOnlyInline):
    model = AppointmentLead
    fields = ["lead", "created_at"]
    verbose_name_plural = "leads covered"


class AppointmentForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = ["contact", "lead", *SCHEDULING_FIELDS, *CUSTOMER_FIELDS]

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if (instance.pk and "scheduled_at" in self.changed_data
                and AppointmentStatus.RESCHEDULED not in TRANSITIONS[instance.status]):
            self.add_error("scheduled_at", f"A {instance.get_status_display().lower()} appointment cannot be "
                                           "rescheduled.")
        scheduled_at = cleaned.get("scheduled_at")
        changed = scheduled_at and (not instance.pk or "scheduled_at" in self.changed_data)
        if changed and (problem := scheduled_at_problem(scheduled_at)):
            self.add_error("scheduled_at", problem)
        lead, contact = cleaned.get("lead"), cleaned.get("contact")
        if lead and contact and lead.contact_id != contact.pk:
            self.add_error("lead", "This lead belongs to another contact.")
        return cleaned


class CancelForm(ReasonForm):
    reason = reason_field("Why it is cancelled; kept in the appointment's events.")


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    next_action = forms.CharField(max_length=255, required=False)
    next_action_date = forms.SplitDateTimeField(required=False, widget=widgets.AdminSplitDateTime,
                                                validators=[time_in_calendar])


class RescheduleForm(forms.Form):
    scheduled_at = forms.SplitDateTimeField(label="New time", widget=widgets.AdminSplitDateTime)
    reason = forms.CharField(max_length=2000, required=False)


class RouteActionForm(ActionForm):
    workspace = forms.ModelChoiceField(
        Workspace.objects.filter(is_active=True), required=False, label="Workspace",
        help_text="For “Route to the chosen workspace”.",
    )


class AppointmentAdminBase(NoBulkDeleteMixin, RecordActionsMixin, ConfirmationPageMixin, ExactSearchMixin,
                           LargeTableMixin, BaseAdmin):
    form = AppointmentForm
    list_display = [
        "id", "scheduled_at", "status", "customer", "phone", "service_type", "workspace", "value", "forward_status",
    ]
    list_filter = ["status", "appointment_type", "location_type", "forward_status", "scheduled_at"]
    search_fields = ["=customer_zip", "=assigned_to"]
    search_help_text = "Customer phone in any format, id, email, ZIP, assignee, or the words of a name."
    person_search_fields = CUSTOMER_SEARCH_FIELDS
    number_search_fields = ["pk", "contact_id", "lead_id"]
    list_select_related = ["matched_workspace"]
    raw_id_fields = ["contact", "lead", "matched_workspace"]
    inlines = [AppointmentLeadInline, AppointmentEventInline]
    action_form = RouteActionForm
    actions = ["forward_again", "route_by_rules", "route_to_chosen", "confirm", "complete", "reschedule", "cancel",
               "mark_no_show"]
    record_actions = ["confirm", "complete", "reschedule", "cancel", "mark_no_show", "forward_again"]

    def record_action_buttons(self, request, obj):
        """Only the steps the status machine allows from where the appointment is."""
        allowed = TRANSITIONS[obj.status]
        steps = {"confirm": AppointmentStatus.CONFIRMED, "complete": AppointmentStatus.COMPLETED,
                 "reschedule": AppointmentStatus.RESCHEDULED, "cancel": AppointmentStatus.CANCELLED,
                 "mark_no_show": AppointmentStatus.NO_SHOW}
        return [button for button in super().record_action_buttons(request, obj)
                if button["name"] not in steps or steps[button["name"]] in allowed]

    @admin.display(description="Customer", ordering="customer_name")
    def customer(self, obj):
        return f"{obj.customer_name} · {obj.customer_zip}" if obj.customer_zip else obj.customer_name

    @admin.display(description="Phone", ordering="customer_phone")
    def phone(self, obj):
        return phone_display(obj.customer_phone)

    @admin.display(description="Workspace", ordering="matched_workspace")
    def workspace(self, obj):
        return change_link(obj.matched_workspace, obj.matched_workspace.name) if obj.matched_workspace else "—"

    @admin.display(description="Est. value", ordering="estimated_value")
    def value(self, obj):
        return money_display(obj.estimated_value) if obj.estimated_value is not None else "—"

    @admin.display(description="Raw payload")
    def raw_payload_rows(self, obj):
        return json_display(obj.raw_payload)

    def get_fieldsets(self, request, obj=None):
        people = ["contact", "lead"]
        return [
            (None, {"fields": people + SCHEDULING_FIELDS}),
            ("Customer", {"fields": CUSTOMER_FIELDS}),
            ("Status, routing and forwarding", {"fields": ROUTING_FIELDS}),
        ]

    def get_readonly_fields(self, request, obj=None):
        # Status moves through the actions (the status machine); routing and forwarding through services.
        return ROUTING_FIELDS + (["contact", "lead", *FIXED_AFTER_CREATION] if obj else [])

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in SCHEDULING_FIELDS + CUSTOMER_FIELDS
                  if name in form.cleaned_data}
        try:
            if change:
                changes = {name: values[name] for name in form.changed_data if name in values}
                _, warnings = appointment_update(appointment=obj, changed_by=actor_for_user(request.user), **changes)
            else:
                lead = form.cleaned_data.get("lead")
                result = appointment_create(
                    contact=form.cleaned_data["contact"],
                    values={name: value for name, value in values.items() if value not in (None, "")},
                    leads=[lead] if lead else [],
                    created_by=actor_for_user(request.user),
                )
                obj.pk = obj.id = result.appointment.pk
                warnings = result.warnings
        except AppointmentError as exc:
            if not change:
                raise  # the form checked what can fail here; anything else is a bug worth a trace
            self.message_user(request, f"Not saved: {exc.reason}", messages.ERROR)
            return
        for warning in warnings:
            self.message_user(request, warning["message"], messages.WARNING)

    def _each(self, request, queryset, act, done):
        count = 0
        for appointment in queryset:
            try:
                act(appointment)
                count += 1
            except (ServiceRefusal, ValidationError) as exc:  # the model's full_clean too
                self.message_user(request, f"#{appointment.pk}: {refusal_words(exc)}", messages.ERROR)
        if count:
            self.message_user(request, f"{count} appointment(s) {done}.", messages.SUCCESS)

    @admin.action(description="Forward again (send appointment.created once more)", permissions=["change"])
    def forward_again(self, request, queryset):
        by = actor_for_user(request.user)
        self._each(request, queryset, lambda a: appointment_forward_again(appointment=a, by=by), "queued")

    @admin.action(description="Route by the rules now", permissions=["change"])
    def route_by_rules(self, request, queryset):
        by = actor_for_user(request.user)

        self._each(request, queryset, lambda a: appointment_route_by_rules(appointment=a, by=by), "routed")

    @admin.action(description="Route to the chosen workspace", permissions=["change"])
    def route_to_chosen(self, request, queryset):
        workspace = Workspace.objects.filter(pk=request.POST.get("workspace"), is_active=True).first()
        if workspace is None:
            self.message_user(request, "Choose an active workspace next to the action.", messages.ERROR)
            return
        by = actor_for_user(request.user)
        self._each(request, queryset, lambda a: appointment_route(appointment=a, workspace=workspace, by=by),
                   f"routed to {workspace.pk}")

    def _status_action(self, request, queryset, status, **details):
        self._each(request, queryset, lambda a: appointment_status_change(
            appointment=a, new_status=status, changed_by=actor_for_user(request.user), **details), status.replace("_", " "))

    def _with_form(self, request, queryset, *, form_class, action, title, status):
        """Ask for the step's details on an intermediate page, then take the step on each appointment."""
        form = form_class(self.confirmation_data(request))
        if form.is_bound and form.is_valid():
            self._status_action(request, queryset, status, **form.cleaned_data)
            return None
        return self.confirmation_page(
            request, template="admin/appointments/appointment/action_form.html", title=title, action=action,
            selected=list(queryset.select_related("matched_workspace")), form=form,
        )

    @admin.action(description="Confirm", permissions=["change"])
    def confirm(self, request, queryset):
        self._status_action(request, queryset, AppointmentStatus.CONFIRMED)

    @admin.action(description="Complete (with the outcome)", permissions=["change"])
    def complete(self, request, queryset):
        return self._with_form(request, queryset, form_class=CompleteForm, action="complete",
                               title="Complete appointments", status=AppointmentStatus.COMPLETED)

    @admin.action(description="Reschedule", permissions=["change"])
    def reschedule(self, request, queryset):
        return self._with_form(request, queryset, form_class=RescheduleForm, action="reschedule",
                               title="Reschedule appointments", status=AppointmentStatus.RESCHEDULED)

    @admin.action(description="Cancel (with a reason)", permissions=["change"])
    def cancel(self, request, queryset):
        return self._with_form(request, queryset, form_class=CancelForm, action="cancel",
                               title="Cancel appointments", status=AppointmentStatus.CANCELLED)

    @admin.action(description="Mark no-show", permissions=["change"])
    def mark_no_show(self, request, queryset):
        self._status_action(request, queryset, AppointmentStatus.NO_SHOW)


@admin.register(Appointment)
class AppointmentAdmin(AppointmentAdminBase):
    list_filter = [*AppointmentAdminBase.list_filter, "matched_workspace"]


@admin.register(UnroutedAppointment)
class UnroutedAppointmentAdmin(AppointmentAdminBase):
    """No rule matched these: route them by the rules (after adding one) or to a chosen workspace."""

    actions = ["route_to_chosen", "route_by_rules", "cancel"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(matched_workspace__isnull=True)

    def has_add_permission(self, request):
        return False


@admin.register(AppointmentEvent)
class AppointmentEventAdmin(ExactSearchMixin, AuditLogAdmin):
    list_display = ["id", "appointment", "event_type", "old_value", "new_value", "created_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=event_type", "=created_by"]
    number_search_fields = ["appointment_id"]
    raw_id_fields = list_select_related = ["appointment"]


@admin.register(AppointmentLead)
class AppointmentLeadAdmin(AuditLogAdmin):
    list_display = ["id", "appointment", "lead", "created_at"]
    raw_id_fields = list_select_related = ["appointment", "lead"]
