"""`manage.py import_leads`: good rows in, bad rows reported, nothing imported twice."""
import csv
import io

import pytest
from django.core.management import CommandError, call_command

from leadhub.testing import make_provider, make_webhook
from leads.management.commands.import_leads import Command
from leads.models import Lead
from providers.models import ProviderUsageLog

pytestmark = pytest.mark.django_db

HEADER = ["lead_id", "firstName", "lastName", "emailAddress", "phone_number", "zip", "roofAge", "notes_from_vendor"]
ROWS = [
    ["", "Ada", "Lovelace", "ada@example.com", "(415) 200-4001", "94107", "10", "call after 5"],  # row 2
    ["", "Grace", "Hopper", "not-an-email", "(415) 200-4002", "941", "", ""],  # row 3: two errors
    ["880001", "Alan", "Turing", "alan@example.com", "415.200.4003", "", "", ""],  # row 4: the sender's id
    ["", "Edsger", "Dijkstra", "ed@example.com", "", "", "", ""],  # row 5: no phone
    ["", "Ada", "Lovelace", "ada@example.com", "(415) 200-4001", "94107", "10", "call after 5"],  # row 6 = row 2
    ["", "Ada", "Lovelace", "ada@example.com", "(415) 200-4001", "94107", "11", "call after 5"],  # row 7: new data
]


@pytest.fixture
def source():
    return make_webhook(), make_provider()


def write_csv(path, rows, header=HEADER):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(path, webhook, provider, *extra):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_leads", str(path), "--webhook", webhook.webhook_id, "--provider", provider.provider_id, *extra,
        stdout=out, stderr=err,
    )
    return out.getvalue(), err.getvalue()


def read_report(path):
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def test_good_rows_are_imported_and_bad_rows_reported(tmp_path, source):
    webhook, provider = source
    path = write_csv(tmp_path / "leads.csv", ROWS)

    out, err = run(path, webhook, provider)

    assert "3 created, 1 replayed (already imported), 2 failed" in out
    assert Lead.objects.count() == 3
    alan = Lead.objects.get(first_name="Alan", phone="+14152004003")
    assert alan.external_id == "880001" and alan.pk != 880001  # without --keep-ids an id is only a reference
    first = Lead.objects.filter(phone="+14152004001").order_by("pk").first()
    assert first.raw_payload["notes_from_vendor"] == "call after 5"
    assert (first.zip_code, first.roof_age, first.source_user_agent) == ("94107", 10, "manage.py import_leads")
    assert sorted(Lead.objects.filter(phone="+14152004001").values_list("roof_age", flat=True)) == [10, 11]

    assert read_report(tmp_path / "leads.errors.csv") == [
        ["row", "field", "message"],
        ["3", "email", "'not-an-email' is not a valid email address."],
        ["3", "zip_code", "'941' is not a ZIP code: use 5 digits or ZIP+4 (12345 or 12345-6789)."],
        ["5", "phone", "This field is required."],
    ]
    webhook.refresh_from_db()
    assert webhook.total_leads == 3
    assert ProviderUsageLog.objects.get().request_count == 3
    assert "\r" not in err and "progress: 100% 6/6 rows (done)" in err  # piped: plain lines, no bar


def test_the_help_names_the_report_file_that_is_written(tmp_path, source):
    help_text = " ".join(Command().create_parser("manage.py", "import_leads").format_help().split())
    assert "leads.csv → leads.errors.csv" in help_text and "FILE.errors.csv" not in help_text
    webhook, provider = source
    out, _ = run(write_csv(tmp_path / "leads.csv", ROWS), webhook, provider)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.csv", "leads.errors.csv"]
    assert f"error report: {tmp_path / 'leads.errors.csv'}" in out


def test_a_rerun_imports_nothing_twice(tmp_path, source):
    webhook, provider = source
    path = write_csv(tmp_path / "leads.csv", ROWS)
    run(path, webhook, provider)
    ids = set(Lead.objects.values_list("pk", flat=True))

    out, _err = run(path, webhook, provider)

    assert "0 created, 4 replayed (already imported), 2 failed" in out
    assert set(Lead.objects.values_list("pk", flat=True)) == ids
    webhook.refresh_from_db()
    assert webhook.total_leads == 3
    assert len(read_report(tmp_path / "leads.errors.csv")) == 4  # header + the same three problems


def test_an_id_reused_with_other_data_is_reported_as_a_conflict(tmp_path, source):
    webhook, provider = source
    run(write_csv(tmp_path / "a.csv", [ROWS[2]]), webhook, provider)
    changed = [*ROWS[2][:1], "Alan M.", *ROWS[2][2:]]
    out, _err = run(write_csv(tmp_path / "b.csv", [changed]), webhook, provider, "--errors", str(tmp_path / "report.csv"))
    assert "0 created, 0 replayed (already imported), 1 failed" in out
    assert read_report(tmp_path / "report.csv")[1] == [
        "2", "first_name", "Differs from the lead already received with reference '880001'."
    ]


def test_keep_ids_keeps_an_earlier_systems_ids_and_refuses_huge_ones_per_row(tmp_path, source):
    webhook, provider = source
    rows = [
        ["880001", "Alan", "Turing", "alan@example.com", "415.200.4003", "", "", ""],
        [str(10**12 + 1), "Grace", "Hopper", "grace@example.com", "415.200.4004", "", "", ""],
        ["A-17", "Edsger", "Dijkstra", "ed@example.com", "415.200.4005", "", "", ""],
        ["", "Ada", "Lovelace", "ada@example.com", "415.200.4006", "", "", ""],
    ]
    path = write_csv(tmp_path / "leads.csv", rows)

    out, _err = run(path, webhook, provider, "--keep-ids")

    assert "2 created, 0 replayed (already imported), 2 failed" in out
    kept = Lead.objects.get(pk=880001)
    assert (kept.first_name, kept.external_id) == ("Alan", "880001")
    assert Lead.objects.get(first_name="Ada").pk > 880001  # the sequence went past the kept id first
    message = "Must be a whole number between 1 and 1,000,000,000,000 to be kept as the lead id."
    assert read_report(tmp_path / "leads.errors.csv")[1:] == [["3", "id", message], ["4", "id", message]]
    assert "0 created, 2 replayed (already imported), 2 failed" in run(path, webhook, provider, "--keep-ids")[0]


def test_a_header_without_the_required_fields_is_refused_before_importing(tmp_path, source):
    path = write_csv(tmp_path / "leads.csv", [["Ada", "ada@example.com"]], header=["first", "email"])
    with pytest.raises(CommandError, match="lacks required field\\(s\\): last_name, phone"):
        run(path, *source)
    assert not Lead.objects.exists()


def test_an_empty_or_missing_file_is_refused(tmp_path, source):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(CommandError, match="has no header row"):
        run(tmp_path / "empty.csv", *source)
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "missing.csv", *source)


def test_the_webhook_and_provider_must_be_usable(tmp_path):
    path = write_csv(tmp_path / "leads.csv", ROWS[:1])
    webhook, provider = make_webhook(), make_provider()
    with pytest.raises(CommandError, match="No active webhook"):
        run(path, make_webhook(is_active=False), provider)
    with pytest.raises(CommandError, match="No active provider"):
        run(path, webhook, make_provider(is_active=False))
    with pytest.raises(CommandError, match="may not post to webhook"):
        run(path, webhook, make_provider(allowed_webhooks=["somewhere-else"]))
    assert not Lead.objects.exists()
