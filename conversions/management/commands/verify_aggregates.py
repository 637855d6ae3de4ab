"""`manage.py verify_aggregates [--fix]`: do stored conversion aggregates match the rows?

Compares every contact's `conversion_count` / `lifetime_value` and every workspace's
`total_conversions` / `total_revenue` with COUNT / SUM over its non-void conversions (two
set-based queries). Exits 1 when drift is found and not fixed, so cron and CI can alert on it.
"""
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from conversions.selectors import contact_aggregate_drift, workspace_aggregate_drift
from conversions.services.aggregates import aggregates_repair

SHOWN = 50


def cents(value):
    return Decimal(value).quantize(Decimal("0.01"))


class Command(BaseCommand):
    help = "Report (and with --fix repair) drift between stored conversion aggregates and the conversion rows."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true",
                            help="Set drifted aggregates back to the sums of the rows (default: off, only report).")

    def handle(self, *args, fix=False, **options):
        contacts = list(contact_aggregate_drift()[: SHOWN + 1])
        workspaces = list(workspace_aggregate_drift()[: SHOWN + 1])
        for contact in contacts[:SHOWN]:
            self.stdout.write(
                f"contact {contact.pk}: stored {contact.conversion_count} / {cents(contact.lifetime_value)}, "
                f"rows {contact.actual_count} / {cents(contact.actual_value)}"
            )
        for workspace in workspaces[:SHOWN]:
            self.stdout.write(
                f"workspace {workspace.pk}: stored {workspace.total_conversions} / {cents(workspace.total_revenue)}, "
                f"rows {workspace.actual_count} / {cents(workspace.actual_value)}"
            )
        if len(contacts) > SHOWN or len(workspaces) > SHOWN:
            self.stdout.write(f"(only the first {SHOWN} drifted rows of each table are listed)")
        if not contacts and not workspaces:
            self.stdout.write(self.style.SUCCESS("No drift: every aggregate matches its conversions."))
            return
        if not fix:
            raise CommandError("Aggregates drift from the conversion rows; run with --fix to repair.", returncode=1)
        repaired = aggregates_repair()
        self.stdout.write(
            self.style.SUCCESS(f"Repaired {repaired['contacts']} contact(s) and {repaired['workspaces']} workspace(s).")
        )
