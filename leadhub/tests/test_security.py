"""Security review, as tests: production hardening, admin CSRF and login rate limit, body size and
JSON nesting limits, and the SSRF guard on outbound webhook and forwarding URLs."""
import ipaddress
import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import connections
from django.test import Client, override_settings
from django.urls import reverse

from leadhub.api.parsers import MAX_JSON_DEPTH
from leadhub.testing.api import workspace_with_key
from leadhub.logging import REDACTED, RedactSecretsFilter
from leadhub.middleware import ip_bucket
from leadhub.netguard import address_blocked, outbound_url_check
from leadhub.testing import (
    WebhookReceiver,
    assert_error,
    assert_webhook_error,
    connections_taking_turns,
    make_provider,
    make_webhook,
    make_workspace,
)
from workspaces.delivery import outbox_deliver, outbox_emit
from workspaces.models import DeliveryStatus, EventType, LeadForwardingRule

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7Qp2v9LmZ3rT8wK1yB6nC4hF0jD5sGaE!uR$eW@oI#pN%qM&vX*zY(tA)bU",
    "ALLOWED_HOSTS": "leads.example.com",
}


def run_in_production(code, **extra_env):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env.update(PRODUCTION_ENV, **extra_env)
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "leadhub.settings"}, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# --- production settings ---------------------------------------------------------------------------


@pytest.mark.slow
def test_production_mode_has_secure_cookies_hsts_and_refuses_private_targets():
    values = json.loads(run_in_production(
        "from django.conf import settings as s; import json; print(json.dumps([s.DEBUG, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_PROXY_SSL_HEADER, s.OUTBOUND_ALLOW_PRIVATE_TARGETS, "
        "'django.middleware.csrf.CsrfViewMiddleware' in s.MIDDLEWARE]))"
    ))
    debug, session_secure, csrf_secure, httponly, hsts, ssl_redirect, proxy_header, allow_private, csrf = values
    assert (debug, session_secure, csrf_secure, httponly, ssl_redirect, csrf) == (False, True, True, True, True, True)
    assert hsts >= 31536000
    assert proxy_header == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert allow_private is False
    # The deployment may allow a loopback receiver explicitly (e.g. `make prod-check`).
    assert run_in_production(
        "from django.conf import settings; print(settings.OUTBOUND_ALLOW_PRIVATE_TARGETS)",
        OUTBOUND_ALLOW_PRIVATE_TARGETS="true",
    ) == "True"


def test_admin_url_is_configurable():
    login = run_in_production(
        "from django.urls import reverse; print(reverse('admin:index'), reverse('admin-login'))", ADMIN_URL="ops-7f3/"
    )
    assert login == "/ops-7f3/ /ops-7f3/login/"


@pytest.mark.django_db
def test_admin_login_requires_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("admin:login"), {"username": "ops", "password": "whatever"})
    assert response.status_code == 403
    assert b"CSRF" in response.content


# --- admin login rate limit -------------------------------------------------------------------------


def _login(username, password, ip):
    return Client(REMOTE_ADDR=ip).post(reverse("admin:login"), {"username": username, "password": password})


def _fresh_ip():
    return f"203.0.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


@pytest.fixture
def staff_user(db):
    username = f"ops-{uuid.uuid4().hex[:8]}"  # counters live in the shared cache: never reuse a name
    get_user_model().objects.create_user(username, password="correct-horse-battery", is_staff=True)
    return username


@override_settings(ADMIN_LOGIN_RATE_PER_USERNAME="3/15m", ADMIN_LOGIN_RATE_PER_IP="100/15m")
def test_admin_login_is_locked_per_username_after_repeated_failures(staff_user, frozen_clock):
    for _ in range(3):
        response = _login(staff_user, "wrong", _fresh_ip())  # a different address each time
        assert response.status_code == 200 and b"correct username and password" in response.content
    locked = _login(staff_user, "correct-horse-battery", _fresh_ip())
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert _login(f"{staff_user}-other", "wrong", _fresh_ip()).status_code == 200  # other users unaffected


@override_settings(ADMIN_LOGIN_RATE_PER_USERNAME="100/15m", ADMIN_LOGIN_RATE_PER_IP="3/15m")
def test_admin_login_is_locked_per_address_after_repeated_failures(staff_user, frozen_clock):
    ip = _fresh_ip()
    for attempt in range(3):
        assert _login(f"guess-{attempt}-{uuid.uuid4().hex[:6]}", "wrong", ip).status_code == 200
    assert _login(staff_user, "correct-horse-battery", ip).status_code == 429
    assert _login(staff_user, "correct-horse-battery", _fresh_ip()).status_code == 302  # other addresses log in


@pytest.mark.django_db(transaction=True)
@override_settings(ADMIN_LOGIN_RATE_PER_USERNAME="5/15m", ADMIN_LOGIN_RATE_PER_IP="1000/15m")
def test_concurrent_wrong_passwords_reach_at_most_the_limit_of_password_checks(frozen_clock):
    """40 wrong passwords for one user at once (threads, each with its own connection): the count
    is taken before the password is checked, so only 5 of them get to check it."""
    username = f"ops-{uuid.uuid4().hex[:8]}"
    get_user_model().objects.create_user(username, password="correct-horse-battery", is_staff=True)
    checks, lock, start = [], threading.Lock(), threading.Barrier(40)

    def count_check(sender, credentials, **kwargs):
        with lock:
            checks.append(credentials.get("username"))

    def attempt(_):
        start.wait()
        try:
            return _login(username, "wrong", _fresh_ip()).status_code
        finally:
            connections.close_all()

    user_login_failed.connect(count_check)
    try:
        with connections_taking_turns(40), ThreadPoolExecutor(max_workers=40) as pool:
            statuses = list(pool.map(attempt, range(40)))
    finally:
        user_login_failed.disconnect(count_check)
    assert len(checks) <= 5, len(checks)
    assert statuses.count(429) >= 35


@override_settings(ADMIN_LOGIN_RATE_PER_USERNAME="100/15m", ADMIN_LOGIN_RATE_PER_IP="1/15m")  # a check costs a hash
def test_admin_login_counts_an_ipv6_64_and_an_ipv4_mapped_address_as_one_client(db, still_clock):
    """Repro: counted per exact address, 30 addresses of one IPv6 /64 (a single subscriber's)
    got 30 password checks, and `::ffff:a.b.c.d` was another client than a.b.c.d."""
    network = ipaddress.IPv6Network((0x2001_0DB8 << 96 | (uuid.uuid4().int & 0xFFFF_FFFF) << 64, 64))
    ipv4 = _fresh_ip()
    checks = []

    def count_check(sender, credentials, **kwargs):
        checks.append(credentials.get("username"))

    user_login_failed.connect(count_check)
    try:
        from_64 = [_login(f"guess-{uuid.uuid4().hex[:8]}", "wrong", str(network[n * 65_537 + 1])).status_code
                   for n in range(30)]
        mapped = [_login(f"guess-{uuid.uuid4().hex[:8]}", "wrong", address).status_code
                  for address in (f"::ffff:{ipv4}", ipv4)]
    finally:
        user_login_failed.disconnect(count_check)

    assert from_64 == [200] + [429] * 29 and mapped == [200, 429]
    assert len(checks) == 2


@pytest.mark.parametrize("address, bucket", [
    ("203.0.113.9", "203.0.113.9"),
    ("::ffff:203.0.113.9", "203.0.113.9"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("2001:DB8:1:2::ffff", "2001:db8:1:2::/64"),
    ("fe80::1%eth0", "fe80::/64"),
    ("testclient", "testclient"),
    ("", ""),
])
def test_ip_bucket(address, bucket):
    assert ip_bucket(address) == bucket


@override_settings(ADMIN_LOGIN_RATE_PER_USERNAME="2/15m", ADMIN_LOGIN_RATE_PER_IP="2/15m")
def test_successful_admin_logins_are_not_counted(staff_user):
    ip = _fresh_ip()
    for _ in range(4):
        assert _login(staff_user, "correct-horse-battery", ip).status_code == 302


# --- webhook body limits ------------------------------------------------------------------------------


@pytest.fixture
def open_webhook(db):
    webhook, provider = make_webhook(rate_limit=10**6), make_provider(rate_limit=10**6)
    return f"/api/v1/webhooks/{webhook.webhook_id}/leads/", {"X-Provider-Id": provider.provider_id}


def test_webhook_body_over_1_mb_is_413(open_webhook, settings):
    url, headers = open_webhook
    body = json.dumps({"notes": "x" * settings.WEBHOOK_MAX_BODY_BYTES}).encode()
    response = Client().post(url, data=body, content_type="application/json", headers=headers)
    assert_webhook_error(response, 413, code="body_too_large")


def _nested(depth):
    value = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    "body",
    [json.dumps({"first_name": _nested(MAX_JSON_DEPTH)}).encode(), b"[" * 500_000],
    ids=["one-level-too-deep", "half-a-megabyte-of-brackets"],
)
def test_webhook_json_nested_too_deep_is_400_naming_the_problem(open_webhook, body):
    url, headers = open_webhook
    response = Client().post(url, data=body, content_type="application/json", headers=headers)
    body = assert_webhook_error(response, 400, code="json_too_deep")
    assert f"more than {MAX_JSON_DEPTH} levels" in body["reason"]


@pytest.mark.django_db
def test_partner_api_json_nested_too_deep_is_400_not_500():
    _, client = workspace_with_key()
    for body in (json.dumps(_nested(MAX_JSON_DEPTH + 1)), "[" * 100_000):
        response = client.post("/api/v1/leads/", data=body, content_type="application/json")
        assert "levels deep" in assert_error(response, 400, code="parse_error")["message"]


# --- SSRF guard ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "ff02::1"],
)
def test_non_public_addresses_are_blocked(address):
    assert address_blocked(address)


@pytest.mark.parametrize(
    "address",
    ["2002:7f00:1::1", "2002:808:808::1", "2001:0:4136:e378:8000:63bf:f5ff:fffe", "64:ff9b::a00:1",
     "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe"],
)
def test_ipv6_forms_that_embed_an_ipv4_are_blocked(address):
    """6to4 always; Teredo and NAT64 when the IPv4 they carry is private (10/8, loopback, metadata)."""
    assert address_blocked(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_not_blocked(address):
    assert not address_blocked(address)


@override_settings(OUTBOUND_ALLOW_PRIVATE_TARGETS=False)
@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/hook", "http://localhost/hook", "https://169.254.169.254/latest/meta-data/",
     "http://[::1]/hook", "http://10.0.0.5/hook", "http://[::ffff:192.168.0.1]/hook", "ftp://93.184.216.34/x",
     "http://no-such-host.invalid/hook"],
)
def test_private_or_unresolvable_outbound_urls_are_refused(url):
    with pytest.raises(ValidationError):
        outbound_url_check(url)


@override_settings(OUTBOUND_ALLOW_PRIVATE_TARGETS=False)
def test_a_public_outbound_url_is_accepted():
    outbound_url_check("https://93.184.216.34/hooks/leadhub")


@override_settings(OUTBOUND_ALLOW_PRIVATE_TARGETS=True)
def test_private_targets_are_allowed_when_the_setting_says_so():
    outbound_url_check("http://127.0.0.1:8000/hook")


def _resolve_hostname_to(monkeypatch, address):
    """DNS under the test's control: 'partner.example' resolves to `address`."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "partner.example":
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.django_db
@override_settings(OUTBOUND_ALLOW_PRIVATE_TARGETS=False)
def test_partner_api_refuses_a_webhook_url_that_resolves_to_a_private_address(monkeypatch):
    _resolve_hostname_to(monkeypatch, "10.20.30.40")
    workspace, client = workspace_with_key()
    response = client.post("/api/v1/workspace/webhook/", {"outbound_webhook_url": "https://partner.example/hook"})
    assert_error(response, 422, field="outbound_webhook_url")
    workspace.refresh_from_db()
    assert workspace.outbound_webhook_url == ""


@pytest.mark.django_db
@override_settings(OUTBOUND_ALLOW_PRIVATE_TARGETS=False)
def test_forwarding_rule_target_is_checked_on_save(monkeypatch):
    _resolve_hostname_to(monkeypatch, "169.254.169.254")
    rule = LeadForwardingRule(webhook_id="wh-ssrf", name="to partner", target_url="https://partner.example/in")
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert "target_url" in refused.value.message_dict


@pytest.mark.django_db
@override_settings(OUTBOUND_ALLOW_PRIVATE_TARGETS=False)
def test_dns_rebinding_is_refused_at_delivery_and_not_retried(monkeypatch):
    """Saved while the name resolved publicly; by delivery time it points at our loopback."""
    with WebhookReceiver([200]) as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        _resolve_hostname_to(monkeypatch, "93.184.216.34")
        workspace = make_workspace(webhook_active=True, outbound_webhook_url=f"http://partner.example:{port}/hooks/leadhub")
        workspace.full_clean()  # passes: public at save time
        _resolve_hostname_to(monkeypatch, "127.0.0.1")
        event = outbox_emit(workspace=workspace, event_type=EventType.LEAD_ASSIGNED, data={"lead_id": 1}, contact_id=1)
        delivered = outbox_deliver(event_id=event.pk)
    assert receiver.requests == []
    assert delivered.status == DeliveryStatus.FAILED and delivered.next_attempt_at is None
    assert "refused" in delivered.attempt_log.get().error


@pytest.mark.django_db
@override_settings(OUTBOUND_ALLOW_PRIVATE_TARGETS=True)
def test_loopback_delivery_works_when_allowed():
    with WebhookReceiver([200]) as receiver:
        workspace = make_workspace(webhook_active=True, outbound_webhook_url=receiver.url)
        event = outbox_emit(workspace=workspace, event_type=EventType.LEAD_ASSIGNED, data={"lead_id": 1}, contact_id=1)
        assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.DELIVERED
    assert len(receiver.requests) == 1


# --- log redaction ------------------------------------------------------------------------------------


def test_log_filter_masks_key_and_secret_shaped_strings(caplog):
    import logging

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "got %s with Authorization: Bearer %s",
                               ("lhp_AAAAbbbbCCCCdddd1234", "opaque-token-9"), None)
    RedactSecretsFilter().filter(record)
    message = record.getMessage()
    assert "AAAAbbbb" not in message and "opaque-token-9" not in message
    assert message.count(REDACTED) == 2


# --- NUL characters (PostgreSQL cannot store them) ------------------------------------------------


def test_webhook_json_with_a_nul_character_is_400(open_webhook):
    url, headers = open_webhook
    body = json.dumps({"first_name": "Ada\u0000", "last_name": "L", "email": "a@example.com"}).encode()
    response = Client().post(url, data=body, content_type="application/json", headers=headers)
    assert_webhook_error(response, 400, code="nul_character")


def test_webhook_form_with_a_nul_character_is_400(open_webhook):
    url, headers = open_webhook
    response = Client().post(url, data=b"first_name=Ada%00&phone=4152002000",
                             content_type="application/x-www-form-urlencoded", headers=headers)
    assert_webhook_error(response, 400, code="nul_character")


def test_refused_body_with_nul_bytes_is_kept_as_a_rejected_submission(open_webhook):
    from providers.models import RejectedSubmission

    url, headers = open_webhook
    response = Client().post(url, data=b"{\x00 not json", content_type="application/json", headers=headers)
    assert_webhook_error(response, 400, code="malformed_json")
    assert "\x00" not in RejectedSubmission.objects.get(request_id=response["X-Request-ID"]).raw_body


@pytest.mark.django_db
def test_webhook_id_with_a_nul_character_is_404():
    response = Client().post("/api/v1/webhooks/wh%00x/leads/", data=b"{}", content_type="application/json",
                             headers={"X-Provider-Id": "p\x00"})
    assert_webhook_error(response, 404, code="webhook_not_found")


@pytest.mark.django_db
def test_partner_api_json_with_a_nul_character_is_400():
    _, client = workspace_with_key()
    response = client.post("/api/v1/leads/", data=json.dumps({"lead_type": "solar", "first_name": "A\u0000"}),
                           content_type="application/json")
    assert "NUL" in assert_error(response, 400, code="parse_error")["message"]
