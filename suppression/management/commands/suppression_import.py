"""`manage.py suppression_import LIST FILE`: replace list LIST's phones with FILE's (one 10-digit
number per line, or a CSV with a `phone` column); LIST is made when missing (a do-not-call
registry list unless `--kind internal`). Progress on stderr as the file is read."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from leadhub.errors import ServiceRefusal
from leadhub.progress import Progress
from suppression.models import ListKind
from suppression.services import suppression_list_import


class Command(BaseCommand):
    help = "Import a suppression list from a file (re-import replaces the list's numbers)."

    def add_arguments(self, parser):
        parser.add_argument("list", help="The list's name (created when missing).")
        parser.add_argument("file", help="One 10-digit number per line, or a CSV with a `phone` column.")
        parser.add_argument("--kind", choices=[ListKind.DNC, ListKind.INTERNAL], default=ListKind.DNC,
                            help="A new list's kind: `dnc` (calling buyers only, the default) or `internal` (all).")
        parser.add_argument("--by", default="ops:suppression_import", help="Who imports it, for the entries.")

    def handle(self, *args, list, file, kind, by, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        size = path.stat().st_size
        progress = Progress(self.stderr, total=size, unit="bytes")
        with path.open("rb") as source:
            try:
                result = suppression_list_import(name=list, file=source, by=by, kind=kind, size=size,
                                                 progress=lambda done, total: progress.update(done))
            except ServiceRefusal as exc:
                raise CommandError(exc.reason) from None
        progress.finish()
        self.stdout.write(result.summary)
