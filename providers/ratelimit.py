"""Webhook and provider rate limits on the shared Django cache (Redis in production).

A webhook's limit is each provider's on it: every source posting to a webhook gets the
webhook's rate, so one source's flood cannot stop another's intake. A provider's own limit
counts its posts to every webhook.

django-ratelimit's core keeps one counter per key and fixed window in the cache, so every
gunicorn worker and host sees the same count. The counters fail open (RATELIMIT_FAIL_OPEN plus
django-redis IGNORE_EXCEPTIONS): a Redis outage lets traffic through instead of raising 500s.
"""
from dataclasses import dataclass

from django.conf import settings

from django_ratelimit.core import get_usage

from leadhub.api.exceptions import Refusal
from providers.models import LeadSourceProvider, WebhookConfig

PROVIDER_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Usage:
    """One limit after counting this request."""

    code: str
    rule: str  # the limit in words, for the 429's reason
    limit: int
    seconds: int
    count: int
    time_left: int

    @property
    def remaining(self):
        return max(self.limit - self.count, 0)

    def headers(self):
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}


def _count(*, code, rule, group, value, limit, seconds):
    # django-ratelimit only reads the request for method matching (ALL here) and key callables;
    # our key is the id itself, so limits can be counted outside a request (tests, other apps).
    usage = get_usage(None, group=group, key=lambda _group, _request: value, rate=(limit, seconds), increment=True)
    if usage is None:  # cache unavailable: fail open
        return None
    return Usage(code, rule, limit, seconds, usage["count"], usage["time_left"])


def rate_limits_hit(*, webhook: WebhookConfig, provider: LeadSourceProvider) -> Usage | None:
    """Count one request against both limits (the webhook's for this provider, and the
    provider's own); raise a 429 Refusal if either is exceeded.

    Returns the tighter limit (fewest requests remaining) for the X-RateLimit-* headers, or
    None when the cache is unavailable.
    """
    usages = [
        usage
        for usage in (
            _count(code="webhook_rate_limited",
                   rule=f"Webhook '{webhook.webhook_id}' allows provider '{provider.provider_id}' {webhook.rate_limit} "
                        f"requests per {webhook.rate_window} s",
                   group="providers.webhook", value=f"{webhook.webhook_id}:{provider.provider_id}",  # ids hold no ':'
                   limit=webhook.rate_limit, seconds=webhook.rate_window),
            _count(code="provider_rate_limited",
                   rule=f"Provider '{provider.provider_id}' allows {provider.rate_limit} requests per "
                        f"{PROVIDER_WINDOW_SECONDS} s",
                   group="providers.provider", value=provider.provider_id,
                   limit=provider.rate_limit, seconds=PROVIDER_WINDOW_SECONDS),
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
            f"{binding.rule}. This post was not stored: send it again in {retry_after} s.",
            headers={"Retry-After": str(retry_after), **tightest.headers()},
        )
    return tightest


def form_rate_limit_hit(*, webhook: WebhookConfig, client: str) -> Usage | None:
    """Count one post of a webhook's first-party form from one client (`leadhub.middleware.ip_bucket`
    of its address: FORM_RATE_LIMIT posts per FORM_RATE_WINDOW seconds); raise a 429 Refusal past it.
    A form has no provider key to count by, so the consumer's address is the key."""
    limit, seconds = settings.FORM_RATE_LIMIT, settings.FORM_RATE_WINDOW
    usage = _count(code="form_rate_limited",
                   rule=f"The form of webhook '{webhook.webhook_id}' takes {limit} posts per {seconds} s from one "
                        "address",
                   group="providers.form", value=f"{webhook.webhook_id}:{client}", limit=limit, seconds=seconds)
    if usage is not None and usage.count > limit:
        retry_after = max(usage.time_left, 1)
        raise Refusal(429, usage.code, f"{usage.rule}. Send it again in {retry_after} s.",
                      headers={"Retry-After": str(retry_after), **usage.headers()})
    return usage
