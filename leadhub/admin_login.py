"""The admin login, rate-limited against password guessing (django-ratelimit on the shared cache).

Failed logins are counted per client address and per username in fixed windows; once either
count reaches its limit, further attempts get 429 until the window ends, whatever the password.
Successful logins are not counted. The counters live in the default cache (Redis in production),
so the limit holds across gunicorn workers and hosts.
"""
from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.utils.html import escape
from django_ratelimit.core import get_usage

from leadhub.middleware import client_ip

GROUP = "admin-login"


def _keys(request):
    username = request.POST.get("username", "").strip().lower()
    keys = [("ip", client_ip(request), settings.ADMIN_LOGIN_RATE_PER_IP)]
    if username:
        keys.append(("username", username, settings.ADMIN_LOGIN_RATE_PER_USERNAME))
    return keys


def _usages(request, *, increment):
    for name, value, rate in _keys(request):
        usage = get_usage(
            request, group=f"{GROUP}:{name}", key=lambda _group, _request, value=value: value, rate=rate,
            method="POST", increment=increment,
        )
        if usage is not None:  # None: the cache is down, and the limit fails open
            yield usage


def admin_login(request, extra_context=None):
    if request.method == "POST":
        exhausted = [usage for usage in _usages(request, increment=False) if usage["count"] >= usage["limit"]]
        if exhausted:
            retry_after = max(max(usage["time_left"] for usage in exhausted), 1)
            response = HttpResponse(
                f"<h1>Too many failed logins</h1><p>Try again in {escape(retry_after)} seconds.</p>",
                status=429,
            )
            response["Retry-After"] = str(retry_after)
            return response
    response = admin.site.login(request, extra_context)
    if request.method == "POST" and not request.user.is_authenticated:
        list(_usages(request, increment=True))
    return response
