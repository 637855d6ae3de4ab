from django.core.management.base import BaseCommand, CommandError

from analytics.reconcile import ledger_reconcile


class Command(BaseCommand):
    help = ("Reconcile the ledger with the rows that caused it: every sale row with its `sale` entry and back, every "
            "payout with its lead (or appointment) and its webhook's terms, every credit and chargeback with what "
            "caused it, every money figure of the KPI API and dashboard with its entries. Prints each row that does "
            "not hold, one line each naming its ids, and exits non-zero; `OK: N entries, M sales` when all hold. "
            "Reads the database, never the cache.")

    def handle(self, *args, **options):
        result = ledger_reconcile()
        for problem in result.problems:
            self.stdout.write(problem)
        if result.problems:
            count = len(result.problems)
            raise CommandError(f"{count} problem{'s' if count != 1 else ''}: the ledger does not match its rows.")
        self.stdout.write(f"OK: {result.entries} entries, {result.sales} sales")
        if result.purged:
            self.stdout.write(f"({result.purged} entries of purged persons' leads: their rows are gone, their sums "
                              "are checked)")
