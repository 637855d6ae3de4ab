"""Ops admin: ledger entries are read-only (a correction is a new entry); a deposit is recorded on
its own page, through `ledger.services.deposit_record`."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from leadhub.admin import AuditLogAdmin, refusal_words
from leadhub.errors import ServiceRefusal
from workspaces.models import Workspace

from .models import Entry
from .services import deposit_record


class DepositForm(forms.Form):
    workspace = forms.ModelChoiceField(queryset=Workspace.objects.order_by("id"), help_text="The buyer that paid.")
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0.01, help_text="The money received.")
    reference = forms.CharField(max_length=80, help_text="The payment's own reference (a transfer or receipt number).")


@admin.register(Entry)
class EntryAdmin(AuditLogAdmin):
    list_display = ("created_at", "kind", "side", "amount", "currency", "workspace_id", "provider_id", "webhook_id",
                    "lead_id")
    list_filter = ("kind", "side")
    search_fields = ("=workspace_id", "=provider_id", "=webhook_id", "=lead_id", "reference")
    change_list_template = "admin/ledger/entry/change_list.html"

    def get_urls(self):
        return [path("deposit/", self.admin_site.admin_view(self.deposit_view), name="ledger_entry_deposit"),
                *super().get_urls()]

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
