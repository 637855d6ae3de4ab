"""HMAC signatures on webhook bodies: `X-Leadhub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`.

The MAC covers "<t>.<raw body>", so a captured request cannot be replayed after the receiver's
tolerance window, nor its body altered. One scheme both ways: outbound deliveries
(workspaces.delivery) sign with it, and providers sign their posts to us with it
(providers/signatures.py verifies), so one partner-side implementation fits both.
"""
import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Leadhub-Signature"


def signature_mac(secret: str, timestamp: str, body: bytes) -> str:
    """The hex `v1` value for `body` signed at `timestamp` (unix seconds, as sent)."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, t: int | None = None, *, previous: str | None = None) -> str:
    """The `X-Leadhub-Signature` value for `body`, timestamped now unless `t` is given. With a
    `previous` secret (a rotation's grace) a second `v1=` follows, so a receiver that still has
    the old secret accepts the delivery: `t=...,v1=<new>,v1=<old>`."""
    timestamp = str(int(time.time()) if t is None else int(t))
    secrets = [secret] + ([previous] if previous else [])
    return ",".join([f"t={timestamp}"] + [f"v1={signature_mac(key, timestamp, body)}" for key in secrets])
