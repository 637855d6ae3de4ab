"""Per-workspace request throttling on the shared cache (Redis in production).

A fixed-window counter (`cache.add` + `cache.incr`) is atomic in Redis, so the limit holds across
gunicorn workers. The rate comes from DEFAULT_THROTTLE_RATES["workspace"]; a workspace may carry
its own in `metadata["api_rate"]` (e.g. "1200/min"). Staff are keyed per user.
"""
import time

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from leadhub.api.permissions import is_staff_user


class WorkspaceRateThrottle(BaseThrottle):
    scope = "workspace"

    def caller(self, request):
        """(who is counted, their own rate or None) for this request, or None: not throttled."""
        workspace = getattr(request.user, "workspace", None)
        if workspace is not None:
            return f"ws:{workspace.pk}", (workspace.metadata or {}).get("api_rate")
        if is_staff_user(request.user):
            return f"staff:{request.user.pk}", None
        return None

    def allow_request(self, request, view):
        caller = self.caller(request)
        if caller is None:
            return True
        ident, rate = caller
        rate = rate or api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if not rate:
            return True
        limit, duration = SimpleRateThrottle.parse_rate(None, rate)
        now = time.time()
        window = int(now // duration)
        key = f"throttle:{self.scope}:{ident}:{window}"
        cache.add(key, 0, duration + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr, or the cache is down: fail open
            return True
        if count is None or count <= limit:
            return True
        self._wait = (window + 1) * duration - now
        return False

    def wait(self):
        return max(1, round(getattr(self, "_wait", 1)))
