#!/usr/bin/env python
"""How much `rejected_submissions` grows under a flood of unauthenticated 1 MB posts (a script).

    DATABASE_URL=postgres://... .venv/bin/python bench/rejected_storage.py [--posts 10000]

Runs the real webhook gate in process (Django test client, one client IP) against the given
PostgreSQL database, after migrating it: posts cycle through an unknown webhook, an unknown
provider and a wrong API key. Prints the growth of the refused posts and their tallies
(pg_total_relation_size: heap, TOAST and indexes) against the target of at most 2 MB.
"""
import argparse
import json
import logging
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_BYTES = 2 * 1024 * 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
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
    from providers.models import LeadSourceProvider, WebhookConfig
    from providers.services import provider_key_rotate

    settings.ALLOWED_HOSTS = ["*"]
    logging.disable(logging.WARNING)  # django.request logs every 401/404
    call_command("migrate", verbosity=0)
    run = uuid.uuid4().hex[:8]
    webhook = WebhookConfig.objects.create(webhook_id=f"bench-wh-{run}", name=f"Bench {run}", lead_type=LeadType.SOLAR)
    provider = LeadSourceProvider.objects.create(provider_id=f"bench-prov-{run}", provider_name=f"Bench {run}")
    provider_key_rotate(provider=provider)
    body = json.dumps({"first_name": "A", "notes": "x" * (settings.WEBHOOK_MAX_BODY_BYTES - 100)}).encode()
    targets = [
        (f"/api/v1/webhooks/{'bench-nowhere-' + run}/leads/", {"X-Provider-Id": provider.provider_id}),
        (f"/api/v1/webhooks/{webhook.webhook_id}/leads/", {"X-Provider-Id": "bench-nobody-" + run}),
        (f"/api/v1/webhooks/{webhook.webhook_id}/leads/", {"X-Provider-Id": provider.provider_id,
                                                           "X-Api-Key": "lhp_wrong"}),
    ]
    client = Client(REMOTE_ADDR="203.0.113.250")

    def table_bytes():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size('rejected_submissions')"
                           " + pg_total_relation_size('rejected_submission_tallies')")
            return cursor.fetchone()[0]

    before, started, statuses = table_bytes(), time.monotonic(), {}
    for n in range(args.posts):
        path, headers = targets[n % len(targets)]
        status = client.post(path, data=body, content_type="application/json", headers=headers).status_code
        statuses[status] = statuses.get(status, 0) + 1
    elapsed = time.monotonic() - started
    growth = table_bytes() - before
    print(f"{args.posts} unauthenticated posts of {len(body):,} bytes from one IP in {elapsed:.1f} s; "
          f"statuses {statuses}")
    print(f"rejected_submissions + tallies grew by {growth:,} bytes ({growth / 1024 / 1024:.2f} MB); "
          f"target <= 2 MB: {'met' if growth <= TARGET_BYTES else 'MISSED'}")
    return 0 if growth <= TARGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
