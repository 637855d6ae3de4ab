"""`manage.py workspace_key <workspace_id> [--grace 24h]`: rotate a workspace's API key and print it last."""
from django.core.management.base import BaseCommand, CommandError

from leadhub.keys import grace_argument, previous_key_note
from workspaces.models import Workspace
from workspaces.services import workspace_key_rotate


class Command(BaseCommand):
    help = ("Rotate a workspace's API key. The old key keeps working for --grace (default 24h; 0 ends it at "
            "once, for a leaked key); the new key is the last line.")

    def add_arguments(self, parser):
        parser.add_argument("workspace_id", help="The workspace whose API key is issued or rotated.")
        grace_argument(parser)

    def handle(self, *args, workspace_id, grace, **options):
        workspace = Workspace.objects.filter(pk=workspace_id).first()
        if workspace is None:
            raise CommandError(f"No workspace with id '{workspace_id}'.")
        raw_key = workspace_key_rotate(workspace=workspace, grace=grace)
        self.stdout.write(f"New API key for {workspace}. It is shown once. {previous_key_note(workspace)}")
        self.stdout.write(raw_key)

