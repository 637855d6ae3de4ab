"""API keys for providers and workspaces: random, shown once, stored only as a peppered digest.

A fast HMAC (not a slow salted password hash) because the key is looked up by an indexed
equality match on every request; the pepper lives in settings, never in the database, so a
leaked table is useless on its own.
"""
import argparse
import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone


def peppered_digest(text: str, *, pepper: str) -> str:
    """HMAC-SHA256 of `text` under `pepper`: what a key or a suppressed phone is looked up by."""
    return hmac.new(pepper.encode(), text.encode(), hashlib.sha256).hexdigest()


def key_digest(raw_key: str) -> str:
    return peppered_digest(raw_key, pepper=settings.API_KEY_PEPPER)


def generate_key(prefix: str) -> str:
    """A new high-entropy key with a recognisable prefix, e.g. `lh_live_...` or `lhp_...`."""
    return f"{prefix}{secrets.token_urlsafe(32)}"


def digests_match(stored_digest: str | None, raw_key: str) -> bool:
    """Constant-time comparison of a stored digest with the digest of a presented key."""
    if not stored_digest or not raw_key:
        return False
    return hmac.compare_digest(stored_digest, key_digest(raw_key))


# --- Rotation with a grace period ---------------------------------------------------------------
# A rotated key (or signing secret) keeps working for a grace period, so the holder can switch
# over without an outage. One previous value is kept per key: a second rotation ends the
# previous one at once, and a grace of zero (a leaked key) ends the old key with the rotation.

DEFAULT_ROTATION_GRACE = timedelta(hours=24)
# The longest an old key or secret may outlive its rotation (the admin's rotation form and
# `--grace` alike): past it a grace is a typo, and an old key that never ends is no rotation.
MAX_ROTATION_GRACE = timedelta(days=30)
_GRACE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}  # seconds in each; no unit: hours
# ASCII digits only: float() also reads "inf", "nan", "1e400" and other scripts' digits.
_GRACE_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smhd]?)")


def parse_grace(value: str) -> timedelta:
    """`24h`, `90m`, `2d`, `30s`, or a bare number of hours; `0` for none; at most MAX_ROTATION_GRACE."""
    match = _GRACE_RE.fullmatch(str(value).strip().lower())
    if match is None:
        raise ValueError(f"'{value}' is not a grace period: use e.g. 24h, 90m, 2d, or 0 (no sign, no exponent).")
    number, unit = match.groups()
    seconds = Decimal(number) * _GRACE_UNITS.get(unit, 3600)
    if seconds > MAX_ROTATION_GRACE.total_seconds():
        raise ValueError(f"'{value}' is longer than a grace may be: at most {MAX_ROTATION_GRACE.days}d "
                         f"({MAX_ROTATION_GRACE // timedelta(hours=1)}h).")
    return timedelta(seconds=float(seconds))


def rotate(holder, *, field: str, new: str, grace: timedelta) -> None:
    """Store `new` in `holder`'s `field`; the current value moves to `<field>_previous` until
    `now + grace`, replacing any previous one. The row is locked, so two rotations at once cannot
    both keep the same value as previous. `holder` (a workspace or provider) is updated too."""
    model = type(holder)
    with transaction.atomic():
        current = getattr(model.objects.select_for_update().get(pk=holder.pk), field)
        now = timezone.now()
        keep = bool(current) and grace > timedelta(0)
        fields = {
            field: new,
            f"{field}_previous": current if keep else None,
            f"{field}_previous_expires_at": now + grace if keep else None,
        }
        model.objects.filter(pk=holder.pk).update(**fields, updated_at=now)
    for name, value in fields.items():
        setattr(holder, name, value)


def previous_valid(holder, field: str, now) -> str | None:
    """`holder`'s previous `field` value while its grace lasts, else None."""
    expires_at = getattr(holder, f"{field}_previous_expires_at")
    return getattr(holder, f"{field}_previous") if expires_at is not None and expires_at > now else None


def key_accepted(holder, raw_key: str, now) -> bool:
    """Whether `raw_key` is `holder`'s current API key or its previous one within the grace."""
    return digests_match(holder.api_key, raw_key) | digests_match(previous_valid(holder, "api_key", now), raw_key)


def key_lookup(raw_key: str, now) -> Q:
    """The rows `raw_key` authenticates: by the current digest, or the previous one within its grace
    (both columns are indexed)."""
    digest = key_digest(raw_key)
    return Q(api_key=digest) | Q(api_key_previous=digest, api_key_previous_expires_at__gt=now)


def previous_key_note(holder) -> str:
    """What became of `holder`'s old API key, for the person who just rotated it."""
    if holder.api_key_previous_expires_at is None:
        return "The previous key no longer works."
    return f"The previous key keeps working until {holder.api_key_previous_expires_at:%Y-%m-%d %H:%M} UTC."


def grace_argument(parser) -> None:
    """`--grace` of the key rotation commands."""

    def grace(value):
        try:
            return parse_grace(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parser.add_argument(
        "--grace", type=grace, default=DEFAULT_ROTATION_GRACE,
        help=f"How long the previous key keeps working: e.g. 24h (the default), 90m, 2d, at most "
             f"{MAX_ROTATION_GRACE.days}d; 0 for a leaked key.",
    )
