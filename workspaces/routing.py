"""The one ZIP/product matcher shared by lead auto-assignment and appointment routing.

Which rule wins, deterministically:
1. only active rules of active workspaces whose ZIP entries contain the ZIP (workspaces.zips:
   exact `90210`, range `90210-90299`, 3-digit prefix `902*`, `*`; an empty list also means any
   ZIP) and whose product types contain the product, case-insensitively (an empty list means any
   product);
2. the highest `priority` number (the seed's default is 1; a rule with 5 beats it);
3. on a tie, the most specific ZIP entry: exact, then range (narrower first), then prefix,
   then "any ZIP";
4. then the oldest rule (created first, then lowest id).

Routing reads the rules' derived, indexed rows (workspaces.models.RoutingZipEntry /
RoutingProductEntry), never the JSON lists, so its cost does not grow with the number of rules
or ZIPs (bench/routing.py measures it).
"""
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Subquery

from workspaces.models import AppointmentRoutingRule, RoutingProductEntry, RoutingZipEntry, Workspace
from workspaces.zips import ANY, ZipEntryKind, zip5


@dataclass(frozen=True)
class RoutingMatch:
    workspace: Workspace
    rule: AppointmentRoutingRule
    entry: RoutingZipEntry

    @property
    def reason(self) -> str:
        """Human-readable: which rule and why (stored as an appointment's routing_method)."""
        kind = ZipEntryKind(self.entry.kind)
        where = "any ZIP" if kind == ZipEntryKind.ANY else f"{kind.label} {self.entry.entry}"
        products = ", ".join(self.rule.product_types) or "any product"
        return f"rule #{self.rule.pk} (priority {self.rule.priority}): {where}; products {products}"


def route(*, zip_code: str, product: str = "") -> RoutingMatch | None:
    """The winning rule for this ZIP (5 digits or ZIP+4) and product, or None.

    One query: for each bucket the ZIP can be in (itself, its 3-digit prefix, "any"), a LIMIT 1
    walk of that bucket's index in winning order; the best of those (at most three) wins.
    """
    five = zip5(zip_code)
    sells = RoutingProductEntry.objects.filter(
        rule_id=OuterRef("rule_id"), product__in=[(product or "").strip().casefold(), ANY]
    )
    candidates = RoutingZipEntry.objects.filter(is_active=True, workspace__is_active=True).filter(Exists(sells))
    walks = [candidates.filter(bucket=ANY)]
    if five:
        in_range = candidates.filter(low__lte=five, high__gte=five)
        walks += [in_range.filter(bucket=five), in_range.filter(bucket=five[:3])]
    firsts = [Subquery(walk.order_by(*RoutingZipEntry.WINNING_ORDER).values("pk")[:1]) for walk in walks]
    best = (
        RoutingZipEntry.objects.filter(pk__in=firsts)
        .select_related("rule__workspace")
        .order_by(*RoutingZipEntry.WINNING_ORDER)
        .first()
    )
    return RoutingMatch(best.rule.workspace, best.rule, best) if best else None


def match_workspace(*, zip_code: str, product: str = "") -> tuple[Workspace, AppointmentRoutingRule] | None:
    """(workspace, rule) of `route()`, for callers that do not need the reason."""
    match = route(zip_code=zip_code, product=product)
    return (match.workspace, match.rule) if match else None
