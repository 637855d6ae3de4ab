"""HMAC signatures on webhook bodies: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

Outbound deliveries (workspaces.delivery) sign with this; it is the same scheme providers use
towards us (providers/signatures.py verifies it), so one partner-side verifier fits both.
"""
import hashlib
import hmac
import time


def sign(secret: str, body: bytes, t: int | None = None) -> str:
    """The `X-Leadhub-Signature` value for `body`, timestamped now unless `t` is given."""
    timestamp = str(int(time.time()) if t is None else int(t))
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
