"""The contact admin: find a person by phone in any format, see everything that hangs off them
(leads, appointments, conversions), merge duplicates and purge on a data request — each through
its service; and the lead admin with a lead's appointments, conversions and the follow-ups queue.
They live here, above those apps, so they import their models."""
from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, ProtectedError
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join

from appointments.models import Appointment
from contacts.models import Contact, ContactEvent, ContactMerge
from contacts.services import contact_update
from conversions.models import Conversion
from leadhub.actors import actor_for_user
from leadhub.admin import (
    BaseAdmin,
    ConfirmationPageMixin,
    CsvExportMixin,
    ExactSearchMixin,
    LargeTableMixin,
    LatestRowsFormSet,
    NoBulkDeleteMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ReasonForm,
    RecordActionsMixin,
    change_link,
    changelist_link,
    json_display,
    money_display,
    phone_display,
    reason_field,
    refusal_words,
)
from leadhub.search import PERSON_SEARCH_FIELDS
from leadhub.admin_fields import KeyValueField
from leads.admin import LeadAdmin
from leads.models import Lead, WorkspaceTracking
from people.selectors import contact_matches, contacts_with_merge_candidates, merge_candidates_by_match
from people.services import (
    ContactMergeInvalid,
    ContactPurgeInvalid,
    ContactUnmergeRefused,
    contact_merge,
    contact_purge,
    contact_unmerge,
    contact_unmerge_deadline,
)

# What hangs off a contact, as linked from its change page.
RELATED_RECORDS = (
    ("leads", Lead),
    ("appointments", Appointment),
    ("conversions", Conversion),
    ("workspace tracking", WorkspaceTracking),
)


def what_they_share(contacts):
    """{contact pk: "phone with #2, email with #3"} over the selection; "" for one that shares nothing."""
    shares = {}
    for contact in contacts:
        parts = []
        for other in contacts:
            if other.pk != contact.pk and (shared := contact_matches(contact, other)):
                parts.append(f"{' and '.join(shared)} with #{other.pk}")
        shares[contact.pk] = "; ".join(parts)
    return shares


class MergeCandidatesFilter(admin.SimpleListFilter):
    """Live contacts that look like another live contact (people.selectors: phone, email, name + ZIP)."""

    title = "duplicates"
    parameter_name = "duplicates"

    def lookups(self, request, model_admin):
        return [("candidates", "Merge candidates"), ("merged", "Merged away")]

    def queryset(self, request, queryset):
        if self.value() == "merged":
            return queryset.filter(merged_into__isnull=False)
        if self.value() != "candidates":
            return queryset
        return queryset.filter(pk__in=contacts_with_merge_candidates().values("pk"))


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

    @admin.display(description="Value")
    def value(self, obj):
        return money_display(obj.conversion_value, obj.currency)


class ContactAppointmentInline(AppointmentInline):
    fields = ["appointment_type", "scheduled_at", "status", "matched_workspace", "forward_status", "lead"]


class ContactConversionInline(ConversionInline):
    fields = ["conversion_type", "value", "workspace", "lead", "converted_at", "voided_at"]


class ContactEventInline(ReadOnlyInline):
    model = ContactEvent
    fields = ["event_type", "details", "created_at"]
    verbose_name_plural = f"contact events (latest {LatestRowsFormSet.limit})"

    @admin.display(description="Details")
    def details(self, obj):
        return json_display(obj.event_data)


def moved_summary(merge):
    return ", ".join(f"{len(ids)} {table.replace('_', ' ')}" for table, ids in merge.moved.items() if ids) or "nothing"


class ContactMergeInline(ReadOnlyInline):
    model = ContactMerge
    fk_name = "survivor"
    fields = ["created_at", "duplicate", "merged_by", "moved_rows", "unmerged_at"]
    verbose_name_plural = "merges into this contact (open one to undo it)"

    @admin.display(description="Moved")
    def moved_rows(self, obj):
        return moved_summary(obj)


@admin.register(ContactMerge)
class ContactMergeAdmin(RecordActionsMixin, ReadOnlyAdmin):
    """Each merge's manifest; "Unmerge" restores exactly what it moved and filled, within the window."""

    list_display = ["created_at", "survivor_link", "duplicate_link", "merged_by", "moved_rows", "restorable_until",
                    "unmerged_at"]
    list_filter = [("unmerged_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["=survivor__id", "=duplicate__id", "=merged_by"]
    list_select_related = ["survivor", "duplicate"]
    fields = ["created_at", "survivor_link", "duplicate_link", "merged_by", "moved_rows", "filled_rows",
              "restorable_until", "unmerged_at", "unmerged_by"]
    readonly_fields = fields
    actions = ["unmerge"]
    record_actions = ["unmerge"]

    def has_unmerge_permission(self, request):
        return request.user.has_perm("contacts.change_contact")

    def record_action_buttons(self, request, obj):
        return [] if obj.unmerged_at else super().record_action_buttons(request, obj)

    @admin.display(description="Kept")
    def survivor_link(self, obj):
        return change_link(obj.survivor, f"#{obj.survivor_id} {obj.survivor}")

    @admin.display(description="Merged away")
    def duplicate_link(self, obj):
        return change_link(obj.duplicate, f"#{obj.duplicate_id} {obj.duplicate}")

    @admin.display(description="Moved")
    def moved_rows(self, obj):
        return moved_summary(obj)

    @admin.display(description="Fields filled on the kept contact")
    def filled_rows(self, obj):
        return json_display(obj.filled)

    @admin.display(description="Restorable until")
    def restorable_until(self, obj):
        return None if obj.unmerged_at else contact_unmerge_deadline(obj)

    @admin.action(description="Unmerge (restore what the merge moved)", permissions=["unmerge"])
    def unmerge(self, request, queryset):
        for merge in queryset.select_related("survivor", "duplicate"):
            try:
                contact_unmerge(merge=merge, by=actor_for_user(request.user))
            except ContactUnmergeRefused as exc:
                self.message_user(request, f"{merge}: not undone: {refusal_words(exc)}", messages.ERROR)
            else:
                self.message_user(request, f"Unmerged: #{merge.duplicate_id} is its own contact again, with what the "
                                           "merge had moved.", messages.SUCCESS)


class PurgeForm(ReasonForm):
    reason = reason_field(
        "Why this person's data is deleted (e.g. the data request reference). "
        "Kept in the purge audit record; do not paste personal data here."
    )


class MergeForm(forms.Form):
    """Which contact to keep, and (started from one contact's page) which of its candidates to fold
    in. Records that share no phone, email or name + ZIP with the others are refused unless
    `override` is ticked."""

    others = forms.TypedMultipleChoiceField(coerce=int, widget=forms.CheckboxSelectMultiple,
                                            label="Merge with", required=True)
    survivor = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Keep")
    override = forms.BooleanField(required=False, label="Merge even though some records share nothing",
                                  help_text="Only when you know they are one person (e.g. they told you so).")

    def __init__(self, *args, contacts, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.contacts = {c.pk: c for c in contacts}
        if candidates:
            self.fields["others"].choices = [
                (match, [(c.pk, f"#{c.pk} {c} — {c.phone} {c.email} {c.zip_code} (webhook {c.webhook_id})")
                         for c in rows])
                for match, rows in candidates
            ]
            for _match, rows in candidates:
                self.contacts.update((c.pk, c) for c in rows)
        else:
            del self.fields["others"]
        self.fields["survivor"].choices = [(c.pk, f"#{c.pk} {c} — webhook {c.webhook_id}") for c in self.contacts.values()]
        self.fields["survivor"].initial = contacts[0].pk if contacts else None

    def chosen(self):
        """The contacts to merge (the survivor among them)."""
        if "others" not in self.fields:
            return list(self.contacts.values())
        first = next(iter(self.contacts))
        return [self.contacts[pk] for pk in dict.fromkeys([first, *self.cleaned_data["others"]])]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        chosen = self.chosen()
        if cleaned["survivor"] not in {c.pk for c in chosen}:
            self.add_error("survivor", "Keep one of the contacts being merged.")
        shares = what_they_share(chosen)
        lonely = [f"#{pk}" for pk, text in shares.items() if not text]
        if lonely and not cleaned.get("override"):
            raise forms.ValidationError(
                f"{', '.join(lonely)} share(s) no phone, email or name + ZIP with the others. Tick the override "
                "only if you know they are one person."
            )
        return cleaned


class ContactForm(forms.ModelForm):
    custom_metadata = KeyValueField(help_text="Key/value rows; empty a row to remove it.")

    class Meta:
        model = Contact
        fields = "__all__"  # noqa: DJ007 the ModelAdmin's fieldsets choose what is shown

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["custom_metadata"].original = self.instance.custom_metadata


@admin.register(Contact)
class ContactAdmin(NoBulkDeleteMixin, RecordActionsMixin, ConfirmationPageMixin, CsvExportMixin, ExactSearchMixin,
                   LargeTableMixin, BaseAdmin):
    form = ContactForm
    list_display = ["id", "name", "phone_number", "email", "webhook_id", "conversion_status", "value", "created_at"]
    list_display_links = ["id", "name"]
    list_filter = [MergeCandidatesFilter, "conversion_status", "created_at"]
    search_fields = ["=webhook_id"]
    search_help_text = "Phone in any format, contact or lead id, email, webhook id, or the words of a name."
    person_search_fields = PERSON_SEARCH_FIELDS
    export_fields = [
        "id", "webhook_id", "phone", "first_name", "last_name", "email", "city", "state", "zip_code",
        "conversion_status", "conversion_count", "lifetime_value", "merged_into_id", "created_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "first_name", "last_name", "phone_number", "email", "webhook_id", "related_records",
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
                    "value",
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
        "phone_number",
        "value",
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
    inlines = [ContactLeadInline, ContactAppointmentInline, ContactConversionInline, ContactMergeInline,
               ContactEventInline]
    actions = ["merge", "export_csv", "purge"]
    record_actions = ["merge", "purge"]
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

    @admin.display(description="Name", ordering="last_name")
    def name(self, obj):
        return f"{obj.first_name} {obj.last_name}".strip() or "—"

    @admin.display(description="Phone", ordering="phone")
    def phone_number(self, obj):
        return phone_display(obj.phone)

    @admin.display(description="Lifetime value", ordering="lifetime_value")
    def value(self, obj):
        return money_display(obj.lifetime_value)

    def has_add_permission(self, request):
        # Contacts are born in lead ingest (normalised phone, dedupe, events), never by hand.
        return False

    def save_model(self, request, obj, form, change):
        """A correction by hand goes through contact_update, which records the `updated` event."""
        contact_update(contact=obj, data={name: form.cleaned_data[name] for name in form.changed_data},
                       by=actor_for_user(request.user))

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
        groups = merge_candidates_by_match(obj)
        if not groups:
            return "None found (same phone under another webhook, same email, or same name in the same ZIP)."
        return format_html_join(
            "", '<div class="duplicates-by-{}"><strong>Same {}:</strong> {}</div>',
            ((match.replace(" + ", "-").lower(), match, format_html_join(
                " · ", "{}", ((change_link(c, f"#{c.pk} {c} [{c.webhook_id}]"),) for c in rows)))
             for match, rows in groups),
        )

    def record_action_buttons(self, request, obj):
        return [] if obj.merged_into_id else super().record_action_buttons(request, obj)

    @admin.action(description="Merge selected duplicates", permissions=["change"])
    def merge(self, request, queryset):
        """Pick the contact to keep on an intermediate page; the others are merged into it. From one
        contact's page, its candidates (grouped by what matched) are offered to merge with."""
        contacts = list(queryset.order_by("pk")[: self.merge_limit + 1])
        candidates = merge_candidates_by_match(contacts[0]) if len(contacts) == 1 else None
        if len(contacts) == 1 and not candidates:
            self.message_user(request, f"#{contacts[0].pk} has no merge candidates (same phone, email or name + "
                                       "ZIP); select the contacts to merge on the list.", messages.WARNING)
            return None
        if not 1 <= len(contacts) <= self.merge_limit:
            self.message_user(
                request, f"Select between 2 and {self.merge_limit} contacts to merge.", messages.ERROR
            )
            return None
        form = MergeForm(self.confirmation_data(request), contacts=contacts, candidates=candidates)
        if form.is_bound and form.is_valid():
            contacts = form.chosen()
            survivor = next(c for c in contacts if c.pk == form.cleaned_data["survivor"])
            try:
                survivor = contact_merge(
                    survivor=survivor,
                    duplicates=[c for c in contacts if c.pk != survivor.pk],
                    by=actor_for_user(request.user),
                )
            except ContactMergeInvalid as exc:
                self.message_user(request, f"Nothing was merged: {refusal_words(exc)}", messages.ERROR)
                return None
            self.message_user(
                request, f"Merged {len(contacts) - 1} contact(s) into #{survivor.pk} {survivor}.", messages.SUCCESS
            )
            return None
        selected = list(queryset.filter(pk__in=[c.pk for c in contacts]).order_by("pk").annotate(
            lead_count=Count("leads", distinct=True), conversion_count_now=Count("conversions", distinct=True)
        ))
        shares = what_they_share(selected)
        for contact in selected:
            contact.shares = shares[contact.pk]
        return self.confirmation_page(
            request,
            template="admin/contacts/contact/merge_confirmation.html",
            title="Merge duplicate contacts",
            action="merge",
            selected=selected,
            form=form,
            from_one=candidates is not None,
            unmerge_days=settings.CONTACT_UNMERGE_DAYS,
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
        by = actor_for_user(request.user)
        totals = {}
        for contact in contacts:
            try:
                record = contact_purge(contact=contact, reason=reason, by=by)
            except ContactPurgeInvalid as exc:
                self.message_user(request, f"Contact #{contact.pk} was not purged: {refusal_words(exc)}", messages.ERROR)
                continue
            except (ProtectedError, Contact.DoesNotExist) as exc:
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
    fields = ["conversion_type", "value", "workspace", "converted_at", "voided_at"]


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
