"""Request metadata every layer needs: a request id for tracing, and the real client address."""
import ipaddress
import re
import uuid
from functools import lru_cache

from django.conf import settings

REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is echoed only if it is short and plain, so it is safe in logs, headers and JSON.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class RequestIdMiddleware:
    """Gives every request an id (`request.request_id`) and every response an `X-Request-ID`.

    First in the middleware list, so even responses produced by other middleware carry it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        request.request_id = sent if _SANE_REQUEST_ID.match(sent) else uuid.uuid4().hex
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
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
