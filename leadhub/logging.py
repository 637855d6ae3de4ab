"""Defence in depth for logs: key- and secret-shaped strings are masked before a line is written.

leadhub never logs a raw key or secret on purpose (leadhub/tests/test_security_secrets.py proves
it for every flow); this filter, on every handler, catches what a future log line or a third-party
library might let through: our key and secret formats (`lh_live_...`, `lhp_...`, `whsec_...`)
and the values of credential headers.
"""
import logging
import re

REDACTED = "[redacted]"
SECRET_PATTERNS = (
    re.compile(r"\b(lh_live_|lhp_|whsec_)[A-Za-z0-9_\-]{8,}"),
    re.compile(
        r"(?i)((?:authorization|x-api-key|x-leadhub-signature|api_key|secret_key|signing_secret|password)"
        r"['\"]?\s*[:=]\s*['\"]?)(?:bearer\s+|api-key\s+)?[^\s'\",;}]+"
    ),
)


def redact(text: str) -> str:
    text = SECRET_PATTERNS[0].sub(lambda match: match.group(1) + REDACTED, text)
    return SECRET_PATTERNS[1].sub(lambda match: match.group(1) + REDACTED, text)


class RedactSecretsFilter(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
