"""Writes of suppression: entries added one at a time (ops, a workspace's opt-out report), lists
imported whole (re-import replaces), and a purged person's values cleared (digests kept).

Every write that adds entries sends `suppression_added` in its transaction, so the workspaces
holding a lead of a newly suppressed number hear of it (`lead.suppressed`, sent by leads) with
the write, or not at all.
"""
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from leadhub.errors import ServiceRefusal, errors_message
from leadhub.phones import normalize_phone

from .keys import display_value, email_key, phone_key, subject_digests, suppression_digest
from .models import Channel, ListKind, SuppressionEntry, SuppressionList
from .signals import suppression_added

# (workspace, phone, email) -> whether the workspace bought a lead with that phone or email.
# Sales live above (distribution), which registers its check at ready().
_PURCHASE_CHECKS: list[Callable] = []


def purchase_check_register(check: Callable) -> None:
    _PURCHASE_CHECKS.append(check)


def _bought(*, workspace, phone: str, email: str) -> bool:
    return any(check(workspace=workspace, phone=phone, email=email) for check in _PURCHASE_CHECKS)


def opt_out_list_for(*, workspace) -> SuppressionList:
    """The workspace's own opt-out list (one per workspace, made at its first report)."""
    suppression_list, _created = SuppressionList.objects.get_or_create(
        workspace=workspace, defaults={"name": f"opt-outs: {workspace.pk}", "kind": ListKind.OPT_OUT},
    )
    return suppression_list


class SuppressionInvalid(ServiceRefusal):
    """A phone or email that cannot be suppressed as sent (neither or both given, not a number or
    an address): refused naming the field."""

    code = "validation"

    def __init__(self, errors):
        super().__init__(errors_message(errors), errors=errors)


def _channel_key(*, phone, email) -> tuple[str, str]:
    """(channel, normalised key) of exactly one of `phone` / `email`; SuppressionInvalid naming the field."""
    if bool(phone) == bool(email):
        raise SuppressionInvalid({"non_field_errors": ["Send exactly one of phone or email."]})
    try:
        return (Channel.PHONE, phone_key(phone)) if phone else (Channel.EMAIL, email_key(email))
    except ValueError as exc:
        raise SuppressionInvalid({"phone" if phone else "email": [str(exc)]}) from None


@transaction.atomic
def suppression_entry_add(*, suppression_list, phone="", email="", reason="", by: str,
                          applies_to_all=False) -> tuple[SuppressionEntry, bool]:
    """Put one phone or email on `suppression_list` (idempotent: an entry already there is
    returned, created False). A new entry tells the holders of its leads (`suppression_added`)."""
    channel, key = _channel_key(phone=phone, email=email)
    now = timezone.now()
    entry, created = SuppressionEntry.objects.get_or_create(
        suppression_list=suppression_list, digest=suppression_digest(key),
        defaults={"channel": channel, "value": display_value(channel, key), "reason": (reason or "").strip()[:255],
                  "applies_to_all": applies_to_all, "added_at": now, "added_by": by},
    )
    if created:
        suppression_added.send(sender=SuppressionList, suppression_list=suppression_list, since=now)
    return entry, created


def opt_out_report(*, workspace, phone="", email="", reason="", by: str) -> tuple[SuppressionEntry, bool]:
    """A workspace's consumer asked not to be contacted. The opt-out stops the number for that
    buyer; when the buyer bought it (a sale to it), for every buyer: the consumer opted out of a
    lead we sold, so selling it to anyone else would ignore them."""
    channel, key = _channel_key(phone=phone, email=email)
    value = display_value(channel, key)
    applies_to_all = _bought(workspace=workspace, phone=value if channel == Channel.PHONE else "",
                             email=value if channel == Channel.EMAIL else "")
    with transaction.atomic():
        entry, created = suppression_entry_add(
            suppression_list=opt_out_list_for(workspace=workspace), phone=phone, email=email, reason=reason, by=by,
            applies_to_all=applies_to_all,
        )
        if not created and applies_to_all and not entry.applies_to_all:  # bought since it was first reported
            entry.applies_to_all = True
            entry.save(update_fields=["applies_to_all"])
            suppression_added.send(sender=SuppressionList, suppression_list=entry.suppression_list,
                                   since=entry.added_at)
    return entry, created


def suppression_entries_purge(*, phones=(), emails=()) -> int:
    """A purged person's entries keep their digest (the number stays suppressed) and lose the
    value ops could read. Returns how many entries were cleared."""
    digests = [digest for phone in phones for digest in subject_digests(phone=phone)]
    digests += [digest for email in emails for digest in subject_digests(email=email)]
    if not digests:
        return 0
    return SuppressionEntry.objects.filter(digest__in=digests).exclude(value="").update(
        value="", reason="", purged_at=timezone.now())


# --- Import ---------------------------------------------------------------------------------------

class ImportRefused(ServiceRefusal):
    code = "invalid_file"


@dataclass
class ImportResult:
    suppression_list: SuppressionList
    rows: int = 0  # lines read (a CSV's header not counted)
    entries: int = 0  # distinct numbers now on the list
    added: int = 0  # of those, new to it
    removed: int = 0  # on it before, not in the file
    invalid: int = 0
    invalid_lines: list = field(default_factory=list)  # the first few, for the message

    @property
    def summary(self) -> str:
        text = (f"{self.suppression_list.name}: {self.entries:,} numbers ({self.added:,} new, {self.removed:,} removed) "
                f"from {self.rows:,} rows")
        if self.invalid:
            more = "…" if self.invalid > len(self.invalid_lines) else ""
            text += f"; {self.invalid:,} not valid US numbers skipped (lines {', '.join(map(str, self.invalid_lines))}{more})"
        return text + "."


_TEN_DIGITS = re.compile(r"1?(\d{10})")


class _PhoneReader:
    """Normalises a file's phones by the one rule (leadhub.phones.normalize_phone). A registry
    file is millions of bare 10-digit numbers, and parsing each costs ~70 µs; NANP validity is
    decided by the first six digits of a 10-digit number (area code and exchange), so a bare
    number's validity is asked once per six-digit prefix and remembered."""

    def __init__(self):
        self._prefix_valid = {}

    def key(self, text: str) -> str | None:
        text = text.strip()
        if match := _TEN_DIGITS.fullmatch(text):
            digits = match.group(1)
            prefix = digits[:6]
            if prefix not in self._prefix_valid:
                self._prefix_valid[prefix] = _valid(digits)
            return digits if self._prefix_valid[prefix] else None
        try:
            return normalize_phone(text).removeprefix("+1") if text else None
        except ValueError:
            return None


def _valid(digits):
    try:
        normalize_phone(digits)
    except ValueError:
        return False
    return True


def _phone_lines(file, progress):
    """(line number, phone text) of a file of one number per line, or of a CSV's `phone` column."""
    text = io.TextIOWrapper(file, encoding="utf-8-sig", errors="replace", newline="")
    first = text.readline()
    header = [name.strip().lower() for name in next(csv.reader([first]))] if first else []
    done = len(first.encode())
    if "phone" in header:
        column = header.index("phone")
        for number, row in enumerate(csv.reader(text), start=2):
            yield number, row[column] if len(row) > column else ""
            if number % 50_000 == 0:
                progress(file.tell())
        return
    if first.strip():
        yield 1, first
    for number, line in enumerate(text, start=2):
        done += len(line)
        yield number, line
        if number % 50_000 == 0:
            progress(done)


def suppression_list_import(*, name: str, file, by: str, kind: str = ListKind.DNC, size: int = 0,
                            progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Replace the phones of list `name` (made, of `kind`, when missing) with those of `file` (a
    binary file: one 10-digit number per line, or a CSV with a `phone` column), atomically:
    numbers no longer in the file leave, numbers still in it keep their entry (and its purge),
    new ones are added and their leads' holders told. `progress(bytes read, size)` is called as
    the file is read. On PostgreSQL the rows go in by COPY through a staging table, elsewhere by
    batched inserts; 1,000,000 rows take well under three minutes (bench/suppression.py)."""
    progress = progress or (lambda done, total: None)
    reader = _PhoneReader()
    staged: dict[str, str] = {}
    result_rows, invalid, invalid_lines = 0, 0, []
    for number, line in _phone_lines(file, lambda done: progress(done, size)):
        if not line.strip():
            continue
        result_rows += 1
        key = reader.key(line)
        if key is None:
            invalid += 1
            if len(invalid_lines) < 5:
                invalid_lines.append(number)
            continue
        staged[key] = ""
    progress(size, size)
    if result_rows and not staged:
        raise ImportRefused(f"No valid US phone number in the file ({invalid:,} rows).",
                            errors={"file": [f"No valid US phone number (lines {', '.join(map(str, invalid_lines))})."]})
    rows = [(suppression_digest(key), f"+1{key}") for key in staged]
    now = timezone.now()
    with transaction.atomic():
        suppression_list, _created = SuppressionList.objects.get_or_create(name=name, defaults={"kind": kind})
        if suppression_list.kind == ListKind.OPT_OUT:
            raise ImportRefused(f"'{name}' is a workspace's opt-out list: it is reported, not imported.",
                                errors={"list": ["A workspace's opt-out list cannot be imported."]})
        suppression_list = SuppressionList.objects.select_for_update().get(pk=suppression_list.pk)
        removed, added = _entries_replace(suppression_list, rows, by=by, at=now)
        SuppressionList.objects.filter(pk=suppression_list.pk).update(imported_at=now, imported_by=by, updated_at=now)
        if added:
            suppression_added.send(sender=SuppressionList, suppression_list=suppression_list, since=now)
    return ImportResult(suppression_list=suppression_list, rows=result_rows, entries=len(rows), added=added,
                        removed=removed, invalid=invalid, invalid_lines=invalid_lines)


_STAGE = "suppression_import_stage"


def _entries_replace(suppression_list, rows, *, by, at) -> tuple[int, int]:
    """(removed, added): the list's entries become `rows` [(digest, value)], through a staging
    table, in the caller's transaction."""
    table = SuppressionEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_STAGE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {_STAGE} (digest varchar(64) PRIMARY KEY, value varchar(254))")
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {_STAGE} (digest, value) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            for start in range(0, len(rows), 5000):
                cursor.executemany(f"INSERT INTO {_STAGE} (digest, value) VALUES (%s, %s)", rows[start:start + 5000])
        cursor.execute(
            f"DELETE FROM {table} WHERE suppression_list_id = %s "
            f"AND NOT EXISTS (SELECT 1 FROM {_STAGE} s WHERE s.digest = {table}.digest)", [suppression_list.pk])
        removed = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {table} (suppression_list_id, channel, digest, value, reason, applies_to_all, added_at, "
            f"added_by, purged_at) SELECT %s, %s, digest, value, '', %s, %s, %s, NULL FROM {_STAGE} "
            f"WHERE true ON CONFLICT (suppression_list_id, digest) DO NOTHING",
            [suppression_list.pk, Channel.PHONE, False, connection.ops.adapt_datetimefield_value(at), by])
        added = cursor.rowcount
        cursor.execute(f"DROP TABLE {_STAGE}")
    return removed, added
