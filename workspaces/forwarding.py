"""Lead forwarding rules: each accepted lead of an inbound webhook sent on in real time.

Ops configure rules per inbound webhook (workspaces.models.LeadForwardingRule) and, optionally,
a LeadForwardingConfig row for that webhook: its on/off switch and mode (no row = on,
first-match). A rule that targets a workspace sends nothing: it only lists the workspace as a
direct target the webhook's appointments may name (leads reach a workspace through its lead
offers, decided by distribution). Rules to external URLs are copies: right after the
distribution decision, `lead_forward_rules_apply` only writes outbox rows, so the provider's
request never waits on a third party; delivery, signing, retries and the attempt log are
workspaces.delivery's. A rule gets one copy of a lead, ever, however often the lead is
distributed again. Leads held for missing consent are never forwarded.

External rules of one webhook are few, so they are matched in Python against the lead by the
matcher offers follow too (`workspaces.zips.rule_matches`):
- product: any of the lead's products (`Lead.products`) equals an entry, case-insensitively
  (empty list or `*` = any product);
- ZIP and state, together: the lead's 5-digit ZIP is in an entry, exact `90210`, range
  `90210-90299`, prefix `902*` (empty list or `*` = any ZIP; a lead without a ZIP only matches
  "any"), AND the lead's state is listed (empty list or `*` = any state).
Order: higher `priority` first, then the oldest rule.
"""
import csv
import io

from django.db import transaction

from leadhub.errors import ServiceRefusal, errors_message
from workspaces.delivery import outbox_emit_to_rule
from workspaces.models import ForwardingMode, LeadForwardingConfig, LeadForwardingRule, generate_signing_secret
from workspaces.zips import parse_zip_entry, rule_matches


def forwarding_rule_matches(rule: LeadForwardingRule, *, products, zip_code: str, state: str) -> bool:
    return rule_matches(product_entries=rule.product_types, zip_entries=rule.zip_codes, states=rule.states,
                        products=products, zip_code=zip_code, state=state)


def forwarding_rules_matching(*, webhook_id: str, products, zip_code: str, state: str) -> list[LeadForwardingRule]:
    """Active external-URL rules of this webhook that match, in the order they are tried."""
    rules = LeadForwardingRule.objects.filter(
        webhook_id=webhook_id, is_active=True, target_workspace__isnull=True
    ).order_by(
        "-priority", "created_at", "id"
    )
    return [rule for rule in rules
            if forwarding_rule_matches(rule, products=products, zip_code=zip_code, state=state)]


def lead_forward_rules_apply(*, lead, data: dict, calling_wait=None) -> list:
    """Queue `data` (the lead as partners see it) for the webhook's matching external rules.

    Called by distribution right after its decision. first-match queues only the first rule and
    keeps the others on the event as fallbacks (workspaces.delivery moves on when that delivery
    finally fails); all-matches queues one event per rule. A rule gets one copy of a lead, ever
    (`workspaces.delivery.lead_copy_claim`), however often the lead is distributed again.
    `calling_wait(workspace)`: when a rule's workspace that calls consumers may have the copy
    (workspaces.delivery.outbox_emit_to_rule). Returns the events queued.
    """
    if lead.held_for_consent:
        return []
    rules = forwarding_rules_matching(
        webhook_id=lead.webhook_id,
        products=lead.products,
        zip_code=lead.zip_code,
        state=lead.state,
    )
    if not rules:
        return []  # the common case costs one query
    with transaction.atomic():  # one outbox row per rule, all or none
        return _rules_emit(lead, rules, data=data, calling_wait=calling_wait)


def _rules_emit(lead, rules, *, data, calling_wait=None):
    config = LeadForwardingConfig.objects.filter(webhook_id=lead.webhook_id).first()
    if config is not None and not config.is_enabled:
        return []
    common = {"data": data, "contact_id": lead.contact_id, "subject_type": "lead", "subject_id": lead.pk,
              "calling_wait": calling_wait}
    if config is not None and config.mode == ForwardingMode.ALL_MATCHES:
        events = []
        for rule in rules:
            if event := outbox_emit_to_rule(rule=rule, **common):
                events.append(event)
        return events
    first, *fallbacks = rules  # a first rule that had its copy already sends nothing more
    event = outbox_emit_to_rule(rule=first, fallback_rule_ids=[rule.pk for rule in fallbacks], **common)
    return [event] if event else []


class ZipCsvInvalid(ServiceRefusal):
    """A ZIP CSV with cells that are no ZIP entry, or none at all, named under `zip_csv` (the
    API's 422 `validation`)."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


def zip_entries_from_csv(text: str) -> list[str]:
    """ZIP entries from a CSV (any layout: every non-empty cell is an entry; a header row whose
    cells are not ZIP entries is skipped). Invalid cells → ZipCsvInvalid naming row and value."""
    entries, errors = [], []
    for row_number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row if cell.strip()]
        parsed = []
        for cell in cells:
            try:
                parse_zip_entry(cell)
                parsed.append(cell)
            except ValueError as exc:
                parsed.append(exc)
        if row_number == 1 and cells and all(isinstance(item, ValueError) for item in parsed):
            continue  # header
        for item in parsed:
            if isinstance(item, ValueError):
                errors.append(f"row {row_number}: {item}")
            elif item not in entries:
                entries.append(item)
    if errors:
        raise ZipCsvInvalid({"zip_csv": errors[:20] + ([f"… and {len(errors) - 20} more"] if len(errors) > 20 else [])})
    if not entries:
        raise ZipCsvInvalid({"zip_csv": ["The CSV holds no ZIP entries."]})
    return entries


@transaction.atomic
def forwarding_rule_zips_load(*, rule: LeadForwardingRule, csv_text: str, replace: bool = True) -> LeadForwardingRule:
    """Bulk-load a rule's ZIP entries from a CSV (replacing them, or adding to them)."""
    entries = zip_entries_from_csv(csv_text)
    if not replace:
        entries = list(dict.fromkeys([*rule.zip_codes, *entries]))
    rule.zip_codes = entries
    rule.full_clean()
    rule.save(update_fields=["zip_codes", "updated_at"])
    return rule


@transaction.atomic
def forwarding_rule_secret_rotate(*, rule: LeadForwardingRule) -> str:
    """A new secret for an external target (returned once); later deliveries, retries included,
    are signed with it."""
    rule.signing_secret = generate_signing_secret()
    rule.save(update_fields=["signing_secret", "updated_at"])
    return rule.signing_secret
