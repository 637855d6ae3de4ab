"""Values as real forms send them, one table per family: each row is a value a source sends and
what is stored (or the refusal). Pure functions, no database (leadhub.phones, leadhub.values)."""
import re
from decimal import Decimal

import pytest

from leadhub.phones import ParsedPhone, parse_phone
from leadhub.values import normalize_email, normalize_state, normalize_zip, parse_amount, parse_boolean

N = "+14158675309"

PHONES = [
    # (posted, number, extension, flags)
    ("(415) 867-5309", N, "", ()),
    ("415.867.5309", N, "", ()),
    ("415-867-5309", N, "", ()),
    ("4158675309", N, "", ()),
    ("14158675309", N, "", ()),
    ("+1 415 867 5309", N, "", ()),
    ("1-415-867-5309", N, "", ()),
    (" 415 867 5309 ", N, "", ()),
    (4158675309, N, "", ()),
    ("４１５８６７５３０９", N, "", ()),  # full-width digits
    ("(４１５) ８６７-５３０９", N, "", ()),
    ("415-867-5309 x77", N, "77", ()),
    ("415-867-5309x77", N, "77", ()),
    ("415-867-5309 X 77", N, "77", ()),
    ("415-867-5309 ext. 12", N, "12", ()),
    ("415-867-5309 ext 12", N, "12", ()),
    ("415-867-5309 Ext.12", N, "12", ()),
    ("415-867-5309, ext. 12", N, "12", ()),
    ("415-867-5309 extension 4", N, "4", ()),
    ("415-867-5309;ext=99", N, "99", ()),
    ("tel:+1-415-867-5309;ext=99", N, "99", ()),
    ("415-867-5309 #12", N, "12", ()),
    ("415-867-5309 ext 1234567", N, "1234567", ()),
    ("415.867.5309 cell", N, "", ()),
    ("415.867.5309 (mobile)", N, "", ()),
    ("415.867.5309 - work", N, "", ()),
    ("415.867.5309 home phone", N, "", ()),
    ("cell 415.867.5309", N, "", ()),
    ("mobile: 415.867.5309", N, "", ()),
    ("Phone: (415) 867-5309 ext. 3 (office)", N, "3", ()),
    ("415-867-5309 ext 12 cell", N, "12", ()),
    ("(415) 555-0132", "+14155550132", "", ("fictional_555",)),
    ("415-555-0100", "+14155550100", "", ("fictional_555",)),
    ("415-555-0199", "+14155550199", "", ("fictional_555",)),
    ("415-555-0200", "+14155550200", "", ()),  # outside the fictional block
    ("415-411-1234", "+14154111234", "", ("n11_exchange",)),
    ("415 911 1234", "+14159111234", "", ("n11_exchange",)),
    ("(212) 611-2000", "+12126112000", "", ("n11_exchange",)),
    ("800-555-1212", "+18005551212", "", ("toll_free",)),
    ("1 (888) 200-3000", "+18882003000", "", ("toll_free",)),
    ("877.200.3000", "+18772003000", "", ("toll_free",)),
    ("833-200-3000", "+18332003000", "", ("toll_free",)),
    ("866-555-0150", "+18665550150", "", ("fictional_555", "toll_free")),
    ("1-800-FLOWERS", "+18003569377", "", ("toll_free",)),  # letters of a vanity number, not junk
    ("+1 416 200 2000", "+14162002000", "", ()),  # Toronto: NANP
]

BAD_PHONES = [
    ("+44 20 7946 0958", "country code +1 only"),
    ("+1 555 200 1234", "not a valid US/NANP phone number"),
    ("12", "not a valid US/NANP phone number"),
    ("call me", "not a phone number"),
    ("", "Enter a phone number."),
    (None, "as text"),
    (True, "as text"),
    ("415-867-5309 ext 12345678901", "at most 10 digits"),
]


@pytest.mark.parametrize(("posted", "number", "extension", "flags"), PHONES)
def test_phones(posted, number, extension, flags):
    assert parse_phone(posted) == ParsedPhone(number, extension, flags)


@pytest.mark.parametrize(("posted", "message"), BAD_PHONES)
def test_bad_phones(posted, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_phone(posted)


ZIPS = [
    ("78704", "78704"),
    ("78704-3312", "78704-3312"),
    ("78704 3312", "78704-3312"),
    ("78704   - 3312", "78704-3312"),
    ("78704 -3312", "78704-3312"),
    ("78704- 3312", "78704-3312"),
    ("787043312", "78704-3312"),
    ("78704-", "78704"),
    ("78704 -", "78704"),
    (" 78704 ", "78704"),
    ("７８７０４", "78704"),
    ("７８７０４－３３１２", "78704-3312"),
    (78704, "78704"),
    (2134, "02134"),  # a JSON number loses the leading zero
    (501, "00501"),
    (787043312, "78704-3312"),
    ("02134", "02134"),
    ("00501-0001", "00501-0001"),
]
BAD_ZIPS = ["7870", "787045", "ABCDE", "78704-33", "78704-33122", "78704 33 12", "", "78704x", "٧٨٧٠٤", 78704.0, True]


@pytest.mark.parametrize(("posted", "stored"), ZIPS)
def test_zips(posted, stored):
    assert normalize_zip(posted) == stored


@pytest.mark.parametrize("posted", BAD_ZIPS)
def test_bad_zips(posted):
    with pytest.raises(ValueError):
        normalize_zip(posted)


STATES = [
    ("CA", "CA"), ("ca", "CA"), (" tx ", "TX"), ("California", "CA"), ("new york", "NY"), ("NEW JERSEY", "NJ"),
    ("Calif.", "CA"), ("calif", "CA"), ("N.Y.", "NY"), ("N. Y.", "NY"), ("Mass.", "MA"), ("Penn.", "PA"),
    ("Pa.", "PA"), ("Tex.", "TX"), ("Fla.", "FL"), ("Wash.", "WA"), ("Washington", "WA"), ("W. Va.", "WV"),
    ("West Virginia", "WV"), ("N.C.", "NC"), ("S. Dak.", "SD"), ("Wisc.", "WI"), ("Ore.", "OR"),
    ("Washington DC", "DC"), ("Washington, D.C.", "DC"), ("D.C.", "DC"), ("District of Columbia", "DC"),
    ("Puerto Rico", "PR"), ("U.S. Virgin Islands", "VI"), ("Guam", "GU"),
    ("AA", "AA"), ("AE", "AE"), ("AP", "AP"), ("ap", "AP"), ("Armed Forces Europe", "AE"),
]
BAD_STATES = ["XX", "Cal", "C", "ZZZ", "Calif.fornia", "", "Washington State of Mind", 12]


@pytest.mark.parametrize(("posted", "stored"), STATES)
def test_states(posted, stored):
    assert normalize_state(posted) == stored


@pytest.mark.parametrize("posted", BAD_STATES)
def test_bad_states(posted):
    with pytest.raises(ValueError):
        normalize_state(posted)


EMAILS = [
    ("ada@example.com", "ada@example.com"),
    (" ada@example.com ", "ada@example.com"),
    ("ada@Example.COM", "ada@example.com"),
    ("Ada.Lovelace@Example.Com", "Ada.Lovelace@example.com"),  # the local part keeps its case
    ("ada @ example.com", "ada@example.com"),
    ("ada lovelace@example.com", "adalovelace@example.com"),
    ("ada@exam ple.com", "ada@example.com"),
    ("\tada@example.com\n", "ada@example.com"),
    ("ada+solar@EXAMPLE.co.uk", "ada+solar@example.co.uk"),
    ("ａｄａ@example.com", "ada@example.com"),  # full-width letters
]
BAD_EMAILS = ["not-an-email", "a@b", "ada@@example.com", "ada@", "@example.com", "", None, 12, "a" * 250 + "@example.com"]


@pytest.mark.parametrize(("posted", "stored"), EMAILS)
def test_emails(posted, stored):
    assert normalize_email(posted) == stored


@pytest.mark.parametrize("posted", BAD_EMAILS)
def test_bad_emails(posted):
    with pytest.raises(ValueError):
        normalize_email(posted)


NUMBERS = [
    # (posted, value, low, high)
    ("1100", "1100", "1100", "1100"),
    (1100, "1100", "1100", "1100"),
    (99.5, "99.5", "99.5", "99.5"),
    ("$1,100", "1100", "1100", "1100"),
    ("$1,100 per month", "1100", "1100", "1100"),
    ("$1,100/month", "1100", "1100", "1100"),
    ("$1,100/mo", "1100", "1100", "1100"),
    ("$1,100 a month", "1100", "1100", "1100"),
    ("1,100 USD", "1100", "1100", "1100"),
    ("USD 1,100", "1100", "1100", "1100"),
    ("US$1,100", "1100", "1100", "1100"),
    ("$ 250.50", "250.50", "250.50", "250.50"),
    ("$150k", "150000", "150000", "150000"),
    ("150K", "150000", "150000", "150000"),
    ("$200+", "200", "200", "200"),
    ("2,000 sq ft", "2000", "2000", "2000"),
    ("2000 sqft", "2000", "2000", "2000"),
    ("12 years", "12", "12", "12"),
    ("$101-$150", "125.5", "101", "150"),
    ("$101 - $150", "125.5", "101", "150"),
    ("101-150", "125.5", "101", "150"),
    ("$101–$150", "125.5", "101", "150"),  # an en dash
    ("$100 to $200 per month", "150", "100", "200"),
    ("10 to 15 years", "12.5", "10", "15"),
    ("$100k-$150k", "125000", "100000", "150000"),
    ("$100-150k", "125000", "100000", "150000"),
    ("1,500-2,000 sq ft", "1750", "1500", "2000"),
    ("$0-$50", "25", "0", "50"),
    (".5", "0.5", "0.5", "0.5"),
    ("1e3", "1E+3", "1E+3", "1E+3"),  # what Decimal reads is read as before
]
BAD_NUMBERS = [
    ("-1", "zero or more"), ("$-5", "zero or more"), ("lots", "not a number"), ("NaN", "finite"),
    ("Infinity", "finite"), ("$150-$101", "lower number"), ("$", "not a number"), (True, "Must be a number"),
    ("1.2.3", "not a number"), ("", "not a number"),
]


@pytest.mark.parametrize(("posted", "value", "low", "high"), NUMBERS)
def test_numbers(posted, value, low, high):
    amount = parse_amount(posted)
    assert (amount.value, amount.low, amount.high) == (Decimal(value), Decimal(low), Decimal(high))
    assert amount.is_range == (low != high)


@pytest.mark.parametrize(("posted", "message"), BAD_NUMBERS)
def test_bad_numbers(posted, message):
    with pytest.raises(ValueError, match=message):
        parse_amount(posted)


BOOLEANS = [
    (True, True), (False, False), (1, True), (0, False), ("true", True), ("TRUE", True), (" True ", True),
    ("t", True), ("yes", True), ("Y", True), ("1", True), ("on", True), ("checked", True), ("agree", True),
    ("agreed", True), ("accepted", True), ("opted in", True), ("false", False), ("F", False), ("no", False),
    ("N", False), ("0", False), ("off", False), ("unchecked", False), ("declined", False), ("opt-out", False),
]
BAD_BOOLEANS = ["maybe", "", 2, -1, None, "yes!", 1.5, [True]]


@pytest.mark.parametrize(("posted", "stored"), BOOLEANS)
def test_booleans(posted, stored):
    assert parse_boolean(posted) is stored


@pytest.mark.parametrize("posted", BAD_BOOLEANS)
def test_bad_booleans(posted):
    with pytest.raises(ValueError, match="Must be true or false"):
        parse_boolean(posted)
