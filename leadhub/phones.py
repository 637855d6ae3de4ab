"""Phone normalisation: one rule for every path that stores or looks up a phone.

Contacts are deduplicated on (webhook_id, phone), so every form a provider may send
("(415) 555-0132", "415.555.0132", "+1 415 555 0132", "14155550132") must become the same
string. Only NANP numbers (country code 1) that `phonenumbers` considers valid are accepted.

Real forms add to the number: an extension (`x77`, `ext. 12`, `;ext=99`), kept apart
(`ParsedPhone.extension`, the lead's `phone_extension`) rather than dropped, and words before or
after it (`cell: 415.867.5309`, `415.867.5309 cell`), which are not part of it. Numbers buyers
refuse (the fictional 555-01xx lines, N11 exchanges, toll-free area codes) are still numbers:
accepted, with a code each in `ParsedPhone.flags` (the lead's `phone_flags`) so ops and buyers see
why before they dial.
"""
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

NANP_COUNTRY_CODE = 1
EXTENSION_MAX_LENGTH = 10

# Informational codes (PHONE_FLAGS): they hold nothing, they only say what the number is.
FICTIONAL_555 = "fictional_555"
N11_EXCHANGE = "n11_exchange"
TOLL_FREE = "toll_free"
PHONE_FLAGS = {
    FICTIONAL_555: "555-0100 to 555-0199: reserved for fiction, nobody answers it",
    N11_EXCHANGE: "an N11 exchange (211, 311 ... 911): often a typo or a made-up number",
    TOLL_FREE: "a toll-free number (800, 833, 844 ... 888): not a consumer's own line",
}
TOLL_FREE_AREA_CODES = frozenset({"800", "833", "844", "855", "866", "877", "888"})

# The extension and whatever follows it: `x77`, `ext. 12`, `extension 4`, `;ext=99`, `#12`.
_EXTENSION = re.compile(
    r"\s*[,;]?\s*(?:ext\s*=|(?<![a-z])(?:extension|extn|ext|x)\b\.?|(?<![a-z])x(?=\s*\d)|#)\s*[:.=]?\s*(\d+)\b.*$",
    re.IGNORECASE,
)
# Words after the number (`cell`, `(mobile)`, `- work`): not letters of a vanity number once ten
# digits have been written.
_TRAILING_WORDS = re.compile(r"[\s,;:()\-/.]+[^\d]*$")


@dataclass(frozen=True)
class ParsedPhone:
    number: str  # +1XXXXXXXXXX
    extension: str = ""
    flags: tuple = ()  # codes of PHONE_FLAGS


def parse_phone(value) -> ParsedPhone:
    """`value` as a number (`+1XXXXXXXXXX`), its extension and its flags, or ValueError saying
    what is wrong with it."""
    if value is None or isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("Enter a phone number as text, e.g. (415) 555-0132.")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        raise ValueError("Enter a phone number.")
    shown = str(value).strip()
    extension = ""
    if match := _EXTENSION.search(text):
        extension, text = match.group(1), text[:match.start()]
        if len(extension) > EXTENSION_MAX_LENGTH:
            raise ValueError(f"'{shown}': an extension has at most {EXTENSION_MAX_LENGTH} digits.")
    if (trailing := _TRAILING_WORDS.search(text)) and sum(c.isdigit() for c in text[:trailing.start()]) >= 10:
        text = text[:trailing.start()]
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        raise ValueError(f"'{shown}' is not a phone number.") from None
    if number.country_code != NANP_COUNTRY_CODE:
        raise ValueError(f"'{shown}' is not a US/NANP number (country code +1 only).")
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"'{shown}' is not a valid US/NANP phone number.")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return ParsedPhone(e164, extension or number.extension or "", phone_flags(e164))


def normalize_phone(value) -> str:
    """Return `value` as `+1XXXXXXXXXX`, or raise ValueError saying what is wrong with it."""
    return parse_phone(value).number


def phone_flags(e164: str) -> tuple:
    """The PHONE_FLAGS codes of a normalised number, in PHONE_FLAGS order."""
    area, exchange, line = e164[2:5], e164[5:8], e164[8:]
    found = {
        FICTIONAL_555: exchange == "555" and "0100" <= line <= "0199",
        N11_EXCHANGE: exchange[1:] == "11",
        TOLL_FREE: area in TOLL_FREE_AREA_CODES,
    }
    return tuple(code for code, present in found.items() if present)
