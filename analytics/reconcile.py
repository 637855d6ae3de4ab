"""The ledger reconciled with the rows that caused its entries (`manage.py verify_ledger`).

Summing one table two ways proves only that the table adds up: a wiped ledger adds up to zero.
Here every entry is held against what caused it and every row that causes money against its entry:
- each sale row (distribution.models.Sale) has its `sale` entry (`sale:<sale id>`: same amount,
  buyer, offer, lead), and each `sale` entry its sale row; a $0 sale books none;
- each payout (`payout:<lead id>`, `payout:appointment:<id>`) its lead or appointment, priced by
  the webhook's terms (distribution.selling.payout_for) over the sales made with it (a payout is
  booked in the same statement as the sales of the decision that made it due, at the same
  instant); and each sold lead or appointment of a paying webhook its payout;
- each `undelivered` credit (`undelivered:<sale id>`) its sale, for minus its price, to a buyer
  the lead excludes since the delivery failed; each `return_credit` (`return:<sale id>`) its
  sale, at most its price; each excluded buyer's paid sale its credit;
- each `chargeback` (`chargeback:<lead id>`) the payout it takes back, for minus its amount; a
  return's part of a share payout (`chargeback:return:<sale id>`) that lead's payout, and no lead's
  chargebacks take back more than its payout;
- each approved return (returns.models.Return) of a priced sale its `return_credit`, and each
  `return_credit` and return chargeback an approved return of its sale;
- each money figure the KPI API and the dashboard show (analytics.selectors.buyer_offer_sales,
  webhook_sales; ledger.verify.ledger_verify for ledger_figures) equals the sum of its entries.

It lives here because analytics may import every app it reads (imports point down the app order).
A purge (people.services.contact_purge) deletes a person's leads, appointments and so their sale
rows, while the ledger keeps their money: an entry whose lead is gone after a purge is counted
apart, checked by the sums only. Webhook terms are not versioned: a payout is priced by the terms
as they are now, so a later edit of a webhook's terms shows its earlier payouts here.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal

from django.db.models import Max

from appointments.models import Appointment
from contacts.models import ContactPurge
from distribution.models import Sale
from distribution.selectors import appointment_payout_reference, payout_reference
from distribution.selling import payout_for
from leads.models import Lead
from ledger.models import Entry, EntryKind, Side, counts_as_sales
from ledger.verify import ledger_verify
from providers.models import PayoutKind, PayoutOn, WebhookConfig
from returns.models import Return, ReturnState

from . import selectors

ZERO = Decimal("0.00")
CHUNK = 500
ENTRY_FIELDS = ("id", "created_at", "kind", "side", "amount", "workspace_id", "webhook_id", "lead_id", "offer_id",
                "reference", "note")
SALE_FIELDS = ("id", "lead_id", "appointment_id", "workspace_id", "offer_id", "price", "sold_at")


@dataclass
class Reconciliation:
    problems: list = field(default_factory=list)
    entries: int = 0
    sales: int = 0
    purged: int = 0  # entries of purged persons' rows: checked by the sums only


def ledger_reconcile() -> Reconciliation:
    """Every mismatch between the ledger and the rows that caused it, one line each naming the
    ids (empty `problems` when all hold). Reads the database only, never the cache."""
    entries = list(Entry.objects.order_by("id").values(*ENTRY_FIELDS).iterator(chunk_size=5000))
    sales = list(Sale.objects.order_by("id").values(*SALE_FIELDS).iterator(chunk_size=5000))
    rows = _Rows(entries, sales)
    result = Reconciliation(entries=len(entries), sales=len(sales))
    by_kind = defaultdict(list)
    for entry in entries:
        by_kind[entry["kind"]].append(entry)
    for check in (_sales_check, _payouts_check, _credits_check, _chargebacks_check, _returns_check,
                  _adjustments_check):
        check(by_kind, rows, result)
    result.problems += ledger_verify()
    result.problems += _kpi_check(entries)
    return result


class _Rows:
    """The rows the entries name, each table read once (in chunks of ids)."""

    def __init__(self, entries, sales):
        self.sales = {sale["id"]: sale for sale in sales}
        self.lead_sales, self.appointment_sales = defaultdict(list), defaultdict(list)
        for sale in sales:
            if sale["appointment_id"] is not None:
                self.appointment_sales[sale["appointment_id"]].append(sale)
            else:
                self.lead_sales[sale["lead_id"]].append(sale)
        lead_ids = {entry["lead_id"] for entry in entries if entry["lead_id"] is not None}
        lead_ids |= {ref for entry in entries if (ref := _lead_payout(entry) or _ref(entry, "chargeback:")) is not None}
        lead_ids |= set(self.lead_sales)
        self.leads = {}
        for chunk in _chunks(lead_ids):
            self.leads.update((row["id"], row) for row in Lead.objects.filter(pk__in=chunk).values(
                "id", "webhook_id", "excluded_buyers"))
        appointment_ids = {ref for entry in entries if (ref := _ref(entry, "payout:appointment:")) is not None}
        self.appointments = set()
        for chunk in _chunks(appointment_ids | set(self.appointment_sales)):
            self.appointments.update(Appointment.objects.filter(pk__in=chunk).values_list("id", flat=True))
        self.webhooks = {w.webhook_id: w for w in WebhookConfig.objects.all()}
        self.last_purge = ContactPurge.objects.aggregate(at=Max("created_at"))["at"]

    def purged(self, entry) -> bool:
        """The entry's lead is gone, deleted by a purge made after the entry was booked."""
        return (entry["lead_id"] is not None and entry["lead_id"] not in self.leads
                and self.last_purge is not None and self.last_purge >= entry["created_at"])


def _chunks(ids):
    ids = sorted(ids)
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _ref(entry, prefix):
    """The id after `prefix` in the entry's reference, or None."""
    rest = entry["reference"][len(prefix):] if entry["reference"].startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


def _lead_payout(entry):
    return _ref(entry, "payout:") if entry["kind"] == EntryKind.PAYOUT else None


def _named(entry):
    return f"{entry['kind']} #{entry['id']} {entry['reference'] or '(no reference)'} ({entry['amount']})"


def _sale_named(sale):
    subject = (f"appointment {sale['appointment_id']}" if sale["appointment_id"] is not None
               else f"lead {sale['lead_id']}")
    return f"sale #{sale['id']} ({subject}, buyer {sale['workspace_id']}, {sale['price']})"


def _sales_check(by_kind, rows, result):
    by_sale = {}
    for entry in by_kind[EntryKind.SALE]:
        sale_id = _ref(entry, "sale:")
        if sale_id is None:
            result.problems.append(f"sale entry #{entry['id']} {entry['reference'] or '(no reference)'} "
                                   f"(buyer {entry['workspace_id'] or '(none)'}, {entry['amount']}): names no sale row")
        else:
            by_sale[sale_id] = entry
    for sale in rows.sales.values():
        entry = by_sale.pop(sale["id"], None)
        if entry is None:
            if sale["price"]:
                result.problems.append(f"{_sale_named(sale)}: no `sale` entry sale:{sale['id']}")
            continue
        said = (entry["amount"], entry["workspace_id"], entry["offer_id"], entry["lead_id"])
        sold = (sale["price"], sale["workspace_id"], sale["offer_id"], sale["lead_id"])
        if said != sold:
            result.problems.append(f"sale entry #{entry['id']} sale:{sale['id']} books (amount, buyer, offer, lead) "
                                   f"{_tuple(said)}, its sale row {_tuple(sold)}")
    for sale_id, entry in sorted(by_sale.items(), key=lambda item: item[1]["id"]):
        if rows.purged(entry):
            result.purged += 1
        else:
            result.problems.append(f"sale entry #{entry['id']} sale:{sale_id} (buyer {entry['workspace_id'] or '(none)'}, "
                                   f"{entry['amount']}): no sale row #{sale_id}")


def _tuple(values):
    return "(" + ", ".join("-" if v is None or v == "" else str(v) for v in values) + ")"


def _terms(webhook, total):
    if webhook.payout_kind == PayoutKind.FIXED:
        return f"fixed {webhook.payout_amount}"
    return f"{webhook.payout_share}% of sales {total}"


def _payouts_check(by_kind, rows, result):
    booked = set()
    for entry in by_kind[EntryKind.PAYOUT]:
        lead_id, appointment_id = _lead_payout(entry), _ref(entry, "payout:appointment:")
        booked.add(entry["reference"])
        if appointment_id is not None:
            if appointment_id not in rows.appointments:
                _gone(entry, f"appointment {appointment_id} does not exist", rows, result)
                continue
            webhook_id, made_with = entry["webhook_id"], rows.appointment_sales[appointment_id]
        elif lead_id is not None:
            lead = rows.leads.get(lead_id)
            if lead is None:
                _gone(entry, f"lead {lead_id} does not exist", rows, result)
                continue
            if (entry["lead_id"], entry["webhook_id"]) != (lead_id, lead["webhook_id"]):
                result.problems.append(f"{_named(entry)}: books lead {entry['lead_id']} of webhook {entry['webhook_id']}, "
                                       f"but lead {lead_id} is of webhook {lead['webhook_id']}")
                continue
            webhook_id, made_with = lead["webhook_id"], rows.lead_sales[lead_id]
        else:
            result.problems.append(f"{_named(entry)}: names no lead or appointment")
            continue
        webhook = rows.webhooks.get(webhook_id)
        if webhook is None or not webhook.payout_kind:
            result.problems.append(f"{_named(entry)}: webhook {webhook_id or '(none)'} pays nothing")
            continue
        with_it = [sale for sale in made_with if sale["sold_at"] == entry["created_at"]]
        total = sum((sale["price"] for sale in with_it), ZERO)
        expected = payout_for(webhook, total)
        if entry["amount"] != expected:
            result.problems.append(f"{_named(entry)}: webhook {webhook_id}'s terms ({_terms(webhook, total)}) "
                                   f"price it at {expected}")
        elif webhook.payout_booked_on == PayoutOn.SOLD and not with_it:
            result.problems.append(f"{_named(entry)}: webhook {webhook_id} pays on sale, but no sale was made with it")
    _payouts_missing(by_kind, rows, booked, result)


def _gone(entry, words, rows, result):
    if rows.purged(entry):
        result.purged += 1
    else:
        result.problems.append(f"{_named(entry)}: {words}")


def _payouts_missing(by_kind, rows, booked, result):
    """Each sold lead or appointment of a paying webhook has its payout: the first decision whose
    sales its terms price above zero booked it. An appointment's webhook is known from its sale
    entries only (the appointment row does not keep it)."""
    subjects = [("lead", lead_id, payout_reference(lead_id), rows.leads[lead_id]["webhook_id"], sales)
                for lead_id, sales in sorted(rows.lead_sales.items()) if lead_id in rows.leads]
    appointment_webhooks = {}
    for entry in by_kind[EntryKind.SALE]:
        sale = rows.sales.get(_ref(entry, "sale:"))
        if sale is not None and sale["appointment_id"] is not None and entry["webhook_id"]:
            appointment_webhooks[sale["appointment_id"]] = entry["webhook_id"]
    subjects += [("appointment", appointment_id, appointment_payout_reference(appointment_id),
                  appointment_webhooks.get(appointment_id), sales)
                 for appointment_id, sales in sorted(rows.appointment_sales.items())]
    for what, subject_id, reference, webhook_id, sales in subjects:
        webhook = rows.webhooks.get(webhook_id) if webhook_id else None
        if reference in booked or webhook is None or not webhook.payout_kind:
            continue
        moments = defaultdict(lambda: ZERO)
        for sale in sales:
            moments[sale["sold_at"]] += sale["price"]
        due = next(((total, payout) for _at, total in sorted(moments.items())
                    if (payout := payout_for(webhook, total))), None)
        if due is not None:
            result.problems.append(f"{what} {subject_id} (webhook {webhook_id}): no payout {reference}; its terms "
                                   f"({_terms(webhook, due[0])}) price it at {due[1]}")


def _credits_check(by_kind, rows, result):
    credited = set()
    for kind, prefix in ((EntryKind.UNDELIVERED, "undelivered:"), (EntryKind.RETURN_CREDIT, "return:")):
        for entry in by_kind[kind]:
            sale_id = _ref(entry, prefix)
            sale = rows.sales.get(sale_id)
            if sale_id is None:
                result.problems.append(f"{_named(entry)}: names no sale ({prefix}<sale id>)")
                continue
            if sale is None:
                _gone(entry, f"no sale row #{sale_id}", rows, result)
                continue
            credited.add(sale_id)
            lead = rows.leads.get(sale["lead_id"]) if sale["appointment_id"] is None else None
            exact = entry["amount"] == -sale["price"] if kind == EntryKind.UNDELIVERED else -sale["price"] <= entry["amount"]
            if not exact or entry["workspace_id"] != sale["workspace_id"]:
                result.problems.append(f"{_named(entry)}: credits buyer {entry['workspace_id'] or '(none)'}, but "
                                       f"{_sale_named(sale)}")
            elif lead is None:
                result.problems.append(f"{_named(entry)}: {_sale_named(sale)} is not a lead's sale")
            elif sale["workspace_id"] not in lead["excluded_buyers"]:
                why = "its delivery did not fail" if kind == EntryKind.UNDELIVERED else "it was not returned"
                result.problems.append(f"{_named(entry)}: buyer {sale['workspace_id']} still holds lead {lead['id']}, "
                                       f"{why}")
    for sale in rows.sales.values():
        lead = rows.leads.get(sale["lead_id"]) if sale["appointment_id"] is None else None
        if (sale["price"] and lead is not None and sale["workspace_id"] in lead["excluded_buyers"]
                and sale["id"] not in credited):
            result.problems.append(f"{_sale_named(sale)}: its buyer is excluded from the lead, but no credit "
                                   f"undelivered:{sale['id']}")


RETURN_CHARGEBACK = "chargeback:return:"


def _chargebacks_check(by_kind, rows, result):
    payouts = {entry["reference"]: entry for entry in by_kind[EntryKind.PAYOUT]}
    taken = defaultdict(lambda: ZERO)
    for entry in by_kind[EntryKind.CHARGEBACK]:
        if entry["lead_id"] is not None:
            taken[entry["lead_id"]] += entry["amount"]
        if entry["reference"].startswith(RETURN_CHARGEBACK):
            _return_chargeback_check(entry, payouts, rows, result)
            continue
        lead_id = _ref(entry, "chargeback:")
        if lead_id is None:
            result.problems.append(f"{_named(entry)}: names no lead (chargeback:<lead id>)")
            continue
        payout = payouts.get(payout_reference(lead_id))
        if payout is None:
            if rows.purged(entry):
                result.purged += 1
            else:
                result.problems.append(f"{_named(entry)}: takes back no payout {payout_reference(lead_id)}")
        elif (entry["amount"], entry["lead_id"], entry["webhook_id"]) != (-payout["amount"], lead_id, payout["webhook_id"]):
            result.problems.append(f"{_named(entry)}: takes back (amount, lead, webhook) "
                                   f"{_tuple((entry['amount'], entry['lead_id'], entry['webhook_id']))} of payout "
                                   f"#{payout['id']} {_tuple((payout['amount'], lead_id, payout['webhook_id']))}")


    for lead_id, amount in sorted(taken.items()):
        payout = payouts.get(payout_reference(lead_id))
        if payout is not None and -amount > payout["amount"]:
            result.problems.append(f"lead {lead_id}: its chargebacks take back {-amount}, more than its payout "
                                   f"#{payout['id']} ({payout['amount']})")


def _return_chargeback_check(entry, payouts, rows, result):
    """A return's part of a share payout: its sale's lead's payout, on that payout's webhook, a credit."""
    sale = rows.sales.get(_ref(entry, RETURN_CHARGEBACK))
    if sale is None:
        _gone(entry, "names no sale row", rows, result)
        return
    payout = payouts.get(payout_reference(sale["lead_id"]))
    if payout is None:
        result.problems.append(f"{_named(entry)}: takes back no payout {payout_reference(sale['lead_id'])}")
    elif (entry["lead_id"], entry["webhook_id"]) != (sale["lead_id"], payout["webhook_id"]) or entry["amount"] >= 0:
        result.problems.append(f"{_named(entry)}: books (amount, lead, webhook) "
                               f"{_tuple((entry['amount'], entry['lead_id'], entry['webhook_id']))} against payout "
                               f"#{payout['id']} {_tuple((payout['amount'], sale['lead_id'], payout['webhook_id']))}")


def _returns_check(by_kind, rows, result):
    """Approved returns and their money, both ways: an approved return of a priced sale has its
    credit, and a return credit or a return's chargeback has its approved return."""
    approved = set(Return.objects.filter(state=ReturnState.APPROVED).values_list("sale_id", flat=True))
    credited = {_ref(entry, "return:") for entry in by_kind[EntryKind.RETURN_CREDIT]}
    for sale_id in sorted(approved - credited):
        sale = rows.sales.get(sale_id)
        if sale is not None and sale["price"]:
            result.problems.append(f"{_sale_named(sale)}: its return was approved, but no credit return:{sale_id}")
    for entry in by_kind[EntryKind.RETURN_CREDIT] + [
            e for e in by_kind[EntryKind.CHARGEBACK] if e["reference"].startswith(RETURN_CHARGEBACK)]:
        sale_id = _ref(entry, RETURN_CHARGEBACK if entry["kind"] == EntryKind.CHARGEBACK else "return:")
        if sale_id is not None and sale_id not in approved and sale_id in rows.sales:
            result.problems.append(f"{_named(entry)}: sale #{sale_id} has no approved return")


def _adjustments_check(by_kind, rows, result):
    for entry in by_kind[EntryKind.ADJUSTMENT]:
        if not entry["note"].strip():
            result.problems.append(f"{_named(entry)}: an adjustment that does not say why (no note)")


def _kpi_check(entries) -> list[str]:
    """The money the KPI API and the dashboard show (their selectors, over every day with entries)
    equals the sums of the entries, summed here one by one."""
    if not entries:
        return []
    days = [entry["created_at"].astimezone(UTC).date() for entry in entries]
    span = {"workspace_id": None, "date_from": min(days), "date_to": max(days)}
    problems = []
    buyers = defaultdict(lambda: ZERO)
    webhooks = defaultdict(lambda: {"sales": ZERO, "payouts": ZERO})
    for entry in entries:
        if entry["side"] == Side.BUYER and not counts_as_sales(entry["side"], entry["kind"]):
            continue  # money received (a deposit) is no sale
        figure = "sales" if entry["side"] == Side.BUYER else "payouts"
        webhooks[entry["webhook_id"]][figure] += entry["amount"]
        if entry["side"] == Side.BUYER:
            buyers[entry["workspace_id"], entry["offer_id"]] += entry["amount"]
    for row in selectors.buyer_offer_sales(**span):
        want = buyers.get((row["workspace_id"], row["offer_id"]), ZERO)
        if Decimal(row["sales"]) != want:
            problems.append(f"KPI buyers: buyer {row['workspace_id']} offer #{row['offer_id']}: sales {row['sales']} "
                            f"!= sum of its entries {want}")
    shown = {row["webhook_id"]: row for row in selectors.webhook_sales(**span)}
    for webhook_id in sorted(set(shown) | set(webhooks)):
        want = webhooks.get(webhook_id, {"sales": ZERO, "payouts": ZERO})
        want = {**want, "margin": want["sales"] - want["payouts"]}
        row = shown.get(webhook_id)
        for name, expected in want.items():
            got = Decimal(row[name]) if row is not None else None
            if got != expected and not (row is None and expected == 0):
                problems.append(f"KPI webhooks: webhook {webhook_id or '(none)'}: {name} "
                                f"{'not shown' if got is None else got} != sum of its entries {expected}")
    return problems
