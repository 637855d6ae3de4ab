from datetime import date, datetime, UTC
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from analytics.models import LeadAnalytics
from analytics.services import lead_analytics_rollup, lead_analytics_rollup_recent
from analytics.tasks import rollup_recent_days
from leadhub.choices import LeadType
from leadhub.testing import backdate, make_contact, make_conversion, make_lead

pytestmark = pytest.mark.django_db

DAY1, DAY2 = date(2025, 3, 1), date(2025, 3, 2)


def at(day, hour=0, minute=0, second=0):
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def lead(webhook_id, created_at, lead_type=LeadType.SOLAR):
    return backdate(make_lead(make_contact(webhook_id=webhook_id), lead_type=lead_type), created_at=created_at)


def rows():
    return {
        (row.webhook_id, row.date): (
            row.total_leads, row.converted_leads, row.conversion_rate, row.total_revenue, row.avg_time_to_conversion
        )
        for row in LeadAnalytics.objects.all()
    }


@pytest.fixture
def cohort():
    """Two webhooks over two UTC days, with a voided conversion, a lead-less conversion and a
    lead converted twice (first conversion decides the time, both count as revenue)."""
    l1 = lead("wh-a", at(DAY1, 10))
    make_conversion(l1, conversion_value="100.00", converted_at=at(DAY1, 12))
    make_conversion(l1, conversion_value="50.00", converted_at=at(date(2025, 3, 3), 9))
    l2 = lead("wh-a", at(DAY1, 23, 59, 59))
    make_conversion(l2, conversion_value="999.00", converted_at=at(DAY1, 23, 59, 59), voided_at=at(DAY2, 1))
    lead("wh-a", at(DAY1))
    l4 = lead("wh-b", at(DAY1, 11), lead_type=LeadType.HVAC)
    make_conversion(l4, conversion_value="200.00", converted_at=at(DAY2, 11))
    make_conversion(None, contact=l4.contact, conversion_value="500.00", converted_at=at(DAY1, 13))
    l5 = lead("wh-a", at(DAY2))
    lead("wh-a", at(date(2025, 3, 3)))  # outside every range used below
    return {"l5": l5}


def test_rollup_builds_one_row_per_webhook_and_utc_day_with_known_figures(cohort):
    written = lead_analytics_rollup(date_from=DAY1, date_to=DAY2)

    assert written == 3
    assert rows() == {
        ("wh-a", DAY1): (3, 1, 33.33, Decimal("150.00"), 7200.0),
        ("wh-b", DAY1): (1, 1, 100.0, Decimal("200.00"), 86400.0),
        ("wh-a", DAY2): (1, 0, 0.0, Decimal("0.00"), 0.0),
    }


def test_rerun_is_idempotent_and_late_conversion_updates_its_cohort_day(cohort):
    lead_analytics_rollup(date_from=DAY1, date_to=DAY2)
    ids_before = dict(LeadAnalytics.objects.values_list("pk", "date"))
    first = rows()

    lead_analytics_rollup(date_from=DAY1, date_to=DAY2)
    assert rows() == first
    assert dict(LeadAnalytics.objects.values_list("pk", "date")) == ids_before

    make_conversion(cohort["l5"], conversion_value="75.50", converted_at=at(date(2025, 3, 9), 1, 30))
    lead_analytics_rollup(date_from=DAY2, date_to=DAY2)

    assert rows() == {**first, ("wh-a", DAY2): (1, 1, 100.0, Decimal("75.50"), 7 * 86400 + 5400.0)}


def test_rerun_drops_rows_whose_leads_are_gone_and_leaves_other_days_alone(cohort):
    lead_analytics_rollup(date_from=DAY1, date_to=DAY2)
    day1 = {key: value for key, value in rows().items() if key[1] == DAY1}
    cohort["l5"].delete()

    lead_analytics_rollup(date_from=DAY2, date_to=DAY2)

    assert rows() == day1


def test_void_after_rollup_is_reflected_on_rerun(cohort):
    lead_analytics_rollup(date_from=DAY1, date_to=DAY1)
    from conversions.models import Conversion

    Conversion.objects.filter(conversion_value=Decimal("200.00")).update(voided_at=at(DAY2, 12))
    lead_analytics_rollup(date_from=DAY1, date_to=DAY1)

    assert rows()[("wh-b", DAY1)] == (1, 0, 0.0, Decimal("0.00"), 0.0)


def test_nightly_task_covers_today_and_the_days_before():
    make_lead(make_contact(webhook_id="wh-now"))

    assert rollup_recent_days() == 1
    row = LeadAnalytics.objects.get()
    assert (row.webhook_id, row.total_leads) == ("wh-now", 1)
    assert lead_analytics_rollup_recent(days=7, today=date(2020, 1, 8)) == 0


def test_command_backfills_a_range_and_names_a_bad_option(cohort, capsys):
    call_command("rollup_analytics", "--from", "2025-03-01", "--to", "2025-03-02")
    assert "3 rows" in capsys.readouterr().out
    assert len(rows()) == 3

    with pytest.raises(CommandError, match="--from"):
        call_command("rollup_analytics", "--from", "March 1st", "--to", "2025-03-02")
    with pytest.raises(CommandError, match="after --to"):
        call_command("rollup_analytics", "--from", "2025-03-03", "--to", "2025-03-02")
