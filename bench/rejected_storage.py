#!/usr/bin/env python
"""How much `rejected_submissions` grows under floods of refused webhook posts (a script).

    DATABASE_URL=postgres://... .venv/bin/python bench/rejected_storage.py \
        [--posts 10000] [--authenticated-posts 300] [--ipv6-posts 500]

Runs the real webhook gate in process (Django test client) against the given PostgreSQL
database, after migrating it, in three floods of posts of just under 1 MB of random text (which
TOAST cannot compress):

- unauthenticated, from one client IP: posts cycle through an unknown webhook, an unknown
  provider and a wrong API key;
- authenticated: a provider with a valid key (and one without a key, named by its id alone)
  whose posts are refused before the rate limits, for a bad signature, size (413) and content
  type (415), on a webhook allowed 10 posts per minute;
- unauthenticated from one IPv6 /64, each post from another address of it (a wrong API key).

Prints, per flood, the growth of the refused posts and their tallies (pg_total_relation_size:
heap, TOAST and indexes), the rows added and the answers, against the target of at most 2 MB.
A flood given 0 posts is skipped.
"""
import argparse
import base64
import ipaddress
import json
import logging
import os
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_BYTES = 2 * 1024 * 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000, help="unauthenticated posts from one IP")
    parser.add_argument("--authenticated-posts", type=int, default=300, help="refused posts of known providers")
    parser.add_argument("--ipv6-posts", type=int, default=500, help="unauthenticated posts from one IPv6 /64")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it is migrated, and refusals are added to it).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadhub.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from leadhub.choices import LeadType
    from providers.models import LeadSourceProvider, RejectedSubmission, WebhookConfig
    from providers.services.keys import provider_key_rotate
    from providers.signatures import SIGNATURE_HEADER, sign

    settings.ALLOWED_HOSTS = ["*"]
    logging.disable(logging.WARNING)  # django.request logs every refusal
    call_command("migrate", verbosity=0)
    run = uuid.uuid4().hex[:8]
    webhook = WebhookConfig.objects.create(webhook_id=f"bench-wh-{run}", name=f"Bench {run}", lead_type=LeadType.SOLAR)
    provider = LeadSourceProvider.objects.create(provider_id=f"bench-prov-{run}", provider_name=f"Bench {run}")
    raw_key = provider_key_rotate(provider=provider)
    # Random text: a repeated character would be compressed away by TOAST and hide what is kept.
    notes = base64.b64encode(os.urandom(settings.WEBHOOK_MAX_BODY_BYTES)).decode()[: settings.WEBHOOK_MAX_BODY_BYTES - 100]
    body = json.dumps({"first_name": "A", "notes": notes}).encode()
    oversized = body + b" " * 200

    def table_bytes():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size('rejected_submissions')"
                           " + pg_total_relation_size('rejected_submission_tallies')")
            return cursor.fetchone()[0]

    def flood(title, count, sends):
        """Post `count` times, cycling through `sends` (each: client, path, data, content type,
        headers), and print what it cost."""
        before, rows_before, started, statuses = table_bytes(), RejectedSubmission.objects.count(), time.monotonic(), Counter()
        for n in range(count):
            client, path, data, content_type, headers = sends(n)
            statuses[client.post(path, data=data, content_type=content_type, headers=headers).status_code] += 1
        elapsed = time.monotonic() - started
        growth, rows = table_bytes() - before, RejectedSubmission.objects.count() - rows_before
        print(f"{title}: {count} posts of {len(body):,} bytes in {elapsed:.1f} s; statuses {dict(sorted(statuses.items()))}")
        print(f"  rejected_submissions + tallies grew by {growth:,} bytes ({growth / 1024 / 1024:.2f} MB) in {rows} "
              f"rows; target <= 2 MB: {'met' if growth <= TARGET_BYTES else 'MISSED'}")
        return growth <= TARGET_BYTES

    met = []
    leads = f"/api/v1/webhooks/{webhook.webhook_id}/leads/"
    if args.posts:
        one_ip = Client(REMOTE_ADDR=str(ipaddress.IPv4Address(0xC6120000 | int(run, 16) % 0x20000)))  # in 198.18/15
        unauthenticated = [
            (f"/api/v1/webhooks/{'bench-nowhere-' + run}/leads/", {"X-Provider-Id": provider.provider_id}),
            (leads, {"X-Provider-Id": "bench-nobody-" + run}),
            (leads, {"X-Provider-Id": provider.provider_id, "X-Api-Key": "lhp_wrong"}),
        ]
        met.append(flood("Unauthenticated, one IP", args.posts,
                         lambda n: (one_ip, *unauthenticated[n % 3][:1], body, "application/json",
                                    unauthenticated[n % 3][1])))
    if args.authenticated_posts:
        signed = WebhookConfig.objects.create(webhook_id=f"bench-signed-{run}", name=f"Bench signed {run}",
                                              lead_type=LeadType.SOLAR, secret_key="whsec_bench", rate_limit=10,
                                              rate_window=60)
        keyless = LeadSourceProvider.objects.create(provider_id=f"bench-keyless-{run}", provider_name=f"Keyless {run}")
        path = f"/api/v1/webhooks/{signed.webhook_id}/leads/"
        client = Client(REMOTE_ADDR="2001:db8::1")
        wrong_signature = {SIGNATURE_HEADER: sign("not-the-secret", body)}
        authenticated = []
        for who in ({"X-Provider-Id": provider.provider_id, "X-Api-Key": raw_key}, {"X-Provider-Id": keyless.provider_id}):
            authenticated += [
                (client, path, body, "application/json", {**who, **wrong_signature}),
                (client, path, oversized, "application/json", who),
                (client, path, body, "text/plain", who),
            ]
        met.append(flood("Authenticated, refused before the rate limit (10/min)", args.authenticated_posts,
                         lambda n: authenticated[n % len(authenticated)]))
    if args.ipv6_posts:
        network = ipaddress.IPv6Network((0x2001_0DB8 << 96 | int(run, 16) << 64, 64))  # a /64 no earlier run used
        met.append(flood("Unauthenticated, one IPv6 /64", args.ipv6_posts,
                         lambda n: (Client(REMOTE_ADDR=str(network[n + 1])), leads, body, "application/json",
                                    {"X-Provider-Id": provider.provider_id, "X-Api-Key": "lhp_wrong"})))
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
