"""Ledger entries: immutable at the database (ORM update/delete and raw SQL refused), signs per
kind, money inputs capped, one currency, references booked once, figures as sums of entries."""
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from leadhub.models import MONEY_MAX
from ledger.models import Entry, EntryKind
from ledger.selectors import ledger_figures, ledger_totals
from ledger.services import Draft, LedgerInvalid, ledger_adjustment_record, ledger_entries_record
from ledger.verify import ledger_verify

pytestmark = pytest.mark.django_db


def book(*drafts):
    ledger_entries_record(drafts=list(drafts))
    return Entry.objects.order_by("-id").first()


def sale(amount="25.00", **dims):
    return Draft(kind=EntryKind.SALE, amount=Decimal(amount), **{"workspace_id": "buyer-a", **dims})


def refused(work):
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        work()


def test_update_and_delete_are_refused_by_the_database():
    entry = book(sale(lead_id=7))
    refused(lambda: Entry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00")))
    entry.amount = Decimal("2.00")
    refused(entry.save)

    def raw(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])

    refused(lambda: raw("UPDATE ledger_entries SET amount = 0 WHERE id = %s"))
    refused(lambda: Entry.objects.filter(pk=entry.pk).delete())
    refused(lambda: entry.delete())
    refused(lambda: raw("DELETE FROM ledger_entries WHERE id = %s"))
    entry.refresh_from_db()
    assert entry.amount == Decimal("25.00")


def test_signs_money_cap_and_currency():
    with pytest.raises(LedgerInvalid):
        book(sale("-1.00"))
    with pytest.raises(LedgerInvalid):
        book(Draft(kind=EntryKind.UNDELIVERED, amount=Decimal("5.00"), workspace_id="buyer-a"))
    with pytest.raises(LedgerInvalid, match="At most"):
        book(sale(str(MONEY_MAX + Decimal("0.01"))))
    with pytest.raises(LedgerInvalid, match="side"):
        book(Draft(kind=EntryKind.ADJUSTMENT, amount=Decimal("5.00")))
    with pytest.raises(LedgerInvalid, match="note"):
        ledger_adjustment_record(side="buyer", amount="-3.00", note=" ", workspace_id="buyer-a")
    assert book(sale(str(MONEY_MAX))).amount == MONEY_MAX
    with override_settings(LEDGER_CURRENCY="EUR"):
        assert book(sale("1.005")).currency == "EUR"
    assert Entry.objects.order_by("-id").first().amount == Decimal("1.01")


def test_a_reference_is_booked_once():
    ledger_entries_record(drafts=[sale(reference="sale:1")])
    ledger_entries_record(drafts=[sale(reference="sale:1")])
    assert Entry.objects.filter(reference="sale:1").count() == 1


def test_figures_are_sums_of_entries_and_the_ledgers_check_says_so():
    ledger_entries_record(drafts=[
        sale("100.00", provider_id="p1"), sale("40.00", workspace_id="buyer-b", provider_id="p1"),
        Draft(kind=EntryKind.PAYOUT, amount=Decimal("30.00"), provider_id="p1"),
        Draft(kind=EntryKind.UNDELIVERED, amount=Decimal("-40.00"), workspace_id="buyer-b", provider_id="p1"),
    ])
    ledger_adjustment_record(side="source", amount="-5.00", note="duplicate paid", provider_id="p1")
    buyers = ledger_figures(by="buyer")
    assert buyers["buyer-a"]["sales"] == Decimal("100.00") and buyers["buyer-b"]["sales"] == Decimal("0.00")
    assert ledger_figures(by="provider")["p1"] == {
        "sales": Decimal("100.00"), "payouts": Decimal("25.00"), "margin": Decimal("75.00")}
    assert ledger_totals()["margin"] == Decimal("75.00")
    assert ledger_verify() == []


def test_the_ledgers_check_names_a_figure_that_does_not_match(monkeypatch):
    book(sale("10.00"))
    import ledger.verify

    real = ledger.verify.ledger_figures

    def off_by_a_cent(**kwargs):
        figures = real(**kwargs)
        for row in figures.values():
            row["sales"] += Decimal("0.01")
        return figures

    monkeypatch.setattr(ledger.verify, "ledger_figures", off_by_a_cent)
    assert "buyer buyer-a: sales 10.01 != sum of entries 10.00" in ledger_verify()
