"""Margin by source, webhook, sub-source, buyer, lead type and day, and return rates by source and
reason: set-based SQL over `ledger_entries` alone (one statement per KPI, grouped by the dimension
and the UTC day), so a figure is always a sum of entries (`analytics.reconcile` checks the same).

Per group: `sales` (sale entries) − `credits` (return credits, undelivered credits, buyer-side
adjustments; shown positive when they take money back) = `net_sales`; `payouts` − `chargebacks`
(chargebacks and source-side adjustments, shown positive) = `net_payouts`; `margin` = net sales −
net payouts, `margin_pct` its share of net sales. A `deposit` (money a buyer paid in) is not a
sale and is left out. Source-side money names no buyer: by buyer, payouts fall under "" (no buyer).
"""
from collections import defaultdict
from decimal import Decimal

from analytics import sql
from analytics.selectors import money, rate
from ledger.models import Entry, EntryKind, Side
from sources.selectors import lead_return_reason_codes

# ?by= → the ledger column grouped by (day alone: None).
MARGIN_DIMENSIONS = {
    "source": "provider_id", "webhook": "webhook_id", "subsource": "subsource", "buyer": "workspace_id",
    "lead_type": "lead_type", "day": None,
}
UNKNOWN_REASON = "unknown"


def margin_sql(by: str) -> str:
    """The one statement of margin by `by` over [start, end) (two parameters)."""
    column = MARGIN_DIMENSIONS[by]
    day = sql.utc_day("created_at")
    key = f"{column}" if column else "''"
    table = Entry._meta.db_table
    buyer_credits = (f"side = '{Side.BUYER}' AND kind IN ('{EntryKind.RETURN_CREDIT}', '{EntryKind.UNDELIVERED}', "
                     f"'{EntryKind.ADJUSTMENT}')")
    source_credits = f"side = '{Side.SOURCE}' AND kind IN ('{EntryKind.CHARGEBACK}', '{EntryKind.ADJUSTMENT}')"
    return (
        f"SELECT {key} AS key, {day} AS day, "
        f"SUM(CASE WHEN kind = '{EntryKind.SALE}' THEN amount ELSE 0 END) AS sales, "
        f"SUM(CASE WHEN {buyer_credits} THEN amount ELSE 0 END) AS credits, "
        f"SUM(CASE WHEN kind = '{EntryKind.PAYOUT}' THEN amount ELSE 0 END) AS payouts, "
        f"SUM(CASE WHEN {source_credits} THEN amount ELSE 0 END) AS chargebacks "
        f"FROM {table} WHERE created_at >= %s AND created_at < %s AND kind <> '{EntryKind.DEPOSIT}' "
        f"GROUP BY 1, 2 ORDER BY 1, 2"
    )


def _percent(part: Decimal, whole: Decimal):
    return None if not whole else (part * 100 / whole).quantize(Decimal("0.01"))


def margin_by(*, by: str, date_from, date_to) -> list[dict]:
    """Margin per (`by` value, UTC day) over the inclusive range: see the module's definitions."""
    rows = []
    for row in sql.fetch_dicts(margin_sql(by), list(sql.day_bounds(date_from, date_to))):
        sales, credits = money(row["sales"]), -money(row["credits"])
        payouts, chargebacks = money(row["payouts"]), -money(row["chargebacks"])
        net_sales, net_payouts = sales - credits, payouts - chargebacks
        rows.append({
            **({} if by == "day" else {by: row["key"]}), "day": sql.as_date(row["day"]),
            "sales": sales, "credits": credits, "net_sales": net_sales,
            "payouts": payouts, "chargebacks": chargebacks, "net_payouts": net_payouts,
            "margin": net_sales - net_payouts, "margin_pct": _percent(net_sales - net_payouts, net_sales),
        })
    return rows


def return_rates(*, date_from, date_to) -> list[dict]:
    """Per source: leads sold (sale entries) and returned (return credits) in the range, the
    return rate, and the returned leads by reason code (`unknown` while a return records none)."""
    table = Entry._meta.db_table
    bounds = list(sql.day_bounds(date_from, date_to))
    counts = sql.fetch_dicts(
        f"SELECT provider_id AS source, "
        f"COUNT(DISTINCT CASE WHEN kind = '{EntryKind.SALE}' THEN lead_id END) AS sold_leads, "
        f"COUNT(DISTINCT CASE WHEN kind = '{EntryKind.RETURN_CREDIT}' THEN lead_id END) AS returned_leads "
        f"FROM {table} WHERE created_at >= %s AND created_at < %s AND lead_id IS NOT NULL "
        f"AND kind IN ('{EntryKind.SALE}', '{EntryKind.RETURN_CREDIT}') GROUP BY 1 ORDER BY 1", bounds)
    returned = sql.fetch_dicts(
        f"SELECT DISTINCT provider_id AS source, lead_id FROM {table} WHERE created_at >= %s AND created_at < %s "
        f"AND kind = '{EntryKind.RETURN_CREDIT}' AND lead_id IS NOT NULL", bounds)
    reasons = lead_return_reason_codes(lead_ids=[row["lead_id"] for row in returned])
    by_reason = defaultdict(lambda: defaultdict(int))
    for row in returned:
        by_reason[row["source"]][reasons.get(row["lead_id"]) or UNKNOWN_REASON] += 1
    return [
        {"source": row["source"], "sold_leads": row["sold_leads"], "returned_leads": row["returned_leads"],
         "return_rate": rate(row["returned_leads"], row["sold_leads"]),
         "by_reason": dict(sorted(by_reason[row["source"]].items()))}
        for row in counts
    ]
