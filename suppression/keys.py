"""What a phone or email is looked up by: its normalised form and its peppered digest.

Phones become their 10 NANP digits (the lead's `+1XXXXXXXXXX` without `+1`), emails lower case,
so a list and a lead always meet on the same text. The digest is an HMAC under
`SUPPRESSION_PEPPER` (leadhub.keys.peppered_digest): a purged person's entry keeps only it, which
still stops the number while nothing readable of the person stays.
"""
import contextlib

from django.conf import settings

from leadhub.keys import peppered_digest
from leadhub.phones import normalize_phone

from .models import Channel


def phone_key(value) -> str:
    """The 10 digits of a phone in any form leads accept; ValueError saying what is wrong."""
    return normalize_phone(value).removeprefix("+1")


def email_key(value) -> str:
    text = str(value or "").strip().lower()
    if "@" not in text or text.startswith("@") or text.endswith("@") or len(text) > 254:
        raise ValueError(f"'{value}' is not an email address.")
    return text


def suppression_digest(key: str) -> str:
    """The digest of a normalised phone (10 digits) or email."""
    return peppered_digest(key, pepper=settings.SUPPRESSION_PEPPER)


def subject_digests(*, phone="", email="") -> list[str]:
    """The digests a lead (or a post) is checked by: its phone's and its email's, those it has."""
    digests = []
    for value, key_of in ((phone, phone_key), (email, email_key)):
        if value:
            with contextlib.suppress(ValueError):  # a value leads never store matches no entry
                digests.append(suppression_digest(key_of(value)))
    return digests


def display_value(channel: str, key: str) -> str:
    """What ops read (and a lead stores): `+1XXXXXXXXXX` for a phone, the email as normalised."""
    return f"+1{key}" if channel == Channel.PHONE else key
