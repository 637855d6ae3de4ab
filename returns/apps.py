from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "returns"

    def ready(self):
        from leads.compliance_record import lead_compliance_section_register

        from .compliance_record import lead_return_entries

        lead_compliance_section_register(key="returns", title="Returns and credits", order=85,
                                         read=lead_return_entries)
