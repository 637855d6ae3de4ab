"""How every process logs (web under runserver or gunicorn, workers, commands): one line per
record with timestamp, level, logger and the request id of the request being served, as text or,
with LOG_FORMAT=json, as JSON lines for a log pipeline.

Defence in depth for logs: key- and secret-shaped strings are masked before a line is written.

leadhub never logs a raw key or secret on purpose (leadhub/tests/test_security_secrets.py proves
it for every flow); this filter, on every handler, catches what a future log line or a third-party
library might let through: our key and secret formats (`lh_live_...`, `lhp_...`, `whsec_...`)
and the values of credential headers.
"""
import contextvars
import json
import logging
import re
from datetime import datetime, UTC

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


# The id of the request this thread or task is serving ("-" outside a request); set by
# leadhub.middleware.RequestIdMiddleware.
request_id_var = contextvars.ContextVar("request_id", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, request_id, message, and the
    traceback when there is one."""

    def format(self, record):
        line = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc_info"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)

    def formatTime(self, record, datefmt=None):
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def logging_config(*, level="INFO", fmt="text"):
    """The one logging setup (Django's LOGGING and gunicorn's logconfig_dict): a single stderr
    handler on the root logger. Django's and gunicorn's own handlers are replaced so each record
    is written once, and runserver's per-request line is left to leadhub.request, which carries
    the request id."""
    formatter = {"()": "leadhub.logging.JsonFormatter"} if fmt == "json" else {"format": TEXT_FORMAT}
    shared = {"handlers": [], "propagate": True}  # written once, by the root handler
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "redact_secrets": {"()": "leadhub.logging.RedactSecretsFilter"},
            "request_id": {"()": "leadhub.logging.RequestIdFilter"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id", "redact_secrets"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {**shared, "level": level},
            "django.server": {**shared, "level": "WARNING"},
            # gunicorn keeps the levels it sets from its own --log-level; Celery configures its own
            # loggers (workers and beat run with their --loglevel).
            "gunicorn.error": shared,
            "gunicorn.access": {**shared, "level": "WARNING"},
        },
    }
