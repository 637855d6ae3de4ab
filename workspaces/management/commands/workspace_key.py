"""`manage.py workspace_key <workspace_id>`: rotate a workspace's API key and print it last."""
from django.core.management.base import BaseCommand, CommandError

from workspaces.models import Workspace
from workspaces.services import workspace_key_rotate


class Command(BaseCommand):
    help = "Rotate a workspace's API key. The old key stops working; the new key is the last line."

    def add_arguments(self, parser):
        parser.add_argument("workspace_id", help="The workspace whose API key is issued or rotated.")

    def handle(self, *args, workspace_id, **options):
        workspace = Workspace.objects.filter(pk=workspace_id).first()
        if workspace is None:
            raise CommandError(f"No workspace with id '{workspace_id}'.")
        raw_key = workspace_key_rotate(workspace=workspace)
        self.stdout.write(f"New API key for {workspace}. It is shown once; the previous key no longer works.")
        self.stdout.write(raw_key)
