#!/usr/bin/env python
"""Benchmark of the lead webhook against a bare endpoint on the same server (a script, not a test).

    .venv/bin/python bench/ingest.py [--leads 3000] [--concurrency 16] [--workers 2] [--threads 4]

Uses DATABASE_URL if set, else creates (and finally drops) a throwaway PostgreSQL database on
BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres); uses REDIS_URL for the rate
limits when set. Starts gunicorn (gthread workers, persistent DB connections) with
bench/settings.py, which adds `bench/bare/`: JSON, four fields checked, one row inserted. Posts
the same number of leads with unique valid phones to each endpoint over keep-alive connections
and prints leads/s, p50/p99 latency, SQL queries per accepted lead and the ratios to the bare
endpoint, against the targets: >= 0.5x throughput, <= 2x p99, <= 12 queries.
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

API_KEY_HEADER = "X-Api-Key"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=3000, help="requests per endpoint (default 3000)")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests per endpoint first")
    parser.add_argument("--port", type=int, default=0, help="port for the server (default: any free one)")
    return parser.parse_args()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Database:
    """DATABASE_URL as given, or a throwaway database created here and dropped at the end."""

    def __init__(self):
        self.url = os.environ.get("DATABASE_URL", "")
        self.throwaway = None
        if not self.url:
            admin = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
            self.throwaway = f"leadhub_bench_{uuid.uuid4().hex[:8]}"
            self._admin_sql(admin, f'CREATE DATABASE "{self.throwaway}"')
            parts = urlsplit(admin)
            self.url = urlunsplit(parts._replace(path=f"/{self.throwaway}"))
            self.admin = admin

    @staticmethod
    def _admin_sql(url, sql):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)

    def drop(self):
        if self.throwaway:
            self._admin_sql(self.admin, f'DROP DATABASE IF EXISTS "{self.throwaway}" WITH (FORCE)')


def set_up_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("DB_CONN_MAX_AGE", "600")
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory: not what production runs
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def prepare(leads):
    """Migrate, create the bare table, a webhook and a keyed provider whose limits the run cannot hit."""
    from django.core.management import call_command
    from django.db import connection

    from bench.urls import BARE_TABLE
    from leadhub.choices import LeadType
    from providers.models import LeadSourceProvider, WebhookConfig
    from providers.services.keys import provider_key_rotate

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} (id bigserial PRIMARY KEY, first_name text NOT NULL, "
            "last_name text NOT NULL, email text NOT NULL, phone text NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
    run = uuid.uuid4().hex[:8]
    ceiling = 10 * leads + 10_000
    webhook = WebhookConfig.objects.create(
        webhook_id=f"bench-{run}", name=f"Bench {run}", lead_type=LeadType.SOLAR, rate_limit=ceiling, rate_window=3600
    )
    provider = LeadSourceProvider.objects.create(provider_id=f"bench-{run}", provider_name=f"Bench {run}",
                                                 rate_limit=ceiling)
    return webhook, provider, provider_key_rotate(provider=provider)


def start_server(port, args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"), "leadhub.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--worker-class", "gthread",
            "--threads", str(args.threads), "--keep-alive", "60", "--backlog", "512", "--log-level", "warning",
        ],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not come up (see its output above)")


def lead_payload(n, run):
    return {
        "first_name": "Bench",
        "last_name": f"Lead{n}",
        "email": f"bench{n}@example.com",
        # unique, valid NANP numbers in a provider-style format: (415) 2xx-xxxx
        "phone": f"(415) {200 + n // 10000 % 800:03d}-{n % 10000:04d}",
        "address": "1 Market St",
        "city": "San Francisco",
        "state": "CA",
        "zip_code": "94105",
        "monthly_electric_bill": 180,
        "consent": {"description": "Yes, call me.", "value": True},
        "tcpa_compliance": True,
        "source": f"bench-{run}",
    }


def load(port, path, headers, bodies, concurrency):
    """Post every body once over `concurrency` keep-alive connections; latencies in ms and status counts."""
    latencies, statuses, lock = [], Counter(), threading.Lock()
    chunks = [bodies[i::concurrency] for i in range(concurrency)]

    def worker(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, counts = [], Counter()
        for body in chunk:
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                counts[response.status] += 1
            except (OSError, http.client.HTTPException):
                counts["connection error"] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(counts)

    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


def _cpu_seconds(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def server_cpu(server):
    """CPU seconds used so far by the gunicorn workers and their PostgreSQL backends.

    Per-request CPU is a fairer cost measure than wall time on a shared 2-core machine, where
    other processes (and this client) compete for the same cores.
    """
    from django.db import connection

    workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        backends = [row[0] for row in cursor.fetchall()]
    return sum(_cpu_seconds(pid) for pid in workers), sum(_cpu_seconds(pid) for pid in backends)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def queries_per_request(path, headers, body):
    """SQL statements one accepted request runs, measured in-process on the same database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    extra = {k: v for k, v in headers.items() if k != "Content-Type"}
    with CaptureQueriesContext(connection) as captured:
        response = Client().post(path, data=body, content_type="application/json", headers=extra)
    assert response.status_code == 201, response.content
    return len(captured.captured_queries)


def measure(name, server, port, path, headers, bodies, args):
    warm, measured = bodies[: args.warmup], bodies[args.warmup:]
    load(port, path, headers, warm, args.concurrency)
    app_before, db_before = server_cpu(server)
    elapsed, latencies, statuses = load(port, path, headers, measured, args.concurrency)
    app_after, db_after = server_cpu(server)
    accepted = statuses.get(201, 0)
    return {
        "name": name,
        "requests": len(measured),
        "accepted": accepted,
        "rate_limited": statuses.get(429, 0),
        "other": {str(k): v for k, v in statuses.items() if k not in (201, 429)},
        "per_second": accepted / elapsed,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "app_cpu_ms": (app_after - app_before) * 1000 / len(measured),
        "db_cpu_ms": (db_after - db_before) * 1000 / len(measured),
    }


def main():
    args = parse_args()
    database = Database()
    server = None
    try:
        set_up_django(database.url)
        webhook, provider, raw_key = prepare(args.leads)
        port = args.port or free_port()
        server = start_server(port, args)
        run = uuid.uuid4().hex[:6]
        total = args.warmup + args.leads
        # disjoint phone ranges: bare bodies, webhook bodies, and two for the in-process query counts
        bare_bodies = [json.dumps(lead_payload(n, run)).encode() for n in range(total)]
        lead_bodies = [json.dumps(lead_payload(n, run)).encode() for n in range(total, 2 * total)]
        bare_headers = {"Content-Type": "application/json"}
        lead_headers = {"Content-Type": "application/json", "X-Provider-Id": provider.provider_id,
                        API_KEY_HEADER: raw_key}
        lead_path = f"/api/v1/webhooks/{webhook.webhook_id}/leads/"

        bare = measure("bare endpoint", server, port, "/bench/bare/", bare_headers, bare_bodies, args)
        ingest = measure("lead webhook", server, port, lead_path, lead_headers, lead_bodies, args)
        bare["queries"] = queries_per_request("/bench/bare/", bare_headers,
                                              json.dumps(lead_payload(2 * total, run)))
        ingest["queries"] = queries_per_request(lead_path, lead_headers,
                                                json.dumps(lead_payload(2 * total + 1, run)))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        database.drop()

    print(f"\n{args.leads} requests per endpoint at concurrency {args.concurrency}; gunicorn "
          f"{args.workers} workers x {args.threads} threads; Redis rate limits: "
          f"{'yes' if os.environ.get('REDIS_URL') else 'no (local memory)'}\n")
    print(f"{'endpoint':<16}{'accepted':>9}{'429s':>6}{'other':>8}{'leads/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'queries':>9}{'app CPU ms':>12}{'DB CPU ms':>11}")
    for result in (bare, ingest):
        print(f"{result['name']:<16}{result['accepted']:>9}{result['rate_limited']:>6}"
              f"{sum(result['other'].values()):>8}{result['per_second']:>10.1f}{result['p50']:>9.1f}"
              f"{result['p99']:>9.1f}{result['queries']:>9}{result['app_cpu_ms']:>12.2f}{result['db_cpu_ms']:>11.2f}")
        if result["other"]:
            print(f"  non-201/429 statuses: {result['other']}")
    throughput = ingest["per_second"] / bare["per_second"]
    p99 = ingest["p99"] / bare["p99"]
    checks = [
        (f"leads/s ratio {throughput:.2f} (target >= 0.5)", throughput >= 0.5),
        (f"p99 ratio {p99:.2f} (target <= 2.0)", p99 <= 2.0),
        (f"queries per accepted lead {ingest['queries']} (target <= 12)", ingest["queries"] <= 12),
        (f"rejected or failed requests {ingest['rate_limited'] + sum(ingest['other'].values())} (target 0)",
         ingest["accepted"] == ingest["requests"]),
    ]
    cost = (ingest["app_cpu_ms"] + ingest["db_cpu_ms"]) / (bare["app_cpu_ms"] + bare["db_cpu_ms"])
    print(f"\nserver CPU per request (gunicorn + PostgreSQL): {cost:.1f}x the bare endpoint's")
    print()
    for label, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {label}")
    return 0 if all(ok for _label, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
