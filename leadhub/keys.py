"""API keys for providers and workspaces: random, shown once, stored only as a peppered digest.

A fast HMAC (not a slow salted password hash) because the key is looked up by an indexed
equality match on every request; the pepper lives in settings, never in the database, so a
leaked table is useless on its own.
"""
import hashlib
import hmac
import secrets

from django.conf import settings


def key_digest(raw_key: str) -> str:
    return hmac.new(settings.API_KEY_PEPPER.encode(), raw_key.encode(), hashlib.sha256).hexdigest()


def generate_key(prefix: str) -> str:
    """A new high-entropy key with a recognisable prefix, e.g. `lh_live_...` or `lhp_...`."""
    return f"{prefix}{secrets.token_urlsafe(32)}"


def digests_match(stored_digest: str | None, raw_key: str) -> bool:
    """Constant-time comparison of a stored digest with the digest of a presented key."""
    if not stored_digest or not raw_key:
        return False
    return hmac.compare_digest(stored_digest, key_digest(raw_key))
