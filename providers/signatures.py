"""Checking the signature a provider puts on its webhook posts (the scheme is leadhub.signing's).

Several `v1=` entries are accepted so a secret can be rotated while the provider still signs
with both. `sign` is re-exported: it is what a provider runs (tests, the bench, partner docs).
"""
import hmac
import re
import time

from leadhub.signing import SIGNATURE_HEADER, sign, signature_mac  # noqa: F401 (sign re-exported)

TOLERANCE_SECONDS = 5 * 60
# ASCII digits only (str.isdigit() takes "²" too) and no more than a clock can show: a longer
# number is no timestamp, and a 5,000-digit one is more than int() or float arithmetic take.
TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SignatureError(Exception):
    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _parse(header: str):
    timestamp, candidates = None, []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            timestamp = value
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not TIMESTAMP.fullmatch(timestamp) or not candidates:
        raise SignatureError(
            "signature_malformed",
            f"{SIGNATURE_HEADER} must look like 't=<unix seconds>,v1=<hex HMAC-SHA256>'.",
        )
    return timestamp, candidates


def verify(secret: str, header: str | None, body: bytes, now: float | None = None) -> int:
    """Raise SignatureError saying what is wrong, or return the timestamp of a valid, fresh signature."""
    if not header:
        raise SignatureError("signature_missing", f"This webhook requires the {SIGNATURE_HEADER} header.")
    timestamp, candidates = _parse(header)
    now = time.time() if now is None else now
    age = now - int(timestamp)
    if age > TOLERANCE_SECONDS:
        raise SignatureError(
            "signature_expired",
            f"Signature timestamp is {int(age)} s old; at most {TOLERANCE_SECONDS} s is accepted.",
        )
    if -age > TOLERANCE_SECONDS:
        raise SignatureError(
            "signature_in_future",
            f"Signature timestamp is {int(-age)} s in the future; at most {TOLERANCE_SECONDS} s is accepted "
            "(check the sender's clock).",
        )
    expected = signature_mac(secret, timestamp, body)
    # Check every candidate (no early exit) so timing does not reveal which one matched.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected.encode(), candidate.strip().lower().encode())
    if not matched:
        raise SignatureError(
            "signature_invalid",
            "Signature does not match the body: sign '<t>.<raw body>' with the webhook's secret (HMAC-SHA256, hex).",
        )
    return int(timestamp)
