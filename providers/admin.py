"""Ops screens for lead sources: webhooks, providers (with key rotation), usage and refused posts."""
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from leadhub.actors import actor_for_user
from leadhub.admin import (
    ConfirmationPageMixin,
    ExactSearchMixin,
    ReadOnlyAdmin,
    ReasonForm,
    RecordActionsMixin,
    json_display,
    phone_display,
    reason_field,
    rotation_action,
    short_id,
)
from leadhub.admin_fields import ChoiceListField, KeyValueField
from leadhub.keys import previous_key_note
from leadhub.payload_aliases import is_evidence_key
from providers import services
from providers.models import (
    LeadSourceProvider,
    ProviderUsageLog,
    RejectedSubmission,
    WebhookConfig,
    WebhookConfigEvent,
)


class WebhookConfigForm(forms.ModelForm):
    """The signing secret is write-only: typed in, never rendered back into the page."""

    secret_key = forms.CharField(
        required=False, max_length=255, widget=forms.PasswordInput(render_value=False),
        help_text="Signs every post to this webhook. Leave blank to keep the current secret.",
    )
    clear_secret_key = forms.BooleanField(required=False, label="Remove the signing secret")

    class Meta:
        model = WebhookConfig
        fields = "__all__"  # noqa: DJ007 the ModelAdmin's fieldsets choose what is shown

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_secret_key"):
            cleaned["secret_key"] = ""
        elif not cleaned.get("secret_key"):
            cleaned["secret_key"] = self.instance.secret_key
        return cleaned


class SoftDeleteForm(ReasonForm):
    reason = reason_field("Kept with the deletion in the webhook's history.", label="Reason (required)")


@admin.register(WebhookConfig)
class WebhookConfigAdmin(ConfirmationPageMixin, admin.ModelAdmin):
    """Webhook ids are never reused, so Django's hard delete is replaced by a restorable soft delete."""

    form = WebhookConfigForm
    list_display = ("webhook_id", "name", "lead_type", "is_active", "test_mode", "distribution_strategy", "rate",
                    "total_leads", "last_lead_at", "deleted_at", "restore_until")
    list_filter = ("lead_type", "is_active", "test_mode", "distribution_strategy", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("webhook_id", "name", "description")
    readonly_fields = ("total_leads", "last_lead_at", "created_at", "updated_at", "deleted_at", "deleted_reason",
                       "deleted_by", "deletion_finalized_at", "restore_until")
    actions = ("soft_delete", "restore")

    DELETION_FIELDS = ("deleted_at", "deleted_reason", "deleted_by", "deletion_finalized_at", "restore_until")

    def get_readonly_fields(self, request, obj=None):
        # The id is the providers' URL: fixed once created.
        return self.readonly_fields + (("webhook_id",) if obj else ())

    def get_fields(self, request, obj=None):
        """The deletion fields only on a deleted webhook."""
        fields = super().get_fields(request, obj)
        if obj is None or obj.deleted_at is None:
            fields = [name for name in fields if name not in self.DELETION_FIELDS]
        return fields

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["provider_urls"] = [
                (what, request.build_absolute_uri(reverse(name, args=[obj.webhook_id])))
                for what, name in (("Leads", "lead-webhook"), ("Appointments", "appointment-webhook"))
            ]
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    @admin.display(description="Rate limit", ordering="rate_limit")
    def rate(self, obj):
        return f"{obj.rate_limit} per {obj.rate_window} s"

    def has_delete_permission(self, request, obj=None):
        return False

    def has_soft_delete_permission(self, request):
        return request.user.has_perm("providers.delete_webhookconfig")

    @admin.display(description="Restorable until")
    def restore_until(self, obj):
        if obj.deleted_at and not obj.deletion_finalized_at:
            return services.webhook_restore_deadline(obj)
        return None

    @admin.action(description="Delete selected webhooks (restorable for a while)", permissions=["soft_delete"])
    def soft_delete(self, request, queryset):
        form = SoftDeleteForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            for webhook in queryset:
                try:
                    deleted = services.webhook_soft_delete(
                        webhook=webhook, reason=form.cleaned_data["reason"], by=actor_for_user(request.user)
                    )
                    deadline = services.webhook_restore_deadline(deleted)
                    self.message_user(request, f"Deleted {deleted.webhook_id}; restorable until {deadline:%Y-%m-%d %H:%M} UTC.")
                except ValidationError as exc:
                    self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return None
        return self.confirmation_page(
            request, template="admin/providers/webhookconfig/soft_delete.html", title="Delete webhooks",
            action="soft_delete", selected=queryset, form=form, window_hours=settings.WEBHOOK_RESTORE_WINDOW_HOURS,
        )

    @admin.action(description="Restore selected deleted webhooks", permissions=["soft_delete"])
    def restore(self, request, queryset):
        for webhook in queryset:
            try:
                services.webhook_restore(webhook=webhook, by=actor_for_user(request.user))
                self.message_user(request, f"Restored {webhook.webhook_id}.")
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)


@admin.register(WebhookConfigEvent)
class WebhookConfigEventAdmin(ReadOnlyAdmin):
    """Audit of deletions and restores; read-only for everyone."""

    list_display = ("created_at", "webhook_id", "event_type", "created_by", "reason")
    list_filter = ("event_type",)
    search_fields = ("webhook_id", "created_by")


class LeadSourceProviderForm(forms.ModelForm):
    """Which webhooks a provider may post to, ticked from the existing webhooks (no JSON list)."""

    every_webhook = forms.BooleanField(
        required=False, label="May post to every webhook",
        help_text="Untick to allow only the webhooks ticked below (none ticked: no webhook at all).",
    )
    allowed_webhooks = ChoiceListField(choices=(), unknown_message="Unknown webhook id(s): {value}.",
                                       label="Allowed webhooks")

    class Meta:
        model = LeadSourceProvider
        fields = "__all__"  # noqa: DJ007 the ModelAdmin's fieldsets choose what is shown

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.allowed_webhooks
        field = self.fields["allowed_webhooks"]
        field.choices = [
            (webhook_id, f"{webhook_id}: {name}")
            for webhook_id, name in WebhookConfig.objects.filter(deleted_at__isnull=True).values_list("webhook_id", "name")
        ]
        field.show_unknown(stored)
        self.initial["every_webhook"] = stored is None
        self.initial["allowed_webhooks"] = stored or []

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("every_webhook"):
            cleaned["allowed_webhooks"] = None
            self.errors.pop("allowed_webhooks", None)
        return cleaned


@admin.register(LeadSourceProvider)
class LeadSourceProviderAdmin(ConfirmationPageMixin, admin.ModelAdmin):
    form = LeadSourceProviderForm
    fields = ("provider_id", "provider_name", "company_name", "contact_name", "contact_email", "contact_phone",
              "is_active", "every_webhook", "allowed_webhooks", "rate_limit", "notes", "has_api_key", "last_used_at",
              "created_at", "updated_at")
    list_display = ("provider_id", "provider_name", "company_name", "is_active", "webhooks", "has_api_key",
                    "rate_limit", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("provider_id", "provider_name", "company_name", "contact_email")
    readonly_fields = ("has_api_key", "last_used_at", "created_at", "updated_at")
    actions = ("generate_api_key",)

    @admin.display(boolean=True, description="API key")
    def has_api_key(self, obj):
        return bool(obj.api_key)

    @admin.display(description="Allowed webhooks")
    def webhooks(self, obj):
        if obj.allowed_webhooks is None:
            return "every webhook"
        return ", ".join(obj.allowed_webhooks) or "none"

    @admin.action(description="Generate new API key", permissions=["change"])
    def generate_api_key(self, request, queryset):
        return rotation_action(
            self, request, queryset, title="Generate new API keys", action="generate_api_key",
            rotate=lambda provider, grace: services.provider_key_rotate(provider=provider, grace=grace),
            describe=lambda provider: f"New API key for {provider.provider_id}. {previous_key_note(provider)}",
        )


@admin.register(ProviderUsageLog)
class ProviderUsageLogAdmin(admin.ModelAdmin):
    """Written only by ingestion's counters; read-only here."""

    list_display = ("date", "provider", "webhook_id", "request_count")
    list_filter = ("date",)
    search_fields = ("provider__provider_id", "webhook_id")
    date_hierarchy = "date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReprocessedFilter(admin.SimpleListFilter):
    title = "re-processed"
    parameter_name = "reprocessed"

    def lookups(self, request, model_admin):
        return (("in", "Lead created"), ("failed", "Tried, failed"), ("no", "Not tried"))

    def queryset(self, request, queryset):
        if self.value() == "in":
            return queryset.filter(reprocessed_object_id__isnull=False)
        if self.value() == "failed":
            return queryset.filter(reprocessed_at__isnull=False, reprocessed_object_id__isnull=True)
        if self.value() == "no":
            return queryset.filter(reprocessed_at__isnull=True)
        return queryset


# The admin page of what re-processing created, by endpoint; named by URL (the apps that own
# those rows sit above providers).
CREATED_ADMIN_URL = {"lead": "admin:leads_lead_change", "appointment": "admin:appointments_appointment_change"}


class ReprocessForm(forms.Form):
    """The parsed payload as key/value rows to correct before re-processing; consent and evidence
    keys are shown, not editable (the service refuses them changed anyway)."""

    payload = KeyValueField(label="Payload to re-process", help_text=(
        "Correct what made the post fail; empty a row's key and value to drop it. The original body is kept."))

    def __init__(self, *args, original, **kwargs):
        super().__init__(*args, **kwargs)
        self.original = original
        self.evidence = {key: value for key, value in original.items() if is_evidence_key(key)}
        field = self.fields["payload"]
        field.original = original
        field.initial = {key: value for key, value in original.items() if key not in self.evidence}

    def edited_payload(self):
        return {**self.cleaned_data["payload"], **self.evidence}


@admin.register(RejectedSubmission)
class RejectedSubmissionAdmin(ConfirmationPageMixin, RecordActionsMixin, ExactSearchMixin, admin.ModelAdmin):
    """Every refused post, as received. Rows are evidence: read-only, re-processable, deletable."""

    list_display = ("created_at", "reason_text", "webhook", "provider_id", "phone", "seen", "short_request_id",
                    "created_object")
    list_filter = ("http_status", "reason_code", "endpoint", ReprocessedFilter, "created_at")
    search_fields = ("webhook_id", "provider_id", "reason_code", "=request_id")
    # A phone typed in any form finds the rows stored under its normalised form (the payload's phone).
    person_search_fields = {"phone": "phone_normalized"}
    number_search_fields = []
    date_hierarchy = "created_at"
    actions = ("reprocess", "reprocess_edited")
    record_actions = ("reprocess_edited",)
    fieldsets = (
        (None, {"fields": ("created_at", "endpoint", "webhook_id", "provider_id", "http_status", "reason_code", "reason",
                           "errors_rows", "created_object", "occurrences", "last_seen_at", "request_id")}),
        ("Body as received", {"fields": ("payload_rows", "content_type", "body_size", "body_truncated", "ip_address",
                                         "user_agent", "phone_normalized")}),
        ("Re-processing", {"fields": ("reprocessed_at", "reprocess_error", "reprocessed_payload_rows")}),
    )
    readonly_fields = ("errors_rows", "payload_rows", "reprocessed_payload_rows", "created_object", "occurrences",
                       "last_seen_at")
    list_select_related = ("tally",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields] + list(self.readonly_fields)

    def has_add_permission(self, request):
        return False

    @admin.display(description="Reason", ordering="reason_code")
    def reason_text(self, obj):
        return format_html('<span title="{}">{} · {}</span>', obj.reason_code, obj.http_status, obj.reason[:140])

    @admin.display(description="Seen", ordering="tally__last_seen_at")
    def seen(self, obj):
        return "once" if obj.occurrences == 1 else f"{obj.occurrences}×"

    @admin.display(description="Webhook", ordering="webhook_id")
    def webhook(self, obj):
        return obj.webhook_id[:40]

    @admin.display(description="Phone")
    def phone(self, obj):
        return phone_display(obj.phone_normalized) if obj.phone_normalized else "—"

    @admin.display(description="Request id")
    def short_request_id(self, obj):
        return short_id(obj.request_id)

    @admin.display(description="Created")
    def created_object(self, obj):
        if obj.reprocessed_object_id is None:
            return "—"
        url = reverse(CREATED_ADMIN_URL[obj.endpoint], args=[obj.reprocessed_object_id])
        return format_html('<a href="{}" class="created-link">{} #{}</a>', url, obj.endpoint, obj.reprocessed_object_id)

    @admin.display(description="Errors")
    def errors_rows(self, obj):
        return json_display(obj.errors)

    @admin.display(description="Payload")
    def payload_rows(self, obj):
        try:
            return json_display(services.rejected_submission_payload(obj))
        except Exception:  # an unparseable body (often why it was refused) is shown as text
            return format_html("<pre>{}</pre>", obj.raw_body)

    @admin.display(description="Edited payload used")
    def reprocessed_payload_rows(self, obj):
        return json_display(obj.reprocessed_payload)

    def _report(self, request, submission, already):
        if already:
            self.message_user(request, f"#{submission.pk}: already re-processed as lead #{already}.", messages.INFO)
        elif submission.reprocessed_object_id:
            self.message_user(request, f"#{submission.pk}: {submission.endpoint} #{submission.reprocessed_object_id} "
                                       "created.", messages.SUCCESS)
        else:
            self.message_user(request, f"#{submission.pk}: still refused: {submission.reprocess_error}", messages.ERROR)

    @admin.action(description="Re-process (after fixing the cause)", permissions=["change"])
    def reprocess(self, request, queryset):
        for submission in queryset:
            already = submission.reprocessed_object_id
            self._report(request, services.rejected_submission_reprocess(submission=submission), already)

    @admin.action(description="Re-process with an edited payload", permissions=["change"])
    def reprocess_edited(self, request, queryset):
        """One post at a time: its payload as rows to correct, then the same service as "Re-process"."""
        submissions = list(queryset[:2])
        if len(submissions) != 1:
            self.message_user(request, "Edit and re-process one submission at a time.", messages.ERROR)
            return None
        submission = submissions[0]
        try:
            original = services.rejected_submission_payload(submission)
        except Exception as exc:
            reason = getattr(exc, "reason", None) or "; ".join(getattr(exc, "messages", [str(exc)]))
            self.message_user(request, f"#{submission.pk}: the body cannot be edited: {reason}", messages.ERROR)
            return None
        form = ReprocessForm(self.confirmation_data(request), original=original)
        if form.is_bound and form.is_valid():
            already = submission.reprocessed_object_id
            try:
                submission = services.rejected_submission_reprocess(submission=submission, payload=form.edited_payload())
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("payload", message)
            else:
                self._report(request, submission, already)
                return None
        return self.confirmation_page(
            request, template="admin/providers/rejectedsubmission/reprocess.html", title="Re-process a rejected post",
            action="reprocess_edited", selected=submissions, form=form, evidence=form.evidence,
        )
