#!/usr/bin/env python
"""Benchmark of the admin changelists at 1,000 and at 1,000,000 leads (a script, not a test).

    .venv/bin/python bench/admin.py [--small 1000] [--large 1000000] [--runs 5]

Creates a throwaway PostgreSQL database on BENCH_PG_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, fills contacts and leads with the
shared loader (bench/loader.py: one contact per ten leads, half of the leads assigned to a
workspace), and times the lead and contact changelists as a logged-in superuser (median of
--runs requests after a warm-up) with their SQL query count. Prints both sizes and the ratios
against the targets: time ratio <= 2, same query count. Drops the database at the end.
"""
import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loader import leads_grow, throwaway_database  # noqa: E402

PAGES = {"leads": "/admin/leads/lead/", "contacts": "/admin/contacts/contact/"}
TIME_RATIO_TARGET = 2.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000, help="leads in the first measurement")
    parser.add_argument("--large", type=int, default=1_000_000, help="leads in the second measurement")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page and size")
    return parser.parse_args()


def measure(client, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = {}
    for name, url in PAGES.items():
        assert client.get(url).status_code == 200  # warm-up
        timings = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        shown = re.search(r'class="paginator">.*?([\d,]+) \w+\s*</p>', response.content.decode(), re.S)
        results[name] = (statistics.median(timings), len(queries), int(shown.group(1).replace(",", "")))
    return results


def main():
    args = parse_args()
    with throwaway_database("admin"):
        from django.contrib.auth import get_user_model
        from django.test import Client

        from workspaces.models import Workspace

        for n in range(5):
            Workspace.objects.create(id=f"bench-ws-{n}", name=f"Bench workspace {n}")
        client = Client()
        client.force_login(get_user_model().objects.create_superuser("bench", password="x"))

        sizes = {}
        leads_grow(args.small)
        sizes[args.small] = measure(client, args.runs)
        started = time.perf_counter()
        leads_grow(args.large, args.small)
        print(f"(inserted {args.large - args.small:,} leads in {time.perf_counter() - started:.0f} s)")
        sizes[args.large] = measure(client, args.runs)

        small, large = sizes[args.small], sizes[args.large]
        ok = True
        print(f"{'changelist':<10} {'leads':>10} {'shown count':>12} {'median ms':>10} {'queries':>8}")
        for page in PAGES:
            for size, results in sizes.items():
                seconds, queries, count = results[page]
                print(f"{page:<10} {size:>10,} {count:>12,} {seconds * 1000:>10.1f} {queries:>8}")
            ratio = large[page][0] / small[page][0]
            same_queries = large[page][1] == small[page][1]
            ok &= ratio <= TIME_RATIO_TARGET and same_queries
            print(
                f"{page:<10} time ratio {ratio:.2f} (target <= {TIME_RATIO_TARGET}), "
                f"queries {small[page][1]} -> {large[page][1]} ({'same' if same_queries else 'DIFFERENT'})"
            )
        print("targets met" if ok else "TARGETS MISSED")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
