"""Distribution benchmark (a script, not a test).

    .venv/bin/python bench/distribution.py [--decisions 500] [--leads 600]

Creates BENCH_DATABASE (default leadhub_bench_distribution) on BENCH_PG_URL's server (default
postgres://postgres@127.0.0.1:5432), migrates it, then:
1. decision time: with 10, 1,000 and 5,000 lead offers (each 20 exact ZIPs, 2 ranges and a
   prefix, 1-2 of the lead types, priority 1-5, a filter on half of them), times `decide()` for
   `--decisions` random leads and counts the SQL queries of one full `lead_distribute` (decision
   row and assignment included);
2. webhook throughput: posts `--leads` leads through the real webhook view (Django test client,
   one thread) to a webhook without distribution, to one with strategy `priority`, and to one
   selling with `multisell` (2 buyers, a share payout) while the 3 buyers' offers are priced,
   capped per offer (count per day, spend per week) and per buyer (count per hour), interleaved
   in one run. 80 % of the leads are in ZIPs that 3 buyers' offers cover: for `priority`, 3 buyers
   with plain offers (the engine alone); for `multisell`, 3 others whose offers have prices, an
   exclusive price, a duplicate window and the caps.
Prints the figures and the ratios against the targets (5,000 ≤ 2× 10; on ≥ 0.7× off; selling
with caps and multisell ≥ 0.6× off). The database is dropped at the end unless --keep.
"""
import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("BENCH_DATABASE", "leadhub_bench_distribution")
SIZES = (10, 1000, 5000)
LEAD_TYPES = ["solar", "hvac", "insurance"]
MATCHED_ZIPS = ["94105", "94107", "94110", "94117", "94122"]  # the plain buyers' (no other offer covers them)
SELLING_ZIPS = ["95014", "95030", "95050", "95110", "95125"]  # the priced and capped buyers' (neither)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=500)
    parser.add_argument("--leads", type=int, default=600, help="webhook posts per side")
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


def admin_sql(statement):
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def add_offers(rng, workspaces, count):
    """Bulk-insert `count` offers and their derived rows (the same `where_values` save uses)."""
    from distribution.models import Offer, OfferFilter, OfferProduct, OfferWhere, product_values, where_values

    offers = []
    for n in range(count):
        zips = {f"{rng.randint(10000, 89999):05d}" for _ in range(20)}
        low = rng.randint(10000, 89000)
        entries = sorted(zips) + [f"{low:05d}-{low + rng.randint(10, 200):05d}", f"{rng.randint(100, 899)}*"]
        offers.append(Offer(workspace=workspaces[n % len(workspaces)], zip_codes=entries,
                            products=rng.sample(LEAD_TYPES, rng.randint(1, 2)), priority=rng.randint(1, 5)))
    offers = Offer.objects.bulk_create(offers, batch_size=2000)
    OfferWhere.objects.bulk_create((OfferWhere(offer=o, **row) for o in offers for row in where_values(o)),
                                   batch_size=5000)
    OfferProduct.objects.bulk_create((OfferProduct(offer=o, product=p) for o in offers for p in product_values(o)),
                                     batch_size=5000)
    OfferFilter.objects.bulk_create(OfferFilter(offer=o, column="monthly_electric_bill", op="gte", value="100")
                                    for o in offers[::2])


def lead_fields(rng, zips=MATCHED_ZIPS):
    matched = rng.random() < 0.8
    return {
        "zip_code": rng.choice(zips) if matched else f"{rng.randint(10000, 89999):05d}",
        "monthly_electric_bill": rng.choice([80, 150, 250]),
    }


def time_decisions(rng, count):
    from django.db import connection

    from distribution.engine import decide
    from leads.models import Lead

    subjects = [Lead(lead_type="solar", held_for_consent=False, state="CA", **lead_fields(rng)) for _ in range(count)]
    run = lambda lead: decide(kind="lead", subject=lead, zip_code=lead.zip_code, state=lead.state,  # noqa: E731
                              product=lead.lead_type, strategy="priority", key="bench")
    for lead in subjects[:50]:
        run(lead)
    seconds = []
    queries = []
    with connection.execute_wrapper(lambda execute, *a: (queries.append(1), execute(*a))[1]):
        for lead in subjects:
            started = time.perf_counter()
            run(lead)
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), statistics.fmean(seconds), len(queries) / count


def bench_phone(n: int) -> str:
    """A distinct valid US number per n (exchange 200-999, so every one normalises)."""
    return f"415{200 + n // 10_000 % 800:03d}{n % 10_000:04d}"


def bench_webhook(webhook_id, **fields):
    from leadhub.choices import LeadType
    from providers.models import WebhookConfig

    return WebhookConfig.objects.create(webhook_id=webhook_id, name=webhook_id, lead_type=LeadType.SOLAR, **fields)


_DECISION_PHONES = itertools.count(9_000_000)  # never a phone twice: the duplicate window stays out of the way


def full_distribution_queries(rng, webhook, zips=MATCHED_ZIPS, strategy="priority"):
    """Queries of one `lead_distribute` (lock, candidates, decision, assignment; selling: the
    duplicate check, cap usage, sales, ledger entries and cap claims too)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from distribution.services import lead_distribute
    from leads.services.ingest import lead_ingest

    counts = []
    for _ in range(20):
        lead = lead_ingest(webhook=webhook, distribute=False, payload={
            "first_name": "Ada", "last_name": "B", "email": "ada@example.com", "phone": bench_phone(next(_DECISION_PHONES)),
            "zip_code": rng.choice(zips), "monthly_electric_bill": 150,
            "consent_value": True, "tcpa_compliance": True,
        }).lead
        with CaptureQueriesContext(connection) as captured:
            lead_distribute(lead=lead, strategy=strategy)
        counts.append(len(captured))
    return max(counts)


def webhook_throughput(rng, count):
    from django.db import connection
    from django.test import Client

    from providers.models import LeadSourceProvider
    from providers.services.keys import provider_key_rotate

    provider = LeadSourceProvider.objects.create(provider_id="bench-provider", provider_name="Bench",
                                                 rate_limit=10_000_000)
    headers = {"X-Provider-Id": provider.provider_id, "X-Api-Key": provider_key_rotate(provider=provider)}
    off = bench_webhook("bench-off", rate_limit=10_000_000)
    on = bench_webhook("bench-on", rate_limit=10_000_000, distribution_strategy="priority")
    sell = bench_webhook("bench-sell", rate_limit=10_000_000, distribution_strategy="multisell", multisell_buyers=2,
                         payout_kind="share", payout_share=40)
    sides = (("off", off), ("on", on), ("sell", sell))
    client = Client()
    seconds = {side: 0.0 for side, _ in sides}
    queries = {side: 0 for side, _ in sides}
    phone = iter(range(1, 10_000_000))

    def post(webhook):
        payload = {"first_name": "Ada", "last_name": "B", "email": "ada@example.com", "phone": bench_phone(next(phone)),
                   "consent_value": True, "tcpa_compliance": True,
                   **lead_fields(rng, SELLING_ZIPS if webhook is sell else MATCHED_ZIPS)}
        return client.post(f"/api/v1/webhooks/{webhook.webhook_id}/leads/", json.dumps(payload),
                           content_type="application/json", headers=headers)

    for _ in range(30):  # warm up every path, unmeasured
        post(off), post(on), post(sell)
    with connection.cursor() as cursor:  # statistics of tables that were empty, as autovacuum keeps them
        cursor.execute("ANALYZE")
    for _ in range(count):
        for side, webhook in sides:
            counter = []
            with connection.execute_wrapper(lambda execute, *a, counter=counter: (counter.append(1), execute(*a))[1]):
                started = time.perf_counter()
                response = post(webhook)
                seconds[side] += time.perf_counter() - started
            assert response.status_code == 201, response.content
            queries[side] += len(counter)
    return {side: count / seconds[side] for side in seconds}, {side: queries[side] / count for side in queries}


def main():
    args = parse_args()
    admin_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{DATABASE}"')
    # As production runs: DEBUG would keep every query in memory, INFO logs every request.
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{DATABASE}", "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    env.pop("LEADHUB_REQUIRE_SERVICES", None)
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        os.environ.update(DATABASE_URL=env["DATABASE_URL"], DJANGO_SETTINGS_MODULE="leadhub.settings", DEBUG="0",
                          LOG_LEVEL="WARNING")
        os.environ.pop("REDIS_URL", None)
        os.environ.pop("LEADHUB_REQUIRE_SERVICES", None)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import connection

        from decimal import Decimal

        from distribution.models import Cap, Offer
        from workspaces.models import Workspace

        rng = random.Random(20261201)
        buyers = Workspace.objects.bulk_create(Workspace(id=f"buyer-{n}", name=f"Buyer {n}",
                                                         time_zone="America/Los_Angeles") for n in range(6))
        for buyer in buyers[:3]:  # the engine alone: plain offers
            Offer.objects.create(workspace=buyer, zip_codes=MATCHED_ZIPS, products=["solar"], priority=3)
        for n, buyer in enumerate(buyers[3:]):  # selling: priced, capped (never full here)
            offer = Offer.objects.create(workspace=buyer, zip_codes=SELLING_ZIPS, products=["solar"], priority=3,
                                         price=Decimal(20 + 5 * n), exclusive_price=Decimal(100), duplicate_days=30)
            Cap.objects.create(workspace=buyer, offer=offer, window="day", maximum=1_000_000)
            Cap.objects.create(workspace=buyer, offer=offer, window="week", measure="spend", maximum=9_000_000)
            Cap.objects.create(workspace=buyer, window="hour", maximum=1_000_000)
        others = Workspace.objects.bulk_create(Workspace(id=f"bench-{n}", name=f"Bench {n}") for n in range(50))
        decisions_webhook = bench_webhook("bench-decisions")
        figures = {}
        total = 6
        for size in SIZES:
            add_offers(rng, others, size - total)
            total = size
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            median, mean, engine_queries = time_decisions(rng, args.decisions)
            figures[size] = (median, mean, engine_queries, full_distribution_queries(rng, decisions_webhook))
            selling_queries = full_distribution_queries(rng, decisions_webhook, SELLING_ZIPS, "multisell")
            print(f"{Offer.objects.count():>5} offers: decision median {median * 1e3:.3f} ms, mean {mean * 1e3:.3f} ms; "
                  f"engine queries {engine_queries:.0f}; full lead_distribute queries {figures[size][3]} "
                  f"(selling with caps: {selling_queries})")
        ratio = figures[SIZES[-1]][0] / figures[SIZES[0]][0]
        print(f"ratio 5,000 / 10 offers (median): {ratio:.2f} (target ≤ 2) {'OK' if ratio <= 2 else 'OVER TARGET'}")
        rates, queries = webhook_throughput(rng, args.leads)
        share = rates["on"] / rates["off"]
        selling = rates["sell"] / rates["off"]
        print(f"webhook (5,000 offers, 80 % of leads matching 3 plain buyers), {args.leads} leads each, one client thread: "
              f"off {rates['off']:.1f} leads/s ({queries['off']:.1f} queries/lead), on {rates['on']:.1f} leads/s "
              f"({queries['on']:.1f} queries/lead); on/off {share:.2f} (target ≥ 0.7) "
              f"{'OK' if share >= 0.7 else 'UNDER TARGET'}")
        print(f"selling (80 % matching 3 other buyers; multisell to 2, prices, duplicate window, caps on offers and "
              f"buyers, share payout): {rates['sell']:.1f} leads/s "
              f"({queries['sell']:.1f} queries/lead); sell/off {selling:.2f} (target ≥ 0.6) "
              f"{'OK' if selling >= 0.6 else 'UNDER TARGET'}")
        from ledger.verify import ledger_verify

        problems = ledger_verify()
        print(f"ledger after the run: {'verify_ledger OK' if not problems else problems[:5]}")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
