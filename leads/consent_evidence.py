"""The consumer's identity and consent evidence as a post carries them (pure: no database access).

A buyer claims a lead's consent with what the person's own browser left behind: their IP address
and user agent, a TrustedForm certificate, a Jornaya LeadiD token. `clean_lead` hands each such
value here; none of them refuses a lead by itself (the webhook's `consent_evidence` mode decides
that, in leads.services.ingest): a value that cannot be stored is dropped, a certificate or token
not of its form is kept and marked invalid, and the answer lists both.

Forms (ActiveProspect and Jornaya integration docs):
- certificate: `https://cert.trustedform.com/<id>`, the id 40 or 80 characters of `[-_a-zA-Z0-9]`,
  or a Meta lead-ad certificate's id, which starts with `0.`. Sources send `http://`, a trailing
  `/`, or several URLs comma-separated: stored as https, without the slash, the first one.
- LeadiD token: a 36-character GUID, stored in upper case.
"""
import ipaddress
import re
from urllib.parse import urlsplit

TRUSTEDFORM = "trustedform"
JORNAYA = "jornaya"
EVIDENCE_COLUMNS = {TRUSTEDFORM: "trustedform_cert_url", JORNAYA: "jornaya_leadid"}
IDENTITY_COLUMNS = ("ip_address", "user_agent")

CERT_HOST = "cert.trustedform.com"
STAGING_CERT_HOST = "cert.staging.trustedform.com"
CERT_ID_RE = re.compile(r"^(?:[-_a-zA-Z0-9]{40}|[-_a-zA-Z0-9]{80}|0\.[-_a-zA-Z0-9]+)$")
LEADID_RE = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
MAX_LENGTHS = {"ip_address": 45, "user_agent": 512, "trustedform_cert_url": 500, "jornaya_leadid": 100}


class Dropped(ValueError):
    """The value cannot be stored in its column at all (it stays in the raw payload)."""


def clean_identity_or_evidence(column: str, raw) -> tuple[str, str | None]:
    """(the value to store, why it is not of its form or None). Raises Dropped for a value that
    cannot be stored; an IP address not of its form is dropped too (a wrong IP is no evidence)."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise Dropped("Must be text.")
    text = str(raw).strip()
    if column == "ip_address":
        try:
            return str(ipaddress.ip_address(text)), None
        except ValueError:
            raise Dropped(f"'{text[:60]}' is not an IPv4 or IPv6 address.") from None
    if column == "user_agent":
        return text[:MAX_LENGTHS[column]], None  # a longer agent's tail tells a buyer nothing more
    value, problem = (certificate_url(text) if column == "trustedform_cert_url" else leadid_token(text))
    if len(value) > MAX_LENGTHS[column]:
        raise Dropped(f"Ensure this value has at most {MAX_LENGTHS[column]} characters (it has {len(value)}).")
    return value, problem


def certificate_url(text: str) -> tuple[str, str | None]:
    """A TrustedForm certificate URL as stored (normalised), and why it is not one, if it is not."""
    url = text.split(",", 1)[0].strip().rstrip("/")
    if url.lower().startswith("http://"):
        url = "https://" + url[len("http://"):]
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    cert_id = parts.path.lstrip("/")
    if parts.scheme.lower() != "https" or not host:
        return url, "Not a TrustedForm certificate URL (https://cert.trustedform.com/<id>)."
    if host == STAGING_CERT_HOST:
        return url, "A staging (sandbox) TrustedForm certificate: no consumer's consent."
    if host != CERT_HOST:
        return url, f"Not on the TrustedForm certificate host ({CERT_HOST})."
    if parts.query or parts.fragment or not CERT_ID_RE.match(cert_id):
        return url, "The certificate id must be 40 or 80 letters, digits, - or _ (or a Meta lead-ad id, 0.…)."
    return f"https://{CERT_HOST}/{cert_id}", None


def leadid_token(text: str) -> tuple[str, str | None]:
    """A Jornaya LeadiD token as stored (upper case), and why it is not one, if it is not."""
    token = text.upper()
    if not LEADID_RE.match(token):
        return text, "A Jornaya LeadiD token is a 36-character GUID (XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX)."
    return token, None
