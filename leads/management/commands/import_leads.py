"""`manage.py import_leads FILE.csv --webhook ID --provider ID`: bulk ingest through `lead_ingest`."""
import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from leadhub.progress import Progress
from leads.ingest import MAX_KEPT_LEAD_ID, REQUIRED_COLUMNS, clean_lead, column_for, to_kept_lead_id
from leads.selectors import lead_exists_with_payload
from leads.services.ingest import IngestError, lead_id_sequence_advance, lead_ingest
from providers.mapping import mapped_name
from providers.selectors import provider_get, webhook_get, webhook_is_open

USER_AGENT = "manage.py import_leads"


class Command(BaseCommand):
    help = (
        "Import leads from a CSV file with the same validation, dedup and bookkeeping as the webhook "
        "(each row is its own transaction). The header row names the fields, with the webhook's "
        "aliases (firstName, zip, phone_number, ...). Refused rows are written to an error report "
        "(row, field, message; the header is row 1), by default next to the file with .errors.csv in place of "
        "its extension (leads.csv → leads.errors.csv). "
        "Re-running a file imports nothing twice: a row with an id (id, lead_id, external_id or reference: "
        "the sender's reference, kept as the lead's external_id) is idempotent by that reference, and a "
        "row without one is skipped when a lead with the same webhook, phone and identical row (raw "
        "payload) already exists, so identical rows within one file are imported once."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file with a header row.")
        parser.add_argument("--webhook", required=True, help="webhook_id the leads arrive on (required, no default).")
        parser.add_argument("--provider", required=True,
                            help="provider_id the leads are counted for (required, no default).")
        parser.add_argument(
            "--distribute", action="store_true",
            help="Distribute each imported lead by its webhook's strategy (default: off; imports are often old leads).",
        )
        parser.add_argument("--errors", help="Error report path (default: leads.errors.csv for leads.csv).")
        parser.add_argument(
            "--keep-ids", action="store_true",
            help=f"Moving leads from an earlier system (default: off): each row's id becomes the lead's id (and its "
                 f"external_id); a row whose id is not a whole number from 1 to {MAX_KEPT_LEAD_ID:,} is refused. "
                 "Without it, ids in the file are only the sender's references and leadhub numbers the leads.",
        )

    def handle(self, *args, file, webhook, provider, errors, distribute, keep_ids, **options):
        webhook, provider = self._source(webhook, provider)
        path = Path(file)
        errors_path = Path(errors) if errors else path.with_suffix(".errors.csv")  # as the help says
        total = self._check_file(path, mapping=webhook.payload_mapping)
        counts = {"created": 0, "replayed": 0, "failed": 0}
        with (
            path.open(newline="", encoding="utf-8-sig") as source,
            errors_path.open("w", newline="", encoding="utf-8") as report,
        ):
            writer = csv.writer(report)
            writer.writerow(["row", "field", "message"])
            reader = csv.DictReader(source)
            progress = Progress(self.stderr, total=total, unit="rows")
            for done, row in enumerate(reader, start=1):
                outcome, problems = self._import_row(
                    row, webhook=webhook, provider=provider, distribute=distribute, keep_ids=keep_ids
                )
                counts[outcome] += 1
                writer.writerows([reader.line_num, field, message] for field, message in problems)
                progress.update(done)
            progress.finish()
        self.stdout.write(
            f"{counts['created']} created, {counts['replayed']} replayed (already imported), "
            f"{counts['failed']} failed; error report: {errors_path}"
        )

    def _source(self, webhook_id, provider_id):
        webhook = webhook_get(webhook_id=webhook_id)
        if not webhook_is_open(webhook):
            raise CommandError(f"No active webhook '{webhook_id}'.")
        provider = provider_get(provider_id=provider_id)
        if provider is None or not provider.is_active:
            raise CommandError(f"No active provider '{provider_id}'.")
        if provider.allowed_webhooks is not None and webhook.webhook_id not in provider.allowed_webhooks:
            raise CommandError(f"Provider '{provider_id}' may not post to webhook '{webhook_id}'.")
        return webhook, provider

    def _check_file(self, path, *, mapping):
        """Refuse a file that cannot work before importing anything (its header read through the
        webhook's field mapping); returns its row count."""
        try:
            with path.open(newline="", encoding="utf-8-sig") as source:
                reader = csv.reader(source)
                header = next(reader, None)
                total = sum(1 for row in reader if row)  # DictReader skips blank lines too
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        if not header:
            raise CommandError(f"{path} has no header row.")
        missing = set(REQUIRED_COLUMNS) - {column_for(mapped_name(mapping, name)) for name in header}
        if missing:
            raise CommandError(f"{path} header lacks required field(s): {', '.join(sorted(missing))}.")
        return total

    def _import_row(self, row, *, webhook, provider, distribute, keep_ids):
        """(outcome, [(field, message), ...]) for one CSV row."""
        payload = {key: value for key, value in row.items() if key is not None}  # drop surplus cells
        cleaned = clean_lead(payload, lead_type=webhook.lead_type, mapping=webhook.payload_mapping)
        if not cleaned.errors and cleaned.external_id is None and lead_exists_with_payload(
            webhook_id=webhook.webhook_id, phone=cleaned.values["phone"], raw_payload=payload
        ):
            return "replayed", []
        lead_id = None
        if keep_ids and cleaned.external_id is not None:
            try:
                lead_id = to_kept_lead_id(cleaned.external_id)
            except ValueError as exc:
                problems = [(field, message) for field, messages in cleaned.errors.items() for message in messages]
                return "failed", [("id", str(exc)), *problems]
            if not cleaned.errors:
                lead_id_sequence_advance(past=lead_id)
        try:
            result = lead_ingest(
                webhook=webhook, payload=payload, provider=provider, user_agent=USER_AGENT, distribute=distribute,
                lead_id=lead_id,
            )
        except IngestError as exc:
            problems = [(field, message) for field, messages in exc.errors.items() for message in messages]
            return "failed", problems or [("", exc.reason)]
        return ("created" if result.created else "replayed"), []
