from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance"

    def ready(self):
        from . import rules  # noqa: F401  (its cache is dropped when ops edit a rule)
