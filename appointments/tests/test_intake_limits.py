"""Dates whose UTC value falls outside what Python can hold are a 4xx naming the field, not a 500."""
import pytest

from appointments.intake import clean_appointment


@pytest.mark.parametrize("scheduled_at", ["9999-12-31T23:00:00-05:00", "0001-01-01T01:00:00+05:00"])
def test_scheduled_at_outside_the_date_range_is_refused_naming_it(scheduled_at):
    result = clean_appointment({"scheduled_at": scheduled_at, "customer_phone": "4158675309"})
    assert "scheduled_at" in result.errors
    assert "date range" in " ".join(result.errors["scheduled_at"])
