"""`manage.py archive_events --older-than 180d [--dry-run]`: move old audit rows to gzip files."""
import re
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from analytics.archiving import events_archive
from leadhub.progress import Progress


def parse_age(value):
    match = re.fullmatch(r"(\d+)d", value.strip())
    if not match or int(match.group(1)) < 1:
        raise CommandError(f"--older-than must be a number of days like 180d, got {value!r}.")
    return timedelta(days=int(match.group(1)))


class Command(BaseCommand):
    help = (
        "Move event/history rows older than the cutoff into ARCHIVE_DIR/<table>/<table>-YYYY-MM.jsonl.gz "
        "and delete them in batches. Safe to interrupt and re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, help="Age cutoff in days, e.g. 180d (required, no default).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Only print how many rows would move (default: off, rows are moved).")
        parser.add_argument("--batch-size", type=int, default=5000,
                            help="Rows written and deleted per transaction (default: %(default)s).")
        parser.add_argument("--archive-dir", default=None,
                            help=f"Where the archive files go (default: the ARCHIVE_DIR setting, {settings.ARCHIVE_DIR}).")

    def handle(self, *args, older_than, dry_run, batch_size, archive_dir, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        archive_dir = Path(archive_dir or settings.ARCHIVE_DIR)
        progress = None if dry_run else Progress(self.stderr, total=None, unit="rows archived")
        moved = events_archive(
            older_than=parse_age(older_than), archive_dir=archive_dir, batch_size=batch_size, dry_run=dry_run,
            on_batch=progress and (lambda rows: progress.update(progress.done + rows)),
        )
        if progress:
            progress.finish()
        verb = "would archive" if dry_run else "archived"
        for table, count in moved.items():
            self.stdout.write(f"{table}: {verb} {count} rows")
        if not dry_run:
            self.stdout.write(f"files under {archive_dir}")
