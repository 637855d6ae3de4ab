"""Move old audit rows (events, status history, activities, workspace tracking) out of the
database into gzip JSON-lines files, one per table and month: ARCHIVE_DIR/<table>/<table>-YYYY-MM.jsonl.gz.

Crash-safe and resumable, batch by batch:
1. write a journal naming the batch's ids and each target file's size before the append (fsync);
2. append the rows as a new gzip member (gzip readers read concatenated members as one file), fsync;
3. delete the batch in one transaction; 4. remove the journal.
On restart a leftover journal is settled first: if its rows are gone the batch is complete; if they
are still there the append is undone (files truncated back) and the batch simply runs again. So
every row ends up in exactly one file exactly once, and nothing is deleted before it is on disk.
"""
import gzip
import json
import os
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, UTC
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone as dj_timezone

from appointments.models import AppointmentEvent
from contacts.models import ContactEvent
from conversions.models import ConversionEvent
from distribution.models import Decision
from leads.models import LeadActivity, LeadEvent, LeadStatusHistory, WorkspaceTracking

JOURNAL = ".journal.json"


@dataclass(frozen=True)
class ArchivedTable:
    model: type
    time_field: str

    @property
    def table(self):
        return self.model._meta.db_table

    @property
    def columns(self):
        return [field.attname for field in self.model._meta.concrete_fields]


ARCHIVED_TABLES = [
    ArchivedTable(LeadEvent, "created_at"),
    ArchivedTable(ContactEvent, "created_at"),
    ArchivedTable(AppointmentEvent, "created_at"),
    ArchivedTable(ConversionEvent, "created_at"),
    ArchivedTable(LeadStatusHistory, "created_at"),
    ArchivedTable(LeadActivity, "created_at"),
    ArchivedTable(WorkspaceTracking, "timestamp"),
    ArchivedTable(Decision, "created_at"),
]


def _json_default(value):
    # Lossless (DjangoJSONEncoder would cut timestamps to milliseconds).
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"cannot archive a {type(value).__name__}")


def archive_line(row) -> bytes:
    return (json.dumps(row, default=_json_default, sort_keys=True, ensure_ascii=False) + "\n").encode()


def archive_path(archive_dir: Path, table: str, moment: datetime) -> Path:
    return Path(archive_dir) / table / f"{table}-{moment.astimezone(UTC):%Y-%m}.jsonl.gz"


def _fsync_write(path: Path, data: bytes, mode="wb"):
    with open(path, mode) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _settle_journal(spec: ArchivedTable, table_dir: Path):
    """Finish or undo the batch an interrupted run left behind."""
    journal_path = table_dir / JOURNAL
    if not journal_path.exists():
        return
    journal = json.loads(journal_path.read_text())
    if spec.model.objects.filter(pk__in=journal["ids"]).exists():
        # The delete never committed: drop whatever part of the append reached the files.
        for name, size in journal["files"].items():
            path = table_dir / name
            if size is None:
                path.unlink(missing_ok=True)
            elif path.exists():
                os.truncate(path, size)
    journal_path.unlink()


def _archive_batch(spec: ArchivedTable, table_dir: Path, rows, delete_batch):
    by_file = {}
    for row in rows:
        by_file.setdefault(archive_path(table_dir.parent, spec.table, row[spec.time_field]).name, []).append(row)
    ids = [row["id"] for row in rows]
    sizes = {name: (table_dir / name).stat().st_size if (table_dir / name).exists() else None for name in by_file}
    _fsync_write(table_dir / JOURNAL, json.dumps({"ids": ids, "files": sizes}).encode())
    for name, file_rows in by_file.items():
        _fsync_write(table_dir / name, gzip.compress(b"".join(archive_line(row) for row in file_rows)), mode="ab")
    delete_batch(spec, ids)
    (table_dir / JOURNAL).unlink()


def _delete_batch(spec: ArchivedTable, ids):
    with transaction.atomic():
        spec.model.objects.filter(pk__in=ids).delete()


def events_archive(
    *, older_than: timedelta, archive_dir, batch_size: int = 5000, dry_run: bool = False, now=None,
    delete_batch=_delete_batch, on_batch=None,
) -> dict:
    """Archive and delete rows older than `now - older_than`; returns {table: rows} (to be) moved.
    `on_batch(rows)` is told of each batch moved (the command's progress display).

    `delete_batch` is the one step tests replace to simulate a crash between write and delete.
    """
    cutoff = (now or dj_timezone.now()) - older_than
    moved = {}
    for spec in ARCHIVED_TABLES:
        old_rows = spec.model.objects.filter(**{f"{spec.time_field}__lt": cutoff}).order_by("pk")
        if dry_run:
            moved[spec.table] = old_rows.count()
            continue
        table_dir = Path(archive_dir) / spec.table
        table_dir.mkdir(parents=True, exist_ok=True)
        _settle_journal(spec, table_dir)
        moved[spec.table] = 0
        while rows := list(old_rows.values(*spec.columns)[:batch_size]):
            _archive_batch(spec, table_dir, rows, delete_batch)
            moved[spec.table] += len(rows)
            if on_batch:
                on_batch(len(rows))
    return moved


def read_archive(path) -> list[dict]:
    """All rows of one archive file (every appended gzip member), as written."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]
