"""Property tests for phone normalisation: any input gives `+1XXXXXXXXXX` or a ValueError."""
import re

from hypothesis import example, given
from hypothesis import strategies as st

from leadhub.phones import normalize_phone

E164_NANP = re.compile(r"^\+1\d{10}$")

# Text that looks like a phone number in the many ways providers write one.
SEPARATOR = st.sampled_from(["", " ", "-", ".", "/"])
phone_like = st.builds(
    lambda prefix, area, sep1, exchange, sep2, line, wrap: (
        f"{prefix}{'(' if wrap else ''}{area}{')' if wrap else ''}{sep1}{exchange}{sep2}{line}"
    ),
    st.sampled_from(["", "1", "+1", "+1 ", "1-", "+44 ", "00"]),
    st.integers(0, 999).map("{:03d}".format),
    SEPARATOR,
    st.integers(0, 999).map("{:03d}".format),
    SEPARATOR,
    st.integers(0, 9999).map("{:04d}".format),
    st.booleans(),
)
anything = st.one_of(
    st.text(),
    phone_like,
    st.integers(),
    st.floats(allow_nan=True),
    st.none(),
    st.booleans(),
    st.binary(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)


@given(anything)
@example("(415) 555-0132")
@example("+1 415 200 2000 ext. 12")
@example("\x00")
@example("1" * 300)
def test_any_input_normalises_or_raises_value_error(value):
    try:
        result = normalize_phone(value)
    except ValueError as exc:
        assert str(exc)  # a message a person can act on
        return
    assert E164_NANP.match(result), result


@given(st.one_of(phone_like, st.text()))
@example("4152002000")
def test_normalising_a_normalised_number_changes_nothing(value):
    try:
        once = normalize_phone(value)
    except ValueError:
        return
    assert normalize_phone(once) == once


@given(phone_like)
def test_every_spelling_of_one_number_normalises_alike(value):
    """Formatting never changes which number it is: the digits decide."""
    try:
        result = normalize_phone(value)
    except ValueError:
        return
    digits = re.sub(r"\D", "", value)
    assert result[2:] == digits[-10:]
