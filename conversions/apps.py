from django.apps import AppConfig


class ConversionsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'conversions'

    def ready(self):
        from conversions.selectors import lead_conversion_items
        from leads.selectors import lead_timeline_section_register

        lead_timeline_section_register(kind="conversion", order=5, read=lead_conversion_items)
