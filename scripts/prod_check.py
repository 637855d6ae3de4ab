#!/usr/bin/env python
"""`make prod-check`: prove the production setup starts and works end to end.

Against the local PostgreSQL (a throwaway database) and Redis (db 14 unless STACK_REDIS_URL), in
DJANGO_ENV=production: migrate, collectstatic, `check --deploy` (warnings fail), then gunicorn +
Celery worker + beat. Then, over HTTP: /healthz reports database and Redis ok; plain http is
redirected to https and proxied https answers with HSTS (SECURE_PROXY_SSL_HEADER is honoured);
a signed lead posted to the webhook is accepted, and the lead forwarding rule's event arrives,
signed, at a local receiver. Everything is stopped and dropped; exit status 1 on any failure.
"""
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.stack import Stack  # noqa: E402

API_KEY = "lhp_prod-check-0123456789abcdef"
WEBHOOK_SECRET = "whsec-prod-check-0123456789abcdef"
DELIVERY_DEADLINE_SECONDS = 30


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print(f"  ok  {message}")


def set_up_data(receiver_url):
    """A provider, its signed webhook and a workspace with a receiver buying its leads by an offer."""
    from distribution.models import Offer, OfferFilter
    from leadhub.keys import key_digest
    from providers.models import LeadSourceProvider, WebhookConfig
    from workspaces.models import Workspace

    webhook = WebhookConfig.objects.create(webhook_id="prod-check", name="Prod check", lead_type="solar",
                                           secret_key=WEBHOOK_SECRET, distribution_strategy="priority")
    LeadSourceProvider.objects.create(provider_id="prod-check", provider_name="Prod check",
                                      api_key=key_digest(API_KEY))
    # A buyer that calls consumers would see a night-time delivery wait for the consumer's
    # calling window; the check runs at any hour and asserts the delivery within seconds.
    workspace = Workspace.objects.create(id="prod-check", name="Prod check", outbound_webhook_url=receiver_url,
                                         webhook_active=True, calls_consumers=False)
    offer = Offer.objects.create(workspace=workspace, name="Prod check", zero_price_reason="prod check")
    OfferFilter.objects.create(offer=offer, column="webhook_id", op="eq", value=webhook.webhook_id)
    return workspace


def run(stack):
    from leadhub.signing import sign
    from leadhub.receiver import WebhookReceiver

    status, _, body = stack.request("GET", "/healthz")
    health = json.loads(body)
    check(status == 200 and health["database"] == "ok" and health["redis"] == "ok", f"/healthz: {health}")

    status, headers, _ = stack.request("GET", "/admin/login/", proxied=False)
    check(status == 301 and headers.get("Location", "").startswith("https://"),
          f"plain http is redirected to https ({status} → {headers.get('Location')})")
    status, _, _ = stack.request("GET", "/healthz", proxied=False)
    check(status == 200, f"/healthz answers load-balancer probes over plain http ({status})")

    with WebhookReceiver([200]) as receiver:
        workspace = set_up_data(receiver.url)
        lead = {
            "first_name": "Prod", "last_name": "Check", "email": "prod-check@example.com",
            "phone": "(415) 201-0199", "zip_code": "94105",
            "consent": {"description": "Yes, call me.", "value": True}, "tcpa_compliance": True,
        }
        raw = json.dumps(lead).encode()
        status, headers, body = stack.request("POST", "/api/v1/webhooks/prod-check/leads/", body=raw, headers={
            "Content-Type": "application/json", "X-Provider-Id": "prod-check", "X-Api-Key": API_KEY,
            "X-Leadhub-Signature": sign(WEBHOOK_SECRET, raw),
        })
        check(status == 201, f"signed lead accepted over HTTPS-behind-proxy: {status} {body[:300]!r}")
        check("max-age=" in headers.get("Strict-Transport-Security", ""), "HSTS header present")
        lead_id = json.loads(body)["lead_id"]

        # The sale also sends lead.sold; the worker may deliver either first.
        deadline = time.monotonic() + DELIVERY_DEADLINE_SECONDS
        while not _assigned(receiver.requests, lead_id) and time.monotonic() < deadline:
            stack.assert_running()
            time.sleep(0.2)
        delivered = _assigned(receiver.requests, lead_id)
        check(delivered, f"the forwarded lead reached the receiver as lead.assigned (the forwarding rule to a workspace "
                         f"is its offer) within {DELIVERY_DEADLINE_SECONDS} s")
        signature = delivered["headers"]["X-Leadhub-Signature"]
        timestamp = signature.split(",")[0].removeprefix("t=")
        check(signature == sign(workspace.webhook_secret, delivered["body"], t=int(timestamp)),
              "delivery is signed with the workspace's signing secret")
    stack.assert_running()
    beat_log = (stack.logs / "beat.log").read_text()
    check("beat: Starting" in beat_log, "beat is running")


def _assigned(requests, lead_id):
    for request in list(requests):
        envelope = json.loads(request["body"])
        if envelope["type"] == "lead.assigned" and envelope["data"]["lead_id"] == lead_id:
            return request
    return None


def main():
    print("prod-check: starting gunicorn + worker + beat in production settings …")
    started = time.monotonic()
    try:
        with Stack("prodcheck") as stack:
            stack.django_setup()
            try:
                run(stack)
            except BaseException:
                for name in stack.processes:
                    print(stack.log_tail(name), file=sys.stderr)
                raise
    except Exception as exc:
        print(f"prod-check FAILED: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"prod-check passed in {time.monotonic() - started:.1f} s (everything stopped, database dropped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
