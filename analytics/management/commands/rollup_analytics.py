"""`manage.py rollup_analytics --from DATE --to DATE`: backfill or repair `lead_analytics`."""
from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.services import lead_analytics_rollup


def parse_day(option, value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date like 2025-01-31, got {value!r}.") from None


class Command(BaseCommand):
    help = "Recompute daily lead analytics for the UTC days FROM..TO (inclusive). Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", help="first day (default: --to minus ANALYTICS_ROLLUP_DAYS)")
        parser.add_argument("--to", dest="date_to", help="last day (default: today, UTC)")

    def handle(self, *args, date_from=None, date_to=None, **options):
        date_to = parse_day("--to", date_to) if date_to else timezone.now().date()
        date_from = (
            parse_day("--from", date_from) if date_from else date_to - timedelta(days=settings.ANALYTICS_ROLLUP_DAYS)
        )
        if date_from > date_to:
            raise CommandError(f"--from ({date_from}) is after --to ({date_to}).")
        started = timezone.now()
        rows = lead_analytics_rollup(date_from=date_from, date_to=date_to)
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(f"lead_analytics {date_from}..{date_to}: {rows} rows in {seconds:.2f}s")
