from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "distribution"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the ingest hook and the routing-rule sync)
        from . import strategies  # noqa: F401  (names the strategies the webhook's field accepts)
