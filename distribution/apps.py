from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "distribution"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from leads.selectors import lead_timeline_section_register

        from . import receivers  # noqa: F401  (connects the ingest hook and the routing-rule sync)
        from .selectors import lead_decision_items

        lead_timeline_section_register(kind="decision", order=1, read=lead_decision_items, staff_only=True)
