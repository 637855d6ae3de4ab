"""Request metadata every layer needs: a request id for tracing, and the real client address."""
import ipaddress
import logging
import re
import time
import uuid
from functools import lru_cache

from django import db
from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpResponseBadRequest, JsonResponse
from django.urls import is_valid_path
from django.utils import timezone

from leadhub.api.exceptions import failure_body, status_error_response
from leadhub.api.parsers import NUL_IN_QUERY, nul_parameters
from leadhub.logging import request_id_var
from leadhub.times import CalendarSafeZone

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("leadhub.request")

REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is echoed only if it is short and plain, so it is safe in logs, headers and JSON.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class RequestIdMiddleware:
    """Gives every request an id (`request.request_id`) and every response an `X-Request-ID`,
    puts the id on every log line written while serving it, and writes the one access line
    (method, path, status, duration) in place of runserver's and gunicorn's own.

    First in the middleware list, so even responses produced by other middleware carry it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        request.request_id = sent if _SANE_REQUEST_ID.match(sent) else uuid.uuid4().hex
        # Cleared on request_finished, not here: Django logs a 4xx/5xx response after the middleware returns.
        request_id_var.set(request.request_id)
        started = time.monotonic()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        access_logger.info("%s %s %s %dms", request.method, request.path, response.status_code,
                           (time.monotonic() - started) * 1000)
        return response


@receiver(request_finished, dispatch_uid="leadhub.request_id_clear")
def _request_id_clear(**kwargs):
    request_id_var.set("-")


class OpsTimeZoneMiddleware:
    """The admin renders times in `OPS_TIME_ZONE` (the formats name the zone on each); the APIs
    keep answering in UTC, so this applies to admin pages only. A stored time whose local time
    would leave the calendar shows in UTC (leadhub.times.CalendarSafeZone)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.zone = CalendarSafeZone(settings.OPS_TIME_ZONE)

    def __call__(self, request):
        if not request.path.startswith(f"/{settings.ADMIN_URL}"):
            return self.get_response(request)
        with timezone.override(self.zone):
            return self.get_response(request)


class AdminNulMiddleware:
    """An admin URL holding a NUL character (`%00`, in its path or a query parameter) is a 400
    naming where, before any view: PostgreSQL text cannot hold one, so a list filter, a search or
    an object id passing it to a query would end in a DataError (a 500). The partner API refuses
    the same in its own error body (workspaces.api.partner.query_params_check)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(f"/{settings.ADMIN_URL}"):
            where = (["the path"] if "\x00" in request.path else []) + nul_parameters(request.GET)
            if where:
                return HttpResponseBadRequest(f"{', '.join(where)}: {NUL_IN_QUERY}",
                                              content_type="text/plain; charset=utf-8")
        return self.get_response(request)


API_PREFIX = "/api/"


class ApiMiddleware:
    """Under /api/: every route answers with and without its trailing slash, and every error is JSON.

    - A path without the slash is served by the route with it, for every method. Django's
      APPEND_SLASH would answer a POST with a 301 that clients follow as a GET (or, with DEBUG,
      a 500 page), and the posted lead would be lost.
    - Answers Django gives itself (no such route, a crash, the DEBUG pages) come back in the one
      error body (leadhub.api.exceptions), never as HTML. The admin keeps its HTML pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        if not request.path_info.endswith("/") and not is_valid_path(request.path_info) and is_valid_path(
            f"{request.path_info}/"
        ):
            request.path_info = f"{request.path_info}/"
            request.path = f"{request.path}/"
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            replacement = status_error_response(response.status_code, request_id=getattr(request, "request_id", ""))
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response


class DatabaseUnavailableMiddleware:
    """A view that loses its database connection answers 503 with a JSON reason, not a 500 page.

    The transaction the view was in is gone with the connection, so nothing of it was committed
    (leadhub/tests/test_faults_postgres.py); the client may simply retry later.
    """

    RETRY_AFTER_SECONDS = 5

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (db.OperationalError, db.InterfaceError)):
            return None
        request_id = getattr(request, "request_id", "")
        logger.error("database unavailable during %s %s (request %s): %s", request.method, request.path,
                     request_id, exception.__class__.__name__)
        response = JsonResponse(
            failure_body(
                code="database_unavailable",
                reason="The database is unavailable; nothing was saved. Retry in a few seconds.",
                request_id=request_id,
                status_code=503,
            ),
            status=503,
        )
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response


@lru_cache(maxsize=8)
def _trusted_networks(proxies):
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted(address, networks):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request):
    """The client's address: REMOTE_ADDR, unless that is one of our TRUSTED_PROXIES.

    Then X-Forwarded-For is read from the right (the hops our proxies appended) and the first
    address that is not itself a trusted proxy is the client; anything further left was written
    by the client and cannot be trusted.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _is_trusted(remote, networks):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # a garbled hop: fall back to what we actually saw
    return hops[0] if hops else remote


def ip_bucket(address: str) -> str:
    """The client an address counts as, wherever clients are counted or merged (admin login
    attempts, refused webhook posts). IPv6 counts per /64: that is what one subscriber is given,
    so cycling through its addresses gains nothing. An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`,
    how a dual-stack socket reports an IPv4 client) is that IPv4 address; an IPv4 address is
    itself. What is no address at all (a test client's name) stays as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)
