"""Duplicate rules at intake: is this post a duplicate of an earlier lead, and by which rule.

Checked inside the lead's transaction by `leads.services.ingest` (every door a lead comes in by),
after the post is cleaned and before anything is written, so a `reject` leaves nothing behind
and a `hold` is placed with the lead. Not to be confused with a buyer's duplicate window at sale
(distribution.duplicates): that decides whom a lead may be sold to; this decides whether the
lead is taken in at all, and on what terms.

Cost, whatever the rules: one query loads the webhook's rules with the global ones, one
statement takes the locks (PostgreSQL), and one indexed lookup runs per rule until one matches.
"""
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from operator import and_, or_

from django.db import connection
from django.db.models import Q

from leads.duplicate_keys import COMPARABLES, key_fields
from leads.models import DuplicateAction, DuplicateMatch, DuplicateRule, DuplicateScope, Lead

# The strongest action decides when several rules match: a post one rule rejects is rejected
# whatever another would have let through.
ACTION_ORDER = {DuplicateAction.REJECT: 0, DuplicateAction.HOLD: 1, DuplicateAction.ACCEPT_NO_PAYOUT: 2}


@dataclass(frozen=True)
class DuplicateFound:
    """The rule that matched, on which key(s), and the earlier lead (for ops; the provider is told
    its id only when it sent that lead itself)."""

    rule: DuplicateRule
    field: str  # the key that matched ("phone", "email+last_name"); for `all`, every key, comma-separated
    earlier_id: int
    earlier_provider_id: str
    earlier_webhook_id: str
    earlier_at: object

    @property
    def action(self) -> str:
        return self.rule.action

    def answer(self, *, provider) -> dict:
        """`disposition.duplicate_of` as the provider sees it."""
        same = provider is not None and provider.provider_id == self.earlier_provider_id
        return {"rule": self.rule.pk, "field": self.field, "window": self.rule.window_seconds,
                "action": self.rule.action, "lead_id": self.earlier_id if same else None}

    @property
    def message(self) -> str:
        return (f"Duplicate of an earlier lead: same {self.field} within {window_words(self.rule.window_seconds)} "
                f"(duplicate rule #{self.rule.pk}).")

    @property
    def ops_message(self) -> str:
        return f"{self.message[:-1]}; earlier lead #{self.earlier_id} received {self.earlier_at.isoformat()}."

    def errors(self) -> dict:
        """The refusal's errors, by the lead's columns compared."""
        columns = [COMPARABLES[name].column for key in self.field.split(", ") for name in key_fields(key)]
        return {column: [self.message] for column in dict.fromkeys(columns)}

    def event_data(self, *, provider) -> dict:
        """The full match, for ops on the lead's timeline."""
        return {
            "rule_id": self.rule.pk, "global": self.rule.webhook_id is None, "action": self.rule.action,
            "match": self.rule.match, "scope": self.rule.scope, "field": self.field,
            "window_seconds": self.rule.window_seconds, "earlier_lead_id": self.earlier_id,
            "earlier_webhook_id": self.earlier_webhook_id, "earlier_provider_id": self.earlier_provider_id,
            "earlier_at": self.earlier_at.isoformat(), "duplicate_of": self.answer(provider=provider),
        }


def window_words(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def duplicate_rules_for(webhook) -> list[DuplicateRule]:
    """The webhook's own active rules, or the global defaults when it has none (one query)."""
    rules = list(DuplicateRule.objects.filter(Q(webhook_id=webhook.pk) | Q(webhook__isnull=True), is_active=True))
    own = [rule for rule in rules if rule.webhook_id is not None]
    return sorted(own or rules, key=lambda rule: (ACTION_ORDER[rule.action], rule.pk))


def _key_values(key, values) -> dict | None:
    """{comparable: the post's value} of one key; None when the post lacks one of its fields."""
    found = {name: COMPARABLES[name].value(values) for name in key_fields(key)}
    return found if all(found.values()) else None


def _keys_compared(rule, values) -> dict:
    """{key: its values} the rule compares for this post: under `all` every key or none."""
    keyed = {key: _key_values(key, values) for key in rule.key_list}
    if rule.match == DuplicateMatch.ALL and not all(keyed.values()):
        return {}
    return {key: found for key, found in keyed.items() if found}


@dataclass(frozen=True)
class DuplicateCheck:
    """What the duplicate check did with a post: the rules that compared it (a rule whose keys the
    post lacks compares nothing) and the match, if any. Kept on the lead's `received` event, so
    its compliance record can say "checked, no match" without a row per check."""

    rule_ids: tuple
    found: DuplicateFound | None

    def recorded(self) -> dict:
        result = self.found.action if self.found else "no_match" if self.rule_ids else "no_rule_applied"
        return {"rules": list(self.rule_ids), "result": result}


def duplicate_check(*, webhook, values: dict, now) -> DuplicateCheck:
    """The first rule (strongest action first) an earlier lead in its scope and window matches.
    Called inside the lead's transaction: on PostgreSQL it first takes a transaction lock per key
    value compared, so two posts of the same person wait for each other and the second sees the
    first's lead (SQLite's writers are serialised already: IMMEDIATE transactions)."""
    rules = duplicate_rules_for(webhook)
    compared = [(rule, keys) for rule in rules if (keys := _keys_compared(rule, values))]
    rule_ids = tuple(rule.pk for rule, _keys in compared)
    if not compared:
        return DuplicateCheck(rule_ids=rule_ids, found=None)
    _locks_take({f"{key}={'|'.join(found.values())}" for _rule, keys in compared for key, found in keys.items()})
    for rule, keys in compared:
        if (found := _earlier_lead(rule, keys, webhook=webhook, values=values, now=now)) is not None:
            return DuplicateCheck(rule_ids=rule_ids, found=found)
    return DuplicateCheck(rule_ids=rule_ids, found=None)


def duplicate_find(*, webhook, values: dict, now) -> DuplicateFound | None:
    """The match of `duplicate_check` alone."""
    return duplicate_check(webhook=webhook, values=values, now=now).found


def _locks_take(names):
    if connection.vendor != "postgresql":
        return
    ids = sorted(int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
                 for name in names)
    with connection.cursor() as cursor:  # one statement; in sorted order, so two posts never deadlock
        cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", [ids])


def duplicate_lookup(rule, keys: dict, *, webhook, values, now):
    """The rule's one query: the newest earlier lead in its scope and window matching its keys.
    Each key has an indexed field (leads.duplicate_keys), which the plan uses
    (leads/tests/test_intake_duplicates.py reads it)."""
    names = {name for found in keys.values() for name in found}
    conditions = [Q(**{f"dup_{name}": value for name, value in found.items()}) for found in keys.values()]
    scope = {DuplicateScope.WEBHOOK: Q(webhook_id=webhook.webhook_id),
             DuplicateScope.LEAD_TYPE: Q(lead_type=values.get("lead_type") or webhook.lead_type),
             DuplicateScope.ALL: Q()}[rule.scope]
    return (
        Lead.objects.annotate(**{f"dup_{name}": COMPARABLES[name].expression() for name in names})
        .filter(reduce(and_ if rule.match == DuplicateMatch.ALL else or_, conditions), scope,
                created_at__gte=now - timedelta(seconds=rule.window_seconds))
        .order_by("-created_at", "-id")
        .values("id", "provider_id", "webhook_id", "created_at", *(f"dup_{name}" for name in names))
    )


def _earlier_lead(rule, keys, *, webhook, values, now) -> DuplicateFound | None:
    row = duplicate_lookup(rule, keys, webhook=webhook, values=values, now=now).first()
    if row is None:
        return None
    matched = [key for key, found in keys.items() if all(row[f"dup_{name}"] == value for name, value in found.items())]
    field = ", ".join(matched) if rule.match == DuplicateMatch.ALL else matched[0]
    return DuplicateFound(rule=rule, field=field, earlier_id=row["id"], earlier_provider_id=row["provider_id"],
                          earlier_webhook_id=row["webhook_id"], earlier_at=row["created_at"])
