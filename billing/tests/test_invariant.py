"""Statements under random sales, returns, deposits and closes, concurrently on PostgreSQL: every
closed statement equals the entries on its lines, every entry is on exactly one statement of each
period kind and none before its own period, a snapshot never changes once closed, and the
ledger still reconciles."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Statement, StatementLine
from billing.parties import PARTIES, statement_figures
from billing.periods import period_parse
from billing.services import statements_close
from distribution.hand import lead_sell_by_hand
from leadhub.testing import make_lead, make_provider, make_webhook, make_workspace, run_at_once
from ledger.models import Entry, EntryKind
from ledger.services import Draft, ledger_entries_record
from ledger.verify import ledger_verify
from returns.services import return_approve, return_request

START = datetime(2026, 2, 23, tzinfo=UTC)  # a Monday; the ops span five weeks and two months
ZONES = ("America/New_York", "Europe/Berlin")
# The last close inside the run is at most 38 days in (Apr 2): it may close March while a March
# entry is still being written, and that entry lands on April's statements. April ends on May 1 in
# every party's zone, so the final close, on May 9, closes it.
END = START + timedelta(days=75)

operation = st.tuples(
    st.integers(min_value=0, max_value=1),  # which buyer
    st.decimals(min_value=Decimal("1"), max_value=Decimal("200"), places=2),  # the sale's price
    st.booleans(),  # returned
    st.decimals(min_value=Decimal("-300"), max_value=Decimal("0"), places=2),  # a deposit
    st.integers(min_value=0, max_value=35 * 24),  # hours after START it is written at
    st.booleans(),  # closes what has ended by then
)


def return_credit(*, sale, at):
    """A return requested by the buyer and approved by ops: the buyer excluded, its price credited."""
    ret = return_request(sale=sale, reason="other", by="buyer", at=at)
    return_approve(ret=ret, by="ops", at=at)


def close_all(parties, at):
    for party_kind, party_id in parties:
        for period_kind in ("week", "month"):
            statements_close(party_kind=party_kind, party_id=party_id, period_kind=period_kind, at=at)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=6, max_size=8))
def test_random_concurrent_sales_returns_deposits_and_closes_keep_every_statement_equal_to_its_entries(operations):
    buyers = [make_workspace(time_zone=zone) for zone in ZONES]
    source = make_provider(time_zone="Asia/Tokyo")
    webhook = make_webhook(payout_kind="share", payout_share=Decimal("40"))
    leads = [make_lead(zip_code="94105", webhook_id=webhook.webhook_id, provider_id=source.provider_id)
             for _ in operations]
    parties = [("buyer", buyer.pk) for buyer in buyers] + [("source", source.provider_id)]

    def work(i):
        buyer, price, returned, deposit, hours, closes = operations[i]
        at = START + timedelta(hours=hours)
        sale = lead_sell_by_hand(lead=leads[i], workspace=buyers[buyer], by="ops", price=price, reason="random",
                                 at=at)
        if returned:
            return_credit(sale=sale, at=at + timedelta(hours=30))  # often past a close: late
        if deposit:
            ledger_entries_record(drafts=[Draft(kind=EntryKind.DEPOSIT, amount=deposit,
                                                workspace_id=buyers[buyer].pk)], at=at)
        if closes:
            close_all(parties, at + timedelta(days=3))

    _, errors = run_at_once(len(operations), work)
    assert errors == []
    snapshots = {row["id"]: row for row in Statement.objects.values()}
    close_all(parties, END)
    assert all(Statement.objects.filter(pk=pk).values().get() == row for pk, row in snapshots.items())

    for party_kind, party_id in parties:
        party = PARTIES[party_kind]
        entries = Entry.objects.filter(side=party.side, **{party.entry_field: party_id})
        for period_kind in ("week", "month"):
            statements = Statement.objects.filter(party_kind=party_kind, party_id=party_id, period_kind=period_kind)
            lines = StatementLine.objects.filter(statement__in=statements)
            assert sorted(lines.values_list("entry_id", flat=True)) == sorted(entries.values_list("id", flat=True))
            assert statements.aggregate(net=Sum("net"))["net"] == entries.aggregate(net=Sum("amount"))["net"]
            for statement in statements:
                on_it = list(entries.filter(pk__in=statement.lines.values("entry_id")))
                period = period_parse(statement.period, statement.time_zone)
                figures = statement_figures(party_kind, on_it, party_id, period)
                assert {name: getattr(statement, name) for name in figures} == figures, statement
                assert all(entry.created_at < statement.ends_at for entry in on_it)
    assert ledger_verify() == []
    call_command("verify_ledger")
