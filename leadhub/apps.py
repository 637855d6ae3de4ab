"""leadhub app: connects the post-migrate hook that keeps the staff roles (leadhub.roles) complete."""
from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LeadhubConfig(AppConfig):
    name = "leadhub"

    def ready(self):
        from leadhub.roles import sync_role_groups_after_migrate

        post_migrate.connect(sync_role_groups_after_migrate, dispatch_uid="leadhub.sync_role_groups")
