"""Statements: periods cut in each party's zone across daylight-saving changes, snapshots that a
late entry never changes, the invoice's text, the admin pages and the beat entry."""
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import DatabaseError, transaction
from pypdf import PdfReader

from billing.documents import statement_pdf
from billing.models import Statement
from billing.periods import period_of, period_parse
from billing.selectors import statement_view
from billing.services import StatementInvalid, statements_close, statements_close_due
from distribution.hand import lead_sell_by_hand
from distribution.models import Sale
from leadhub.testing import (admin_url, make_appointment, make_conversion, make_lead, make_provider,
                             make_workspace)
from ledger.models import Entry, EntryKind
from ledger.services import Draft, ledger_entries_record

pytestmark = pytest.mark.django_db

NEW_YORK, BERLIN = "America/New_York", "Europe/Berlin"


def local(zone, *args):
    return datetime(*args, tzinfo=ZoneInfo(zone))


def book(kind, amount, at, **dimensions):
    """One entry through the ledger's service, read back (a referenced insert returns no id)."""
    ledger_entries_record(drafts=[Draft(kind=kind, amount=Decimal(amount), **dimensions)], at=at)
    return Entry.objects.order_by("-id").first()


@pytest.mark.parametrize("zone, kind, inside, label, hours", [
    # US spring forward (8 March 2026) and fall back (1 November 2026).
    (NEW_YORK, "week", local(NEW_YORK, 2026, 3, 8, 12), "2026-W10", 167),
    (NEW_YORK, "month", local(NEW_YORK, 2026, 11, 15), "2026-11", 30 * 24 + 1),
    # Europe's spring forward (29 March 2026) and fall back (25 October 2026).
    (BERLIN, "week", local(BERLIN, 2026, 10, 25, 12), "2026-W43", 169),
    (BERLIN, "month", local(BERLIN, 2026, 3, 2), "2026-03", 31 * 24 - 1),
])
def test_a_period_across_a_dst_change_is_cut_at_local_midnights(zone, kind, inside, label, hours):
    period = period_of(kind, inside, zone)
    assert period.label == label
    assert (period.ends_at - period.starts_at) == timedelta(hours=hours)
    assert period.starts_at.astimezone(ZoneInfo(zone)).time() == period.ends_at.astimezone(ZoneInfo(zone)).time()
    assert period_parse(label, zone) == period
    assert period.next(zone).starts_at == period.ends_at


@pytest.mark.parametrize("label", ["2026-W54", "2026-13", "2026-00", "26-01", "2026-W1", "2026-W49x", "9999-12", ""])
def test_a_label_that_names_no_period_names_none(label):
    assert period_parse(label, NEW_YORK) is None


def test_weeks_and_months_close_in_each_partys_own_zone_across_dst():
    """A buyer in New York and a source in Berlin, around each zone's spring-forward night: an
    entry late on the Sunday is that week's, one just after Monday's midnight the next's, and a
    month holds what its local month does."""
    buyer = make_workspace(time_zone=NEW_YORK)
    source = make_provider(time_zone=BERLIN)
    ny_sunday = local(NEW_YORK, 2026, 3, 8, 23, 30)  # after the 02:00 jump
    ny_monday = local(NEW_YORK, 2026, 3, 9, 0, 30)
    berlin_sunday, berlin_monday = local(BERLIN, 2026, 3, 29, 23, 30), local(BERLIN, 2026, 3, 30, 0, 30)
    berlin_april = local(BERLIN, 2026, 4, 1, 0, 30)
    for at, amount in ((ny_sunday, "-10"), (ny_monday, "-20")):
        book(EntryKind.DEPOSIT, amount, at, workspace_id=buyer.pk)
    for at, amount in ((berlin_sunday, "5"), (berlin_monday, "7"), (berlin_april, "11")):
        book(EntryKind.PAYOUT, amount, at, provider_id=source.provider_id)
    close_at = datetime(2026, 5, 1, 12, tzinfo=UTC)
    weeks = statements_close(party_kind="buyer", party_id=buyer.pk, period_kind="week", at=close_at)
    assert [(s.period, s.deposits, s.net) for s in weeks[:2]] == [
        ("2026-W10", Decimal("-10"), Decimal("-10")), ("2026-W11", Decimal("-20"), Decimal("-20"))]
    assert weeks[0].starts_at == datetime(2026, 3, 2, 5, tzinfo=UTC)  # EST midnight
    assert weeks[0].ends_at == datetime(2026, 3, 9, 4, tzinfo=UTC)  # EDT midnight
    assert weeks[-1].ends_at <= close_at < weeks[-1].ends_at + timedelta(days=7)
    assert all(s.net == 0 and s.entry_count == 0 for s in weeks[2:])  # weeks without entries close at zero
    source_weeks = statements_close(party_kind="source", party_id=source.provider_id, period_kind="week", at=close_at)
    assert [(s.period, s.payouts, s.leads_accepted) for s in source_weeks[:2]] == [
        ("2026-W13", Decimal("5"), 1), ("2026-W14", Decimal("18"), 2)]
    assert source_weeks[0].ends_at == datetime(2026, 3, 29, 22, tzinfo=UTC)  # CEST midnight
    months = statements_close(party_kind="source", party_id=source.provider_id, period_kind="month", at=close_at)
    assert [(s.period, s.payouts, s.time_zone) for s in months] == [
        ("2026-03", Decimal("12"), BERLIN), ("2026-04", Decimal("11"), BERLIN)]
    assert months[0].ends_at == datetime(2026, 3, 31, 22, tzinfo=UTC)
    # Closing again closes nothing more; the figures stand.
    assert statements_close(party_kind="source", party_id=source.provider_id, period_kind="month", at=close_at) == []


def test_a_closed_statement_stays_as_it_was_and_a_late_return_lands_in_the_next_period():
    buyer = make_workspace(time_zone=NEW_YORK)
    lead = make_lead(zip_code="94105")
    sold_at = local(NEW_YORK, 2026, 3, 4, 10)
    sale = lead_sell_by_hand(lead=lead, workspace=buyer, by="ops", price=Decimal("25"), reason="test", at=sold_at)
    make_conversion(lead=lead, workspace=buyer)
    from conversions.models import Conversion
    Conversion.objects.update(created_at=sold_at)
    book(EntryKind.DEPOSIT, "-100", local(NEW_YORK, 2026, 3, 5, 9), workspace_id=buyer.pk)
    closed_at = local(NEW_YORK, 2026, 3, 9, 1)
    [week] = statements_close(party_kind="buyer", party_id=buyer.pk, period_kind="week", at=closed_at)
    assert (week.period, week.leads_bought, week.gross_sales, week.deposits, week.net, week.conversions_reported) == (
        "2026-W10", 1, Decimal("25.00"), Decimal("-100.00"), Decimal("-75.00"), 1)
    before = Statement.objects.filter(pk=week.pk).values().get()
    lines_before = [entry.pk for entry in statement_view(party_id=buyer.pk, period="2026-W10").lines]

    # The return of that sale, booked after the close but dated inside the closed week.
    late = book(EntryKind.RETURN_CREDIT, "-25", local(NEW_YORK, 2026, 3, 6, 12), workspace_id=buyer.pk,
                lead_id=lead.pk, reference=f"return:{sale.pk}")
    running = statement_view(party_id=buyer.pk, period="2026-W11", at=local(NEW_YORK, 2026, 3, 10))
    assert running.status == "open" and [entry.pk for entry in running.lines] == [late.pk]
    [next_week] = statements_close(party_kind="buyer", party_id=buyer.pk, period_kind="week",
                                   at=local(NEW_YORK, 2026, 3, 16, 1))
    assert Statement.objects.filter(pk=week.pk).values().get() == before
    with pytest.raises(DatabaseError), transaction.atomic():  # nor by hand: the database refuses
        Statement.objects.filter(pk=week.pk).update(net=0)
    assert [entry.pk for entry in statement_view(party_id=buyer.pk, period="2026-W10").lines] == lines_before
    assert (next_week.period, next_week.returns_credited, next_week.net, next_week.leads_bought) == (
        "2026-W11", Decimal("-25.00"), Decimal("-25.00"), 0)
    assert [entry.pk for entry in statement_view(party_id=buyer.pk, period="2026-W11").lines] == [late.pk]


def test_the_pdf_invoice_says_who_what_period_figures_and_lines():
    buyer = make_workspace(name="Sunny Roofs LLC", time_zone=NEW_YORK)
    lead = make_lead(zip_code="94105")
    sale = lead_sell_by_hand(lead=lead, workspace=buyer, by="ops", price=Decimal("42.50"), reason="test",
                             at=local(NEW_YORK, 2026, 12, 1, 10))
    book(EntryKind.ADJUSTMENT, "-2.50", local(NEW_YORK, 2026, 12, 2, 10), side="buyer", workspace_id=buyer.pk,
         note="goodwill")
    [month] = statements_close(party_kind="buyer", party_id=buyer.pk, period_kind="month",
                               at=local(NEW_YORK, 2027, 1, 1, 1))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(statement_pdf(
        statement_view(party_id=buyer.pk, period="2026-12")))).pages)
    for expected in ("Invoice 2026-12", "Sunny Roofs LLC", buyer.pk, "America/New_York", "Gross sales", "42.50",
                     "Adjustments", "-2.50", "Net", "40.00", f"sale:{sale.pk}", "goodwill",
                     f"Amounts in {settings.LEDGER_CURRENCY}"):
        assert expected in text, (expected, text)
    assert month.net == Decimal("40.00")


def test_the_beat_closes_every_party_due_and_refuses_no_kind_silently(settings):
    assert settings.CELERY_BEAT_SCHEDULE["statements-close"]["task"] == "billing.tasks.close_statements"
    buyer, source = make_workspace(), make_provider()
    at = datetime(2026, 6, 3, tzinfo=UTC)
    book(EntryKind.DEPOSIT, "-5", at - timedelta(days=40), workspace_id=buyer.pk)
    book(EntryKind.PAYOUT, "3", at - timedelta(days=40), provider_id=source.provider_id)
    from billing.tasks import close_statements
    assert statements_close_due(at=at) > 0
    assert {(s.party_kind, s.period_kind) for s in Statement.objects.all()} == {
        ("buyer", "week"), ("buyer", "month"), ("source", "week"), ("source", "month")}
    assert close_statements() > 0  # now: the weeks and months since
    with pytest.raises(StatementInvalid):
        statements_close(party_kind="buyer", party_id=buyer.pk, period_kind="day")


def test_admin_lists_totals_shows_lines_and_downloads(admin_client):
    buyer = make_workspace(time_zone=NEW_YORK)
    book(EntryKind.DEPOSIT, "-30", local(NEW_YORK, 2026, 3, 4), workspace_id=buyer.pk, reference="dep-1")
    book(EntryKind.DEPOSIT, "-12", local(NEW_YORK, 2026, 3, 11), workspace_id=buyer.pk)
    weeks = statements_close(party_kind="buyer", party_id=buyer.pk, period_kind="week",
                             at=local(NEW_YORK, 2026, 3, 16, 1))
    page = admin_client.get(admin_url(Statement, "changelist"))
    assert page.status_code == 200
    totals = page.content.decode().split('id="statement-totals"')[1].split("</table>")[0]
    assert "-42.00" in totals
    detail = admin_client.get(admin_url(Statement, "change", weeks[0].pk))
    assert detail.status_code == 200 and "dep-1" in detail.content.decode()
    csv_text = admin_client.get(admin_url(Statement, "csv", weeks[0].pk)).content.decode()
    assert "deposits,-30.00" in csv_text and "dep-1" in csv_text
    pdf = admin_client.get(admin_url(Statement, "pdf", weeks[0].pk))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_a_source_is_cut_in_the_ops_zone_unless_ops_name_its_own(settings):
    settings.OPS_TIME_ZONE = "America/Chicago"
    assert make_provider().time_zone == "America/Chicago"
    assert make_provider(time_zone=BERLIN).time_zone == BERLIN


def test_an_appointment_sale_counts_as_an_appointment_bought():
    buyer = make_workspace()
    lead = make_lead(zip_code="94105")
    at = datetime(2026, 4, 8, tzinfo=UTC)
    for appointment in (make_appointment(lead=lead), None):
        sale = Sale.objects.create(lead=lead, appointment=appointment, workspace=buyer, price=Decimal("9"),
                                   phone=lead.phone, sold_at=at)
        book(EntryKind.SALE, "9", at, workspace_id=buyer.pk, lead_id=lead.pk, reference=f"sale:{sale.pk}")
    [week] = statements_close(party_kind="buyer", party_id=buyer.pk, period_kind="week", at=at + timedelta(days=7))
    assert (week.leads_bought, week.appointments_bought, week.gross_sales) == (1, 1, Decimal("18.00"))
