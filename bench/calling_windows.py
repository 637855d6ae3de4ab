"""Calling-windows benchmark (a script, not a test).

    .venv/bin/python bench/calling_windows.py [--deliveries 10000] [--batch 500]

Creates a throwaway PostgreSQL database with the benchmarks' shared loader (bench/loader.py), on
BENCH_PG_URL's server (default postgres://postgres@127.0.0.1:5432/postgres), then stores
`--deliveries` leads spread over ZIPs of several zones and states (Maine, Florida, Texas, Utah,
Hawaii, California), 1 % of their phones on an internal suppression list, and one `lead.sold`
delivery per lead to a buyer that calls consumers, each waiting in the outbox with a due
instant in the past. With the clock standing at an instant inside every one of their windows
(a Tuesday, 20:00 UTC), times `workspaces.delivery.outbox_waiting_release` (what the sweeper runs
first): every row asked of leads again (the gate, the window) and released or refused, `--batch`
rows per transaction. Prints the figure against the target (10,000 in under 60 s). The database
is dropped at the end.
"""
import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loader import throwaway_database  # noqa: E402

AT = datetime(2027, 3, 2, 20, 0, tzinfo=UTC)  # 10:00 in Honolulu, 15:00 in Portland, Maine
ZIPS = ["04101", "33101", "75201", "84101", "96813", "90012"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    return parser.parse_args()


def main():
    args = parse_args()
    with throwaway_database("calling_windows"):
        import time_machine
        from django.db import connection

        from compliance.windows import consumer_locale
        from contacts.models import Contact
        from leads.models import Lead
        from suppression.models import ListKind, SuppressionList
        from suppression.services import suppression_entry_add
        from workspaces.delivery import outbox_waiting_release
        from workspaces.models import DeliveryStatus, EventType, OutboundEvent, Workspace

        buyer = Workspace.objects.create(id="caller", name="Caller", calls_consumers=True, webhook_active=True,
                                         outbound_webhook_url="https://caller.example/hooks")
        phones = [f"+1415{2000000 + n:07d}" for n in range(args.deliveries)]
        contacts = Contact.objects.bulk_create(
            [Contact(webhook_id="wh-bench", phone=phone, first_name="Ada", last_name="Lovelace") for phone in phones],
            batch_size=2000)
        leads = Lead.objects.bulk_create(
            [Lead(contact=contact, webhook_id="wh-bench", phone=contact.phone, email="ada@example.com",
                  zip_code=ZIPS[n % len(ZIPS)], first_name="Ada", last_name="Lovelace", lead_type="solar")
             for n, contact in enumerate(contacts)], batch_size=2000)
        internal = SuppressionList.objects.create(name="internal", kind=ListKind.INTERNAL)
        for phone in phones[::100]:
            suppression_entry_add(suppression_list=internal, phone=phone, by="bench")
        due = AT - timedelta(minutes=5)
        OutboundEvent.objects.bulk_create(
            [OutboundEvent(workspace=buyer, event_type=EventType.LEAD_SOLD, target_url=buyer.outbound_webhook_url,
                           data={"lead_id": lead.pk}, status=DeliveryStatus.WAITING, calling_window=True,
                           not_before=due, next_attempt_at=due, wait_reason="outside the consumer's calling window",
                           subject_type="lead", subject_id=str(lead.pk), contact_id=lead.contact_id, created_at=due)
             for lead in leads], batch_size=2000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        started = time.perf_counter()
        consumer_locale(zip_code=ZIPS[0])  # the ZIP table, read once per process
        print(f"ZIP table read (once per process, before the first release): {time.perf_counter() - started:.1f} s")
        with time_machine.travel(AT, tick=True):
            started = time.perf_counter()
            released = outbox_waiting_release(batch=args.batch)
            seconds = time.perf_counter() - started
        refused = OutboundEvent.objects.filter(status=DeliveryStatus.REFUSED).count()
        left = OutboundEvent.objects.filter(status=DeliveryStatus.WAITING).count()
        print(f"sweeper release of {args.deliveries:,} waiting deliveries ({args.batch} per transaction): "
              f"{seconds:.1f} s, {released:,} released, {refused:,} refused (suppressed), {left:,} still waiting "
              f"(target < 60 s) {'OK' if seconds < 60 and left == 0 else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
