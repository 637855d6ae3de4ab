"""Landed migrations never change: the lock of every migration file's hash.

A migration that has landed is already applied to databases somewhere; editing it changes
nothing there, so those databases and fresh ones drift apart silently. A fix is a new migration.
`LOCK` lists every migration file (`<app>/migrations/<name>.py`, `__init__.py` aside) with the
SHA-256 of its bytes, one `<sha256>  <path>` line per file, sorted by path so that branches
adding migrations to different apps append to different places.

The bytes are hashed exactly as they are on disk: no line-ending or whitespace normalisation, so
any change, even a reformat, counts as an edit (a checkout that rewrites line endings would too).

`manage.py migrations_lock` (run by `make test`) refuses a listed file that was edited, deleted
or renamed, and appends the files not listed yet: they are new migrations, landing with the
change that adds them.
"""
import hashlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "leadhub" / "migrations_landed.txt"
NEVER_CHANGES = "a landed migration never changes: revert your edit and put the change in a new migration"


@dataclass(frozen=True)
class Comparison:
    edited: list[str]
    missing: list[str]
    new: dict[str, str]  # path → hash, of the files the lock does not list yet

    def problems(self) -> list[str]:
        """One line per landed migration that changed, saying what to do."""
        return [f"{path} was edited: {NEVER_CHANGES}." for path in self.edited] + [
            f"{path} is gone (deleted or renamed): {NEVER_CHANGES}; restore it." for path in self.missing
        ]


def migration_hashes(root: Path) -> dict[str, str]:
    """Every migration file under `root` (the apps are its top-level folders), path → SHA-256."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.glob("*/migrations/*.py")
        if path.name != "__init__.py"
    }


def lock_read(lock: Path) -> dict[str, str]:
    entries = {}
    for line in lock.read_text().splitlines():
        if line.strip():
            digest, path = line.split(maxsplit=1)
            entries[path] = digest
    return entries


def lock_write(entries: dict[str, str], lock: Path) -> None:
    lock.write_text("".join(f"{digest}  {path}\n" for path, digest in sorted(entries.items())))


def lock_compare(root: Path, lock: Path) -> Comparison:
    landed, found = lock_read(lock), migration_hashes(root)
    return Comparison(
        edited=sorted(path for path, digest in landed.items() if path in found and found[path] != digest),
        missing=sorted(path for path in landed if path not in found),
        new={path: digest for path, digest in sorted(found.items()) if path not in landed},
    )


def lock_append(comparison: Comparison, lock: Path) -> None:
    """Add the new migrations to the lock; the landed lines stay exactly as they were."""
    lock_write({**lock_read(lock), **comparison.new}, lock)
