"""Phone normalisation: one rule for every path that stores or looks up a phone.

Contacts are deduplicated on (webhook_id, phone), so every form a provider may send
("(415) 555-0132", "415.555.0132", "+1 415 555 0132", "14155550132") must become the same
string. Only NANP numbers (country code 1) that `phonenumbers` considers valid are accepted.
"""
import phonenumbers

NANP_COUNTRY_CODE = 1


def normalize_phone(value) -> str:
    """Return `value` as `+1XXXXXXXXXX`, or raise ValueError saying what is wrong with it."""
    if value is None or isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("Enter a phone number as text, e.g. (415) 555-0132.")
    text = str(value).strip()
    if not text:
        raise ValueError("Enter a phone number.")
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        raise ValueError(f"'{text}' is not a phone number.") from None
    if number.country_code != NANP_COUNTRY_CODE:
        raise ValueError(f"'{text}' is not a US/NANP number (country code +1 only).")
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"'{text}' is not a valid US/NANP phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
