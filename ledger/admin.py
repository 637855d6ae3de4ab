"""Ops admin: ledger entries are read-only (a correction is a new entry: "Book an adjustment");
money a buyer paid in is recorded on its own page ("Record a deposit"); the changelist shows the
totals of what its filters select (buyer, source, kind, period)."""
import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from leadhub.actors import actor_for_user
from leadhub.admin import AuditLogAdmin, reason_field, refusal_words
from leadhub.errors import ServiceRefusal
from providers.models import LeadSourceProvider, WebhookConfig
from workspaces.models import Workspace

from .models import Entry, Side
from .selectors import ledger_totals
from .services import LedgerInvalid, deposit_record, ledger_adjustment_record


class _ValueFilter(admin.SimpleListFilter):
    """Entries of one buyer or source: the dimension is a plain value, so the choices come from
    its table (a workspace or provider deleted since is still found by the search box)."""

    def queryset(self, request, queryset):
        return queryset.filter(**{self.parameter_name: self.value()}) if self.value() else queryset


class BuyerFilter(_ValueFilter):
    title, parameter_name = "buyer", "workspace_id"

    def lookups(self, request, model_admin):
        return list(Workspace.objects.order_by("id").values_list("id", "name"))


class SourceFilter(_ValueFilter):
    title, parameter_name = "source", "provider_id"

    def lookups(self, request, model_admin):
        return list(LeadSourceProvider.objects.order_by("provider_id").values_list("provider_id", "provider_name"))


class AdjustmentForm(forms.Form):
    side = forms.ChoiceField(choices=Side.choices, help_text="Buyer: what it owes. Source: what it is owed.")
    workspace = forms.ModelChoiceField(Workspace.objects.order_by("id"), required=False, label="Buyer")
    provider = forms.ModelChoiceField(LeadSourceProvider.objects.order_by("provider_id"), required=False,
                                      label="Source (provider)", to_field_name="provider_id")
    webhook = forms.ModelChoiceField(WebhookConfig.objects.order_by("webhook_id"), required=False,
                                     label="Source (webhook)", to_field_name="webhook_id")
    amount = forms.DecimalField(max_digits=14, decimal_places=2, help_text="Signed: negative credits the buyer or "
                                                                          "takes back from the source.")
    reason = reason_field("Why the money is corrected; kept in the entry with who booked it.", label="Reason")
    # One id per form shown: a form posted twice books one entry (the ledger's unique reference).
    token = forms.UUIDField(widget=forms.HiddenInput)


class DepositForm(forms.Form):
    workspace = forms.ModelChoiceField(queryset=Workspace.objects.order_by("id"), help_text="The buyer that paid.")
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0.01, help_text="The money received.")
    reference = forms.CharField(max_length=80, help_text="The payment's own reference (a transfer or receipt number).")


@admin.register(Entry)
class EntryAdmin(AuditLogAdmin):
    list_display = ("created_at", "kind", "side", "amount", "currency", "workspace_id", "provider_id", "webhook_id",
                    "lead_id", "note")
    list_filter = ("kind", "side", BuyerFilter, SourceFilter, ("created_at", admin.DateFieldListFilter))
    search_fields = ("=workspace_id", "=provider_id", "=webhook_id", "=lead_id", "reference")

    def get_urls(self):
        return [path("adjust/", self.admin_site.admin_view(self.adjust_view), name="ledger_entry_adjust"),
                path("deposit/", self.admin_site.admin_view(self.deposit_view), name="ledger_entry_deposit"),
                *super().get_urls()]

    def has_add_adjustment_permission(self, request):
        return request.user.has_perm("ledger.add_entry")

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, {
            **(extra_context or {}), "has_add_adjustment_permission": self.has_add_adjustment_permission(request)})
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            rows = changelist.queryset
            kinds = rows.order_by().values("kind").annotate(total=Sum("amount"), entries=Count("id")).order_by("kind")
            totals = ledger_totals(entries=rows)
            response.context_data["ledger_totals"] = {
                "buyer_side": totals["sales"], "source_side": totals["payouts"], "margin": totals["margin"],
                "kinds": list(kinds)}
        return response

    def adjust_view(self, request):
        """Book an adjustment (ledger.services.ledger_adjustment_record): on a buyer or a source,
        an amount, a reason and who (the staff user)."""
        if not self.has_add_adjustment_permission(request):
            raise PermissionDenied
        form = AdjustmentForm(request.POST or None, initial={"token": uuid.uuid4()})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                entry = ledger_adjustment_record(
                    side=data["side"], amount=data["amount"], note=data["reason"], by=actor_for_user(request.user),
                    workspace_id=data["workspace"].pk if data["workspace"] else "",
                    provider_id=data["provider"].provider_id if data["provider"] else "",
                    webhook_id=data["webhook"].webhook_id if data["webhook"] else "",
                    reference=f"adjustment:{data['token']}",
                )
            except LedgerInvalid as exc:
                form.add_error(None, refusal_words(exc))
            else:
                self.message_user(request, f"Booked adjustment #{entry.pk}: {entry.amount} on the {entry.side} side.",
                                  messages.SUCCESS)
                return HttpResponseRedirect(f"{reverse('admin:ledger_entry_changelist')}?kind__exact=adjustment")
        return TemplateResponse(request, "admin/ledger/entry/adjust.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": "Book an adjustment", "form": form})

    def deposit_view(self, request):
        """Record money a buyer paid in (a `deposit`); who recorded it is kept in its note."""
        if not request.user.has_perm("ledger.add_entry"):
            raise PermissionDenied
        form = DepositForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                entry = deposit_record(workspace=data["workspace"], amount=data["amount"], reference=data["reference"],
                                       by=f"staff:{request.user.get_username()}")
            except ServiceRefusal as exc:
                form.add_error(None, refusal_words(exc))
            else:
                messages.success(request, f"Deposit of {-entry.amount} {entry.currency} recorded for "
                                          f"{data['workspace'].pk}.")
                return HttpResponseRedirect(reverse("admin:ledger_entry_changelist") + "?kind__exact=deposit")
        return TemplateResponse(request, "admin/ledger/deposit.html", {
            **self.admin_site.each_context(request), "title": "Record a deposit", "opts": self.opts, "form": form,
        })
