"""The contact admin: find a person by phone in any format, see everything that hangs off them
(leads, appointments, conversions), merge duplicates and purge on a data request — each through
its service; and the lead admin with a lead's appointments, conversions and the follow-ups queue.
They live here, above those apps, so they import their models."""
from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, ProtectedError, Q
from django.db.models.functions import Lower
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join

from appointments.models import Appointment
from contacts.models import Contact, ContactEvent
from conversions.models import Conversion
from leadhub.admin import (
    ConfirmationPageMixin,
    CsvExportMixin,
    ExactSearchMixin,
    LargeTableMixin,
    LatestRowsFormSet,
    ReadOnlyInline,
    ReasonForm,
    change_link,
    changelist_link,
    reason_field,
    staff_actor,
)
from leads.admin import LeadAdmin
from leads.models import Lead, WorkspaceTracking
from people.services import contact_merge, contact_purge

# What hangs off a contact, as linked from its change page.
RELATED_RECORDS = (
    ("leads", Lead),
    ("appointments", Appointment),
    ("conversions", Conversion),
    ("workspace tracking", WorkspaceTracking),
)


def live_contacts():
    """Contacts that were not merged away."""
    return Contact.objects.filter(merged_into__isnull=True)


def merge_candidates(contact):
    """Other live contacts that look like the same person: the same phone under another webhook,
    or the same email in any case. Both are indexed lookups."""
    same = Q(phone=contact.phone)
    if contact.email:
        same |= Q(email_lower=contact.email.lower())
    return live_contacts().annotate(email_lower=Lower("email")).filter(same).exclude(pk=contact.pk).order_by("pk")


class MergeCandidatesFilter(admin.SimpleListFilter):
    """Contacts sharing a phone (across webhooks) or an email with another live contact."""

    title = "duplicates"
    parameter_name = "duplicates"

    def lookups(self, request, model_admin):
        return [("candidates", "Merge candidates"), ("merged", "Merged away")]

    def queryset(self, request, queryset):
        if self.value() == "merged":
            return queryset.filter(merged_into__isnull=False)
        if self.value() != "candidates":
            return queryset
        live = live_contacts().order_by()
        shared_phones = live.values("phone").annotate(n=Count("pk")).filter(n__gt=1).values("phone")
        shared_emails = (
            live.exclude(email="").annotate(e=Lower("email")).values("e").annotate(n=Count("pk")).filter(n__gt=1).values("e")
        )
        return (
            queryset.filter(merged_into__isnull=True)
            .annotate(email_lower=Lower("email"))
            .filter(Q(phone__in=shared_phones) | Q(email_lower__in=shared_emails))
        )


class ContactLeadInline(ReadOnlyInline):
    model = Lead
    fields = ["lead_type", "webhook_id", "status", "workspace", "created_at"]
    verbose_name_plural = f"leads (latest {LatestRowsFormSet.limit})"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("workspace")


class AppointmentInline(ReadOnlyInline):
    """A contact's or a lead's appointments."""

    model = Appointment
    verbose_name_plural = f"appointments (latest {LatestRowsFormSet.limit})"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("matched_workspace", "lead")


class ConversionInline(ReadOnlyInline):
    """A contact's or a lead's conversions."""

    model = Conversion
    verbose_name_plural = f"conversions (latest {LatestRowsFormSet.limit})"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("workspace", "lead")


class ContactAppointmentInline(AppointmentInline):
    fields = ["appointment_type", "scheduled_at", "status", "matched_workspace", "forward_status", "lead"]


class ContactConversionInline(ConversionInline):
    fields = ["conversion_type", "conversion_value", "currency", "workspace", "lead", "converted_at", "voided_at"]


class ContactEventInline(ReadOnlyInline):
    model = ContactEvent
    fields = ["event_type", "event_data", "created_at"]
    verbose_name_plural = f"contact events (latest {LatestRowsFormSet.limit})"


class PurgeForm(ReasonForm):
    reason = reason_field(
        "Why this person's data is deleted (e.g. the data request reference). "
        "Kept in the purge audit record; do not paste personal data here."
    )


class MergeForm(forms.Form):
    survivor = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Keep")

    def __init__(self, *args, contacts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(c.pk, f"#{c.pk} {c} — webhook {c.webhook_id}") for c in contacts]
        self.fields["survivor"].initial = contacts[0].pk if contacts else None


@admin.register(Contact)
class ContactAdmin(ConfirmationPageMixin, CsvExportMixin, ExactSearchMixin, LargeTableMixin, admin.ModelAdmin):
    list_display = ["id", "first_name", "last_name", "phone", "email", "webhook_id", "conversion_status", "created_at"]
    list_display_links = ["id", "first_name", "last_name"]
    list_filter = [MergeCandidatesFilter, "conversion_status", "created_at"]
    search_fields = ["=email", "^last_name", "^first_name", "=webhook_id"]
    search_help_text = "Phone in any format, contact or lead id, email, webhook id, or the start of a name."
    phone_search_field = "phone"
    export_fields = [
        "id", "webhook_id", "phone", "first_name", "last_name", "email", "city", "state", "zip_code",
        "conversion_status", "conversion_count", "lifetime_value", "merged_into_id", "created_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "first_name", "last_name", "phone", "email", "webhook_id", "related_records",
                    "merged_into", "duplicates",
                ]
            },
        ),
        ("Address", {"fields": ["address", "address2", "city", "state", "zip_code"]}),
        (
            "Conversion",
            {
                "fields": [
                    "sent_from_workspace",
                    "conversion_status",
                    "converted_timestamp",
                    "converted_by",
                    "converted_from_workspace",
                    "lifetime_value",
                    "conversion_count",
                    "last_conversion_id",
                    "qualification_score",
                ]
            },
        ),
        ("Other", {"fields": ["custom_metadata", "created_at", "updated_at"]}),
    ]
    # Identity and aggregates are written by the ingest and conversion services, not by hand.
    readonly_fields = [
        "webhook_id",
        "phone",
        "conversion_status",
        "converted_timestamp",
        "converted_by",
        "converted_from_workspace",
        "lifetime_value",
        "conversion_count",
        "last_conversion_id",
        "related_records",
        "merged_into",
        "duplicates",
        "created_at",
        "updated_at",
    ]
    inlines = [ContactLeadInline, ContactAppointmentInline, ContactConversionInline, ContactEventInline]
    actions = ["merge", "export_csv", "purge"]
    purge_limit = 100
    merge_limit = 20

    def get_search_results(self, request, queryset, search_term):
        """Also the contact of a lead id, so a lead number read out on the phone finds the person."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term.isdigit() and len(term) <= 18:
            leads = Lead.objects.filter(pk=int(term)).values("contact_id")
            results |= queryset.filter(pk__in=leads)
        return results, may_have_duplicates

    def has_add_permission(self, request):
        # Contacts are born in lead ingest (normalised phone, dedupe, events), never by hand.
        return False

    @admin.display(description="All related records")
    def related_records(self, obj):
        links = []
        for name, model in RELATED_RECORDS:
            label = f"{name} ({model.objects.filter(contact=obj).count()})"
            links.append(changelist_link(model, label, contact__id__exact=obj.pk))
        return format_html_join(" · ", "{}", ((link,) for link in links))

    @admin.display(description="Possible duplicates")
    def duplicates(self, obj):
        if obj.merged_into_id:
            return "—"
        candidates = list(merge_candidates(obj)[:10])
        if not candidates:
            return "None found (same phone under another webhook, or same email)."
        return format_html_join(" · ", "{}", ((change_link(c, f"#{c.pk} {c} [{c.webhook_id}]"),) for c in candidates))

    @admin.action(description="Merge selected duplicates", permissions=["change"])
    def merge(self, request, queryset):
        """Pick the contact to keep on an intermediate page; the others are merged into it."""
        contacts = list(queryset.order_by("pk")[: self.merge_limit + 1])
        if not 2 <= len(contacts) <= self.merge_limit:
            self.message_user(
                request, f"Select between 2 and {self.merge_limit} contacts to merge.", messages.ERROR
            )
            return None
        form = MergeForm(self.confirmation_data(request), contacts=contacts)
        if form.is_bound and form.is_valid():
            survivor = next(c for c in contacts if c.pk == form.cleaned_data["survivor"])
            try:
                survivor = contact_merge(
                    survivor=survivor,
                    duplicates=[c for c in contacts if c.pk != survivor.pk],
                    by=staff_actor(request),
                )
            except ValidationError as exc:
                self.message_user(request, f"Nothing was merged: {'; '.join(exc.messages)}", messages.ERROR)
                return None
            self.message_user(
                request, f"Merged {len(contacts) - 1} contact(s) into #{survivor.pk} {survivor}.", messages.SUCCESS
            )
            return None
        return self.confirmation_page(
            request,
            template="admin/contacts/contact/merge_confirmation.html",
            title="Merge duplicate contacts",
            action="merge",
            selected=queryset.filter(pk__in=[c.pk for c in contacts]).order_by("pk").annotate(
                lead_count=Count("leads", distinct=True), conversion_count_now=Count("conversions", distinct=True)
            ),
            form=form,
        )

    @admin.action(description="Purge (data request)", permissions=["delete"])
    def purge(self, request, queryset):
        """Delete everything of the selected people after a confirmation page asking for the reason."""
        contacts = list(
            queryset.annotate(
                lead_count=Count("leads", distinct=True),
                appointment_count=Count("appointments", distinct=True),
                conversion_count_now=Count("conversions", distinct=True),
            )[: self.purge_limit + 1]
        )
        if len(contacts) > self.purge_limit:
            self.message_user(
                request, f"Select at most {self.purge_limit} contacts to purge at once.", messages.ERROR
            )
            return None
        form = PurgeForm(self.confirmation_data(request))
        if form.is_bound and form.is_valid():
            return self._purge_confirmed(request, contacts, form.cleaned_data["reason"])
        return self.confirmation_page(
            request,
            template="admin/contacts/contact/purge_confirmation.html",
            title="Purge contacts (data request)",
            action="purge",
            selected=contacts,
            form=form,
        )

    def _purge_confirmed(self, request, contacts, reason):
        by = request.user.get_username()
        totals = {}
        for contact in contacts:
            try:
                record = contact_purge(contact=contact, reason=reason, by=by)
            except (ProtectedError, ValidationError, Contact.DoesNotExist) as exc:
                self.message_user(request, f"Contact #{contact.pk} was not purged: {exc}", messages.ERROR)
                continue
            for table, count in record.deleted_counts.items():
                totals[table] = totals.get(table, 0) + count
        if totals:
            summary = ", ".join(f"{table}: {count}" for table, count in totals.items())
            self.message_user(
                request, f"Purged {totals['contacts']} contact(s). Deleted rows — {summary}.", messages.SUCCESS
            )
        return None


# The follow-ups page lists at most this many rows of each kind; the rest wait for the next visit.
QUEUE_LIMIT = 200


def _due_before():
    """Due or overdue: anything dated before tomorrow (the staff member's day, in TIME_ZONE)."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, time.min))


class LeadAppointmentInline(AppointmentInline):
    fk_name = "lead"
    fields = ["appointment_type", "scheduled_at", "status", "assigned_to", "matched_workspace", "forward_status"]


class LeadConversionInline(ConversionInline):
    fields = ["conversion_type", "conversion_value", "currency", "workspace", "converted_at", "voided_at"]


@admin.register(Lead)
class LeadWithFollowUpsAdmin(LeadAdmin):
    """The lead admin plus a lead's appointments and conversions and "My follow-ups", which
    mixes leads and appointments."""

    inlines = [*LeadAdmin.inlines, LeadAppointmentInline, LeadConversionInline]

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "follow-ups/",
                self.admin_site.admin_view(self.follow_ups_view),
                name=f"{opts.app_label}_{opts.model_name}_follow_ups",
            ),
            *super().get_urls(),
        ]

    def follow_ups_view(self, request):
        """My follow-ups: my leads and appointments whose follow-up / next action is due, oldest first."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        me, due = request.user.get_username(), _due_before()
        leads = (
            Lead.objects.filter(assigned_to=me, follow_up_date__lt=due)
            .select_related("workspace")
            .order_by("follow_up_date", "id")[:QUEUE_LIMIT]
        )
        appointments = (
            Appointment.objects.filter(assigned_to=me, next_action_date__lt=due)
            .select_related("contact", "lead")
            .order_by("next_action_date", "id")[:QUEUE_LIMIT]
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "My follow-ups",
            "opts": self.opts,
            "assignee": me,
            "leads": leads,
            "appointments": appointments,
            "now": timezone.now(),
            "appointment_opts": Appointment._meta,
            "limit": QUEUE_LIMIT,
        }
        return TemplateResponse(request, "admin/leads/lead/follow_ups.html", context)
