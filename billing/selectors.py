"""Reading statements: the closed ones as stored, the current period's as it stands."""
from dataclasses import dataclass

from django.utils import timezone

from ledger.models import Entry

from .models import PartyKind, Statement
from .parties import PARTIES, statement_figures
from .periods import period_parse
from .services import unassigned_entries


@dataclass
class StatementView:
    statement: Statement  # unsaved (closed_at None) for the open period
    lines: list  # its ledger entries, oldest first

    @property
    def status(self):
        return "closed" if self.statement.pk else "open"


def statements_of(*, party_kind=PartyKind.BUYER, party_id):
    """A party's closed statements, newest first."""
    return Statement.objects.filter(party_kind=party_kind, party_id=party_id)


def statement_lines(statement: Statement):
    return Entry.objects.filter(pk__in=statement.lines.values("entry_id")).order_by("created_at", "id")


def statement_view(*, party_kind=PartyKind.BUYER, party_id, period: str, at=None) -> StatementView | None:
    """The statement a period label names (`2026-W49`, `2026-12`): as closed, or, for the period
    running now and not closed, the figures of the entries it would take if it closed now (every
    entry no statement of its kind took yet, a late one from a closed period included). None
    for a period the label does not name, one not closed that is not running, or one that
    belongs to no one else either: a caller sees only its own."""
    if period_parse(period, "UTC") is None:  # names no period (nor reaches the database: a NUL, say)
        return None
    closed = statements_of(party_kind=party_kind, party_id=party_id).filter(period=period).first()
    if closed is not None:
        return StatementView(statement=closed, lines=list(statement_lines(closed)))
    at = at or timezone.now()
    zone = PARTIES[party_kind].zone(party_id)
    running = period_parse(period, zone)
    if running is None or not running.starts_at <= at < running.ends_at:
        return None
    entries = list(unassigned_entries(party_kind=party_kind, party_id=party_id, period_kind=running.kind)
                   .filter(created_at__lt=running.ends_at).order_by("created_at", "id"))
    statement = Statement(party_kind=party_kind, party_id=party_id, period_kind=running.kind, period=running.label,
                          time_zone=zone, starts_at=running.starts_at, ends_at=running.ends_at, closed_at=None,
                          **statement_figures(party_kind, entries, party_id, running))
    return StatementView(statement=statement, lines=entries)
