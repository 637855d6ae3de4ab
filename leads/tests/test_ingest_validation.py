"""Every validation and normalisation rule of `leads.ingest.clean_lead` (pure, no database)."""
from decimal import Decimal

import pytest

from leads.ingest import clean_lead, column_for

BASE = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "(415) 200-0132"}


def clean(webhook_lead_type="solar", /, **fields):
    payload = {**BASE, **fields}
    return clean_lead({k: v for k, v in payload.items() if v is not None}, lead_type=webhook_lead_type)


def errors_of(webhook_lead_type="solar", /, **fields):
    return clean(webhook_lead_type, **fields).errors


def test_a_minimal_lead_is_clean_and_typed():
    cleaned = clean()
    assert cleaned.errors == {}
    assert cleaned.values == {
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+14152000132",
        "lead_type": "solar", "consent_value": False, "tcpa_compliance": False,
    }
    assert cleaned.external_id is None
    assert cleaned.consent_ok is False


@pytest.mark.parametrize("column", ["first_name", "last_name", "email", "phone"])
@pytest.mark.parametrize("missing", [None, "", "   "])
def test_required_fields(column, missing):
    assert errors_of(**{column: missing}) == {column: ["This field is required."]}


@pytest.mark.parametrize(
    ("key", "column", "value", "expected"),
    [
        ("firstName", "first_name", "Grace", "Grace"),
        ("firstname", "first_name", "Grace", "Grace"),
        ("first", "first_name", "Grace", "Grace"),
        ("lastName", "last_name", "Hopper", "Hopper"),
        ("lastname", "last_name", "Hopper", "Hopper"),
        ("emailAddress", "email", "g@example.com", "g@example.com"),
        ("phone_number", "phone", "415.200.0199", "+14152000199"),
        ("phoneNumber", "phone", "415.200.0199", "+14152000199"),
        ("zip", "zip_code", "94107", "94107"),
        ("zipCode", "zip_code", "94107", "94107"),
        ("zipcode", "zip_code", "94107", "94107"),
        ("postal_code", "zip_code", "94107", "94107"),
        ("address1", "address", "1 Main St", "1 Main St"),
        ("tcpa", "tcpa_compliance", "yes", True),
        ("tcpa_compliant", "tcpa_compliance", "yes", True),
        ("leadType", "lead_type", "solar", "solar"),
        ("utmSource", "utm_source", "facebook", "facebook"),
        ("utmCampaign", "utm_campaign", "spring", "spring"),
        ("landingPageUrl", "landing_page_url", "https://x.test/", "https://x.test/"),
        ("consent[value]", "consent_value", "on", True),
        ("roofAge", "roof_age", "12", 12),
    ],
)
def test_aliases_map_to_seed_columns(key, column, value, expected):
    default_key = {"first_name": "first_name", "last_name": "last_name", "email": "email", "phone": "phone"}
    payload = {k: v for k, v in BASE.items() if k != default_key.get(column)}
    payload[key] = value
    cleaned = clean_lead(payload, lead_type="solar")
    assert cleaned.errors == {}
    assert cleaned.values[column] == expected
    assert column_for(key) == column


def test_nested_consent_and_utm_objects_are_flattened():
    cleaned = clean(
        consent={"description": "I agree to be called.", "value": "true"},
        utm={"source": "google", "medium": "cpc"},
        tcpa=True,
    )
    assert cleaned.errors == {}
    assert cleaned.values["consent_description"] == "I agree to be called."
    assert cleaned.values["consent_value"] is True
    assert cleaned.values["utm_source"] == "google"
    assert cleaned.values["utm_medium"] == "cpc"
    assert cleaned.consent_ok is True


def test_unknown_fields_are_ignored_not_refused():
    cleaned = clean(favourite_colour="teal", meta={"id": 7}, tags=["a", "b"])
    assert cleaned.errors == {}
    assert "favourite_colour" not in cleaned.values
    assert cleaned.external_id is None


def test_an_alias_and_its_column_with_different_values_is_an_error():
    assert errors_of(firstName="Grace") == {
        "first_name": ["Given twice with different values ('first_name' and 'firstName')."]
    }
    assert errors_of(firstName=" Ada ") == {}
    assert clean(consent_value=True, consent={"value": "yes"}).errors == {}  # same meaning, other spelling
    assert list(errors_of(consent_value=True, consent={"value": "no"})) == ["consent_value"]


def test_a_list_or_object_for_a_scalar_column_is_an_error():
    assert errors_of(city=["Oakland"]) == {"city": ["Must be a single value, not a list or object."]}


def test_a_payload_that_is_not_an_object_is_refused():
    assert clean_lead(["a"], lead_type="solar").errors == {"non_field_errors": ["Expected an object of lead fields."]}


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "ada@@example.com"])
def test_email_syntax(email):
    assert errors_of(email=email) == {"email": [f"'{email}' is not a valid email address."]}


@pytest.mark.parametrize("phone", ["+1 555 200 1234", "+44 20 7946 0958", "12345"])
def test_phone_must_be_a_valid_nanp_number(phone):
    assert list(errors_of(phone=phone)) == ["phone"]


def test_text_fields_respect_model_max_length():
    assert errors_of(first_name="x" * 101) == {"first_name": ["Ensure this value has at most 100 characters (it has 101)."]}
    assert errors_of(first_name="x" * 100) == {}


def test_text_fields_refuse_booleans_and_accept_numbers():
    assert errors_of(city=True) == {"city": ["Must be text."]}
    assert clean(productid=42).values["productid"] == "42"


class TestLeadType:
    def test_absent_means_the_webhooks(self):
        assert clean("hvac").values["lead_type"] == "hvac"

    def test_case_insensitive(self):
        assert clean("solar", lead_type="SOLAR").errors == {}

    def test_must_match_the_webhook(self):
        assert errors_of("solar", lead_type="hvac") == {"lead_type": ["This webhook takes 'solar' leads, not 'hvac'."]}

    def test_must_be_a_known_type(self):
        assert errors_of("solar", lead_type="roofing") == {
            "lead_type": ["'roofing' is not a lead type; use one of: solar, hvac, insurance."]
        }


@pytest.mark.parametrize(
    ("given", "stored"), [("ca", "CA"), ("NY", "NY"), (" dc ", "DC"), ("California", "CA"), ("puerto rico", "PR")]
)
def test_state_is_a_two_letter_code(given, stored):
    assert clean(state=given).values["state"] == stored


@pytest.mark.parametrize("state", ["XX", "Cal", "C", "ZZZ"])
def test_unknown_states_are_refused(state):
    assert list(errors_of(state=state)) == ["state"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [("94107", "94107"), ("94107-1234", "94107-1234"), ("941071234", "94107-1234"), (94107, "94107"), (" 02134 ", "02134")],
)
def test_zip_is_five_or_nine_digits(given, stored):
    assert clean(zip_code=given).values["zip_code"] == stored


@pytest.mark.parametrize("zip_code", ["9410", "941077", "ABCDE", "94107-12"])
def test_bad_zips_are_refused(zip_code):
    assert errors_of(zip_code=zip_code) == {
        "zip_code": [f"'{zip_code}' is not a ZIP code: use 5 digits or ZIP+4 (12345 or 12345-6789)."]
    }


@pytest.mark.parametrize(
    ("column", "given", "stored"),
    [
        ("monthly_electric_bill", "250.5", Decimal("250.50")),
        ("monthly_electric_bill", "$1,200", Decimal("1200.00")),
        ("monthly_electric_bill", 99.999, Decimal("100.00")),
        ("property_value", 450000, Decimal("450000.00")),
        ("property_size", "2,000", 2000),
        ("property_size", "1500.0", 1500),
        ("roof_age", 0, 0),
    ],
)
def test_numeric_fields_are_typed(column, given, stored):
    value = clean(**{column: given}).values[column]
    assert value == stored
    assert type(value) is type(stored)


@pytest.mark.parametrize(
    ("column", "given", "message"),
    [
        ("monthly_electric_bill", "-1", "Must be zero or more."),
        ("coverage_amount", "lots", "'lots' is not a number."),
        ("current_premium", True, "Must be a number."),
        ("property_value", "NaN", "Must be a finite number."),
        ("property_value", "1e30", "Must be at most 10,000,000.00."),
        ("property_value", "10000000.01", "Must be at most 10,000,000.00."),
        ("property_size", "12.5", "'12.5' is not a whole number."),
        ("system_age", "-3", "Must be zero or more."),
        ("property_size", "99999999999", "Must be at most 2147483647."),
    ],
)
def test_numeric_fields_refuse_bad_values(column, given, message):
    assert errors_of(**{column: given}) == {column: [message]}


@pytest.mark.parametrize(
    ("given", "expected"),
    [(True, True), (False, False), (1, True), (0, False), ("true", True), ("FALSE", False), ("yes", True),
     ("no", False), ("1", True), ("0", False), ("on", True), ("off", False), ("Y", True), ("n", False)],
)
def test_boolean_spellings(given, expected):
    cleaned = clean(consent_value=given, tcpa_compliance=given)
    assert cleaned.values["consent_value"] is expected
    assert cleaned.values["tcpa_compliance"] is expected


@pytest.mark.parametrize("given", ["maybe", 2, "tru"])
def test_bad_booleans_are_refused(given):
    assert errors_of(consent_value=given) == {
        "consent_value": ["Must be true or false (also yes/no, 1/0, on/off, y/n)."]
    }


class TestVerticalRules:
    def test_solar_roof_age_range(self):
        assert clean("solar", roof_age=100).errors == {}
        assert errors_of("solar", roof_age=101) == {"roof_age": ["Must be between 0 and 100 for solar leads."]}

    def test_solar_choice_sets_are_case_insensitive_and_stored_lower_case(self):
        values = clean("solar", shade_coverage="Partial", roof_condition="Needs Replacement").values
        assert values["shade_coverage"] == "partial"
        assert values["roof_condition"] == "needs_replacement"

    def test_solar_choice_sets_refuse_other_values(self):
        errors = errors_of("solar", shade_coverage="some", roof_condition="shiny")
        assert errors["shade_coverage"] == [
            "'some' is not a solar shade_coverage; use one of: full, heavy, light, none, partial, unknown."
        ]
        assert list(errors) == ["shade_coverage", "roof_condition"]

    def test_hvac_rules(self):
        assert clean("hvac", system_age=60, urgency="Within Week", service_type="REPAIR").errors == {}
        errors = errors_of("hvac", system_age=61, urgency="whenever", service_type="painting")
        assert errors["system_age"] == ["Must be between 0 and 60 for hvac leads."]
        assert set(errors) == {"system_age", "urgency", "service_type"}

    def test_insurance_rules(self):
        assert clean("insurance", policy_type="Homeowners", coverage_amount="300000").values["policy_type"] == "homeowners"
        assert set(errors_of("insurance", policy_type="pet", coverage_amount="-5")) == {"policy_type", "coverage_amount"}

    def test_rules_follow_the_lead_type_not_the_field(self):
        """A solar-only rule does not apply to an insurance lead that happens to carry the field:
        the field is set aside (another vertical's), not refused and not stored in the column."""
        cleaned = clean("insurance", roof_age=150, shade_coverage="Some")
        assert cleaned.errors == {}
        assert "shade_coverage" not in cleaned.values and "roof_age" not in cleaned.values
        assert cleaned.other_vertical == {"roof_age": 150, "shade_coverage": "Some"}


@pytest.mark.parametrize(
    ("key", "given", "expected"),
    [("id", 42, "42"), ("lead_id", "42", "42"), ("leadId", 2**63 - 1, "9223372036854775807"), ("id", 7.0, "7"),
     ("external_id", " A-77/b ", "A-77/b"), ("externalId", "x" * 100, "x" * 100), ("reference", 2**70, str(2**70)),
     ("Reference", "Lead #5 (Ana)", "Lead #5 (Ana)"), ("id", -4, "-4")],
)
def test_external_id(key, given, expected):
    cleaned = clean(**{key: given})
    assert cleaned.errors == {}
    assert cleaned.external_id == expected
    assert "external_id" not in cleaned.values


def test_a_number_and_its_text_are_the_same_reference():
    assert clean(id=777001).external_id == clean(lead_id="777001").external_id == "777001"
    assert clean(id=777001, reference="777001").errors == {}


@pytest.mark.parametrize(
    ("given", "message"),
    [(12.5, "Must be a whole number or a text of at most 100 characters."),
     (True, "Must be a whole number or a text of at most 100 characters."),
     ("x" * 101, "Ensure this value has at most 100 characters (it has 101)."),
     (10**130, "Ensure this value has at most 100 characters."),
     ("a\x00b", "Must be printable characters only (no control characters or line breaks)."),
     ("two\nlines", "Must be printable characters only (no control characters or line breaks).")],
)
def test_bad_external_ids_are_refused_on_the_external_id_field(given, message):
    assert errors_of(lead_id=given) == {"external_id": [message]}


def test_every_error_is_reported_at_once_keyed_by_seed_column():
    errors = clean_lead({"firstName": "", "emailAddress": "x", "zip": "1", "phone_number": "1"}, lead_type="solar")
    assert set(errors.errors) == {"first_name", "last_name", "email", "zip_code", "phone"}


def test_a_phones_extension_and_flags_are_lead_columns_and_a_plain_number_adds_none():
    values = clean(phone="(800) 555-0123 ext. 12").values
    assert (values["phone"], values["phone_extension"], values["phone_flags"]) == (
        "+18005550123", "12", ["fictional_555", "toll_free"])
    assert "phone_extension" not in clean().values and "phone_flags" not in clean().values


def test_a_range_is_stored_as_its_midpoint_whole_numbers_rounded_half_up():
    values = clean(monthly_electric_bill="$101-$150 per month", roof_age="10-15 years").values
    assert (values["monthly_electric_bill"], values["roof_age"]) == (Decimal("125.50"), 13)
