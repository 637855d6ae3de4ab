"""Outbound targets must be public: no SSRF through a partner-supplied webhook or forwarding URL.

A workspace's `outbound_webhook_url` and a forwarding rule's `target_url` are chosen by people
outside ops. Pointed at 127.0.0.1, 10.x, 169.254.169.254 (cloud metadata) or an internal
hostname they would make our workers POST into our own network. So, unless
OUTBOUND_ALLOW_PRIVATE_TARGETS is on (development and tests, whose receivers run on loopback):

- `outbound_url_check` refuses such URLs when they are saved (model `clean()`, hence API and
  admin), resolving the host and checking every address it resolves to;
- `is_own_ingest_url` spots leadhub's own provider webhook endpoints, where forwarding would loop;
- `GuardedHTTPHandler` / `GuardedHTTPSHandler` check again when connecting, on the very address
  the socket connects to, so a DNS answer that changed since the save (DNS rebinding) is refused
  too.
"""
import http.client
import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http.request import validate_host

OWN_INGEST_PATH_PREFIX = "/api/v1/webhooks/"


class BlockedTarget(OSError):
    """Raised instead of connecting to a non-public address."""


SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_blocked(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified, shared or otherwise
    non-global addresses. IPv6 that carries an IPv4 is judged by it: IPv4-mapped, and the
    Teredo and NAT64 forms a relay or gateway would forward to that IPv4. 6to4 is refused
    outright: its relays are anycast, so where such a packet ends up is no one's promise."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in SIX_TO_FOUR:
            return True
        embedded = [ip.ipv4_mapped] if ip.ipv4_mapped is not None else []
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        if ip in NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(address_blocked(str(ipv4)) for ipv4 in embedded):
            return True
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
    return (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
        or ip.is_unspecified or not ip.is_global
    )


def _private_targets_allowed() -> bool:
    return settings.OUTBOUND_ALLOW_PRIVATE_TARGETS


def _resolve(host: str, port: int) -> list:
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedTarget(f"host '{host}' does not resolve ({exc})") from None


def _refuse_blocked(host: str, infos) -> None:
    for *_, sockaddr in infos:
        if address_blocked(sockaddr[0]):
            raise BlockedTarget(
                f"'{host}' resolves to {sockaddr[0]}, a private, loopback, link-local or reserved address"
            )


def outbound_url_check(url: str) -> None:
    """Raise ValidationError unless `url` is an http(s) URL whose host resolves to public
    addresses only (or private targets are allowed by settings)."""
    if not url or _private_targets_allowed():
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Enter an http:// or https:// URL with a host name.", code="outbound_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        _refuse_blocked(parts.hostname, _resolve(parts.hostname, port))
    except ValueError:  # a port out of range
        raise ValidationError("The URL's port is not valid.", code="outbound_url") from None
    except BlockedTarget as exc:
        raise ValidationError(f"Outbound webhooks must reach a public address: {exc}.", code="outbound_url") from None


def is_own_ingest_url(url: str) -> bool:
    """True for leadhub's own provider webhook endpoints (forwarding there would loop)."""
    parts = urlsplit(url)
    own_hosts = [host for host in settings.ALLOWED_HOSTS if host != "*"] + list(settings.OUTBOUND_OWN_HOSTS)
    return bool(parts.hostname) and validate_host(parts.hostname.lower(), own_hosts) and (
        parts.path.startswith(OWN_INGEST_PATH_PREFIX)
    )


def guarded_create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **kwargs):
    """socket.create_connection that refuses a host with any non-public address, then connects to
    the addresses it checked (not to a second, possibly different, lookup of the name)."""
    if _private_targets_allowed():
        return socket.create_connection(address, timeout, source_address)
    host, port = address
    infos = _resolve(host, port)
    _refuse_blocked(host, infos)
    last_error = OSError(f"could not connect to {host}")
    for *_, sockaddr in infos:
        try:
            return socket.create_connection(sockaddr[:2], timeout, source_address)
        except OSError as exc:
            last_error = exc
    raise last_error


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_create_connection  # http.client's own hook for connecting


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_create_connection  # TLS still verifies the host name


class GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


class GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)
