#!/usr/bin/env python
"""Mixed-workload load test of the production stack (a script, not a test).

    .venv/bin/python bench/load.py [--seconds 60] [--clients 8]

Starts gunicorn + a Celery worker (scripts/stack.py: DJANGO_ENV=production, DEBUG off, loopback
receivers allowed) against a throwaway PostgreSQL database (dropped at the end) and the local
Redis (db 14 or STACK_REDIS_URL, a key prefix of its own). Creates 20 providers, each with an
auto-assigning webhook, and 20 workspaces, each with a key, a lead offer for its own ZIP and
an outbound webhook to a local receiver; rate limits are raised for the run. Then, for
`--seconds`: 80 % signed lead posts from the 20 providers, 15 % partner API reads
(GET /api/v1/leads/), 5 % conversions (POST /api/v1/conversions/ for a lead assigned to the
caller). Prints throughput, p50/p99 per operation and the error count; afterwards checks that
every accepted lead exists exactly once, that the webhook, usage and conversion aggregates match
their rows, and waits for the outbox to drain. Exit status 1 if any error or mismatch.
"""
import argparse
import json
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.stack import Stack  # noqa: E402

SOURCES = 20
MIX = (("lead_post", 0.80), ("partner_read", 0.15), ("conversion", 0.05))
DRAIN_SECONDS = 120


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of the measured run (default 60)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    return parser.parse_args()


def set_up(receiver_url):
    """20 providers/webhooks and 20 workspaces; returns what the clients need to sign and call."""
    from leadhub.keys import key_digest
    from providers.models import LeadSourceProvider, WebhookConfig
    from workspaces.models import Scope, Workspace
    from distribution.models import Offer
    from workspaces.services import workspace_key_rotate

    sources, workspaces = [], []
    for n in range(SOURCES):
        webhook = WebhookConfig.objects.create(
            webhook_id=f"load-{n:02d}", name=f"Load {n}", lead_type="solar", secret_key=f"load-secret-{n:02d}-abcdef",
            distribution_strategy="priority", rate_limit=10_000_000, rate_window=60,
        )
        api_key = f"lhp_load-provider-{n:02d}-0123456789"
        LeadSourceProvider.objects.create(
            provider_id=f"load-{n:02d}", provider_name=f"Load {n}", api_key=key_digest(api_key),
            rate_limit=10_000_000, allowed_webhooks=[webhook.webhook_id],
        )
        sources.append({"webhook": webhook.webhook_id, "secret": webhook.secret_key, "provider": f"load-{n:02d}",
                        "api_key": api_key})
        workspace = Workspace.objects.create(
            id=f"load-ws-{n:02d}", name=f"Load workspace {n}", permissions=list(Scope.values),
            outbound_webhook_url=receiver_url, webhook_active=True, metadata={"api_rate": "1000000/min"},
        )
        Offer.objects.create(workspace=workspace, zip_codes=[zip_of(n)], products=["solar"], zero_price_reason="load test")
        workspaces.append({"id": workspace.pk, "key": workspace_key_rotate(workspace=workspace)})
    return sources, workspaces


def zip_of(n):
    return f"{94100 + n:05d}"


class Client(threading.Thread):
    """One keep-alive connection running the mix until `stop`; records (operation, seconds, ok)."""

    def __init__(self, stack, sources, workspaces, shared, stop, seed):
        super().__init__(daemon=True)
        self.stack, self.sources, self.workspaces = stack, sources, workspaces
        self.shared, self.stop = shared, stop
        self.rng = random.Random(seed)
        self.seed = seed
        self.samples = []
        self.errors = []
        self.sequence = 0

    def run(self):
        from leadhub.signing import sign

        self.sign = sign
        conn = self.stack.connection()
        operations = [name for name, _ in MIX]
        weights = [weight for _, weight in MIX]
        while not self.stop.is_set():
            operation = self.rng.choices(operations, weights)[0]
            if operation == "conversion" and not self.shared["by_workspace"]:
                operation = "lead_post"  # nothing assigned yet to convert
            started = time.monotonic()
            try:
                ok, detail = getattr(self, operation)(conn)
            except Exception as exc:  # a dropped connection etc. counts as an error, then reconnect
                ok, detail = False, f"{exc.__class__.__name__}: {exc}"
                conn.close()
                conn = self.stack.connection()
            self.samples.append((operation, time.monotonic() - started, ok))
            if not ok:
                self.errors.append((operation, detail))
        conn.close()

    def lead_post(self, conn):
        self.sequence += 1
        n = self.rng.randrange(SOURCES)
        source = self.sources[n]
        serial = self.seed * 1_000_000 + self.sequence
        phone = f"+1415{2000000 + serial % 8000000:07d}"
        zone = self.rng.randrange(SOURCES)
        raw = json.dumps({
            "first_name": "Load", "last_name": f"Test{serial}", "email": f"load{serial}@example.com",
            "phone": phone, "zip_code": zip_of(zone),
            "consent": {"description": "Yes, call me.", "value": True}, "tcpa_compliance": True,
        }).encode()
        status, _, body = self.stack.request("POST", f"/api/v1/webhooks/{source['webhook']}/leads/", raw, {
            "Content-Type": "application/json", "X-Provider-Id": source["provider"], "X-Api-Key": source["api_key"],
            "X-Leadhub-Signature": self.sign(source["secret"], raw),
        }, conn=conn)
        if status != 201:
            return False, f"{status} {body[:200]!r}"
        lead_id = json.loads(body)["lead_id"]
        with self.shared["lock"]:
            self.shared["accepted"].append((lead_id, source["webhook"], phone))
            self.shared["by_workspace"][zone].append(lead_id)
        return True, ""

    def partner_read(self, conn):
        workspace = self.rng.choice(self.workspaces)
        status, _, body = self.stack.request("GET", "/api/v1/leads/?page_size=25", headers={
            "Authorization": f"Bearer {workspace['key']}"}, conn=conn)
        return status == 200, f"{status} {body[:200]!r}"

    def conversion(self, conn):
        with self.shared["lock"]:
            zone = self.rng.choice(sorted(self.shared["by_workspace"]))
            candidates = self.shared["by_workspace"][zone][-50:]
        lead_id = self.rng.choice(candidates)
        value = Decimal(self.rng.randrange(1000, 500000)) / 100
        workspace = self.workspaces[zone]
        status, _, body = self.stack.request("POST", "/api/v1/conversions/", json.dumps({
            "lead_id": lead_id, "conversion_type": "sale", "conversion_value": str(value),
        }).encode(), {"Content-Type": "application/json", "Authorization": f"Bearer {workspace['key']}"}, conn=conn)
        if status != 201:
            return False, f"{status} {body[:200]!r}"
        with self.shared["lock"]:
            self.shared["conversions"].append(json.loads(body).get("id"))
        return True, ""


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(samples, seconds):
    print(f"\n{'operation':<14}{'count':>8}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    by_operation = defaultdict(list)
    for operation, took, ok in samples:
        by_operation[operation].append((took, ok))
    for operation, _ in MIX:
        rows = by_operation.get(operation, [])
        times = [took * 1000 for took, _ in rows] or [0]
        print(f"{operation:<14}{len(rows):>8}{len(rows) / seconds:>9.1f}{statistics.median(times):>9.1f}"
              f"{percentile(times, 0.99):>9.1f}{sum(1 for _, ok in rows if not ok):>8}")
    total = len(samples)
    print(f"{'all':<14}{total:>8}{total / seconds:>9.1f}")


def verify(shared):
    """Every accepted lead exactly once; counters and aggregates equal to their rows."""
    from django.db.models import Count, Sum

    from contacts.models import Contact
    from conversions.models import Conversion
    from conversions.selectors import contact_aggregate_drift, workspace_aggregate_drift
    from leads.models import Lead
    from providers.models import ProviderUsageLog, WebhookConfig

    problems = []
    accepted = shared["accepted"]
    ids = [lead_id for lead_id, _, _ in accepted]
    if len(set(ids)) != len(ids):
        problems.append(f"{len(ids) - len(set(ids))} lead ids were answered twice")
    leads = Lead.objects.filter(webhook_id__startswith="load-")
    stored = dict(leads.values_list("pk", "phone"))
    missing = [lead_id for lead_id in ids if lead_id not in stored]
    extra = set(stored) - set(ids)
    if missing:
        problems.append(f"{len(missing)} accepted lead(s) missing, e.g. {missing[:5]}")
    if extra:
        problems.append(f"{len(extra)} lead(s) stored but never acknowledged, e.g. {sorted(extra)[:5]}")
    duplicated_phones = leads.values("phone").annotate(n=Count("pk")).filter(n__gt=1).count()
    if duplicated_phones:
        problems.append(f"{duplicated_phones} phone(s) have more than one lead (each was posted once)")
    if Contact.objects.filter(webhook_id__startswith="load-").count() != len(ids):
        problems.append("contacts ≠ accepted leads (every post had a new phone)")
    per_webhook = dict(leads.values("webhook_id").annotate(n=Count("pk")).values_list("webhook_id", "n"))
    for webhook_id, total in WebhookConfig.objects.filter(webhook_id__startswith="load-").values_list(
            "webhook_id", "total_leads"):
        if total != per_webhook.get(webhook_id, 0):
            problems.append(f"webhook {webhook_id}: total_leads {total} ≠ {per_webhook.get(webhook_id, 0)} rows")
    usage = ProviderUsageLog.objects.filter(provider__provider_id__startswith="load-").aggregate(n=Sum("request_count"))["n"]
    if (usage or 0) != len(ids):
        problems.append(f"provider usage log counts {usage} requests, {len(ids)} leads were accepted")
    if Conversion.objects.count() != len(shared["conversions"]):
        problems.append(f"{Conversion.objects.count()} conversions stored, {len(shared['conversions'])} acknowledged")
    contacts_drift, workspaces_drift = contact_aggregate_drift().count(), workspace_aggregate_drift().count()
    if contacts_drift or workspaces_drift:
        problems.append(f"aggregate drift: {contacts_drift} contact(s), {workspaces_drift} workspace(s)")
    print(f"\nverified: {len(ids)} accepted leads, each stored exactly once; {len(shared['conversions'])} "
          f"conversions; webhook counters, usage log and conversion aggregates "
          f"{'match their rows' if not problems else 'checked'}")
    return problems


def drain_outbox(receiver):
    from django.db.models import Count

    from workspaces.models import DeliveryStatus, OutboundEvent

    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        pending = OutboundEvent.objects.filter(status=DeliveryStatus.PENDING).count()
        if not pending:
            break
        time.sleep(1)
    counts = dict(OutboundEvent.objects.values_list("status").annotate(n=Count("pk")).order_by())
    unique = len(set(receiver.event_ids))
    print(f"outbox: {counts}; receiver got {len(receiver.requests)} POSTs for {unique} distinct events")
    problems = []
    if counts.get(DeliveryStatus.PENDING) or counts.get(DeliveryStatus.FAILED):
        problems.append(f"outbox not drained within {DRAIN_SECONDS} s: {counts}")
    if unique != counts.get(DeliveryStatus.DELIVERED, 0):
        problems.append(f"receiver saw {unique} distinct events, {counts.get(DeliveryStatus.DELIVERED, 0)} delivered")
    return problems


def main():
    args = parse_args()
    from leadhub.receiver import WebhookReceiver

    print(f"load: gunicorn ({args.web_workers}×4 threads) + worker ({args.worker_concurrency}) in production "
          f"settings; {args.clients} clients for {args.seconds} s …")
    with Stack("load", web_workers=args.web_workers, worker_concurrency=args.worker_concurrency, beat=True,
               extra_env={"WORKSPACE_API_RATE": "1000000/min", "OUTBOX_SWEEP_SECONDS": "5"}) as stack:
        stack.django_setup()
        with WebhookReceiver([200]) as receiver:
            sources, workspaces = set_up(receiver.url)
            shared = {"lock": threading.Lock(), "accepted": [], "by_workspace": defaultdict(list), "conversions": []}
            stop = threading.Event()
            clients = [Client(stack, sources, workspaces, shared, stop, seed) for seed in range(1, args.clients + 1)]
            started = time.monotonic()
            for client in clients:
                client.start()
            time.sleep(args.seconds)
            stop.set()
            for client in clients:
                client.join(60)
            elapsed = time.monotonic() - started
            samples = [sample for client in clients for sample in client.samples]
            errors = [error for client in clients for error in client.errors]
            report(samples, elapsed)
            print(f"errors: {len(errors)}")
            for operation, detail in errors[:10]:
                print(f"  {operation}: {detail}")
            stack.assert_running()
            problems = verify(shared) + drain_outbox(receiver)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    ok = not errors and not problems
    print("load: PASSED (zero errors, zero lost or duplicated rows)" if ok else "load: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
