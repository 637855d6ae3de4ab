"""KPI reads for the API and the dashboard.

Every function takes `workspace_id` (None = ops, every workspace) and an inclusive UTC date range.
A workspace sees its own leads (`workspace_leads`), appointments and conversions only. Each KPI is
one or two set-based statements (no per-row Python), written once for PostgreSQL and SQLite via
`analytics.sql`. Money comes back as `Decimal`, rates as percentages 0–100 with two decimals.

Definitions:
- a workspace's leads: `workspace_leads`, the one definition every KPI below uses.
- lead cohorts (ratios, geography, providers, funnel): those leads created in the range;
  "converted" = has a non-void conversion (any time so far; a workspace's own only); revenue =
  those conversions' value.
- conversions without a lead count in workspace efficiency only.
"""
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from analytics import sql
from distribution.caps import caps_attach
from distribution.engine import Candidate
from distribution.models import Decision, Offer, Sale
from leadhub.models import MONEY_TOTAL
from leads.holds import HOLD_REASONS
from leads.models import Lead, LeadPipelineStage
from leads.services.ingest import COMPLIANCE_REFUSALS
from ledger.models import SALES, Entry
from ledger.selectors import ledger_figures

CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def rate(part, whole) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def seconds(value):
    return None if value is None else round(float(value), 3)


def _params(workspace_id, date_from, date_to):
    start, end = sql.day_bounds(date_from, date_to)
    return {"start": start, "end": end, "ws": workspace_id}


# The test of `leads.selectors.lead_held_by` in SQL: `{a}` is a live access record of the workspace.
_LIVE_ACCESS = "{a}.workspace_id = %(ws)s AND {a}.revoked_at IS NULL"


@dataclass(frozen=True)
class WorkspaceLeads:
    """SQL fragments of one workspace's leads (`workspace_id` None: ops, every lead once).

    A workspace's leads are the leads it holds through a live access record (`lead_access`, not
    revoked), however each reached it: assigned, sold (every multisell buyer), routed, forwarded.
    They are exactly what `leads.selectors.lead_list` lists it at GET /api/v1/leads/, and each is
    counted by that record's own working fields (the lead's columns show the primary assignee's
    only). Ops count each lead once, by the lead's own columns.

    Index-backed: the workspace's live records come from the partial index `lead_access_live_idx`
    (workspace_id, lead_id) WHERE revoked_at IS NULL (an index-only scan), joined to the leads of
    the range (`leads.created_at`'s index) or, for a conversion, probed by (workspace_id, lead_id).
    """

    workspace_id: str | None

    @property
    def source(self) -> str:
        """FROM: the leads as `l`, and for a workspace its access record of each as `w`."""
        if self.workspace_id is None:
            return "leads l"
        return f"leads l JOIN lead_access w ON w.lead_id = l.id AND {_LIVE_ACCESS.format(a='w')}"

    def working(self, column: str) -> str:
        """The holder's working field (`status`, `workspace_status` …): its own record's for a
        workspace, the lead's (the primary assignee's) for ops."""
        return f"{'l' if self.workspace_id is None else 'w'}.{column}"

    def cohort(self) -> str:
        """WHERE: the leads of `source` created in the range."""
        return "l.created_at >= %(start)s AND l.created_at < %(end)s"

    def reported(self, alias="cv") -> str:
        """AND-clause: conversions the workspace reported (where they join its held leads)."""
        return f"AND {alias}.workspace_id = %(ws)s" if self.workspace_id else ""

    def conversions(self, alias="cv") -> str:
        """AND-clause: the workspace's conversions: reported by it, of a lead it still holds (or
        of no lead); read on their own, not through `source`."""
        if self.workspace_id is None:
            return ""
        held = f"EXISTS (SELECT 1 FROM lead_access ca WHERE ca.lead_id = {alias}.lead_id AND {_LIVE_ACCESS.format(a='ca')})"
        return f"AND {alias}.workspace_id = %(ws)s AND ({alias}.lead_id IS NULL OR {held})"

    def history(self, alias="h") -> str:
        """AND-clause: status history rows of the holder's own pipeline (ops: every row)."""
        return f"AND {alias}.workspace_id = %(ws)s" if self.workspace_id else ""


def workspace_leads(workspace_id: str | None) -> WorkspaceLeads:
    """A workspace's leads for every KPI (see WorkspaceLeads); None: ops, every lead once."""
    return WorkspaceLeads(workspace_id=workspace_id or None)


def _cohort_conversions(leads: WorkspaceLeads):
    """Per lead of the cohort: its non-void conversions' revenue and first conversion time."""
    return f"""
        SELECT cv.lead_id, SUM(cv.conversion_value) AS revenue, MIN(cv.converted_at) AS first_at
        FROM conversions cv
        JOIN leads cl ON cl.id = cv.lead_id
        WHERE cv.voided_at IS NULL AND cl.created_at >= %(start)s AND cl.created_at < %(end)s {leads.reported()}
        GROUP BY cv.lead_id
    """


def contact_lead_ratio(*, workspace_id: str | None, date_from: date, date_to: date) -> dict:
    """Leads per distinct contact, overall and per lead_type, in one scan of the leads."""
    leads = workspace_leads(workspace_id)
    query = f"""
        WITH pairs AS (
            SELECT l.lead_type, l.contact_id, COUNT(*) AS n
            FROM {leads.source}
            WHERE {leads.cohort()}
            GROUP BY l.lead_type, l.contact_id
        )
        SELECT lead_type, SUM(n) AS leads, COUNT(*) AS contacts FROM pairs GROUP BY lead_type
        UNION ALL
        SELECT NULL, SUM(n), COUNT(*) FROM (SELECT contact_id, SUM(n) AS n FROM pairs GROUP BY contact_id) per_contact
    """
    rows = sql.fetch_dicts(query, _params(workspace_id, date_from, date_to))

    def shape(row):
        leads, contacts = int(row["leads"] or 0), int(row["contacts"] or 0)
        return {"leads": leads, "contacts": contacts, "ratio": round(leads / contacts, 4) if contacts else 0.0}

    overall = next(row for row in rows if row["lead_type"] is None)
    by_type = sorted((row for row in rows if row["lead_type"] is not None), key=lambda row: row["lead_type"])
    return {"overall": shape(overall), "by_lead_type": [{"lead_type": row["lead_type"], **shape(row)} for row in by_type]}


def appointment_conversion(*, workspace_id: str | None, date_from: date, date_to: date) -> dict:
    """Appointments created in the range that were followed by a conversion of the same contact.

    When the appointment was routed, only a conversion reported by that workspace counts, so
    ops and the workspace see the same figure.
    """
    scope = "AND a.matched_workspace_id = %(ws)s" if workspace_id else ""
    query = f"""
        SELECT a.appointment_type,
               COUNT(*) AS appointments,
               SUM(CASE WHEN EXISTS (
                   SELECT 1 FROM conversions cv
                   WHERE cv.contact_id = a.contact_id AND cv.voided_at IS NULL
                     AND cv.converted_at >= a.created_at
                     AND (a.matched_workspace_id IS NULL OR cv.workspace_id = a.matched_workspace_id)
               ) THEN 1 ELSE 0 END) AS converted
        FROM appointments a
        WHERE a.created_at >= %(start)s AND a.created_at < %(end)s {scope}
        GROUP BY a.appointment_type
        ORDER BY a.appointment_type
    """
    rows = sql.fetch_dicts(query, _params(workspace_id, date_from, date_to))
    by_type = [
        {
            "appointment_type": row["appointment_type"],
            "appointments": int(row["appointments"]),
            "converted": int(row["converted"]),
            "conversion_rate": rate(int(row["converted"]), int(row["appointments"])),
        }
        for row in rows
    ]
    total = sum(row["appointments"] for row in by_type)
    converted = sum(row["converted"] for row in by_type)
    return {
        "overall": {"appointments": total, "converted": converted, "conversion_rate": rate(converted, total)},
        "by_appointment_type": by_type,
    }


def provider_performance(*, workspace_id: str | None, date_from: date, date_to: date) -> list[dict]:
    """Leads, conversions, revenue and rejected submissions per provider, best revenue first.

    A lead's provider is `leads.provider_id` (None when no provider posted it). Rejected
    submissions are refused before any workspace is involved, so only ops see them (None for a
    workspace). Two aggregates, as in the rollup: the cohort counted per provider, and only the
    converted leads summed; joining the conversion summary to every lead costs far more.
    """
    leads = workspace_leads(workspace_id)
    query = f"""
        WITH counted AS (
            SELECT l.provider_id, COUNT(*) AS leads
            FROM {leads.source} WHERE {leads.cohort()}
            GROUP BY l.provider_id
        ), converted AS (
            SELECT l.provider_id, COUNT(*) AS converted_leads, SUM(c.revenue) AS revenue
            FROM {leads.source}
            JOIN (
                SELECT cv.lead_id, SUM(cv.conversion_value) AS revenue
                FROM conversions cv
                WHERE cv.voided_at IS NULL AND cv.lead_id IS NOT NULL {leads.reported()}
                GROUP BY cv.lead_id
            ) c ON c.lead_id = l.id
            WHERE {leads.cohort()}
            GROUP BY l.provider_id
        )
        SELECT NULLIF(counted.provider_id, '') AS provider_id, counted.leads, converted.converted_leads, converted.revenue
        FROM counted
        LEFT JOIN converted ON converted.provider_id = counted.provider_id
    """
    params = _params(workspace_id, date_from, date_to)
    stats = {row["provider_id"]: row for row in sql.fetch_dicts(query, params)}
    rejected = {}
    if not workspace_id:
        rejected = {
            row["provider_id"] or None: int(row["rejected"])
            for row in sql.fetch_dicts(
                """
                SELECT r.provider_id, SUM(t.occurrences) AS rejected
                FROM rejected_submissions r JOIN rejected_submission_tallies t ON t.submission_id = r.id
                WHERE r.created_at >= %(start)s AND r.created_at < %(end)s
                GROUP BY r.provider_id
                """,
                params,
            )
        }
    results = []
    for provider_id in set(stats) | set(rejected):
        row = stats.get(provider_id, {})
        leads, converted = int(row.get("leads") or 0), int(row.get("converted_leads") or 0)
        rejected_count = None if workspace_id else rejected.get(provider_id, 0)
        results.append(
            {
                "provider_id": provider_id,
                "leads": leads,
                "converted_leads": converted,
                "conversion_rate": rate(converted, leads),
                "revenue": money(row.get("revenue")),
                "rejected_submissions": rejected_count,
                "rejection_rate": None if workspace_id else rate(rejected_count, leads + rejected_count),
            }
        )
    return sorted(results, key=lambda r: (-r["revenue"], -r["leads"], r["provider_id"] or ""))


def workspace_efficiency(*, workspace_id: str | None, date_from: date, date_to: date) -> list[dict]:
    """Per workspace: non-void conversions in the range, revenue, mean and median seconds from the
    lead's creation to the conversion (conversions without a lead count in revenue only).

    A workspace's row counts its conversions of the leads it holds (`workspace_leads`); ops' rows
    count every conversion once, under the workspace that reported it."""
    scope = workspace_leads(workspace_id).conversions()
    elapsed = sql.seconds_between("l.created_at", "cv.converted_at")
    median = f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {elapsed})" if sql.is_postgres() else "NULL"
    base = f"""
        FROM conversions cv
        LEFT JOIN leads l ON l.id = cv.lead_id
        WHERE cv.voided_at IS NULL AND cv.converted_at >= %(start)s AND cv.converted_at < %(end)s {scope}
    """
    query = f"""
        SELECT cv.workspace_id, COUNT(*) AS conversions, SUM(cv.conversion_value) AS revenue,
               AVG({elapsed}) AS mean_seconds, {median} AS median_seconds
        {base}
        GROUP BY cv.workspace_id
    """
    params = _params(workspace_id, date_from, date_to)
    rows = sql.fetch_dicts(query, params)
    if not sql.is_postgres():
        # SQLite has no percentile_cont: the exact median from the ordered durations.
        durations = defaultdict(list)
        for row in sql.fetch_dicts(f"SELECT cv.workspace_id, {elapsed} AS s {base} AND cv.lead_id IS NOT NULL", params):
            durations[row["workspace_id"]].append(row["s"])
        for row in rows:
            values = durations.get(row["workspace_id"])
            row["median_seconds"] = statistics.median(values) if values else None
    results = [
        {
            "workspace_id": row["workspace_id"],
            "conversions": int(row["conversions"]),
            "revenue": money(row["revenue"]),
            "mean_seconds_to_conversion": seconds(row["mean_seconds"]),
            "median_seconds_to_conversion": seconds(row["median_seconds"]),
        }
        for row in rows
    ]
    return sorted(results, key=lambda r: (-r["revenue"], r["workspace_id"] or ""))


GEO_COLUMNS = {"state": "state", "zip": "zip_code"}


def geographic_performance(
    *, workspace_id: str | None, date_from: date, date_to: date, group: str = "state", limit: int = 100
) -> list[dict]:
    """Leads, conversion rate and revenue per state or ZIP, best revenue first."""
    column = GEO_COLUMNS[group]
    leads = workspace_leads(workspace_id)
    query = f"""
        SELECT l.{column} AS area, COUNT(*) AS leads, COUNT(c.lead_id) AS converted_leads, SUM(c.revenue) AS revenue
        FROM {leads.source}
        LEFT JOIN ({_cohort_conversions(leads)}) c ON c.lead_id = l.id
        WHERE {leads.cohort()}
        GROUP BY l.{column}
        ORDER BY COALESCE(SUM(c.revenue), 0) DESC, COUNT(*) DESC, l.{column}
        LIMIT %(limit)s
    """
    rows = sql.fetch_dicts(query, {**_params(workspace_id, date_from, date_to), "limit": limit})
    return [
        {
            group: row["area"],
            "leads": int(row["leads"]),
            "converted_leads": int(row["converted_leads"]),
            "conversion_rate": rate(int(row["converted_leads"]), int(row["leads"])),
            "revenue": money(row["revenue"]),
        }
        for row in rows
    ]


def daily_series(*, workspace_id: str | None, date_from: date, date_to: date) -> list[dict]:
    """Per UTC day and lead_type: leads received, non-void conversions made and their revenue
    (a conversion is dated by `converted_at` and typed by its lead)."""
    params = _params(workspace_id, date_from, date_to)
    scope = workspace_leads(workspace_id)
    leads = sql.fetch_dicts(
        f"""
        SELECT {sql.utc_day("l.created_at")} AS day, l.lead_type, COUNT(*) AS leads
        FROM {scope.source}
        WHERE {scope.cohort()}
        GROUP BY {sql.utc_day("l.created_at")}, l.lead_type
        """,
        params,
    )
    conversions = sql.fetch_dicts(
        f"""
        SELECT {sql.utc_day("cv.converted_at")} AS day, l.lead_type, COUNT(*) AS conversions,
               SUM(cv.conversion_value) AS revenue
        FROM conversions cv
        JOIN leads l ON l.id = cv.lead_id
        WHERE cv.voided_at IS NULL AND cv.converted_at >= %(start)s AND cv.converted_at < %(end)s {scope.conversions()}
        GROUP BY {sql.utc_day("cv.converted_at")}, l.lead_type
        """,
        params,
    )
    series = defaultdict(lambda: {"leads": 0, "conversions": 0, "revenue": Decimal("0")})
    for row in leads:
        series[(sql.as_date(row["day"]), row["lead_type"])]["leads"] = int(row["leads"])
    for row in conversions:
        point = series[(sql.as_date(row["day"]), row["lead_type"])]
        point["conversions"] = int(row["conversions"])
        point["revenue"] = money(row["revenue"])
    return [
        {"date": day, "lead_type": lead_type, **point, "revenue": money(point["revenue"])}
        for (day, lead_type), point in sorted(series.items())
    ]


def pipeline_funnel(*, workspace_id: str | None, date_from: date, date_to: date) -> list[dict]:
    """Leads of the range → each pipeline stage in its configured order → appointment → conversion.

    A stage counts the leads that are or ever were in it (current status or status history), so
    deactivated stages and reordered pipelines keep old leads readable. A workspace's stages are
    its own pipeline's: its access record's status and its own history rows.
    """
    params = _params(workspace_id, date_from, date_to)
    leads = workspace_leads(workspace_id)
    source, cohort, own = leads.source, leads.cohort(), leads.history()
    reached = {
        row["status"]: int(row["leads"])
        for row in sql.fetch_dicts(
            f"""
            SELECT status, COUNT(*) AS leads FROM (
                SELECT l.id, {leads.working("status")} AS status FROM {source} WHERE {cohort}
                UNION
                SELECT h.lead_id, h.new_status FROM {source}
                JOIN lead_status_history h ON h.lead_id = l.id {own} WHERE {cohort}
                UNION
                SELECT h.lead_id, h.old_status FROM {source}
                JOIN lead_status_history h ON h.lead_id = l.id {own} WHERE {cohort}
            ) visited
            GROUP BY status
            """,
            params,
        )
    }
    appointment_scope = "AND a.matched_workspace_id = %(ws)s" if workspace_id else ""
    totals = sql.fetch_dicts(
        f"""
        SELECT COUNT(*) AS leads, COUNT(a.lead_id) AS appointment, COUNT(c.lead_id) AS conversion
        FROM {source}
        LEFT JOIN (SELECT DISTINCT a.lead_id FROM appointments a
                   WHERE a.lead_id IS NOT NULL {appointment_scope}) a ON a.lead_id = l.id
        LEFT JOIN (SELECT DISTINCT cv.lead_id FROM conversions cv
                   WHERE cv.lead_id IS NOT NULL AND cv.voided_at IS NULL {leads.reported()}) c ON c.lead_id = l.id
        WHERE {cohort}
        """,
        params,
    )[0]
    steps = [{"step": "leads", "label": "Leads", "leads": int(totals["leads"] or 0), "is_active": True}]
    for stage in LeadPipelineStage.objects.order_by("order_index", "name"):
        if stage.is_active or reached.get(stage.name):
            steps.append(
                {"step": stage.name, "label": stage.name.replace("_", " ").capitalize(),
                 "leads": reached.get(stage.name, 0), "is_active": stage.is_active}
            )
    steps.append({"step": "appointment", "label": "Appointment", "leads": int(totals["appointment"] or 0), "is_active": True})
    steps.append({"step": "conversion", "label": "Conversion", "leads": int(totals["conversion"] or 0), "is_active": True})
    return steps



# --- selling: buyers and offers, webhooks -------------------------------------------------------
# Money figures come from the ledger (sales = buyer-side entries, payouts = source-side entries,
# margin = sales - payouts), never from stored totals; "revenue" above means conversion value.


def _range(date_from, date_to):
    """The UTC instants [from 00:00, the day after `to` 00:00) for ORM filters."""
    return (datetime.combine(date_from, time.min, tzinfo=UTC),
            datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC))


def buyer_offer_sales(*, workspace_id: str | None, date_from: date, date_to: date) -> list[dict]:
    """Per buyer and offer: leads sold, sales (ledger, credits included), the usage of each cap in
    its current window, and the engine's verdicts on the offer by reason."""
    start, end = _range(date_from, date_to)
    offers = Offer.objects.select_related("workspace").order_by("workspace_id", "id")
    if workspace_id:
        offers = offers.filter(workspace_id=workspace_id)
    offers = list(offers)
    sold = dict(
        Sale.objects.filter(offer__in=offers, sold_at__gte=start, sold_at__lt=end)
        .values("offer_id").annotate(n=Count("id")).values_list("offer_id", "n")
    )
    entries = Entry.objects.filter(SALES, created_at__gte=start, created_at__lt=end)
    if workspace_id:
        entries = entries.filter(workspace_id=workspace_id)
    sales = {(row["workspace_id"], row["offer_id"]): row["sales"] for row in _ledger_sums(entries, "workspace_id", "offer_id")}
    candidates = [Candidate(offer=offer, where=None) for offer in offers]
    caps_attach(candidates, at=timezone.now())
    verdicts = defaultdict(lambda: defaultdict(int))
    decisions = Decision.objects.filter(created_at__gte=start, created_at__lt=end)
    if workspace_id:
        decisions = decisions.filter(Q(candidates__contains=[{"workspace_id": workspace_id}])
                                     if sql.is_postgres() else Q(candidates__icontains=workspace_id))
    for rows in decisions.values_list("candidates", flat=True).iterator(chunk_size=2000):
        for row in rows:
            verdicts[row.get("offer_id")][row.get("verdict")] += 1
    return [
        {
            "workspace_id": candidate.offer.workspace_id, "offer_id": candidate.offer.pk, "offer": str(candidate.offer),
            "leads_sold": sold.get(candidate.offer.pk, 0),
            "sales": money(sales.get((candidate.offer.workspace_id, candidate.offer.pk))),
            "caps": [{"scope": cap.scope, "window": cap.window, "measure": cap.measure, "window_start": start_at,
                      "used": money(used) if cap.measure == "spend" else int(used), "maximum": cap.maximum}
                     for cap, start_at, used in candidate.caps],
            "verdicts": dict(sorted(verdicts.get(candidate.offer.pk, {}).items())),
        }
        for candidate in candidates
    ]


def _ledger_sums(entries, *columns):
    """Buyer-side sums of `entries` per `columns`."""
    return entries.order_by().values(*columns).annotate(
        sales=Coalesce(Sum("amount"), Value(Decimal("0")), output_field=DecimalField(**MONEY_TOTAL))
    )


def webhook_sales(*, workspace_id: str | None, date_from: date, date_to: date) -> list[dict]:
    """Per webhook (ops only): leads distributed in the range, sold and unsold, and the ledger's
    sales, payouts and margin booked in the range."""

    start, end = _range(date_from, date_to)
    distributed = Lead.objects.filter(created_at__gte=start, created_at__lt=end).filter(
        Exists(Decision.objects.filter(lead_id=OuterRef("pk")))
    ).annotate(sold=Exists(Sale.objects.filter(lead_id=OuterRef("pk"))))
    counts = {
        row["webhook_id"]: row
        for row in distributed.order_by().values("webhook_id").annotate(
            sold_leads=Count("id", filter=Q(sold=True)), unsold_leads=Count("id", filter=Q(sold=False))
        )
    }
    figures = ledger_figures(by="webhook", since=start, until=end)
    results = []
    for webhook_id in sorted(set(counts) | set(figures)):
        row, money_row = counts.get(webhook_id, {}), figures.get(webhook_id, {})
        results.append({
            "webhook_id": webhook_id, "sold_leads": row.get("sold_leads", 0), "unsold_leads": row.get("unsold_leads", 0),
            "sales": money(money_row.get("sales")), "payouts": money(money_row.get("payouts")),
            "margin": money(money_row.get("margin")),
        })
    return results


def compliance_counts(*, workspace_id: str | None, date_from: date, date_to: date) -> list[dict]:
    """Per UTC day and webhook (ops only): posts refused for a compliance reason
    (`leads.services.ingest.COMPLIANCE_REFUSALS`, by the refused post's day) and holds placed
    (by reason, `leads.holds.HOLD_REASONS`, by the day placed, on the lead's webhook). Every
    reason is listed in each row, 0 when none. Two grouped statements; a refusal counts each
    post once (compliance refusals come after the rate limits, so none is merged)."""
    params = _params(workspace_id, date_from, date_to)
    refusals = list(COMPLIANCE_REFUSALS)
    codes = ", ".join(f"%(code{index})s" for index in range(len(refusals)))
    refused_day = sql.utc_day("r.created_at")
    refused = sql.fetch_dicts(
        f"""
        SELECT {refused_day} AS day, r.webhook_id, r.reason_code AS reason, COUNT(*) AS n
        FROM rejected_submissions r
        WHERE r.created_at >= %(start)s AND r.created_at < %(end)s AND r.reason_code IN ({codes})
        GROUP BY {refused_day}, r.webhook_id, r.reason_code
        """,
        {**params, **{f"code{index}": code for index, code in enumerate(refusals)}},
    )
    held_day = sql.utc_day("h.placed_at")
    held = sql.fetch_dicts(
        f"""
        SELECT {held_day} AS day, l.webhook_id, h.reason, COUNT(*) AS n
        FROM lead_holds h JOIN leads l ON l.id = h.lead_id
        WHERE h.placed_at >= %(start)s AND h.placed_at < %(end)s
        GROUP BY {held_day}, l.webhook_id, h.reason
        """,
        params,
    )
    rows = {}

    def row_for(found):
        key = (sql.as_date(found["day"]).isoformat(), found["webhook_id"])
        return rows.setdefault(key, {"date": key[0], "webhook_id": key[1],
                                     "refused": dict.fromkeys(refusals, 0), "held": dict.fromkeys(HOLD_REASONS, 0)})

    for found in refused:
        row_for(found)["refused"][found["reason"]] += int(found["n"])
    for found in held:
        held_counts = row_for(found)["held"]
        held_counts[found["reason"]] = held_counts.get(found["reason"], 0) + int(found["n"])
    return [rows[key] for key in sorted(rows)]
