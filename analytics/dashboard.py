"""The ops dashboard's charts: each one is a table (also its CSV download) plus an SVG drawing.

Figures come from the same KPI selectors and cache as the API (caller "ops", all workspaces), so
the dashboard and `GET /api/v1/analytics/...` always agree.
"""
from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from analytics import charts, selectors
from analytics.margin import MARGIN_FRESH_SECONDS, margin_by, return_rates
from analytics.services import analytics_cached
from leadhub.admin import money_display, percent_display
from leadhub.choices import LeadType
from leads.holds import HOLD_REASONS
from leads.services.ingest import COMPLIANCE_REFUSALS

TOP = 10

# The page's table headers in words (the CSV keeps the column names, for spreadsheets and scripts).
HEADINGS = {
    "date": "Day", "step": "Step", "leads": "Leads", "stage_active": "Stage active", "provider_id": "Provider",
    "converted_leads": "Converted leads", "conversion_rate": "Conversion rate", "revenue": "Revenue",
    "rejected_submissions": "Rejected posts", "rejection_rate": "Rejection rate", "workspace_id": "Workspace",
    "conversions": "Conversions", "mean_seconds_to_conversion": "Mean time to conversion",
    "median_seconds_to_conversion": "Median time to conversion", "state": "State", "zip": "ZIP code",
    "margin_pct": "Margin %", "return_rate": "Return rate",
    **{vertical: label for vertical, label in LeadType.choices},
}


def duration_display(seconds):
    if seconds is None:
        return None
    minutes = round(float(seconds) / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days {hours % 24} h"


def _readable(column, value):
    if value is None:
        return None
    if column in ("revenue", "sales", "payouts", "margin", "credits", "chargebacks"):
        return money_display(value)
    if column.endswith(("_rate", "_pct")):
        return percent_display(value)
    if column.endswith("_seconds_to_conversion"):
        return duration_display(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column in ("provider_id", "workspace_id", "source") and value == "":
        return "(none)"
    return value


@dataclass
class Chart:
    slug: str
    title: str
    columns: list
    rows: list
    svg: str = ""
    notes: str = ""

    @property
    def headings(self):
        return [HEADINGS.get(column, column.replace("_", " ").capitalize()) for column in self.columns]

    @property
    def readable_rows(self):
        return [[_readable(column, value) for column, value in zip(self.columns, row, strict=False)] for row in self.rows]


def _kpi(name, selector, date_from, date_to, **options):
    params = {"workspace": None, "from": date_from, "to": date_to, **options}
    data, _cached = analytics_cached(
        kpi=name, caller="ops", params=params,
        compute=lambda: selector(workspace_id=None, date_from=date_from, date_to=date_to, **options),
    )
    return data


def leads_per_day(date_from, date_to):
    points = _kpi("daily", selectors.daily_series, date_from, date_to)
    days = [date_from + timedelta(days=offset) for offset in range((date_to - date_from).days + 1)]
    verticals = list(LeadType.values)
    counts = {(point["date"], point["lead_type"]): point["leads"] for point in points}
    rows = [[day.isoformat(), *(counts.get((day.isoformat(), vertical), 0) for vertical in verticals)] for day in days]
    series = {LeadType(vertical).label: [row[1 + index] for row in rows] for index, vertical in enumerate(verticals)}
    return Chart(
        "leads-per-day", "Leads per day by vertical", ["date", *verticals], rows,
        charts.line_chart([day.isoformat() for day in days], series),
    )


def funnel(date_from, date_to):
    steps = _kpi("funnel", selectors.pipeline_funnel, date_from, date_to)
    rows = [[step["step"], step["leads"], step["is_active"]] for step in steps]
    labels = [(step["label"] + ("" if step["is_active"] else " (inactive)"), step["leads"]) for step in steps]
    return Chart(
        "funnel", "Funnel: leads → pipeline stages (configured order) → appointment → conversion",
        ["step", "leads", "stage_active"], rows, charts.bar_chart(labels),
        notes="A stage counts leads that are or ever were in it.",
    )


PROVIDER_COLUMNS = ["provider_id", "leads", "converted_leads", "conversion_rate", "revenue",
                    "rejected_submissions", "rejection_rate"]


def _providers(date_from, date_to):
    return _kpi("providers", selectors.provider_performance, date_from, date_to)


def providers_by_revenue(date_from, date_to):
    providers = _providers(date_from, date_to)
    rows = [[provider[column] for column in PROVIDER_COLUMNS] for provider in providers]
    top = [(provider["provider_id"] or "(none)", Decimal(provider["revenue"])) for provider in providers[:TOP]]
    return Chart("providers-by-revenue", "Top providers by revenue", PROVIDER_COLUMNS, rows, charts.bar_chart(top, unit="$"))


def providers_by_rejection(date_from, date_to):
    providers = sorted(_providers(date_from, date_to), key=lambda p: (-p["rejection_rate"], p["provider_id"] or ""))
    rows = [[provider[column] for column in PROVIDER_COLUMNS] for provider in providers]
    top = [(provider["provider_id"] or "(none)", provider["rejection_rate"]) for provider in providers[:TOP]]
    return Chart(
        "providers-by-rejection", "Top providers by rejection rate", PROVIDER_COLUMNS, rows,
        charts.bar_chart(top, unit="%"), notes="Rejected ÷ (rejected + accepted leads).",
    )


def workspace_revenue(date_from, date_to):
    workspaces = _kpi("workspaces", selectors.workspace_efficiency, date_from, date_to)
    columns = ["workspace_id", "conversions", "revenue", "mean_seconds_to_conversion", "median_seconds_to_conversion"]
    rows = [[workspace[column] for column in columns] for workspace in workspaces]
    bars = [(workspace["workspace_id"] or "(none)", Decimal(workspace["revenue"])) for workspace in workspaces[:TOP]]
    return Chart("workspace-revenue", "Workspace revenue", columns, rows, charts.bar_chart(bars, unit="$"))


def _geography(group, title, date_from, date_to):
    areas = _kpi("geography", selectors.geographic_performance, date_from, date_to, group=group, limit=50)
    columns = [group, "leads", "converted_leads", "conversion_rate", "revenue"]
    return Chart(group + "s", title, columns, [[area[column] for column in columns] for area in areas])


def states(date_from, date_to):
    return _geography("state", "Top states by revenue", date_from, date_to)


def zips(date_from, date_to):
    return _geography("zip", "Top ZIP codes by revenue", date_from, date_to)


def webhook_sales(date_from, date_to):
    webhooks = _kpi("webhooks", selectors.webhook_sales, date_from, date_to)
    columns = ["webhook_id", "sold_leads", "unsold_leads", "sales", "payouts", "margin"]
    rows = [[webhook[column] for column in columns] for webhook in webhooks]
    top = sorted((w for w in webhooks if Decimal(w["margin"]) > 0), key=lambda w: -Decimal(w["margin"]))[:TOP]
    bars = [(webhook["webhook_id"] or "(none)", Decimal(webhook["margin"])) for webhook in top]
    return Chart("webhook-sales", "Webhooks: sold and unsold, sales, payouts, margin (ledger)", columns, rows,
                 charts.bar_chart(bars, unit="$"), notes="Margin = sales - payouts; credits count against sales.")


def buyer_sales(date_from, date_to):
    offers = _kpi("buyers", selectors.buyer_offer_sales, date_from, date_to)
    columns = ["workspace_id", "offer", "leads_sold", "sales", "caps", "verdicts"]

    def caps_text(caps):
        return "; ".join(f"{c['scope']} {c['measure']}/{c['window']}: {c['used']} of {c['maximum']}" for c in caps)

    def verdicts_text(verdicts):
        return ", ".join(f"{reason} {n}" for reason, n in verdicts.items())

    rows = [[o["workspace_id"], o["offer"], o["leads_sold"], o["sales"], caps_text(o["caps"]), verdicts_text(o["verdicts"])]
            for o in offers]
    return Chart("buyer-sales", "Buyers and offers: leads sold, sales, cap usage, verdicts", columns, rows,
                 notes="Cap usage is the current window's, in the buyer's time zone.")


def compliance(date_from, date_to):
    """Refusals and holds by compliance reason, per day and webhook (the compliance KPI)."""
    days = _kpi("compliance", selectors.compliance_counts, date_from, date_to)
    refused = list(days[0]["refused"]) if days else list(COMPLIANCE_REFUSALS)
    held = list(days[0]["held"]) if days else list(HOLD_REASONS)
    columns = ["date", "webhook_id", *(f"refused_{reason}" for reason in refused), *(f"held_{reason}" for reason in held)]
    rows = [[day["date"], day["webhook_id"], *(day["refused"][reason] for reason in refused),
             *(day["held"][reason] for reason in held)] for day in days]
    refused_per_day, held_per_day = Counter(), Counter()
    for day in days:
        refused_per_day[day["date"]] += sum(day["refused"].values())
        held_per_day[day["date"]] += sum(day["held"].values())
    dates = [(date_from + timedelta(days=offset)).isoformat() for offset in range((date_to - date_from).days + 1)]
    series = {"Refused": [refused_per_day[day] for day in dates], "Held": [held_per_day[day] for day in dates]}
    return Chart(
        "compliance", "Compliance: posts refused and leads held, by reason, per day and webhook", columns, rows,
        charts.line_chart(dates, series),
        notes="Refused: posts a compliance check turned away (kept as rejected submissions). "
              "Held: holds placed that day, on the lead's webhook.",
    )


def _fresh_kpi(name, selector, date_from, date_to, **options):
    """A margin KPI as the API caches it (the same key and shape): (its rows, when computed)."""
    params = {"workspace": None, "from": date_from, "to": date_to, **options}
    data, _cached = analytics_cached(
        kpi=name, caller="ops", params=params, ttl_seconds=MARGIN_FRESH_SECONDS,
        compute=lambda: {"as_of": timezone.now().isoformat(),
                         "results": selector(date_from=date_from, date_to=date_to, **options)},
    )
    return data["results"], data["as_of"]


def margin_by_source(date_from, date_to):
    rows, as_of = _fresh_kpi("margin", margin_by, date_from, date_to, by="source")
    columns = ["source", "sales", "credits", "payouts", "chargebacks", "margin", "margin_pct"]
    totals = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:  # the range's days summed per source
        for column in columns[1:-1]:
            totals[row["source"]][column] += Decimal(row[column])
    table = [[source, *(figures[c] for c in columns[1:-1]),
              (figures["margin"] * 100 / (figures["sales"] - figures["credits"])).quantize(Decimal("0.01"))
              if figures["sales"] - figures["credits"] else None]
             for source, figures in sorted(totals.items())]
    top = sorted((row for row in table if row[5] > 0), key=lambda row: -row[5])[:TOP]
    return Chart("margin-by-source", "Margin by source (ledger)", columns, table,
                 charts.bar_chart([(row[0] or "(none)", row[5]) for row in top], unit="$"),
                 notes=f"Figures as of {as_of} (at most {MARGIN_FRESH_SECONDS} s old). Margin = (sales - credits) - "
                       "(payouts - chargebacks); by webhook, sub-source, buyer, lead type and day: "
                       "GET /api/v1/analytics/margin/?by=…")


def return_rate_by_source(date_from, date_to):
    rows, as_of = _fresh_kpi("return-rate", return_rates, date_from, date_to)
    columns = ["source", "sales", "returns", "return_rate", "by_reason"]
    table = [[row["source"], row["sales"], row["returns"], row["return_rate"],
              ", ".join(f"{reason} {n}" for reason, n in row["by_reason"].items())] for row in rows]
    return Chart("return-rate", "Returns by source and reason", columns, table,
                 notes=f"Figures as of {as_of}. Return rate = returns / sales (ledger entries).")


CHARTS = {
    "leads-per-day": leads_per_day,
    "funnel": funnel,
    "providers-by-revenue": providers_by_revenue,
    "providers-by-rejection": providers_by_rejection,
    "workspace-revenue": workspace_revenue,
    "states": states,
    "zips": zips,
    "webhook-sales": webhook_sales,
    "buyer-sales": buyer_sales,
    "compliance": compliance,
    "margin-by-source": margin_by_source,
    "return-rate": return_rate_by_source,
}


def dashboard_charts(date_from: date, date_to: date) -> list[Chart]:
    return [build(date_from, date_to) for build in CHARTS.values()]
