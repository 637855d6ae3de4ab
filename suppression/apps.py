from django.apps import AppConfig


class SuppressionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "suppression"
