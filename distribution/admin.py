"""Ops admin: offers (real widgets, no JSON, prices, caps), decisions and sales (read-only; a
source's payout taken back from there), the unsold queue with "distribute again", and the
simulate page."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html, format_html_join
from django.template.response import TemplateResponse
from django.urls import path, reverse

from leadhub.actors import actor_for_user
from leadhub.admin import AuditLogAdmin, BaseAdmin, ConfirmationPageMixin, ReasonForm, reason_field, refusal_words
from leadhub.errors import ServiceRefusal
from leads.admin import lead_admin_action, lead_admin_panel
from workspaces.admin import webhook_state_words

from .forms import DistributeAgainForm, HandSaleForm, OfferForm, SimulateForm
from .hand import lead_sell_by_hand
from .models import DAYS, Cap, Decision, Offer, OfferFilter, OfferPriceAdjustment, Sale, UnsoldLead
from .selectors import decision_offers, lead_decision_latest, leads_without_strategy, unsold_leads, zero_price_offers
from .services import lead_simulate, leads_distribute_again, payout_chargeback
from .verdicts import verdict_words


@lead_admin_action
@admin.action(description="Assign to workspace (sells)", permissions=["change"])
def assign_to_workspace(modeladmin, request, queryset):
    """Choose the buyer (and a price, or its best offer's) on an intermediate page; each lead is
    sold to it by hand (distribution.hand.lead_sell_by_hand). A lead the service refuses (held, a
    full cap, sold exclusively to another buyer, no offer and no price) is named with why."""
    leads = modeladmin._selected(request, queryset)
    if leads is None:
        return None
    form = HandSaleForm(modeladmin.confirmation_data(request))
    if form.is_bound and form.is_valid():
        data, by = form.cleaned_data, actor_for_user(request.user)
        sold, refused = [], []
        for lead in leads:
            try:
                sale = lead_sell_by_hand(lead=lead, workspace=data["workspace"], by=by, price=data["price"],
                                         reason=data["reason"])
                sold.append(sale)
            except ServiceRefusal as exc:
                refused.append(f"#{lead.pk}: {refusal_words(exc)}")
        if sold:
            total = sum(sale.price for sale in sold)
            modeladmin.message_user(request, f"Assigned {len(sold)} lead(s) to {data['workspace']}, sold for {total} "
                                             "in all.", messages.SUCCESS)
        if refused:
            modeladmin.message_user(request, f"Not assigned: {'; '.join(refused)}", messages.ERROR)
        return None
    return modeladmin.confirmation_page(
        request, template="admin/leads/lead/assign_to_workspace.html", title="Assign (sell) leads to a workspace",
        action="assign_to_workspace", selected=leads, form=form,
    )


@lead_admin_panel
@admin.display(description="Distribution decision")
def distribution_decision(lead):
    """The latest decision row (distribution writes one per attempt): the result, who got the
    lead by which strategy, the refusals per check and each candidate's verdict."""
    decision = lead_decision_latest(lead=lead) if lead.pk else None
    if decision is None:
        return "— (not distributed)"
    refused = ", ".join(f"{verdict_words(check)} {count}" for check, count in sorted(decision.refused.items())) or "none"
    rows = format_html_join(
        "", "<tr><td>#{}</td><td>{}</td><td>{}</td><td>{}</td><td title=\"{}\">{}</td></tr>",
        ((row["offer_id"], row["workspace_id"], row["priority"], row["where"], row["verdict"], words)
         for row, words in candidate_verdicts(decision)),
    )
    return format_html(
        '<div class="distribution-decision"><p>{} by {} at {}: {}; refused: {}{}</p>'
        "<table><thead><tr><th>offer</th><th>workspace</th><th>priority</th><th>where</th><th>verdict</th>"
        "</tr></thead><tbody>{}</tbody></table></div>",
        decision.get_result_display(), decision.strategy or "forwarding only", decision.created_at,
        ", ".join(decision.workspace_ids) or "no buyer", refused,
        format_html(" ({})", decision.error) if decision.error else "", rows,
    )


def candidate_verdicts(decision):
    """[(candidate row, its verdict in words)] of a decision: a closed offer names its schedule in
    its buyer's time zone (one query for the offers that still exist)."""
    offers = decision_offers(decision)
    return [
        (row, verdict_words(row.get("verdict", ""), offer=(offer := offers.get(row.get("offer_id"))),
                            time_zone=offer.workspace.time_zone if offer else "", figures=row))
        for row in decision.candidates
    ]


class ChargebackForm(ReasonForm):
    reason = reason_field("Say why the source is not paid for these leads; kept in the chargeback's note.",
                          label="Reason (required)")


class OfferFilterInline(admin.TabularInline):
    model = OfferFilter
    extra = 1
    fields = ("column", "op", "value")


class OfferPriceAdjustmentInline(admin.TabularInline):
    model = OfferPriceAdjustment
    extra = 0
    fields = ("column", "op", "value", "amount")


class OfferCapInline(admin.TabularInline):
    model = Cap
    extra = 0
    fields = ("window", "measure", "maximum")
    verbose_name = "cap on this offer"


@admin.register(Offer)
class OfferAdmin(BaseAdmin):
    form = OfferForm
    list_display = ("__str__", "workspace", "kind", "priority", "weight", "is_active", "paused_at", "created_at")
    list_filter = ("kind", "is_active", "workspace")
    search_fields = ("name", "workspace__id", "workspace__name")
    readonly_fields = ("paused_at", "routing_rule", "forwarding_rule", "created_at", "updated_at", "buyer_webhook")
    inlines = [OfferFilterInline, OfferPriceAdjustmentInline, OfferCapInline]
    fieldsets = (
        (None, {"fields": ("workspace", "buyer_webhook", "name", "kind", "products_text", "priority", "weight",
                           "is_active", "paused_at")}),
        ("Prices (ledger currency)", {"fields": ("price", "appointment_price", "zero_price_reason", "exclusive_price",
                                                 "duplicate_days")}),
        ("Returns (the buyer's limits)", {"fields": ("return_window_hours", "return_cap_count", "return_cap_percent")}),
        ("Where", {"fields": ("zip_text", "states_text", ("radius_zip", "radius_miles"))}),
        ("When (buyer's time zone)", {"fields": (*(f"hours_{d}" for d in DAYS), "dates_off_text")}),
        ("Made from", {"fields": ("routing_rule", "forwarding_rule", "created_at", "updated_at")}),
    )

    def changelist_view(self, request, extra_context=None):
        """Every live $0 offer is listed as a warning (with its reason) until ops price or pause it."""
        free = list(zero_price_offers())
        if free:
            self.message_user(request, format_html(
                "{} live offer(s) sell at $0; price or pause them: {}", len(free),
                format_html_join("; ", '<a href="{}">{}</a> ({}): {}', (
                    (self._change_url(offer), offer, offer.workspace_id, offer.zero_price_reason) for offer in free
                )),
            ), messages.WARNING)
        return super().changelist_view(request, extra_context)

    @admin.display(description="Buyer's webhook")
    def buyer_webhook(self, obj):
        return webhook_state_words(obj.workspace if obj and obj.workspace_id else None)

    def _change_url(self, offer):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[offer.pk])

    def save_formset(self, request, form, formset, change):
        """An offer's caps belong to the offer's buyer."""
        if formset.model is Cap:
            for cap in formset.save(commit=False):
                cap.workspace_id = form.instance.workspace_id
                cap.save()
            for cap in formset.deleted_objects:
                cap.delete()
            return
        super().save_formset(request, form, formset, change)

    def get_urls(self):
        opts = self.opts
        return [
            path("simulate/", self.admin_site.admin_view(self.simulate_view),
                 name=f"{opts.app_label}_{opts.model_name}_simulate"),
            *super().get_urls(),
        ]

    def simulate_view(self, request):
        """The decision table for a lead or a payload, decided as distribution would, without
        distributing it (distribution.services.lead_simulate)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = SimulateForm(request.POST or request.GET or None)
        simulation = None
        if form.is_bound and form.is_valid():
            simulation = lead_simulate(lead=form.cleaned_data["lead"], strategy=form.cleaned_data["strategy"])
        context = {
            **self.admin_site.each_context(request), "title": "Simulate distribution", "opts": self.opts,
            "form": form, "simulation": simulation,
            "winner_ids": {c.offer.pk for c in simulation.winners} if simulation else set(),
        }
        return TemplateResponse(request, "admin/distribution/simulate.html", context)


@admin.register(Decision)
class DecisionAdmin(AuditLogAdmin):
    list_display = ("lead", "webhook_id", "strategy", "result", "workspace_ids", "created_at")
    list_filter = ("result", "strategy")
    search_fields = ("=lead__id", "webhook_id")
    list_select_related = ("lead",)
    readonly_fields = ("verdicts",)

    @admin.display(description="Verdicts")
    def verdicts(self, obj):
        """Each candidate's verdict in words, with its offer's schedule in its buyer's time zone."""
        return format_html_join("", "<p title=\"{}\">offer #{} ({}): {}</p>", (
            (row.get("verdict", ""), row.get("offer_id"), row.get("workspace_id"), words)
            for row, words in candidate_verdicts(obj)
        )) or "—"


@admin.register(Cap)
class CapAdmin(BaseAdmin):
    """Caps on an offer or (offer empty) on a buyer across its offers."""

    list_display = ("__str__", "workspace", "offer", "window", "measure", "maximum")
    list_filter = ("window", "measure")
    search_fields = ("workspace__id",)
    raw_id_fields = ("offer",)


@admin.register(Sale)
class SaleAdmin(ConfirmationPageMixin, AuditLogAdmin):
    list_display = ("lead", "workspace", "offer", "price", "exclusive", "sold_at")
    list_filter = ("exclusive",)
    search_fields = ("=lead__id", "=workspace__id")
    list_select_related = ("lead", "workspace", "offer")
    raw_id_fields = ("lead", "offer")
    actions = ["payouts_charge_back"]

    @admin.action(description="Take back the sources' payouts for these sales' leads", permissions=["chargeback"])
    def payouts_charge_back(self, request, queryset):
        form = ChargebackForm(self.confirmation_data(request))
        if form.is_bound and form.is_valid():
            by = actor_for_user(request.user)
            leads = {sale.lead_id: sale.lead for sale in queryset}.values()
            taken = [e for lead in leads
                     if (e := payout_chargeback(lead=lead, by=by, reason=form.cleaned_data["reason"]))]
            self.message_user(
                request, f"Payouts taken back: {len(taken)} of {len(leads)} leads (the others had none, or it "
                         "was already taken back).", messages.SUCCESS if taken else messages.WARNING)
            return None
        return self.confirmation_page(
            request, template="admin/distribution/sale/chargeback.html", title="Take back sources' payouts",
            action="payouts_charge_back", selected=queryset.select_related("lead"), form=form,
        )

    def has_chargeback_permission(self, request):
        return request.user.has_perm("ledger.add_entry")


@admin.register(UnsoldLead)
class UnsoldLeadAdmin(ConfirmationPageMixin, AuditLogAdmin):
    """The unsold queue: no buyer holds these leads. "Distribute again" runs the engine on the
    selected leads now (their webhook's strategy, caps and prices as they are); when a selected
    lead's webhook has no strategy (it does not distribute), a page asks ops which to use first."""

    list_display = ("id", "webhook_id", "lead_type", "zip_code", "state", "held_for_consent", "created_at")
    list_filter = ("held_for_consent", "lead_type", "webhook_id")
    search_fields = ("=id", "=webhook_id", "phone")
    actions = ["distribute_again"]

    def get_queryset(self, request):
        return unsold_leads()

    @admin.action(description="Distribute again", permissions=["distribute"])
    def distribute_again(self, request, queryset):
        leads, strategy = list(queryset), ""
        silent = {lead.pk for lead in leads_without_strategy(leads)}
        if silent:
            form = DistributeAgainForm(self.confirmation_data(request))
            if not (form.is_bound and form.is_valid()):
                for lead in leads:
                    lead.webhook_distributes = lead.pk not in silent
                return self.confirmation_page(
                    request, template="admin/distribution/unsoldlead/distribute_again.html", title="Distribute again",
                    action="distribute_again", selected=leads, form=form, silent=len(silent),
                )
            strategy = form.cleaned_data["strategy"]
        counts = leads_distribute_again(leads=leads, strategy=strategy)
        self.message_user(
            request, f"Distributed again: {counts['sold']} sold, {counts['unsold']} still unsold, "
                     f"{counts['skipped']} already had a buyer.",
            messages.SUCCESS if counts["sold"] else messages.WARNING,
        )

    def has_distribute_permission(self, request):
        return request.user.has_perm("distribution.change_offer")
