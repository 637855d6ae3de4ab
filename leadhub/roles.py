"""Staff roles: the Django groups ops staff are put in, and the permissions each role carries.

Base layer: the apps are named by label and their permissions read through the `apps` registry
it is handed, so the data migration that creates the groups and the post-migrate hook
(connected in leadhub.apps) share one definition.
"""
from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS

OPERATIONS = "Operations"
READ_ONLY_ANALYST = "Read-only analyst"
# The apps whose data staff work on; framework tables (users, sessions, tokens) are not theirs.
ROLE_APPS = (
    "workspaces", "providers", "contacts", "suppression", "compliance", "leads", "ledger", "distribution", "appointments",
    "conversions", "returns", "billing", "people", "analytics",
)


def sync_role_groups(apps, using=DEFAULT_DB_ALIAS):
    """Create (or top up) the staff groups: Operations may do everything to the business data,
    a read-only analyst may only view it (the admin lets viewers export CSV).

    Takes an `apps` registry so the data migration (historical models) and the post-migrate
    hook (models added by later migrations) share one definition of the roles. Only adds
    permissions: what the roles mean is defined here, in code, not by hand in the admin.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for app_config in apps.get_app_configs():
        if app_config.label not in ROLE_APPS:
            continue
        # Historical app stubs carry no models module, which create_permissions takes for "no models".
        stub = getattr(app_config, "models_module", None) is None
        if stub:
            app_config.models_module = True
        create_permissions(app_config, apps=apps, using=using, verbosity=0)
        if stub:
            app_config.models_module = None
    business = Permission.objects.using(using).filter(content_type__app_label__in=ROLE_APPS)
    operations, _ = Group.objects.using(using).get_or_create(name=OPERATIONS)
    operations.permissions.add(*business)
    analyst, _ = Group.objects.using(using).get_or_create(name=READ_ONLY_ANALYST)
    analyst.permissions.add(*business.filter(codename__startswith="view_"))


def sync_role_groups_after_migrate(sender, apps=global_apps, using=DEFAULT_DB_ALIAS, **kwargs):
    """After the last app has migrated (or a flush), give the roles the permissions of models
    added since."""
    if sender.label == list(global_apps.get_app_configs())[-1].label:
        sync_role_groups(apps, using=using)
