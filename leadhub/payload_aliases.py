"""Which keys of a provider's payload carry the phone, for every app that reads raw payloads.

Lead ingest (leads/ingest.py) maps every seed column's aliases; the refused-post recorder
(providers/services/rejected.py) only needs the phone, to find a person's refused posts when purging
them. Neither may import the other, so the phone's part of the alias table lives here.
"""
import difflib
import re

PHONE_ALIASES = ("phone_number", "phone1", "telephone", "mobile")


def payload_key(name) -> str:
    """A payload key as compared: lower case, letters and digits only (`phoneNumber` is `phonenumber`)."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def closest_key(name, candidates: dict) -> str | None:
    """The field of `candidates` ({payload key: field}) whose key is nearest `name` (`zip_cod` is
    `zip_code`, `sate` is `state`), or None when none is close enough: an unknown key's hint."""
    close = difflib.get_close_matches(payload_key(name), candidates, n=1, cutoff=0.8)
    return candidates[close[0]] if close else None


# `customer_phone` is the appointment webhook's phone: a refused appointment post is the person's too.
PHONE_KEYS = frozenset(payload_key(name) for name in ("phone", "customer_phone", *PHONE_ALIASES))


# Keys that are the record of consent (what the person agreed to, and the proof of when and from
# where): a re-processed post may have other fields corrected, never these.
EVIDENCE_PREFIXES = ("consent", "tcpa", "trustedform", "xxtrustedform", "jornaya", "universalleadid", "leadidtoken",
                     "ipaddress", "consumerip", "useragent")
EVIDENCE_KEYS = frozenset({"ip"})  # the consumer's IP by its shortest alias (leads.ingest.ALIASES)


def is_evidence_key(name) -> bool:
    key = payload_key(name)
    return key in EVIDENCE_KEYS or key.startswith(EVIDENCE_PREFIXES)
