from django.core.management.base import BaseCommand, CommandError

from ledger.models import Entry
from ledger.verify import ledger_verify


class Command(BaseCommand):
    help = ("Check that the ledger's figures (sales, payouts, margin per buyer, provider and day) equal the sums "
            "of their entries, read from the database without the cache. Exits non-zero on a mismatch.")

    def handle(self, *args, **options):
        problems = ledger_verify()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} ledger figure(s) do not match their entries.")
        self.stdout.write(f"ledger OK: {Entry.objects.count()} entries; every figure equals its entries' sum.")
