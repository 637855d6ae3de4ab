"""The lock of landed migrations: the repository matches it; an edit or a removal of a landed file
is refused with what to do; a new migration is appended. Edits are planted in a copy under tmp_path."""
import hashlib
import io
import shutil

import pytest
from django.core.management import CommandError, call_command

from leadhub import migration_lock

LANDED = "ledger/migrations/0001_entries.py"


def test_the_repository_matches_the_lock():
    call_command("migrations_lock", "--check", stdout=io.StringIO())


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A copy of one landed migration with its lock, as the command's repository."""
    (tmp_path / "ledger" / "migrations").mkdir(parents=True)
    shutil.copy(migration_lock.ROOT / LANDED, tmp_path / LANDED)
    (tmp_path / "ledger" / "migrations" / "__init__.py").write_text("")
    lock = tmp_path / "migrations_landed.txt"
    migration_lock.lock_write(migration_lock.migration_hashes(tmp_path), lock)
    monkeypatch.setattr(migration_lock, "ROOT", tmp_path)
    monkeypatch.setattr(migration_lock, "LOCK", lock)
    return tmp_path


def test_a_lock_line_is_the_sha256_of_the_file_bytes_and_its_path(repo):
    digest = hashlib.sha256((repo / LANDED).read_bytes()).hexdigest()
    assert (repo / "migrations_landed.txt").read_text() == f"{digest}  {LANDED}\n"


def test_an_edited_landed_migration_fails_saying_what_to_do(repo):
    path = repo / LANDED
    path.write_text(path.read_text().replace("RAISE(ABORT", "RAISE(FAIL"))
    lock_before = (repo / "migrations_landed.txt").read_text()

    with pytest.raises(CommandError) as refused:
        call_command("migrations_lock", stdout=io.StringIO())
    assert str(refused.value) == (
        f"{LANDED} was edited: a landed migration never changes: "
        "revert your edit and put the change in a new migration."
    )
    assert (repo / "migrations_landed.txt").read_text() == lock_before


def test_a_whitespace_only_edit_counts(repo):
    path = repo / LANDED
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(CommandError, match="was edited"):
        call_command("migrations_lock", stdout=io.StringIO())


def test_a_removed_or_renamed_landed_migration_fails(repo):
    (repo / LANDED).rename(repo / "ledger" / "migrations" / "0001_ledger.py")
    with pytest.raises(CommandError) as refused:
        call_command("migrations_lock", "--check", stdout=io.StringIO())
    assert f"{LANDED} is gone (deleted or renamed): a landed migration never changes" in str(refused.value)
    assert "ledger/migrations/0001_ledger.py is not in the lock" in str(refused.value)


def test_a_new_migration_is_appended_and_the_landed_lines_stay(repo):
    lock_before = (repo / "migrations_landed.txt").read_text()
    (repo / "ledger" / "migrations" / "0002_new.py").write_text("# new\n")
    (repo / "analytics" / "migrations").mkdir(parents=True)
    (repo / "analytics" / "migrations" / "0009_other.py").write_text("# other\n")

    with pytest.raises(CommandError, match="0002_new.py is not in the lock: run `manage.py migrations_lock`"):
        call_command("migrations_lock", "--check", stdout=io.StringIO())
    out = io.StringIO()
    call_command("migrations_lock", stdout=out)

    assert "New migration added to the lock: ledger/migrations/0002_new.py" in out.getvalue()
    lines = (repo / "migrations_landed.txt").read_text().splitlines()
    assert [line.split()[1] for line in lines] == [
        "analytics/migrations/0009_other.py", LANDED, "ledger/migrations/0002_new.py"
    ]
    assert lock_before.strip() in lines
    call_command("migrations_lock", "--check", stdout=io.StringIO())
