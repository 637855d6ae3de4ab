"""Ops screens for lead sources: webhooks, providers (with key rotation), usage and refused posts."""
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from leadhub.admin import ConfirmationPageMixin, ReadOnlyAdmin, ReasonForm, reason_field, show_secret_once
from leadhub.phones import normalize_phone
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
        fields = "__all__"

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
    list_display = ("webhook_id", "name", "lead_type", "is_active", "distribution_strategy", "rate_limit", "rate_window",
                    "total_leads", "last_lead_at", "deleted_at", "restore_until")
    list_filter = ("lead_type", "is_active", "distribution_strategy", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("webhook_id", "name", "description")
    readonly_fields = ("total_leads", "last_lead_at", "created_at", "updated_at", "deleted_at", "deleted_reason",
                       "deleted_by", "deletion_finalized_at", "restore_until")
    actions = ("soft_delete", "restore")

    def get_readonly_fields(self, request, obj=None):
        # The id is the providers' URL: fixed once created.
        return self.readonly_fields + (("webhook_id",) if obj else ())

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
                        webhook=webhook, reason=form.cleaned_data["reason"], by=request.user.get_username()
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
                services.webhook_restore(webhook=webhook, by=request.user.get_username())
                self.message_user(request, f"Restored {webhook.webhook_id}.")
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)


@admin.register(WebhookConfigEvent)
class WebhookConfigEventAdmin(ReadOnlyAdmin):
    """Audit of deletions and restores; read-only for everyone."""

    list_display = ("created_at", "webhook_id", "event_type", "created_by", "reason")
    list_filter = ("event_type",)
    search_fields = ("webhook_id", "created_by")


@admin.register(LeadSourceProvider)
class LeadSourceProviderAdmin(admin.ModelAdmin):
    list_display = ("provider_id", "provider_name", "company_name", "is_active", "has_api_key", "rate_limit",
                    "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("provider_id", "provider_name", "company_name", "contact_email")
    readonly_fields = ("has_api_key", "last_used_at", "created_at", "updated_at")
    actions = ("generate_api_key",)

    @admin.display(boolean=True, description="API key")
    def has_api_key(self, obj):
        return bool(obj.api_key)

    @admin.action(description="Generate new API key", permissions=["change"])
    def generate_api_key(self, request, queryset):
        for provider in queryset:
            show_secret_once(self, request, f"New API key for {provider.provider_id}; the old key no longer works",
                             services.provider_key_rotate(provider=provider))


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


@admin.register(RejectedSubmission)
class RejectedSubmissionAdmin(admin.ModelAdmin):
    """Every refused post, as received. Rows are evidence: read-only, re-processable, deletable."""

    list_display = ("created_at", "http_status", "reason_code", "webhook_id", "provider_id", "occurrences",
                    "last_seen_at", "request_id", "reprocessed_object_id")
    list_filter = ("http_status", "reason_code", "endpoint", ReprocessedFilter, "created_at")
    search_fields = ("webhook_id", "provider_id", "reason_code", "=request_id", "=phone_normalized")
    date_hierarchy = "created_at"
    actions = ("reprocess",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def get_search_results(self, request, queryset, search_term):
        """A phone typed in any common form also finds the rows stored under its normalised form."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = normalize_phone(search_term)
        except ValueError:
            return results, may_have_duplicates
        return results | queryset.filter(phone_normalized=phone), may_have_duplicates

    @admin.action(description="Re-process (after fixing the cause)", permissions=["change"])
    def reprocess(self, request, queryset):
        for submission in queryset:
            already = submission.reprocessed_object_id
            submission = services.rejected_submission_reprocess(submission=submission)
            if already:
                self.message_user(request, f"#{submission.pk}: already re-processed as lead #{already}.",
                                  messages.INFO)
            elif submission.reprocessed_object_id:
                self.message_user(request, f"#{submission.pk}: {submission.endpoint} #{submission.reprocessed_object_id} created.",
                                  messages.SUCCESS)
            else:
                self.message_user(request, f"#{submission.pk}: still refused: {submission.reprocess_error}",
                                  messages.ERROR)
