"""Ops admin: offers (real widgets, no JSON), decisions (read-only) and the simulate page."""
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from leadhub.admin import AuditLogAdmin

from .forms import OfferForm, SimulateForm
from .models import DAYS, Decision, Offer, OfferFilter
from .services import lead_simulate


class OfferFilterInline(admin.TabularInline):
    model = OfferFilter
    extra = 1
    fields = ("column", "op", "value")


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    form = OfferForm
    list_display = ("__str__", "workspace", "kind", "priority", "weight", "is_active", "paused_at", "created_at")
    list_filter = ("kind", "is_active", "workspace")
    search_fields = ("name", "workspace__id", "workspace__name")
    readonly_fields = ("paused_at", "routing_rule", "forwarding_rule", "created_at", "updated_at")
    inlines = [OfferFilterInline]
    fieldsets = (
        (None, {"fields": ("workspace", "name", "kind", "products_text", "priority", "weight", "is_active",
                           "paused_at")}),
        ("Where", {"fields": ("zip_text", "states_text", ("radius_zip", "radius_miles"))}),
        ("When (buyer's time zone)", {"fields": (*(f"hours_{d}" for d in DAYS), "dates_off_text")}),
        ("Made from", {"fields": ("routing_rule", "forwarding_rule", "created_at", "updated_at")}),
    )

    def get_urls(self):
        opts = self.opts
        return [
            path("simulate/", self.admin_site.admin_view(self.simulate_view),
                 name=f"{opts.app_label}_{opts.model_name}_simulate"),
            *super().get_urls(),
        ]

    def simulate_view(self, request):
        """The decision table for a lead or a payload, without distributing it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = SimulateForm(request.POST or request.GET or None)
        outcome = None
        if form.is_bound and form.is_valid():
            outcome = lead_simulate(lead=form.cleaned_data["lead"], strategy=form.cleaned_data["strategy"])
        context = {
            **self.admin_site.each_context(request), "title": "Simulate distribution", "opts": self.opts,
            "form": form, "outcome": outcome,
            "winner_ids": {c.offer.pk for c in outcome.winners} if outcome else set(),
        }
        return TemplateResponse(request, "admin/distribution/simulate.html", context)


@admin.register(Decision)
class DecisionAdmin(AuditLogAdmin):
    list_display = ("lead", "webhook_id", "strategy", "result", "workspace_ids", "created_at")
    list_filter = ("result", "strategy")
    search_fields = ("=lead__id", "webhook_id")
    list_select_related = ("lead",)
