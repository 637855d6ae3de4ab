import gzip
import json
from datetime import datetime, timedelta, UTC

import pytest
from django.core.management import CommandError, call_command

from analytics.archiving import archive_line, events_archive, read_archive
from contacts.models import ContactEvent
from leadhub.testing import backdate, make_contact_history
from leads.models import LeadEvent, LeadStatusHistory, WorkspaceTracking

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 12, 1, tzinfo=UTC)
OLD_JAN, OLD_FEB = datetime(2025, 1, 15, 8, 30, 1, 123456, tzinfo=UTC), datetime(2025, 2, 3, tzinfo=UTC)


@pytest.fixture
def history():
    """A contact's full history; the lead events and tracking are old (two months), the rest recent."""
    rows = make_contact_history()
    events = list(LeadEvent.objects.order_by("pk"))
    backdate(events[0], created_at=OLD_JAN)
    backdate(events[1], created_at=OLD_FEB)
    LeadStatusHistory.objects.update(created_at=OLD_JAN)
    WorkspaceTracking.objects.update(timestamp=OLD_FEB)
    LeadEvent.objects.create(lead=rows["leads"][0], event_type="note", event_data={"text": "ünïcode"})
    backdate(LeadEvent.objects.latest("pk"), created_at=OLD_JAN)
    return rows


def snapshot(model, time_field="created_at"):
    columns = [field.attname for field in model._meta.concrete_fields]
    return [json.loads(archive_line(row)) for row in model.objects.order_by("pk").values(*columns)]


def test_round_trip_archives_old_rows_per_table_and_month_then_deletes_them(history, tmp_path):
    events, status_rows, tracking = snapshot(LeadEvent), snapshot(LeadStatusHistory), snapshot(WorkspaceTracking)

    moved = events_archive(older_than=timedelta(days=180), archive_dir=tmp_path, batch_size=2, now=NOW)

    assert moved["lead_events"] == 3 and moved["lead_status_history"] == 2 and moved["workspace_tracking"] == 1
    assert moved["contact_events"] == 0
    jan = read_archive(tmp_path / "lead_events" / "lead_events-2025-01.jsonl.gz")
    feb = read_archive(tmp_path / "lead_events" / "lead_events-2025-02.jsonl.gz")
    assert sorted(jan + feb, key=lambda row: row["id"]) == events
    assert {row["created_at"] for row in jan} == {OLD_JAN.isoformat()}  # microseconds kept
    assert read_archive(tmp_path / "lead_status_history" / "lead_status_history-2025-01.jsonl.gz") == status_rows
    assert read_archive(tmp_path / "workspace_tracking" / "workspace_tracking-2025-02.jsonl.gz") == tracking
    assert not LeadEvent.objects.exists() and not LeadStatusHistory.objects.exists()
    assert ContactEvent.objects.count() == 1  # recent rows stay


def test_dry_run_counts_and_changes_nothing(history, tmp_path, capsys):
    call_command("archive_events", "--older-than", "180d", "--dry-run", "--archive-dir", str(tmp_path))

    out = capsys.readouterr().out
    assert "lead_events: would archive 3 rows" in out
    assert "contact_events: would archive 0 rows" in out
    assert list(tmp_path.iterdir()) == []
    assert LeadEvent.objects.count() == 3


def test_command_archives_relative_to_now_and_names_a_bad_age(history, tmp_path, capsys):
    call_command("archive_events", "--older-than", "1d", "--archive-dir", str(tmp_path))
    assert "lead_events: archived 3 rows" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--older-than"):
        call_command("archive_events", "--older-than", "6 months")


def test_interrupted_run_resumes_without_losing_or_duplicating_rows(history, tmp_path):
    expected = snapshot(LeadEvent)

    def crash(spec, ids):
        raise RuntimeError("killed between fsync and delete")

    with pytest.raises(RuntimeError):
        events_archive(older_than=timedelta(days=180), archive_dir=tmp_path, batch_size=2, now=NOW, delete_batch=crash)
    assert LeadEvent.objects.count() == 3  # nothing deleted before it was on disk
    assert (tmp_path / "lead_events" / ".journal.json").exists()

    events_archive(older_than=timedelta(days=180), archive_dir=tmp_path, batch_size=2, now=NOW)

    archived = sorted(
        read_archive(tmp_path / "lead_events" / "lead_events-2025-01.jsonl.gz")
        + read_archive(tmp_path / "lead_events" / "lead_events-2025-02.jsonl.gz"),
        key=lambda row: row["id"],
    )
    assert archived == expected
    assert not LeadEvent.objects.exists()
    assert not (tmp_path / "lead_events" / ".journal.json").exists()


def test_run_interrupted_after_delete_commit_is_not_archived_twice(history, tmp_path):
    from analytics import archiving

    def delete_then_crash(spec, ids):
        archiving._delete_batch(spec, ids)
        raise RuntimeError("killed before the journal was removed")

    with pytest.raises(RuntimeError):
        events_archive(
            older_than=timedelta(days=180), archive_dir=tmp_path, batch_size=10, now=NOW, delete_batch=delete_then_crash
        )
    events_archive(older_than=timedelta(days=180), archive_dir=tmp_path, batch_size=10, now=NOW)

    jan = tmp_path / "lead_events" / "lead_events-2025-01.jsonl.gz"
    assert len(read_archive(jan)) == 2
    with gzip.open(jan, "rt") as handle:
        assert len(handle.read().splitlines()) == 2


def test_distribution_decisions_are_archived_with_the_events(tmp_path):
    from distribution.models import Decision
    from distribution.services import lead_distribute
    from leadhub.testing import make_lead

    old = lead_distribute(lead=make_lead(), strategy="priority")
    recent = lead_distribute(lead=make_lead(), strategy="priority")
    backdate(old, created_at=OLD_JAN)
    rows = snapshot(Decision)
    moved = events_archive(older_than=timedelta(days=180), archive_dir=tmp_path, batch_size=2, now=NOW)
    assert moved["distribution_decisions"] == 1
    archived = read_archive(tmp_path / "distribution_decisions" / "distribution_decisions-2025-01.jsonl.gz")
    assert archived == [row for row in rows if row["id"] == old.pk]
    assert list(Decision.objects.values_list("pk", flat=True)) == [recent.pk]
