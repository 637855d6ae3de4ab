"""Suppression benchmark (a script, not a test).

    .venv/bin/python bench/suppression.py [--rows 1000000] [--checks 2000]

Creates a throwaway PostgreSQL database with the benchmarks' shared loader (bench/loader.py), on
BENCH_PG_URL's server (default postgres://postgres@127.0.0.1:5432/postgres), then:
1. lookup with 10 entries: times `suppressed_workspaces` (the per-buyer check distribution and
   the gate make, 5 buyers, a phone and an email) for `--checks` leads, half of them listed;
2. import: writes a file of `--rows` distinct valid 10-digit numbers and times
   `manage.py suppression_import` of it (a new list), then again (re-import: replaces);
3. lookup with the imported entries too: the same checks, after ANALYZE, and the plan of the
   lookup query (it must use the digest index).
Prints the figures and the ratios against the targets (import < 180 s; lookup at 1,000,000
entries ≤ 1.5× at 10). The database is dropped at the end.
"""
import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loader import throwaway_database  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=2000)
    return parser.parse_args()


def valid_numbers(rng, count):
    """`count` distinct valid US numbers (10 digits), spread over the valid area codes."""
    from leadhub.phones import normalize_phone

    area_codes = []
    for npa in range(200, 1000):
        try:
            normalize_phone(f"{npa}2220000")
            area_codes.append(npa)
        except ValueError:
            pass
    numbers = set()
    while len(numbers) < count:
        numbers.add(f"{rng.choice(area_codes)}{rng.randrange(222, 999)}{rng.randrange(10_000):04d}")
    return sorted(numbers), area_codes


def time_checks(phones, workspaces):
    from suppression.selectors import suppressed_workspaces

    seconds = []
    for n, phone in enumerate(phones):
        started = time.perf_counter()
        suppressed_workspaces(phone=phone, email=f"person{n}@example.com", workspaces=workspaces)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), statistics.fmean(seconds)


def main():
    args = parse_args()
    with throwaway_database("suppression"):
        from django.core.management import call_command
        from django.db import connection

        from suppression.keys import subject_digests
        from suppression.models import ListKind, SuppressionList
        from suppression.services import suppression_entry_add
        from workspaces.models import Workspace

        rng = random.Random(20261206)
        numbers, _area_codes = valid_numbers(rng, args.rows + args.checks)
        listed, unlisted = numbers[:args.rows], numbers[args.rows:]
        workspaces = Workspace.objects.bulk_create(
            Workspace(id=f"buyer-{n}", name=f"Buyer {n}", calls_consumers=n % 2 == 0) for n in range(5))
        small = SuppressionList.objects.create(name="internal", kind=ListKind.INTERNAL)
        checks = [*rng.sample(listed, args.checks // 2), *unlisted[:args.checks - args.checks // 2]]
        rng.shuffle(checks)
        for phone in checks[:10]:
            suppression_entry_add(suppression_list=small, phone=phone, by="bench")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        time_checks(checks[:200], workspaces)  # warm
        median_10, mean_10 = time_checks(checks, workspaces)
        print(f"lookup, 10 entries: median {median_10 * 1e3:.3f} ms, mean {mean_10 * 1e3:.3f} ms ({args.checks} checks)")

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "registry.txt"
            path.write_text("".join(f"{number}\n" for number in listed))
            timings = []
            for label in ("import", "re-import"):
                started = time.perf_counter()
                call_command("suppression_import", "national-dnc", str(path))
                timings.append(time.perf_counter() - started)
                print(f"{label} of {args.rows:,} rows: {timings[-1]:.1f} s (target < 180 s) "
                      f"{'OK' if timings[-1] < 180 else 'OVER TARGET'}")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SELECT count(*) FROM suppression_entries")
            entries = cursor.fetchone()[0]
            digests = subject_digests(phone=checks[0], email="person0@example.com")
            cursor.execute("EXPLAIN SELECT l.kind, l.workspace_id, e.applies_to_all FROM suppression_entries e "
                           "JOIN suppression_lists l ON l.id = e.suppression_list_id WHERE e.digest = ANY(%s)",
                           [digests])
            plan = "\n    ".join(row[0] for row in cursor.fetchall())
        time_checks(checks[:200], workspaces)  # warm
        median_big, mean_big = time_checks(checks, workspaces)
        print(f"lookup, {entries:,} entries: median {median_big * 1e3:.3f} ms, mean {mean_big * 1e3:.3f} ms")
        ratio = median_big / median_10
        print(f"ratio {entries:,} / 10 entries (median): {ratio:.2f} (target ≤ 1.5) "
              f"{'OK' if ratio <= 1.5 else 'OVER TARGET'}")
        print(f"plan:\n    {plan}")


if __name__ == "__main__":
    main()
