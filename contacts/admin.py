"""Contacts admin, plus the small admin building blocks the higher apps (leads, appointments,
conversions, analytics) reuse: read-only audit tables, bounded inlines and exact phone search.

Leads, events and so on are reached through the contact's reverse relations, never imported:
`contacts/` sits below those apps.
"""
import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, ProtectedError, Q
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from contacts.models import Contact, ContactEvent, ContactPurge
from contacts.services import contact_purge, related_model

PHONE_CHARS = re.compile(r"^[\d\s+().-]+$")


def phone_from_search(term):
    """The normalised +1XXXXXXXXXX form of a typed phone ("(415) 555-0123"), or None.

    Deliberately simple digit extraction; the full normaliser lives in the base layer.
    """
    term = term.strip()
    if not PHONE_CHARS.match(term):
        return None
    digits = re.sub(r"\D", "", term)
    if len(digits) == 10 or (len(digits) == 11 and digits.startswith("1")):
        return f"+1{digits[-10:]}"
    return None


class ExactSearchMixin:
    """Search hook (`get_search_results`): a term that looks like a phone ("(415) 555-0123") is
    matched exactly against the normalised phone column, whatever punctuation was typed; a bare
    number also matches the id-like `number_search_fields`. Both are indexed equality lookups,
    unlike the LIKE scans of `search_fields`, which still handle every other term."""

    phone_search_field = None
    number_search_fields = ["pk"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        phone = phone_from_search(term) if self.phone_search_field else None
        if phone:
            return queryset.filter(**{self.phone_search_field: phone}), False
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if term.isdigit() and len(term) <= 18:
            by_number = Q.create([(field, int(term)) for field in self.number_search_fields], connector=Q.OR)
            results |= queryset.filter(by_number)
        return results, may_have_duplicates


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit and history tables: viewable, never added, edited or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LatestRowsFormSet(BaseInlineFormSet):
    """Only the newest rows, so the page of a busy record stays fast; the changelist has the rest."""

    limit = 20

    def get_queryset(self):
        queryset = super().get_queryset()
        if not queryset.query.is_sliced:
            queryset = self._queryset = queryset[: self.limit]
        return queryset


class ReadOnlyInline(admin.TabularInline):
    """A bounded, view-only list of related rows with links to each row's own page."""

    formset = LatestRowsFormSet
    extra = 0
    show_change_link = True
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def changelist_link(model, label, **filters):
    """A link to `model`'s changelist filtered by `filters` (e.g. contact__id__exact=5)."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, label)


class ContactLeadInline(ReadOnlyInline):
    model = related_model(Contact, "leads")
    fields = ["lead_type", "webhook_id", "status", "workspace", "created_at"]
    verbose_name_plural = f"leads (latest {LatestRowsFormSet.limit})"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("workspace")


class ContactEventInline(ReadOnlyInline):
    model = ContactEvent
    fields = ["event_type", "event_data", "created_at"]
    verbose_name_plural = f"contact events (latest {LatestRowsFormSet.limit})"


class PurgeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Why this person's data is deleted (e.g. the data request reference). "
        "Kept in the purge audit record; do not paste personal data here.",
    )


@admin.register(Contact)
class ContactAdmin(ExactSearchMixin, admin.ModelAdmin):
    list_display = ["id", "first_name", "last_name", "phone", "email", "webhook_id", "conversion_status", "created_at"]
    list_display_links = ["id", "first_name", "last_name"]
    list_filter = ["conversion_status", "created_at"]
    search_fields = ["=email", "^last_name", "^first_name", "=webhook_id"]
    search_help_text = "Phone in any format, id, email, webhook id, or the start of a name."
    phone_search_field = "phone"
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "phone", "email", "webhook_id", "related_records"]}),
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
        "created_at",
        "updated_at",
    ]
    inlines = [ContactLeadInline, ContactEventInline]
    actions = ["purge"]
    purge_limit = 100

    def has_add_permission(self, request):
        # Contacts are born in lead ingest (normalised phone, dedupe, events), never by hand.
        return False

    @admin.display(description="All related records")
    def related_records(self, obj):
        links = []
        for accessor in ("leads", "appointments", "conversions", "workspace_tracking"):
            label = f"{accessor.replace('_', ' ')} ({getattr(obj, accessor).count()})"
            links.append(changelist_link(related_model(Contact, accessor), label, contact__id__exact=obj.pk))
        return format_html_join(" · ", "{}", ((link,) for link in links))

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
        form = PurgeForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            return self._purge_confirmed(request, contacts, form.cleaned_data["reason"])
        context = {
            **self.admin_site.each_context(request),
            "title": "Purge contacts (data request)",
            "opts": self.opts,
            "contacts": contacts,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/contacts/contact/purge_confirmation.html", context)

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


@admin.register(ContactEvent)
class ContactEventAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["id", "contact", "event_type", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=event_type"]
    number_search_fields = ["contact_id"]
    raw_id_fields = ["contact"]
    list_select_related = ["contact"]
    show_full_result_count = False


@admin.register(ContactPurge)
class ContactPurgeAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["id", "contact_id", "performed_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=performed_by"]
    number_search_fields = ["contact_id"]
    fields = ["contact_id", "reason", "performed_by", "deleted_counts", "created_at"]
