"""The one eligibility engine: which offers may take a lead (or appointment), and who gets it.

1. Candidates: live offers (active, not paused, of an active buyer) of the right kind whose
   products contain the product (both spelled by `workspaces.zips.product_key`, the matcher
   forwarding rules use too) and whose where-rows take the lead's place. ZIP entries and
   states narrow together (`workspaces.zips.place_matches`, spelled out as buckets by
   `distribution.models.where_values`): each bucket the lead can be in (its ZIP, its 3-digit
   prefix, each narrowed to its state, its state, "any") is walked along one index in winning
   order and stops after a few rows per candidate. One query (prepared on PostgreSQL) walks them
   and returns the rows with their offers, buyers, filters, price adjustments and caps; its cost
   does not grow with the number of offers, nor its count with the rules they have. Offers whose
   schedule is closed are listed (up to 50) but take none of the 50 places: when a walk's page is
   used up before 50 open offers are found, that walk reads its next page (one more query,
   only then).
2. Verdicts (distribution.verdicts), in this order, the first failed check named: `own_referral` (the buyer sent the
   lead in), `excluded` (the buyer may
   not have this lead again: its delivery finally failed), `<reason>_hold` (the lead
   is held, e.g. `consent_hold`: leads.holds), `suppressed` (the lead's phone or email is on a
   suppression list that applies to the buyer: suppression.selectors.suppressed_workspaces, one
   query on the entries' digest index for all candidates; an appointment by its lead's),
   `buyer_webhook_off` (the buyer's outbound webhook is configured but switched off), then
   `schedule_closed`, then `filter:<column>`, then `duplicate_for_buyer` (the buyer bought the
   same phone within the offer's `duplicate_days`, as read; `distribution.duplicates.
   duplicates_claim` decides for good when selling), then `cap:<offer|buyer>:<window>` (a cap
   this sale would pass, as read; `distribution.caps.caps_claim` decides for good when selling),
   then `funds` (a prepaid buyer whose available funds, balance + credit limit, as read with the
   candidates, do not cover the price; the same claim decides for good); otherwise `eligible`.
   Last, `call_frequency:<state>` (a lead): where the consumer's state limits
   calls on one subject per window (compliance), a buyer that calls consumers is refused once the
   lead's sales to calling buyers in that window (multisell and resale alike, one indexed count)
   and this decision's calling winners reach the limit.
3. Prices: the offer's price per lead (or per appointment) and its exclusive price, each plus
   the price adjustments whose condition the lead meets.
4. The strategy (distribution.strategies) chooses among the eligible, which are in winning order: higher priority, then the
   most specific where-row (exact > radius > narrower range > prefix > state > any; an offer
   with ZIP entries and states ranks by the ZIP entry that takes the lead, its states only
   filtering), then the oldest offer. `highest_price` takes the best price (ties in winning order); `multisell` up to
   N buyers at their shared prices, unless one buyer's exclusive price beats their sum.
"""
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
from decimal import Decimal
from functools import lru_cache

from django.db import connection
from django.utils import timezone

from compliance.windows import call_frequency_limit, consumer_locale
from leadhub.db import prepared_fetchall
from suppression.selectors import suppressed_workspaces
from ledger.models import Balance
from ledger.selectors import funds_available
from workspaces.models import ANY, BillingMode, Workspace
from workspaces.zips import product_keys, zip5

from .caps import cap_full, caps_attach
from .duplicates import window_opens
from .offer_filters import filter_compile
from .models import (
    BuyerPhone,
    Cap,
    Offer,
    OfferFilter,
    OfferKind,
    OfferPriceAdjustment,
    OfferProduct,
    OfferWhere,
    Sale,
    WhereKind,
    narrowed,
)
from .schedule import schedule_open
from .strategies import strategy_get
from .verdicts import Check, Verdict, verdict_words

MAX_CANDIDATES = 50
ELIGIBLE = Verdict(Check.ELIGIBLE)
DUPLICATE_FOR_BUYER = Verdict(Check.DUPLICATE_FOR_BUYER)
MULTISELL_BUYERS = 3
_ROWS_PER_BUCKET = MAX_CANDIDATES * 4  # a walk's page: an offer may cover one ZIP by several of its entries


@dataclass
class Candidate:
    offer: Offer
    where: OfferWhere
    verdict: Verdict = ELIGIBLE
    price: Decimal = Decimal("0")
    exclusive_price: Decimal | None = None
    exclusive: bool = False  # chosen alone at its exclusive price (multisell)
    caps: list = field(default_factory=list)  # [(cap, window start, used)], distribution.caps.caps_attach
    filters: list = field(default_factory=list)  # [(column, op, value)] in id order
    adjustments: list = field(default_factory=list)  # [(column, op, value, amount)] in id order
    offer_caps: list | None = None  # the Cap rows of the offer and its buyer, when read with the offer
    owed: Decimal | None = None  # a prepaid buyer's balance row as read with the offer (ledger.models.Balance)
    available: Decimal | None = None  # a prepaid buyer's available funds (balance + credit limit), as read
    closed: bool = False  # its schedule is closed at the decision's time
    rule: dict | None = None  # the compliance rule that refused it (call_frequency)

    @property
    def verdict_words(self) -> str:
        return verdict_words(self.verdict, offer=self.offer, time_zone=self.offer.workspace.time_zone,
                             figures=self.as_row())

    @property
    def sale_price(self) -> Decimal:
        return self.exclusive_price if self.exclusive else self.price

    def as_row(self) -> dict:
        return {
            "offer_id": self.offer.pk, "workspace_id": self.offer.workspace_id, "priority": self.offer.priority,
            "where": self.where.entry, "verdict": str(self.verdict), "price": str(self.price),
            "exclusive_price": None if self.exclusive_price is None else str(self.exclusive_price),
            **({"rule": self.rule} if self.rule else {}),
            **({"available": str(self.available)} if self.verdict.check == Check.FUNDS else {}),
        }


@dataclass
class Outcome:
    strategy: str
    candidates: list[Candidate]
    winners: list[Candidate] = field(default_factory=list)
    key: str = ""
    max_buyers: int = MULTISELL_BUYERS

    def choose(self, *, rng=None) -> list[Candidate]:
        """The strategy over the eligible (again after a cap refused a winner)."""
        return choose(self.strategy, self.eligible, key=self.key, rng=rng, max_buyers=self.max_buyers)

    @property
    def eligible(self):
        return [c for c in self.candidates if c.verdict == ELIGIBLE]

    @property
    def refused(self) -> dict:
        return dict(Counter(str(c.verdict) for c in self.candidates if c.verdict != ELIGIBLE))

    @property
    def reason(self) -> str:
        """One line: who won and why (an appointment's routing_method)."""
        if not self.winners:
            return "unrouted: no eligible offer"
        winner = self.winners[0]
        kind = WhereKind(winner.where.kind)
        where = "any ZIP" if kind == WhereKind.ANY else f"{kind.label} {winner.where.entry}"
        products = ", ".join(winner.offer.products) or "any product"
        rule = f"rule #{winner.offer.routing_rule_id}, " if winner.offer.routing_rule_id else ""
        return f"{rule}offer #{winner.offer.pk} (priority {winner.offer.priority}): {where}; products {products}"


def _products(product) -> list[str]:
    """The product rows asked for: the `product_key`s of one product or several (a lead's
    `products`), with `*` (an offer selling any product)."""
    return sorted(product_keys(product) | {ANY})


def _rules_json(vendor: str, table: str, fields: list[str], where: str) -> str:
    """A correlated subquery: the matching rows of `table` as one JSON array of arrays."""
    row, agg = ("json_build_array", "json_agg") if vendor == "postgresql" else ("json_array", "json_group_array")
    return f"(SELECT {agg}({row}({', '.join(fields)})) FROM {table} r WHERE {where})"


_JOINED = ((OfferWhere, "w"), (Offer, "o"), (Workspace, "b"))
_PREPAID = f"b.\"billing_mode\" = '{BillingMode.PREPAID}'"
_LIVE = 'o."is_active" AND o."paused_at" IS NULL AND b."is_active"'  # Offer.is_live, in SQL


@lru_cache(maxsize=64)
def _candidates_sql(walks: tuple[bool, ...], products: int, vendor: str) -> str:
    """The one candidate query for `walks` (True: a ZIP-range walk), built once per shape: each
    walk a page (LIMIT, OFFSET a parameter) of the winning-order index's live rows, the rows found
    joined with their offers and buyers, and each offer's filters, price adjustments and caps (its
    own and its buyer's) as JSON and a prepaid buyer's balance, so deciding costs one round trip
    however many rules the offers have."""
    where = OfferWhere._meta.db_table
    order = [f'w."{OfferWhere._meta.get_field(name.lstrip("-")).column}"{" DESC" if name.startswith("-") else ""}'
             for name in OfferWhere.WINNING_ORDER]
    sells = (f"EXISTS (SELECT 1 FROM {OfferProduct._meta.db_table} p WHERE p.offer_id = w.offer_id "
             f"AND p.product IN ({', '.join(['%s'] * products)}))")
    joins = (f"JOIN {Offer._meta.db_table} o ON o.id = w.offer_id "
             f"JOIN {Workspace._meta.db_table} b ON b.id = o.workspace_id")
    scans = []
    for n, ranged in enumerate(walks):
        condition = "w.offer_kind = %s AND w.bucket = %s" + (" AND w.low <= %s AND w.high >= %s" if ranged else "")
        scans.append(f"SELECT id FROM (SELECT w.id FROM {where} w {joins} WHERE {condition} AND {_LIVE} AND {sells} "
                     f"ORDER BY {', '.join(order)} LIMIT {_ROWS_PER_BUCKET} OFFSET %s) walk{n}")
    columns = [f'{alias}."{f.column}"' for model, alias in _JOINED for f in model._meta.concrete_fields]
    columns += [
        _rules_json(vendor, OfferFilter._meta.db_table, ["r.id", 'r."column"', "r.op", "r.value"], "r.offer_id = o.id"),
        _rules_json(vendor, OfferPriceAdjustment._meta.db_table,
                    ["r.id", 'r."column"', "r.op", "r.value", "CAST(r.amount AS TEXT)"], "r.offer_id = o.id"),
        _rules_json(vendor, Cap._meta.db_table,
                    ["r.id", "r.workspace_id", "r.offer_id", 'r."window"', "r.measure", "CAST(r.maximum AS TEXT)"],
                    "(r.offer_id = o.id OR (r.offer_id IS NULL AND r.workspace_id = o.workspace_id))"),
        # A prepaid buyer's balance row (what it owes: its funds are minus this plus its credit limit).
        f"CASE WHEN {_PREPAID} THEN (SELECT CAST(r.owed AS TEXT) FROM {Balance._meta.db_table} r "
        "WHERE r.workspace_id = o.workspace_id) END",
    ]
    return (
        f"SELECT {', '.join(columns)} FROM {where} w {joins} "
        f"WHERE w.id IN ({' UNION ALL '.join(scans)}) ORDER BY {', '.join(order)}"
    )


@lru_cache(maxsize=8)
def _loaders(vendor: str):
    """Per joined model: its field names and, per field, its column and the converters the ORM
    would apply to it (JSON, booleans and datetimes on SQLite, ...). A copy of the ORM's row
    conversion, kept because loading the rows through the public API (the walks as a RawSQL
    subquery, select_related, the rules as annotations) made a decision six to seven times slower
    on bench/distribution.py (median 5.2-6.6 ms against 0.87-0.89 ms): it cannot use the prepared
    statement. test_engine_loading fails when
    a Django upgrade changes what this copy relies on."""
    loaders = []
    for model, alias in _JOINED:
        fields = []
        for f in model._meta.concrete_fields:
            col = f.get_col(alias)
            fields.append((col, connection.ops.get_db_converters(col) + f.get_db_converters(connection)))
        loaders.append((model, [f.attname for f in model._meta.concrete_fields], fields))
    return loaders


def _instances(values):
    """(where row, its offer with the buyer cached, the rest of the row) from one candidate row."""
    objects, at = [], 0
    for model, names, fields in _loaders(connection.vendor):
        row = []
        for value, (col, converters) in zip(values[at:at + len(names)], fields, strict=True):
            for converter in converters:
                value = converter(value, col, connection)
            row.append(value)
        at += len(names)
        objects.append(model.from_db(connection.alias, names, row))
    where, offer, workspace = objects
    Offer.workspace.field.set_cached_value(offer, workspace)
    OfferWhere.offer.field.set_cached_value(where, offer)
    return where, offer, values[at:]


def _json_rows(value) -> list:
    """A JSON array column as Python (PostgreSQL's driver decodes it; SQLite gives text), in id order."""
    rows = json.loads(value) if isinstance(value, str) else value or []
    return sorted(rows, key=lambda row: row[0])


def _walks(kind: str, zip_code: str, state: str) -> list[tuple[bool, list]]:
    """(ranged, [offer kind, bucket, ...]) for each bucket a lead of `zip_code` and `state` is in."""
    state = (state or "").strip().upper()
    walks = [(False, [kind, ANY])]
    if state:
        walks.append((False, [kind, f"st:{state}"]))
    if five := zip5(zip_code):
        walks += [(False, [kind, bucket]) for bucket in [five, *([narrowed(five, state)] if state else [])]]
        walks += [(True, [kind, bucket, five, five])
                  for bucket in [five[:3], *([narrowed(five[:3], state)] if state else [])]]
    return walks


@lru_cache(maxsize=8)
def _row_at(vendor: str) -> tuple[int, int, list[int]]:
    """Where a candidate row holds its bucket, its offer and its winning-order columns (the
    where-row's columns come first)."""
    names = _loaders(vendor)[0][1]
    return names.index("bucket"), names.index("offer_id"), [names.index(n.lstrip("-")) for n in OfferWhere.WINNING_ORDER]


def candidates_for(*, kind: str, zip_code: str, state: str, product, at: datetime) -> list[Candidate]:
    """Live offers of `kind` selling `product` (one or several) that take the lead's place, best
    first, each with its filters, price adjustments and caps: the first 50 open at `at`, and the
    offers whose schedule is closed that rank among them (at most 50 listed; `closed`). One query,
    and one more per page only when closed offers used up a walk's page before 50 open ones."""
    products = _products(product)
    bucket_at, offer_at, order_at = _row_at(connection.vendor)

    def rank(values):  # WINNING_ORDER: priority descending, the rest ascending
        priority, *rest = (values[i] for i in order_at)
        return (-priority, *rest)

    walks = {walk[1]: (ranged, walk) for ranged, walk in _walks(kind, zip_code, state)}
    read = dict.fromkeys(walks, 0)  # rows read so far by each walk that has not ended
    pending, seen, candidates, opened, closed = [], set(), [], 0, 0
    while read:
        page, params = list(read), []
        for bucket in page:
            params += walks[bucket][1] + products + [read[bucket]]
        found = prepared_fetchall(_candidates_sql(tuple(walks[b][0] for b in page), len(products), connection.vendor),
                                  params)
        last = {}
        for values in found:
            read[values[bucket_at]] += 1
            last[values[bucket_at]] = max(last.get(values[bucket_at], rank(values)), rank(values))
        for bucket in page:
            if bucket not in last or read[bucket] % _ROWS_PER_BUCKET:
                del read[bucket]  # a short page: the walk has ended
        # Rows up to the last one read by a walk that goes on are in winning order; past it, that
        # walk's next page may hold better ones.
        horizon = min((last[bucket] for bucket in read), default=None)
        pending = sorted([*pending, *found], key=rank)
        ready = len(pending) if horizon is None else sum(1 for values in pending if rank(values) <= horizon)
        ready, pending = pending[:ready], pending[ready:]
        for values in ready:  # an offer's first row is its most specific
            if values[offer_at] in seen:
                continue
            seen.add(values[offer_at])
            where, offer, (filters, adjustments, caps, owed) = _instances(values)
            shut = not schedule_open(schedule=offer.schedule, dates_off=offer.dates_off,
                                     time_zone=offer.workspace.time_zone, at=at)
            if shut and closed == MAX_CANDIDATES:
                continue
            candidates.append(Candidate(
                offer, where, closed=shut,
                filters=[tuple(row[1:]) for row in _json_rows(filters)],
                adjustments=[(column, op, value, Decimal(amount))
                             for _id, column, op, value, amount in _json_rows(adjustments)],
                offer_caps=[Cap(id=pk, workspace_id=buyer, offer_id=offer_id, window=window, measure=measure,
                                maximum=Decimal(maximum))
                            for pk, buyer, offer_id, window, measure, maximum in _json_rows(caps)],
                owed=None if offer.workspace.billing_mode != BillingMode.PREPAID else Decimal(owed or "0"),
            ))
            closed, opened = closed + shut, opened + (not shut)
            if opened == MAX_CANDIDATES:
                return candidates
    return candidates


def verdict_for(candidate: Candidate, subject, *, sender_workspace_id=None, held: str = "", excluded=(),
                suppressed=()) -> Verdict:
    workspace = candidate.offer.workspace
    if sender_workspace_id and workspace.pk == sender_workspace_id:
        return Verdict(Check.OWN_REFERRAL)
    if workspace.pk in excluded:
        return Verdict(Check.EXCLUDED)
    if held:
        return Verdict(Check.HOLD, held)
    if workspace.pk in suppressed:
        return Verdict(Check.SUPPRESSED)
    if workspace.webhook_switched_off:
        return Verdict(Check.BUYER_WEBHOOK_OFF)
    if candidate.closed:
        return Verdict(Check.SCHEDULE_CLOSED)
    for column, op, value in candidate.filters:
        if not filter_compile(column, op, value)(subject):
            return Verdict(Check.FILTER, column)
    return ELIGIBLE


def prices_for(candidate: Candidate, subject, *, kind: str) -> tuple[Decimal, Decimal | None]:
    """(shared price, exclusive price or None) for `subject`: the offer's prices plus every
    adjustment whose condition holds, never below zero."""
    offer = candidate.offer
    extra = sum((amount for column, op, value, amount in candidate.adjustments
                 if filter_compile(column, op, value)(subject)), Decimal("0"))
    base = offer.appointment_price if kind == OfferKind.APPOINTMENT else offer.price
    shared = max(base + extra, Decimal("0"))
    exclusive = None if offer.exclusive_price is None else max(offer.exclusive_price + extra, Decimal("0"))
    return shared, exclusive


def duplicates_mark(candidates, *, phone: str, at: datetime):
    """`duplicate_for_buyer` on the eligible whose buyer bought `phone` within the offer's
    duplicate_days, as read from the buyers' last sale of the phone (`BuyerPhone`, which the sale's
    claim moves: `distribution.duplicates.duplicates_claim` decides for good when selling). One
    query on its (buyer, phone) unique index, none when no candidate has a window."""
    windows = [c for c in candidates if c.verdict == ELIGIBLE and c.offer.duplicate_days]
    if not windows or not phone:
        return
    last_sold = dict(BuyerPhone.objects.filter(
        workspace_id__in={c.offer.workspace_id for c in windows}, phone=phone
    ).values_list("workspace_id", "last_sold_at"))
    for candidate in windows:
        sold_at = last_sold.get(candidate.offer.workspace_id)
        if sold_at is not None and sold_at >= window_opens(at, candidate.offer.duplicate_days):
            candidate.verdict = DUPLICATE_FOR_BUYER


FUNDS = Verdict(Check.FUNDS)


def funds_short(candidate: Candidate) -> Verdict | None:
    """`funds` when the candidate's buyer is prepaid and its available funds (balance + credit
    limit, as read with the candidates) do not cover the price; sets `available` for the
    decision's figures. Invoiced buyers (no balance read) and a $0 price (nothing to cover) pass."""
    if candidate.owed is None:
        return None
    candidate.available = funds_available(workspace=candidate.offer.workspace, owed=candidate.owed)
    return None if funds_cover(available=candidate.available, price=candidate.price) else FUNDS


def funds_cover(*, available: Decimal, price: Decimal) -> bool:
    """Whether a prepaid buyer's available funds (balance + credit limit) cover a price ($0 always)."""
    return not price or available >= price


def choose(strategy: str, eligible: list[Candidate], *, key: str, rng=None,
           max_buyers: int = MULTISELL_BUYERS) -> list[Candidate]:
    """The winners among `eligible` by `strategy` (distribution.strategies)."""
    for candidate in eligible:
        candidate.exclusive = False
    if not eligible:
        return []
    return strategy_get(strategy).choose(eligible, key=key, rng=rng, max_buyers=max_buyers)


def decide(*, kind: str, subject, zip_code: str, state: str, product, strategy: str, key: str,
           at: datetime | None = None, sender_workspace_id=None, held: str = "", excluded=(), rng=None,
           max_buyers: int = MULTISELL_BUYERS) -> Outcome:
    """The candidates with verdicts and prices, and the winners; writes nothing but a round-robin
    position (caps are claimed by the caller that sells). `held`: the code of the subject's first
    live hold ("" when none), which every offer refuses; `excluded`: buyers that may not have it."""
    at = at or timezone.now()
    candidates = candidates_for(kind=kind, zip_code=zip_code, state=state, product=product, at=at)
    suppressed = suppressed_workspaces(
        phone=subject.phone, email=subject.email, workspaces={c.offer.workspace for c in candidates},
    ) if subject is not None and not subject.hold_reasons else set()  # a held lead: the gate refuses it anyway
    for candidate in candidates:
        candidate.verdict = verdict_for(
            candidate, subject, sender_workspace_id=sender_workspace_id, held=held, excluded=excluded,
            suppressed=suppressed,
        )
        if candidate.verdict == ELIGIBLE:
            candidate.price, candidate.exclusive_price = prices_for(candidate, subject, kind=kind)
    if kind == OfferKind.LEAD:  # an appointment of a lead its buyer bought is no duplicate
        duplicates_mark(candidates, phone=getattr(subject, "phone", ""), at=at)
    eligible = [c for c in candidates if c.verdict == ELIGIBLE]
    caps_attach(eligible, at=at)
    for candidate in eligible:
        candidate.verdict = cap_full(candidate, candidate.price) or funds_short(candidate) or ELIGIBLE
    outcome = Outcome(strategy=strategy, candidates=candidates, key=key, max_buyers=max_buyers)
    room = call_frequency_room(outcome.eligible, subject, at=at) if kind == OfferKind.LEAD and subject else None
    outcome.winners = outcome.choose(rng=rng)
    while room is not None and len(calling := [w for w in outcome.winners if w.offer.workspace.calls_consumers]) > room[0]:
        for candidate in calling[max(room[0], 0):]:  # the strategy's best calling buyers keep their places
            candidate.verdict, candidate.rule = room[1], room[2]
        outcome.winners = outcome.choose(rng=rng)
    return outcome


def call_frequency_room(eligible, lead, *, at: datetime):
    """(how many more calling buyers may have `lead`, the verdict refusing the others, the rule)
    where the consumer's state limits calls on one subject per window and a calling buyer is
    eligible; else None. The lead's sales to calling buyers within the window, multisell and
    resale alike: one count on its (lead, buyer) index."""
    if not any(c.offer.workspace.calls_consumers for c in eligible):
        return None
    locale = consumer_locale(zip_code=lead.zip_code, state=lead.state, phone=lead.phone)
    limit = call_frequency_limit(states=locale.states, day=at.astimezone(ZoneInfo(locale.zone)).date())
    if limit is None:
        return None
    sold = Sale.objects.filter(lead_id=lead.pk, sold_at__gt=at - timedelta(hours=limit.hours),
                               workspace__calls_consumers=True).values("workspace_id").distinct().count()
    rule = {"state": limit.state, "max_calls": limit.max_calls, "hours": limit.hours, "source": limit.source,
            "sold_to_calling_buyers": sold}
    return limit.max_calls - sold, Verdict(Check.CALL_FREQUENCY, limit.state), rule
