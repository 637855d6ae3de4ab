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
from analytics.selectors import CENT, rate
from ledger.models import Entry, EntryKind, Side
from sources.selectors import lead_return_reason_codes

# ?by= → the ledger column grouped by (day alone: None).
MARGIN_DIMENSIONS = {
    "source": "provider_id", "webhook": "webhook_id", "subsource": "subsource", "buyer": "workspace_id",
    "lead_type": "lead_type", "day": None,
}
UNKNOWN_REASON = "unknown"
# The margin KPIs are never older than this when shown (the API and the dashboard): ops decide on
# them, so the cache only spares the database a burst of the same question; `as_of` says when.
MARGIN_FRESH_SECONDS = 60


def margin_sql(by: str) -> str:
    """The one statement of margin by `by` over [start, end) (two parameters): one pass over the
    range's entries, each figure an aggregate FILTER (both databases), no ORDER BY (rows are
    sorted after, so the database never spills a sort of the range to disk)."""
    column = MARGIN_DIMENSIONS[by]
    key = column or "''"
    table = Entry._meta.db_table
    buyer_credits = (f"side = '{Side.BUYER}' AND kind IN ('{EntryKind.RETURN_CREDIT}', '{EntryKind.UNDELIVERED}', "
                     f"'{EntryKind.ADJUSTMENT}')")
    source_credits = f"side = '{Side.SOURCE}' AND kind IN ('{EntryKind.CHARGEBACK}', '{EntryKind.ADJUSTMENT}')"
    figures = {"sales": f"kind = '{EntryKind.SALE}'", "credits": buyer_credits,
               "payouts": f"kind = '{EntryKind.PAYOUT}'", "chargebacks": source_credits}
    sums = ", ".join(f"COALESCE(SUM(amount) FILTER (WHERE {where}), 0) AS {name}" for name, where in figures.items())
    return (f"SELECT {key} AS key, {sql.utc_day('created_at')} AS day, {sums} FROM {table} "
            f"WHERE created_at >= %s AND created_at < %s AND kind <> '{EntryKind.DEPOSIT}' GROUP BY 1, 2")


def _money(value) -> Decimal:
    """A sum as the database gives it: PostgreSQL a Decimal to the cent, SQLite an int or a float."""
    return value if type(value) is Decimal else Decimal(str(value)).quantize(CENT)


def margin_by(*, by: str, date_from, date_to) -> list[dict]:
    """Margin per (`by` value, UTC day) over the inclusive range: see the module's definitions."""
    rows = []
    for key, day, sales, credits, payouts, chargebacks in sql.fetch_rows(margin_sql(by),
                                                                          list(sql.day_bounds(date_from, date_to))):
        sales, credits, payouts, chargebacks = _money(sales), -_money(credits), _money(payouts), -_money(chargebacks)
        net_sales, net_payouts = sales - credits, payouts - chargebacks
        margin = net_sales - net_payouts
        rows.append({
            **({} if by == "day" else {by: key}), "day": sql.as_date(day),
            "sales": sales, "credits": credits, "net_sales": net_sales,
            "payouts": payouts, "chargebacks": chargebacks, "net_payouts": net_payouts,
            "margin": margin, "margin_pct": (margin * 100 / net_sales).quantize(CENT) if net_sales else None,
        })
    rows.sort(key=lambda row: (row.get(by, ""), row["day"]))
    return rows


def return_rates(*, date_from, date_to) -> list[dict]:
    """Per source: its sales (sale entries: a lead sold to two buyers is two) and returns (return
    credits) booked in the range, the return rate, and the returns by reason code (`unknown`
    while a return records none)."""
    table = Entry._meta.db_table
    bounds = list(sql.day_bounds(date_from, date_to))
    counts = sql.fetch_rows(
        f"SELECT provider_id, COUNT(*) FILTER (WHERE kind = '{EntryKind.SALE}'), "
        f"COUNT(*) FILTER (WHERE kind = '{EntryKind.RETURN_CREDIT}') FROM {table} "
        f"WHERE created_at >= %s AND created_at < %s GROUP BY 1", bounds)
    returned = sql.fetch_rows(
        f"SELECT provider_id, lead_id FROM {table} WHERE created_at >= %s AND created_at < %s "
        f"AND kind = '{EntryKind.RETURN_CREDIT}'", bounds)
    reasons = lead_return_reason_codes(lead_ids={lead_id for _source, lead_id in returned if lead_id is not None})
    by_reason = defaultdict(lambda: defaultdict(int))
    for source, lead_id in returned:
        by_reason[source][reasons.get(lead_id) or UNKNOWN_REASON] += 1
    return [
        {"source": source, "sales": sales, "returns": returns, "return_rate": rate(returns, sales),
         "by_reason": dict(sorted(by_reason[source].items()))}
        for source, sales, returns in sorted(counts) if sales or returns
    ]
