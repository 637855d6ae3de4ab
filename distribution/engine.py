"""The one eligibility engine: which offers may take a lead (or appointment), and who gets it.

1. Candidates: live or not, offers of the right kind whose products contain the product and
   whose where-rows contain the ZIP or state — each bucket the lead can be in (its ZIP, its
   3-digit prefix, its state, "any") is walked along one index in winning order and stops after a
   few rows per candidate: on PostgreSQL one UNION query for the row ids, one for the rows with
   their offers and workspaces, one for the candidates' filters. The cost does not grow with
   the number of offers.
2. Verdicts, in this order, the first failed check named: `inactive` (offer off, paused, or its
   workspace inactive), `own_referral` (the buyer sent the lead in), `consent_hold`,
   `buyer_webhook_off` (the buyer's outbound webhook is configured but switched off), then
   `schedule_closed`, then `filter:<column>`; otherwise `eligible`.
3. The strategy chooses among the eligible, which are in winning order: higher priority, then the
   most specific where-row (exact > radius > narrower range > prefix > state > any), then the
   oldest offer.
"""
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from providers.models import DistributionStrategy
from workspaces.models import ANY
from workspaces.zips import zip5

from .filters import filter_compile
from .models import Offer, OfferFilter, OfferProduct, OfferWhere, RoundRobinCursor, WhereKind
from .schedule import schedule_open

MAX_CANDIDATES = 50
ELIGIBLE = "eligible"
_ROWS_PER_BUCKET = MAX_CANDIDATES * 4  # an offer may cover one ZIP by several of its entries

_random = random.Random()


@dataclass
class Candidate:
    offer: Offer
    where: OfferWhere
    verdict: str = ELIGIBLE

    def as_row(self) -> dict:
        return {
            "offer_id": self.offer.pk, "workspace_id": self.offer.workspace_id, "priority": self.offer.priority,
            "where": self.where.entry, "verdict": self.verdict,
        }


@dataclass
class Outcome:
    strategy: str
    candidates: list[Candidate]
    winners: list[Candidate] = field(default_factory=list)

    @property
    def eligible(self):
        return [c for c in self.candidates if c.verdict == ELIGIBLE]

    @property
    def refused(self) -> dict:
        return dict(Counter(c.verdict for c in self.candidates if c.verdict != ELIGIBLE))

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
    """The product values asked for: one string, or several (a lead's type, productid and
    service type), lower-cased, with `*` (an offer selling any product)."""
    values = [product] if isinstance(product, str) else list(product or ())
    return sorted({str(p).strip().casefold() for p in values if str(p or "").strip()} | {ANY})


def candidates_for(*, kind: str, zip_code: str, state: str, product) -> list[Candidate]:
    """Offers of `kind` selling `product` (one or several) that cover the ZIP or state, best first,
    at most 50."""
    sells = OfferProduct.objects.filter(offer_id=OuterRef("offer_id"), product__in=_products(product))
    rows = OfferWhere.objects.filter(offer_kind=kind).filter(Exists(sells))
    walks = [rows.filter(bucket=ANY)]
    if state:
        walks.append(rows.filter(bucket=f"st:{state.strip().upper()}"))
    if five := zip5(zip_code):
        walks += [rows.filter(bucket=five), rows.filter(bucket=five[:3], low__lte=five, high__gte=five)]
    walks = [walk.order_by(*OfferWhere.WINNING_ORDER).values_list("pk", flat=True)[:_ROWS_PER_BUCKET] for walk in walks]
    if connection.features.supports_slicing_ordering_in_compound:
        # PostgreSQL: each walk is its own LIMITed index scan; OR-ed IN subqueries would make the
        # planner scan every row instead.
        firsts = Q(pk__in=list(walks[0].union(*walks[1:], all=True)))
    else:
        firsts = Q()
        for walk in walks:
            firsts |= Q(pk__in=Subquery(walk))
    found = (
        OfferWhere.objects.filter(firsts)
        .select_related("offer__workspace")
        .prefetch_related(Prefetch("offer__filters", queryset=OfferFilter.objects.order_by("id")))
        .order_by(*OfferWhere.WINNING_ORDER)
    )
    best = {}
    for row in found:
        best.setdefault(row.offer_id, row)  # rows come in winning order: the first is the most specific
    return [Candidate(row.offer, row) for row in list(best.values())[:MAX_CANDIDATES]]


def verdict_for(offer: Offer, subject, *, at: datetime, sender_workspace_id=None, held=False) -> str:
    workspace = offer.workspace
    if not offer.is_live:
        return "inactive"
    if sender_workspace_id and workspace.pk == sender_workspace_id:
        return "own_referral"
    if held:
        return "consent_hold"
    if workspace.outbound_webhook_url and (not workspace.webhook_active or workspace.webhook_disabled_at):
        return "buyer_webhook_off"
    if not schedule_open(schedule=offer.schedule, dates_off=offer.dates_off, time_zone=workspace.time_zone, at=at):
        return "schedule_closed"
    for rule in offer.filters.all():
        if not filter_compile(rule.column, rule.op, rule.value)(subject):
            return f"filter:{rule.column}"
    return ELIGIBLE


def round_robin_next(key: str) -> int:
    """The next position for `key`, moved by one atomic upsert: concurrent callers queue on the
    row lock and each gets its own number, so a rotation stays fair to ±1."""
    table = RoundRobinCursor._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, position) VALUES (%s, 0) "
            f"ON CONFLICT (key) DO UPDATE SET position = {table}.position + 1 RETURNING position",
            [key],
        )
        return cursor.fetchone()[0]


def choose(strategy: str, eligible: list[Candidate], *, key: str, rng=None) -> list[Candidate]:
    if not eligible:
        return []
    if strategy == DistributionStrategy.ALL_MATCHES:
        return list(eligible)
    if strategy == DistributionStrategy.ROUND_ROBIN:
        top = [c for c in eligible if c.offer.priority == eligible[0].offer.priority]
        if len(top) == 1:
            return top
        return [top[round_robin_next(f"{key}:{top[0].offer.priority}") % len(top)]]
    if strategy == DistributionStrategy.WEIGHTED:
        return (rng or _random).choices(eligible, weights=[c.offer.weight for c in eligible])
    return eligible[:1]  # priority and first_match: the waterfall's first eligible offer


def decide(*, kind: str, subject, zip_code: str, state: str, product, strategy: str, key: str,
           at: datetime | None = None, sender_workspace_id=None, held=False, rng=None) -> Outcome:
    """The candidates with verdicts and the winners; writes nothing but a round-robin position."""
    at = at or timezone.now()
    candidates = candidates_for(kind=kind, zip_code=zip_code, state=state, product=product)
    for candidate in candidates:
        candidate.verdict = verdict_for(
            candidate.offer, subject, at=at, sender_workspace_id=sender_workspace_id, held=held
        )
    outcome = Outcome(strategy=strategy, candidates=candidates)
    outcome.winners = choose(strategy, outcome.eligible, key=key, rng=rng)
    return outcome
