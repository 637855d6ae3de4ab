"""Ops admin: statements are read-only snapshots; the list totals what it lists, a statement's
page shows its lines, and each downloads as CSV or as a PDF invoice."""
from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from leadhub.admin import CsvExportMixin, ReadOnlyAdmin
from ledger.services import CENT

from .documents import statement_csv, statement_pdf
from .models import Statement
from .parties import PARTIES
from .selectors import StatementView, statement_lines

TOTALS = ("entry_count", "leads_bought", "appointments_bought", "gross_sales", "returns_credited",
          "undelivered_credited", "adjustments", "deposits", "conversions_reported", "leads_accepted", "payouts",
          "chargebacks", "net")


def _figure(name, value):
    """A total as its column shows it: a count whole, money to the cent (SQLite's sums drop them)."""
    field = Statement._meta.get_field(name)
    return Decimal(value or 0).quantize(CENT) if field.get_internal_type() == "DecimalField" else value or 0


@admin.register(Statement)
class StatementAdmin(CsvExportMixin, ReadOnlyAdmin):
    list_display = ("period", "party_kind", "party_id", "period_kind", "starts_at", "entry_count", "gross_sales",
                    "returns_credited", "deposits", "payouts", "chargebacks", "adjustments", "net", "closed_at")
    list_filter = ("party_kind", "period_kind")
    search_fields = ("=party_id", "=period")
    actions = ("export_csv",)
    readonly_fields = ("documents", "lines_table")

    def get_fields(self, request, obj=None):
        names = PARTIES[obj.party_kind].figure_names if obj else ()
        return ("documents", "party_kind", "party_id", "period", "period_kind", "time_zone", "starts_at", "ends_at",
                "closed_at", "entry_count", *names, "lines_table")

    def get_urls(self):
        return [
            path("<path:object_id>/csv/", self.admin_site.admin_view(self.csv_view), name="billing_statement_csv"),
            path("<path:object_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_statement_pdf"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            sums = changelist.queryset.aggregate(count=Count("id"), **{name: Sum(name) for name in TOTALS})
            figures = [(name.replace("_", " "), _figure(name, sums[name])) for name in TOTALS]
            response.context_data["totals"] = {"count": sums["count"], "figures": figures}
        return response

    def _view(self, request, object_id) -> StatementView:
        if not self.has_view_permission(request):
            raise PermissionDenied
        statement = self.get_object(request, object_id)
        if statement is None:
            raise Http404
        return StatementView(statement=statement, lines=list(statement_lines(statement)))

    def csv_view(self, request, object_id):
        view = self._view(request, object_id)
        response = HttpResponse(statement_csv(view), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self._filename(view.statement)}.csv"'
        return response

    def pdf_view(self, request, object_id):
        view = self._view(request, object_id)
        response = HttpResponse(statement_pdf(view), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{self._filename(view.statement)}.pdf"'
        return response

    @staticmethod
    def _filename(statement):
        return f"statement-{statement.party_kind}-{statement.party_id}-{statement.period}"

    @admin.display(description="Download")
    def documents(self, obj):
        return format_html('<a href="{}">CSV</a> · <a href="{}">PDF invoice</a>',
                           reverse("admin:billing_statement_csv", args=[obj.pk]),
                           reverse("admin:billing_statement_pdf", args=[obj.pk]))

    @admin.display(description="Lines (ledger entries)")
    def lines_table(self, obj):
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (entry.pk, entry.created_at, entry.kind, entry.amount, entry.lead_id or "", entry.reference or entry.note)
            for entry in statement_lines(obj)))
        return format_html("<table><tr><th>Entry</th><th>Written</th><th>Kind</th><th>Amount</th><th>Lead</th>"
                           "<th>Reference</th></tr>{}</table>", rows)
