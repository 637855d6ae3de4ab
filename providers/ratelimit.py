"""Per-webhook and per-provider rate limits on the shared Django cache (Redis in production).

django-ratelimit's core keeps one counter per key and fixed window in the cache, so every
gunicorn worker and host sees the same count. The counters fail open (RATELIMIT_FAIL_OPEN plus
django-redis IGNORE_EXCEPTIONS): a Redis outage lets traffic through instead of raising 500s.
"""
from dataclasses import dataclass

from django_ratelimit.core import get_usage

from leadhub.api.exceptions import Refusal
from providers.models import LeadSourceProvider, WebhookConfig

PROVIDER_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Usage:
    """One limit after counting this request."""

    code: str
    label: str
    limit: int
    seconds: int
    count: int
    time_left: int

    @property
    def remaining(self):
        return max(self.limit - self.count, 0)

    def headers(self):
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}


def _count(*, code, label, group, value, limit, seconds):
    # django-ratelimit only reads the request for method matching (ALL here) and key callables;
    # our key is the id itself, so limits can be counted outside a request (tests, other apps).
    usage = get_usage(None, group=group, key=lambda _group, _request: value, rate=(limit, seconds), increment=True)
    if usage is None:  # cache unavailable: fail open
        return None
    return Usage(code, label, limit, seconds, usage["count"], usage["time_left"])


def rate_limits_hit(*, webhook: WebhookConfig, provider: LeadSourceProvider) -> Usage | None:
    """Count one request against both limits; raise a 429 Refusal if either is exceeded.

    Returns the tighter limit (fewest requests remaining) for the X-RateLimit-* headers, or
    None when the cache is unavailable.
    """
    usages = [
        usage
        for usage in (
            _count(code="webhook_rate_limited", label=f"Webhook '{webhook.webhook_id}'", group="providers.webhook",
                   value=webhook.webhook_id, limit=webhook.rate_limit, seconds=webhook.rate_window),
            _count(code="provider_rate_limited", label=f"Provider '{provider.provider_id}'", group="providers.provider",
                   value=provider.provider_id, limit=provider.rate_limit, seconds=PROVIDER_WINDOW_SECONDS),
        )
        if usage is not None
    ]
    if not usages:
        return None
    tightest = min(usages, key=lambda usage: usage.limit - usage.count)
    exceeded = [usage for usage in usages if usage.count > usage.limit]
    if exceeded:
        binding = max(exceeded, key=lambda usage: usage.time_left)  # retry once every exceeded window reset
        retry_after = max(binding.time_left, 1)
        raise Refusal(
            429,
            binding.code,
            f"{binding.label} allows {binding.limit} requests per {binding.seconds} s. This post was not "
            f"stored: send it again in {retry_after} s.",
            headers={"Retry-After": str(retry_after), **tightest.headers()},
        )
    return tightest
