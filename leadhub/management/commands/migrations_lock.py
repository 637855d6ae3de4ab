"""Compare the migration files with the lock of landed ones (leadhub.migration_lock); run by `make test`."""
from django.core.management.base import BaseCommand, CommandError

from leadhub import migration_lock


class Command(BaseCommand):
    help = "Fail if a landed migration was edited or removed; append new migrations to the lock."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true",
            help="Write nothing: new migrations not in the lock fail too (default: off, they are appended).",
        )

    def handle(self, *args, check=False, **options):
        comparison = migration_lock.lock_compare(migration_lock.ROOT, migration_lock.LOCK)
        problems = comparison.problems()
        if check:
            problems += [f"{path} is not in the lock: run `manage.py migrations_lock` to append it."
                         for path in comparison.new]
        if problems:
            raise CommandError("\n".join(problems))
        if comparison.new:
            migration_lock.lock_append(comparison, migration_lock.LOCK)
            for path in comparison.new:
                self.stdout.write(f"New migration added to the lock: {path}")
