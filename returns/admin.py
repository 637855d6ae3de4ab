"""Ops' returns queue: requested returns first, approved or rejected by an action (the same
services the API's auto-approval uses); each return's page is the evidence a dispute needs."""
from django import forms
from django.contrib import admin, messages
from django.db.models import Case, Value, When
from django.utils.html import format_html, format_html_join

from leadhub.actors import actor_for_user
from leadhub.admin import (BaseAdmin, ConfirmationPageMixin, NoWritesMixin, change_link_by_id, json_display,
                           money_display, reason_field, refusal_words)
from leadhub.errors import ServiceRefusal
from leads.models import Lead

from .models import Return, ReturnReason, ReturnState
from .selectors import return_evidence
from .services import return_approve, return_reject


@admin.register(ReturnReason)
class ReturnReasonAdmin(BaseAdmin):
    list_display = ("code", "label", "is_active", "auto_approve")
    list_filter = ("is_active", "auto_approve")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()  # the code is what buyers send: fixed once made

    def has_delete_permission(self, request, obj=None):
        return False  # switch a reason off instead: returns keep naming it


class ApproveForm(forms.Form):
    reason = reason_field("Optional: what ops checked.", required=False)


class RejectForm(forms.Form):
    reason = reason_field("Say why: the buyer is told.", label="Reason (required)")


class StateFilter(admin.SimpleListFilter):
    """Requested first: the queue ops work through."""

    title, parameter_name = "state", "state"

    def lookups(self, request, model_admin):
        return ReturnState.choices

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


@admin.register(Return)
class ReturnAdmin(NoWritesMixin, ConfirmationPageMixin, BaseAdmin):
    list_display = ("id", "state", "lead_link", "workspace", "reason", "requested_at", "decided_at", "decided_by")
    list_filter = (StateFilter, "reason")
    list_select_related = ("reason", "workspace")
    search_fields = ("=lead__id", "=workspace__id")
    actions = ["approve_returns", "reject_returns"]
    fieldsets = (
        (None, {"fields": ("state", "lead_link", "workspace", "sale_line", "reason", "note", "requested_at",
                           "requested_by", "window_started_at", "decided_at", "decided_by", "decision_reason",
                           "verified")}),
        ("Consent as captured", {"fields": ("consent",)}),
        ("Deliveries to this buyer", {"fields": ("deliveries",)}),
        ("Checks", {"fields": ("duplicate_check", "suppression_check", "earlier_returns")}),
    )
    readonly_fields = ("lead_link", "sale_line", "consent", "deliveries", "duplicate_check", "suppression_check",
                       "earlier_returns")

    # The queue: requested returns first, newest first.
    ordering = (Case(When(state=ReturnState.REQUESTED, then=Value(0)), default=Value(1)).asc(), "-requested_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sale", "lead", "workspace", "reason")

    def _evidence(self, obj):
        """Read once per page: every evidence field of the return shows a part of it."""
        if not hasattr(obj, "_evidence"):
            obj._evidence = return_evidence(ret=obj)
        return obj._evidence

    @admin.display(description="Lead")
    def lead_link(self, obj):
        return change_link_by_id(Lead, obj.lead_id, f"#{obj.lead_id}")

    @admin.display(description="Sale")
    def sale_line(self, obj):
        sale = obj.sale
        return f"#{sale.pk}: {money_display(sale.price)} by offer #{sale.offer_id or '—'} at {sale.sold_at:%Y-%m-%d %H:%M} UTC"

    @admin.display(description="Consent")
    def consent(self, obj):
        captured = self._evidence(obj)["consent"]
        verified = captured["verified"]
        rows = json_display({key: value for key, value in captured.items() if key != "verified"})
        checks = format_html_join("", "<li>{}: {} {}</li>", ((e.kind, e.outcome, e.reason) for e in verified))
        return format_html("{}<ul>{}</ul>", rows, checks) if verified else rows

    @admin.display(description="Deliveries (time, answer code, attempts)")
    def deliveries(self, obj):
        rows = []
        for event, attempts in self._evidence(obj)["deliveries"]:
            tries = "; ".join(f"{a.created_at:%Y-%m-%d %H:%M:%S} {a.status_code or '—'} {a.outcome}" for a in attempts)
            rows.append((event.event_type, event.status, event.delivered_at or "—", event.last_status_code or "—",
                         event.attempts, tries or "—"))
        if not rows:
            return "None: the buyer takes no deliveries (its return window counts from the sale)."
        return format_html(
            "<table><tr><th>event</th><th>status</th><th>delivered at</th><th>answer</th><th>attempts</th>"
            "<th>each attempt</th></tr>{}</table>",
            format_html_join("", "<tr>" + "<td>{}</td>" * 6 + "</tr>", rows))

    @admin.display(description="Duplicate")
    def duplicate_check(self, obj):
        evidence = self._evidence(obj)
        earlier = evidence["duplicate_of"]
        words = (f"The buyer bought lead #{earlier.lead_id} with this phone on {earlier.sold_at:%Y-%m-%d}, inside "
                 "its offer's duplicate window." if earlier else
                 "No earlier sale of this phone to the buyer inside its offer's duplicate window.")
        matched = evidence["intake_duplicates"]
        return f"{words} At intake: {len(matched)} duplicate rule match(es)." if matched else words

    @admin.display(description="Suppression")
    def suppression_check(self, obj):
        return ("Suppressed for this buyer now (a list, registry or its opt-out)." if self._evidence(obj)["suppressed_now"]
                else "Not suppressed for this buyer.")

    @admin.display(description="The buyer's earlier returns")
    def earlier_returns(self, obj):
        rate = self._evidence(obj)["earlier_returns"]
        share = f"{rate['rate']}%" if rate["rate"] is not None else "—"
        return (f"Before this one: {rate['returns']} return(s), {rate['approved']} approved, of {rate['bought']} "
                f"lead(s) bought: {share}.")

    def _decide(self, request, queryset, *, approving):
        form_class = ApproveForm if approving else RejectForm
        form = form_class(self.confirmation_data(request))
        selected = queryset.select_related("reason")
        if form.is_bound and form.is_valid():
            by, done, refused = actor_for_user(request.user), 0, []
            for ret in selected:
                try:
                    if approving:
                        return_approve(ret=ret, by=by, reason=form.cleaned_data["reason"])
                    else:
                        return_reject(ret=ret, by=by, reason=form.cleaned_data["reason"])
                    done += 1
                except ServiceRefusal as exc:
                    refused.append(f"#{ret.pk}: {refusal_words(exc)}")
            verb = "Approved" if approving else "Rejected"
            if done:
                self.message_user(request, f"{verb} {done} return(s).", messages.SUCCESS)
            if refused:
                self.message_user(request, f"Not {verb.lower()}: {'; '.join(refused)}", messages.ERROR)
            return None
        return self.confirmation_page(
            request, template="admin/returns/return/decide.html",
            title="Approve returns (credit the buyers)" if approving else "Reject returns",
            action="approve_returns" if approving else "reject_returns", selected=selected, form=form,
            approving=approving,
        )

    @admin.action(description="Approve (credit the buyers)", permissions=["decide"])
    def approve_returns(self, request, queryset):
        return self._decide(request, queryset, approving=True)

    @admin.action(description="Reject (say why)", permissions=["decide"])
    def reject_returns(self, request, queryset):
        return self._decide(request, queryset, approving=False)

    def has_decide_permission(self, request):
        return request.user.has_perm("returns.change_return")
