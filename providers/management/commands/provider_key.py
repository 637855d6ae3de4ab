"""`manage.py provider_key <provider_id> [--grace 24h]`: issue a new API key; the raw key is the last line."""
from django.core.management.base import BaseCommand, CommandError

from leadhub.keys import grace_argument, previous_key_note
from providers import selectors
from providers.services.keys import provider_key_rotate


class Command(BaseCommand):
    help = ("Generate a new API key for a lead source provider and print it once. The old key keeps working "
            "for --grace (default 24h; 0 ends it at once, for a leaked key).")

    def add_arguments(self, parser):
        parser.add_argument("provider_id", help="The provider whose API key is issued or rotated.")
        grace_argument(parser)

    def handle(self, *args, provider_id, grace, **options):
        provider = selectors.provider_get(provider_id=provider_id)
        if provider is None:
            raise CommandError(f"No provider '{provider_id}'.")
        raw_key = provider_key_rotate(provider=provider, grace=grace)
        self.stdout.write(
            f"New API key for {provider.provider_id}; only its digest is stored, so keep it now. "
            f"{previous_key_note(provider)}"
        )
        # Last line of the output, alone, so scripts can take it with `tail -n 1`.
        self.stdout.write(raw_key)
