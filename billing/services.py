"""Closing statements: a party's week or month, once it has ended in the party's zone, becomes a
stored statement whose figures never change (billing.models).

Concurrency: a close takes a lock per (party, period kind) first (a transaction-scoped advisory
lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already lets one writer in at a time), so two closes
of one party run one after the other and the second starts after the first's last statement.
Entries are never locked: a close takes exactly the entries committed before its read, and an
entry committed after it (written in the closing period or not) is nobody's yet and lands in
the next statement to close. The unique (entry, period kind) line refuses any double count.
"""
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from leadhub.errors import ServiceRefusal, errors_message
from ledger.models import Entry

from .models import PeriodKind, Statement, StatementLine
from .parties import PARTIES, statement_figures
from .periods import period_of, period_parse


class StatementInvalid(ServiceRefusal):
    """A close asked of something that is no statement (the API's 422 `validation`)."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


def unassigned_entries(*, party_kind, party_id, period_kind):
    """The party's entries no statement of `period_kind` took yet."""
    party = PARTIES[party_kind]
    taken = StatementLine.objects.filter(period_kind=period_kind, entry_id=OuterRef("pk"))
    return Entry.objects.filter(side=party.side, **{party.entry_field: party_id}).exclude(Exists(taken))


def _party_lock(party_kind, party_id, period_kind):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                           [f"billing.statement:{party_kind}:{period_kind}:{party_id}"])


def _first_unclosed(*, party_kind, party_id, period_kind, zone):
    last = (Statement.objects.filter(party_kind=party_kind, party_id=party_id, period_kind=period_kind)
            .order_by("-starts_at").values_list("period", flat=True).first())
    if last is not None:
        return period_parse(last, zone).next(zone)
    first = (unassigned_entries(party_kind=party_kind, party_id=party_id, period_kind=period_kind)
             .order_by("created_at").values_list("created_at", flat=True).first())
    return None if first is None else period_of(period_kind, first, zone)


def statements_close(*, party_kind: str, party_id: str, period_kind: str, at=None) -> list[Statement]:
    """Close every period of the party that has ended by `at` (now) and is not closed, oldest
    first, from its first entry's period on (a period without entries closes at zero). Each
    statement takes the party's entries that no earlier statement took and that were written
    before its period ended, and stores their figures once."""
    if period_kind not in PeriodKind.values:
        raise StatementInvalid({"period_kind": [f"'{period_kind}' is not a period kind: week or month."]})
    if party_kind not in PARTIES:
        raise StatementInvalid({"party_kind": [f"'{party_kind}' is not a party kind: buyer or source."]})
    at = at or timezone.now()
    party = PARTIES[party_kind]
    with transaction.atomic():
        _party_lock(party_kind, party_id, period_kind)
        zone = party.zone(party_id)
        period = _first_unclosed(party_kind=party_kind, party_id=party_id, period_kind=period_kind, zone=zone)
        closed = []
        while period is not None and period.ends_at <= at:
            entries = list(unassigned_entries(party_kind=party_kind, party_id=party_id, period_kind=period_kind)
                           .filter(created_at__lt=period.ends_at).only("id", "kind", "amount", "reference"))
            statement = Statement.objects.create(
                party_kind=party_kind, party_id=party_id, period_kind=period_kind, period=period.label,
                time_zone=zone, starts_at=period.starts_at, ends_at=period.ends_at, closed_at=timezone.now(),
                **statement_figures(party_kind, entries, party_id, period),
            )
            StatementLine.objects.bulk_create([StatementLine(statement=statement, entry_id=entry.pk,
                                                             period_kind=period_kind) for entry in entries])
            closed.append(statement)
            period = period.next(zone)
        return closed


def statements_close_due(*, at=None) -> int:
    """Every buyer's and source's ended weeks and months closed (the beat task); how many."""
    at = at or timezone.now()
    count = 0
    for party_kind, party in PARTIES.items():
        for party_id in list(party.ids()):
            for period_kind in PeriodKind.values:
                count += len(statements_close(party_kind=party_kind, party_id=party_id, period_kind=period_kind,
                                              at=at))
    return count
