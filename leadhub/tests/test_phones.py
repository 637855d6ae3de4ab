import re

import pytest

from leadhub.phones import normalize_phone


@pytest.mark.parametrize(
    "value",
    ["(415) 555-0132", "415.555.0132", "+1 415 555 0132", "14155550132", "4155550132", " 415-555-0132 ", 4155550132],
)
def test_common_us_forms_normalise_to_e164(value):
    assert normalize_phone(value) == "+14155550132"


def test_other_nanp_countries_are_accepted():
    assert normalize_phone("+1 416 200 2000") == "+14162002000"  # Toronto: NANP, country code 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("+44 20 7946 0958", "country code +1 only"),
        ("+1 555 200 1234", "not a valid US/NANP phone number"),  # the fictional 555 area code
        ("12", "not a valid US/NANP phone number"),
        ("call me", "not a phone number"),
        ("", "Enter a phone number."),
        ("   ", "Enter a phone number."),
        (None, "as text"),
        (True, "as text"),
        (4155550132.0, "as text"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        normalize_phone(value)
