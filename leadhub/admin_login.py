"""The admin login, rate-limited against password guessing (on the shared cache).

Every login attempt is counted per client (`ip_bucket`: an IPv6 /64 is one client) and per
username in fixed windows *before* the password is checked: the atomic increment decides, so
however many attempts arrive at once, at most `limit` of them reach the password check in a window. Beyond it, attempts get 429
until the window ends, whatever the password. A successful login gives its attempt back, so
logging in is never what locks an account. The counters live in the default cache (Redis in
production), so the limit holds across gunicorn workers and hosts; when the cache is down the
limit fails open.
"""
import time

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.html import escape
from django_ratelimit.core import _split_rate

from leadhub.middleware import client_ip, ip_bucket
import contextlib

GROUP = "admin-login"


def _keys(request):
    username = request.POST.get("username", "").strip().lower()
    keys = [("ip", ip_bucket(client_ip(request)), settings.ADMIN_LOGIN_RATE_PER_IP)]
    if username:
        keys.append(("username", username, settings.ADMIN_LOGIN_RATE_PER_USERNAME))
    return keys


def _count_attempt(request):
    """Count this attempt on every key; returns [(cache key, count, limit, seconds left)]."""
    counted = []
    now = int(time.time())
    for name, value, rate in _keys(request):
        limit, period = _split_rate(rate)
        window = now // period
        key = f"{GROUP}:{name}:{period}:{window}:{value}"
        try:
            cache.add(key, 0, period + 60)
            count = cache.incr(key)
        except ValueError:  # the key expired between add and incr, or the cache is down
            continue
        if count:
            counted.append((key, count, limit, (window + 1) * period - now))
    return counted


def admin_login(request, extra_context=None):
    counted = _count_attempt(request) if request.method == "POST" else []
    exhausted = [left for _key, count, limit, left in counted if count > limit]
    if exhausted:
        retry_after = max(max(exhausted), 1)
        response = HttpResponse(
            f"<h1>Too many failed logins</h1><p>Try again in {escape(retry_after)} seconds.</p>",
            status=429,
        )
        response["Retry-After"] = str(retry_after)
        return response
    response = admin.site.login(request, extra_context)
    if request.method == "POST" and request.user.is_authenticated:
        for key, *_ in counted:
            with contextlib.suppress(ValueError):
                cache.decr(key)
    return response
