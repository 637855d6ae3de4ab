"""Values as real forms send them, one normaliser per family: every path that stores one (lead
ingest, CSV import, re-processing, appointment intake, the first-party forms) calls these, so a
value gets one answer whichever door it came in by. Phones have their own home, leadhub.phones.

Each function takes what a sender posted and returns the stored form, or raises ValueError with a
message a person can act on. Pure: no database access.
"""
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from leadhub.choices import US_STATES


def _text(value, what) -> str:
    """A posted scalar as text, full-width digits and letters folded to ASCII (NFKC)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"Must be {what}.")
    return unicodedata.normalize("NFKC", str(value)).strip()


# ZIPs ------------------------------------------------------------------------------------------

# `78704`, `78704-3312`, `78704 3312`, `78704   - 3312`, `787043312`, `78704-` (a +4 left blank).
_ZIP = re.compile(r"^(\d{5})\s*(?:-\s*)?(\d{4})?$")


def normalize_zip(value) -> str:
    """A ZIP as stored: `78704` or `78704-3312`. A JSON number lost its leading zeros
    (02134 → 2134): they are put back."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9:
        text = str(value).zfill(5 if value < 10**5 else 9)
    else:
        text = _text(value, "a ZIP code as text")
    match = _ZIP.match(text)
    if not match or not text.isascii():
        raise ValueError(f"'{text}' is not a ZIP code: use 5 digits or ZIP+4 (12345 or 12345-6789).")
    zip5, plus4 = match.groups()
    return f"{zip5}-{plus4}" if plus4 else zip5


# States ----------------------------------------------------------------------------------------

# Abbreviations in the AP and GPO styles (`Calif.`, `N.Y.`), keyed without dots and spaces.
_STATE_ABBREVIATIONS = {
    "ala": "AL", "ariz": "AZ", "ark": "AR", "calif": "CA", "colo": "CO", "conn": "CT",
    "del": "DE", "fla": "FL", "ga": "GA", "ill": "IL", "ind": "IN", "kan": "KS", "kans": "KS", "ky": "KY",
    "la": "LA", "md": "MD", "mass": "MA", "mich": "MI", "minn": "MN", "miss": "MS", "mo": "MO", "mont": "MT",
    "neb": "NE", "nebr": "NE", "nev": "NV", "nh": "NH", "nj": "NJ", "nm": "NM", "nmex": "NM", "ny": "NY",
    "nc": "NC", "nd": "ND", "ndak": "ND", "okla": "OK", "ore": "OR", "oreg": "OR", "pa": "PA", "penn": "PA",
    "penna": "PA", "ri": "RI", "sc": "SC", "sd": "SD", "sdak": "SD", "tenn": "TN", "tex": "TX", "vt": "VT",
    "va": "VA", "wash": "WA", "wva": "WV", "wvirginia": "WV", "wis": "WI", "wisc": "WI", "wyo": "WY", "dc": "DC",
    "washingtondc": "DC", "washdc": "DC", "districtofcolumbia": "DC", "pr": "PR", "usvi": "VI",
    "virginislands": "VI", "usvirginislands": "VI", "armedforcesamericas": "AA", "armedforceseurope": "AE",
    "armedforcespacific": "AP",
}
_STATE_KEYS = {
    **{re.sub(r"[^a-z]", "", name.lower()): code for code, name in US_STATES.items()},
    **{code.lower(): code for code in US_STATES},
    **_STATE_ABBREVIATIONS,
}


def normalize_state(value) -> str:
    """A state, territory or military code (`CA`, `DC`, `AE`) from a code, a name (`new york`),
    an abbreviation with dots (`Calif.`, `N.Y.`) or `Washington DC`."""
    text = _text(value, "a state as text")
    code = _STATE_KEYS.get(re.sub(r"[^a-z]", "", text.lower()), "")
    if code not in US_STATES:
        raise ValueError(f"'{text}' is not a US state or territory code (e.g. CA, NY, DC, PR).")
    return code


# Emails ----------------------------------------------------------------------------------------

EMAIL_MAX_LENGTH = 254
_validate_email = EmailValidator()


def normalize_email(value) -> str:
    """An email as stored: spaces around and inside it removed (` ada @ Example.COM `), the domain
    lower-cased; the local part keeps its case (a mailbox may tell it apart)."""
    text = re.sub(r"\s+", "", _text(value, "an email address as text"))
    local, at, domain = text.rpartition("@")
    email = f"{local}@{domain.lower()}" if at else text
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValueError(f"Ensure this value has at most {EMAIL_MAX_LENGTH} characters (it has {len(email)}).")
    try:
        _validate_email(email)
    except ValidationError:
        raise ValueError(f"'{email}' is not a valid email address.") from None
    return email


# Numbers ---------------------------------------------------------------------------------------

_NUMBER = r"(\d[\d,]*(?:\.\d+)?|\.\d+)\s*([kK])?"
_CURRENCY = r"(?:US\s*\$|USD|\$)?\s*"
# `1100`, `$1,100`, `$1,100 per month`, `$150k`, `2000 sq ft`, `$200+`, `$101-$150`, `10 to 15 years`.
_AMOUNT = re.compile(
    rf"^{_CURRENCY}{_NUMBER}\s*(?:USD)?\s*\+?"
    rf"(?:\s*(?:-|–|—|to)\s*{_CURRENCY}{_NUMBER}\s*(?:USD)?)?"
    r"(?:\s*(?:per|a|an|/)?\s*[a-zA-Z][a-zA-Z .]*)?$"
)


@dataclass(frozen=True)
class Amount:
    value: Decimal  # the number, or a range's midpoint
    low: Decimal
    high: Decimal

    @property
    def is_range(self):
        return self.low != self.high


def _decimal(digits, thousands) -> Decimal:
    number = Decimal(digits.replace(",", ""))
    return number * 1000 if thousands else number


def parse_amount(value) -> Amount:
    """A number as sources send one: currency signs, thousands separators, a `k`, a unit after it
    (`$1,100 per month`), or a range (`$101-$150`), whose midpoint is the value. Zero or more."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _plain_amount(str(value))
    text = _text(value, "a number")
    if re.match(rf"^-\s*{_CURRENCY}\d", text) or re.match(rf"^{_CURRENCY}-\s*\d", text):
        raise ValueError("Must be zero or more.")
    match = _AMOUNT.match(text)
    if not match:
        return _plain_amount(text)
    low_digits, low_k, high_digits, high_k = match.groups()
    try:
        low = _decimal(low_digits, low_k)
        high = _decimal(high_digits, high_k or low_k) if high_digits else low
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number.") from None
    if high_digits and high_k and not low_k and low < 1000 <= high:  # `$100-150k`: both in thousands
        low *= 1000
    if high < low:
        raise ValueError(f"'{text}': a range goes from the lower number to the higher one.")
    return Amount((low + high) / 2, low, high)


def _plain_amount(text) -> Amount:
    """A JSON number, or what Decimal reads that no form writes (`1e5`, `NaN`): a finite number
    of zero or more, or refused."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number.") from None
    if not number.is_finite():
        raise ValueError("Must be a finite number.")
    if number < 0:
        raise ValueError("Must be zero or more.")
    return Amount(number, number, number)


# Booleans --------------------------------------------------------------------------------------

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "on", "checked", "agree", "agreed", "accepted", "opt-in",
                        "optin", "opted in"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "off", "unchecked", "disagree", "declined", "opt-out",
                         "optout", "opted out"})
BOOLEAN_HELP = "Must be true or false (also yes/no, 1/0, on/off, y/n)."


def parse_boolean(value) -> bool:
    """true/false as forms send one: JSON booleans, 1/0, and words (`yes`, `on`, `checked`, `agree`)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value).strip().lower()) if isinstance(value, str) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(BOOLEAN_HELP)
