"""Validation and normalisation of an incoming lead payload (pure: no database access).

Every ingest path (webhook, CSV import, re-processing of rejected submissions) goes through
`clean_lead`, so one payload gets one answer whichever door it came in by.

Field names
-----------
Keys are matched after lower-casing and dropping everything that is not a letter or digit, so
`first_name`, `firstName`, `FirstName` and `first-name` are the same key. One level of nested
objects is flattened by joining the keys (`{"consent": {"value": true}}` is `consentValue`,
`{"utm": {"source": "fb"}}` is `utmSource`); form posts can send the same as `consent[value]`.
An object under any other field (`{"zip_code": {...}}`) is refused naming the field, as a list is.
Unknown keys are not refused (unless the webhook is `strict`): the whole original payload is kept
in `leads.raw_payload` and the answer lists them (`unknown_fields`), each with the field it most
likely meant (`did_you_mean`: `zip_cod` is `zip_code`). Control characters in a text (a tab or line
break a form tool left in) are replaced by a space and the field listed (`cleaned_fields`).

A webhook's own field and value mapping (`providers.mapping.payload_map`) is applied first, so
`Primary_Phone` or `TCPA_Consent: "Yes"` reads as the webhook's rows say.

=====================  ==============================================================
seed column            accepted keys (besides the column name itself)
=====================  ==============================================================
external_id            id, lead_id, leadId, externalId, reference (the sender's own reference)
lead_type              leadType, vertical
first_name             firstName, firstname, first, fname
last_name              lastName, lastname, last, lname, surname
email                  emailAddress, email_address
phone                  phone_number, phoneNumber, phone1, telephone, mobile
address                address1, address_line1, street, street_address
address2               address_line2
zip_code               zip, zipCode, zipcode, postal_code, postalCode
utm_source/medium/...  utmSource, utmMedium, utmCampaign, utm: {source, medium, campaign}
campaign_id            campaignId
landing_page_url       landingPageUrl, landing_page
consent_description    consent: {description}, consent_text
consent_value          consent: {value}, consent (a plain boolean)
tcpa_compliance        tcpa, tcpa_compliant, tcpaCompliant
monthly_electric_bill  electric_bill, monthly_bill
property_size          square_feet, sqft
coverage_amount        coverage
current_premium        premium
ip_address             ip, consumer_ip (the consumer's; the posting server's is source_ip)
user_agent             useragent (the consumer's browser; the posting server's is source_user_agent)
trustedform_cert_url   xxTrustedFormCertUrl, xxTrustedFormToken, trusted_form_cert_url, trustedform_url
jornaya_leadid         universal_leadid, leadid_token, jornaya_lead_id, JornayaLeadId
=====================  ==============================================================

The consumer's identity and consent evidence (the last four) never refuse a lead here
(leads.consent_evidence): a value that cannot be stored is `dropped`, a certificate or token not
of its form is kept and `invalid`; the webhook's `consent_evidence` mode may refuse either.

Every other seed column (city, state, source, subsource, productid, property_type, ...) is
accepted by its own name in any case style (`roofAge`, `shadeCoverage`, ...).

Values are normalised by their one home (leadhub.phones, leadhub.values): a phone's extension is
kept in `phone_extension` and its informational codes in `phone_flags`; a range (`$101-$150`) is
stored as its midpoint, its text staying in `raw_payload`.

A lead with a ZIP and no state gets its ZIP's state, marked as derived (`state_source`); a posted
state is kept, and flagged when its ZIP is of another state (`state_columns`).
"""
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from leadhub.choices import LeadType
from leadhub.payload_aliases import PHONE_ALIASES, closest_key, payload_key
from leadhub.phones import ParsedPhone, parse_phone
from leadhub.models import MONEY_MAX
from leadhub.values import normalize_email, normalize_state, normalize_zip, parse_amount, parse_boolean
from providers.mapping import payload_map

from workspaces.zips import zip_state

from .consent_evidence import EVIDENCE_COLUMNS, IDENTITY_COLUMNS, Dropped, clean_identity_or_evidence
from .models import Lead, StateSource

TEXT_COLUMNS = (
    "first_name", "last_name", "email", "address", "address2", "city", "source", "campaign_id",
    "utm_source", "utm_medium", "utm_campaign", "subsource", "landing_page_url", "productid",
    "property_type", "roof_condition", "shade_coverage", "system_type", "service_type", "urgency",
    "policy_type", "claims_history", "consent_description",
)
INTEGER_COLUMNS = ("roof_age", "system_age", "property_size")
MONEY_COLUMNS = ("monthly_electric_bill", "coverage_amount", "current_premium", "property_value")
BOOLEAN_COLUMNS = ("consent_value", "tcpa_compliance")
OTHER_COLUMNS = ("external_id", "lead_type", "phone", "state", "zip_code")
EVIDENCE_AND_IDENTITY = (*IDENTITY_COLUMNS, *EVIDENCE_COLUMNS.values())
REQUIRED_COLUMNS = ("first_name", "last_name", "email", "phone")

ALIASES = {
    "external_id": ("id", "lead_id", "reference"),
    "lead_type": ("vertical",),
    "first_name": ("first", "fname"),
    "last_name": ("last", "lname", "surname"),
    "email": ("email_address",),
    "phone": PHONE_ALIASES,
    "address": ("address1", "address_line1", "street", "street_address"),
    "address2": ("address_line2",),
    "zip_code": ("zip", "postal_code"),
    "landing_page_url": ("landing_page",),
    "consent_description": ("consent_text",),
    "consent_value": ("consent",),
    "tcpa_compliance": ("tcpa", "tcpa_compliant"),
    "monthly_electric_bill": ("electric_bill", "monthly_bill"),
    "property_size": ("square_feet", "sqft"),
    "coverage_amount": ("coverage",),
    "current_premium": ("premium",),
    "ip_address": ("ip", "consumer_ip"),
    "user_agent": ("useragent",),
    "trustedform_cert_url": ("xxTrustedFormCertUrl", "xxTrustedFormToken", "trusted_form_cert_url", "trustedform_url"),
    "jornaya_leadid": ("universal_leadid", "leadid_token", "jornaya_lead_id", "JornayaLeadId"),
}


KEY_TO_COLUMN = {
    payload_key(name): column
    for column in TEXT_COLUMNS + INTEGER_COLUMNS + MONEY_COLUMNS + BOOLEAN_COLUMNS + OTHER_COLUMNS + EVIDENCE_AND_IDENTITY
    for name in (column, *ALIASES.get(column, ()))
}

# Vertical rules: keyed on the lead type, never on webhook ids. Input is case-insensitive and
# spaces/hyphens count as underscores ("Needs Replacement" is stored as "needs_replacement").
VERTICAL_CHOICES = {
    LeadType.SOLAR: {
        "shade_coverage": frozenset({"none", "light", "partial", "heavy", "full", "unknown"}),
        "roof_condition": frozenset({"excellent", "good", "fair", "poor", "needs_replacement", "unknown"}),
    },
    LeadType.HVAC: {
        "urgency": frozenset({"emergency", "immediate", "within_week", "within_month", "flexible", "researching"}),
        "service_type": frozenset({"installation", "replacement", "repair", "maintenance", "inspection"}),
    },
    LeadType.INSURANCE: {
        "policy_type": frozenset(
            {"homeowners", "renters", "condo", "landlord", "flood", "earthquake", "umbrella", "auto", "life"}
        ),
    },
}
# Columns that belong to one vertical: sent on another vertical's webhook they are not stored in
# the column but kept in the contact's custom_metadata and listed as `ignored_fields`.
VERTICAL_COLUMNS = {
    LeadType.SOLAR: ("monthly_electric_bill", "roof_condition", "roof_age", "shade_coverage"),
    LeadType.HVAC: ("system_type", "system_age", "service_type", "urgency"),
    LeadType.INSURANCE: ("policy_type", "coverage_amount", "current_premium", "claims_history"),
}
VERTICAL_MAXIMUMS = {
    LeadType.SOLAR: {"roof_age": 100},
    LeadType.HVAC: {"system_age": 60},
}

# Ids an earlier system's leads may keep (`import_leads --keep-ids`): far below bigint's limit, so
# the id sequence always has room to go on after them.
MAX_KEPT_LEAD_ID = 10**12
EXTERNAL_ID_MAX_LENGTH = 100
MAX_INTEGER = 2**31 - 1  # PositiveIntegerField's portable upper bound
CENT = Decimal("0.01")


@dataclass(frozen=True)
class CleanedLead:
    values: dict  # seed column -> typed value, ready for Lead(**values)
    external_id: str | None = None  # the sender's reference, never the lead's id
    errors: dict = field(default_factory=dict)  # seed column -> [message, ...]
    other_vertical: dict = field(default_factory=dict)  # another vertical's column -> JSON value
    dropped: dict = field(default_factory=dict)  # identity/evidence column -> why it was not stored
    invalid: dict = field(default_factory=dict)  # evidence column -> why the value kept is not of its form
    unknown: list = field(default_factory=list)  # [{field, did_you_mean}]: keys no field is known by
    cleaned: dict = field(default_factory=dict)  # column -> what was cleaned out of its text (control characters)

    @property
    def consent_ok(self):
        return bool(self.values.get("consent_value") and self.values.get("tcpa_compliance"))


def column_for(key):
    """The seed column a payload key maps to, or None for an unknown key."""
    return KEY_TO_COLUMN.get(payload_key(key))


def clean_lead(payload, *, lead_type, mapping=None) -> CleanedLead:
    """Apply the webhook's `mapping` (its `payload_mapping`), map aliases, coerce types and apply
    every rule; never raises for bad input."""
    if not isinstance(payload, dict):
        return CleanedLead(values={}, errors={"non_field_errors": ["Expected an object of lead fields."]})
    payload, errors = payload_map(payload, mapping, field_of=column_for)
    dropped, invalid, unknown, control = {}, {}, [], {}
    given = _collect(payload, errors, unknown, control, lead_type=lead_type)
    values = {}
    for column, candidates in given.items():
        if column in errors:
            continue
        try:
            cleaned = [(key, _clean_value(column, raw)) for key, raw in candidates]
        except Dropped as exc:
            dropped[column] = str(exc)
            continue
        except ValueError as exc:
            errors[column] = [str(exc)]
            continue
        (first_key, value), *others = cleaned
        clashing = [key for key, other in others if other != value]
        if clashing:
            errors[column] = [f"Given twice with different values ('{first_key}' and '{clashing[0]}')."]
        elif column in EVIDENCE_AND_IDENTITY:
            values[column], problem = value
            if problem:
                invalid[column] = problem
        else:
            values[column] = value
    for column in REQUIRED_COLUMNS:
        if column not in given and column not in errors:
            errors[column] = ["This field is required."]
    if isinstance(phone := values.get("phone"), ParsedPhone):
        values.update(phone_columns(phone))
    _check_lead_type(values, lead_type, errors)
    other_vertical = {
        column: str(values.pop(column)) if isinstance(values[column], Decimal) else values.pop(column)
        for vertical, columns in VERTICAL_COLUMNS.items() if vertical != values["lead_type"]
        for column in columns if column in values
    }
    _check_vertical(values, errors)
    values.update(state_columns(values.get("state", ""), values.get("zip_code", "")))
    for column in BOOLEAN_COLUMNS:
        values.setdefault(column, False)
    external_id = values.pop("external_id", None)
    if invalid:
        values["evidence_invalid"] = invalid
    return CleanedLead(values=values, external_id=external_id, errors=errors, other_vertical=other_vertical,
                       dropped=dropped, invalid=invalid, unknown=unknown, cleaned=control)


def phone_columns(phone: ParsedPhone) -> dict:
    """A parsed phone's lead columns; the extension and flags only when there are any, so a plain
    number's cleaned values stay as they were."""
    columns = {"phone": phone.number}
    if phone.extension:
        columns["phone_extension"] = phone.extension
    if phone.flags:
        columns["phone_flags"] = list(phone.flags)
    return columns


def state_columns(state: str, zip_code: str) -> dict:
    """A lead's state and where it came from, for matching offers and forwarding rules: a posted
    state stays as posted (`state_conflicts_zip` when the ZIP is of another state, for ops); with
    none posted, the ZIP's state (`workspaces.zips.zip_state`, in memory) is the lead's, marked
    `zip`. Nothing is added when neither gives a state."""
    from_zip = zip_state(zip_code)
    if state:
        return {"state": state, "state_source": StateSource.POSTED,
                "state_conflicts_zip": bool(from_zip) and from_zip != state}
    if from_zip:
        return {"state": from_zip, "state_source": StateSource.ZIP, "state_conflicts_zip": False}
    return {}


def posted_values(values: dict) -> dict:
    """Cleaned values as the sender posted them: without what `state_columns` derived (a state
    from the ZIP, where the state came from)."""
    return {name: value for name, value in values.items()
            if name not in ("state_source", "state_conflicts_zip")
            and not (name == "state" and values.get("state_source") == StateSource.ZIP)}


# Objects whose keys are read as flattened fields (`consent: {value}`, `utm: {source}`); an object
# under any other field's name is refused, not flattened into keys nobody knows.
NESTED_GROUPS = frozenset({"consent", "utm"})
NOT_SINGLE = "Must be a single value, not a list or object."
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")
CONTROL_CLEANED = "Control characters (tabs, line breaks) replaced by a space."


def _collect(payload, errors, unknown, control, *, lead_type=None):
    """{column: [(key, raw value), ...]} from the payload's keys and aliases; blanks are absent.
    Keys no column is known by go to `unknown`; texts with control characters are cleaned and
    their column noted in `control`."""
    found = {}
    for key, value, sent_as in _flatten(payload, errors):
        column = KEY_TO_COLUMN.get(payload_key(key))
        if column is None:
            unknown.append({"field": sent_as, "did_you_mean": did_you_mean(key, lead_type=lead_type)})
            continue
        if _is_blank(value):
            continue
        if isinstance(value, (dict, list)) and column not in EVIDENCE_AND_IDENTITY:
            errors[column] = [NOT_SINGLE]
            continue
        if isinstance(value, str) and column != "external_id" and CONTROL_CHARACTERS.search(value):
            value = CONTROL_CHARACTERS.sub(" ", value)
            control[column] = CONTROL_CLEANED
        found.setdefault(column, []).append((key, value))
    return found


def _flatten(payload, errors):
    """(key, value, the key as sent) for each field, one level of objects flattened; an object under
    a scalar field's own name is an error under that field."""
    for key, value in payload.items():
        if not isinstance(value, dict):
            yield key, value, key
            continue
        column = KEY_TO_COLUMN.get(payload_key(key))
        if column is not None and column not in EVIDENCE_AND_IDENTITY and payload_key(key) not in NESTED_GROUPS:
            errors[column] = [NOT_SINGLE]
            continue
        for sub_key, sub_value in value.items():
            yield f"{key}_{sub_key}", sub_value, f"{key}.{sub_key}"


def _suggestions(lead_type) -> dict:
    """{payload key: column} a lead of this type may mean: every key but other verticals' columns."""
    others = {column for vertical, columns in VERTICAL_COLUMNS.items() if vertical != lead_type for column in columns}
    return {key: column for key, column in KEY_TO_COLUMN.items() if column not in others}


SUGGESTIONS = {lead_type: _suggestions(lead_type) for lead_type in (*LeadType.values, None)}


def did_you_mean(key, *, lead_type=None) -> str | None:
    """The field an unknown key most likely meant (`zip_cod` is `zip_code`, `sate` is `state`), or None."""
    return closest_key(key, SUGGESTIONS.get(lead_type) or SUGGESTIONS[None])


def _is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_value(column, raw):
    if column in EVIDENCE_AND_IDENTITY:
        return clean_identity_or_evidence(column, raw)
    if column == "external_id":
        return to_external_id(raw)
    if column == "phone":
        return parse_phone(raw)
    if column == "lead_type":
        return _to_text(raw).lower()
    if column == "state":
        return normalize_state(raw)
    if column == "zip_code":
        return normalize_zip(raw)
    if column in INTEGER_COLUMNS:
        return _to_integer(raw)
    if column in MONEY_COLUMNS:
        return _to_money(raw)
    if column in BOOLEAN_COLUMNS:
        return parse_boolean(raw)
    text = _to_text(raw)
    max_length = Lead._meta.get_field(column).max_length
    if max_length and len(text) > max_length:
        raise ValueError(f"Ensure this value has at most {max_length} characters (it has {len(text)}).")
    if column == "email":
        return normalize_email(text)
    return text


def _to_text(raw):
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise ValueError("Must be text.")
    return str(raw).strip()


def to_external_id(raw) -> str:
    """A sender's reference as stored: a whole number or a text of printable characters, at most
    EXTERNAL_ID_MAX_LENGTH; the number 777001 and the text "777001" are the same reference."""
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 2**53:
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ValueError(f"Must be a whole number or a text of at most {EXTERNAL_ID_MAX_LENGTH} characters.")
    if isinstance(raw, int) and raw.bit_length() > 4 * EXTERNAL_ID_MAX_LENGTH:  # str() of it would be too long
        raise ValueError(f"Ensure this value has at most {EXTERNAL_ID_MAX_LENGTH} characters.")
    text = str(raw).strip()
    if len(text) > EXTERNAL_ID_MAX_LENGTH:
        raise ValueError(f"Ensure this value has at most {EXTERNAL_ID_MAX_LENGTH} characters (it has {len(text)}).")
    if not text.isprintable():
        raise ValueError("Must be printable characters only (no control characters or line breaks).")
    return text


def to_kept_lead_id(reference: str) -> int:
    """An earlier system's lead id kept as leads.id (`import_leads --keep-ids`)."""
    if not reference.isascii() or not reference.isdigit() or not 1 <= int(reference) <= MAX_KEPT_LEAD_ID:
        raise ValueError(f"Must be a whole number between 1 and {MAX_KEPT_LEAD_ID:,} to be kept as the lead id.")
    return int(reference)


def _to_integer(raw):
    amount = parse_amount(raw)
    # A range of whole numbers (`10-15 years`) is stored as its midpoint, rounded half up.
    number = amount.value.quantize(Decimal(1), rounding=ROUND_HALF_UP) if amount.is_range else amount.value
    if number != number.to_integral_value():
        raise ValueError(f"'{raw}' is not a whole number.")
    if number > MAX_INTEGER:
        raise ValueError(f"Must be at most {MAX_INTEGER}.")
    return int(number)


def _to_money(raw):
    number = parse_amount(raw).value
    if number > MONEY_MAX or number.quantize(CENT, rounding=ROUND_HALF_UP) > MONEY_MAX:
        raise ValueError(f"Must be at most {MONEY_MAX:,}.")
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def _check_lead_type(values, webhook_lead_type, errors):
    """Absent means the webhook's type; a different one is refused, not silently rewritten."""
    given = values.get("lead_type", webhook_lead_type)
    if given not in LeadType.values:
        errors.setdefault("lead_type", []).append(
            f"'{given}' is not a lead type; use one of: {', '.join(LeadType.values)}."
        )
    elif given != webhook_lead_type:
        errors.setdefault("lead_type", []).append(
            f"This webhook takes '{webhook_lead_type}' leads, not '{given}'."
        )
    values["lead_type"] = webhook_lead_type


def _check_vertical(values, errors):
    lead_type = values["lead_type"]
    for column, maximum in VERTICAL_MAXIMUMS.get(lead_type, {}).items():
        if values.get(column) is not None and values[column] > maximum:
            errors.setdefault(column, []).append(f"Must be between 0 and {maximum} for {lead_type} leads.")
    for column, allowed in VERTICAL_CHOICES.get(lead_type, {}).items():
        if column not in values:
            continue
        choice = re.sub(r"[\s-]+", "_", values[column].lower())
        if choice in allowed:
            values[column] = choice
        else:
            errors.setdefault(column, []).append(
                f"'{values[column]}' is not a {lead_type} {column}; use one of: {', '.join(sorted(allowed))}."
            )
