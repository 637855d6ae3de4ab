"""The one ZIP/product matcher shared by lead auto-assignment and appointment routing."""
from workspaces.models import AppointmentRoutingRule, Workspace


def match_workspace(*, zip_code: str, product: str = "") -> tuple[Workspace, AppointmentRoutingRule] | None:
    """First active rule (of an active workspace) serving this ZIP and product.

    A rule's empty `product_types` or `zip_codes` means "any". Products compare
    case-insensitively ("solar" matches "Solar"); ZIPs compare on their 5-digit part, so a
    ZIP+4 matches a rule listing the 5-digit code. Lowest `priority` number wins, then the
    oldest rule (lowest id), so the outcome is deterministic.
    """
    zip5 = (zip_code or "").strip()[:5]
    product = (product or "").strip().casefold()
    rules = (
        AppointmentRoutingRule.objects.filter(is_active=True, workspace__is_active=True)
        .select_related("workspace")
        .order_by("priority", "id")
    )
    for rule in rules:
        zips = {str(z).strip()[:5] for z in rule.zip_codes}
        products = {str(p).strip().casefold() for p in rule.product_types}
        if zips and zip5 not in zips:
            continue
        if products and product not in products:
            continue
        return rule.workspace, rule
    return None
