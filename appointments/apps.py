from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'appointments'

    def ready(self):
        from appointments import receivers  # noqa: F401  (connects the forward mirror)
        from appointments.selectors import lead_appointment_items
        from appointments.intake import ProviderIntakeForm
        from appointments.services.intake import appointment_intake
        from leads.selectors import lead_timeline_section_register
        from providers.handlers import mapping_targets_register, rejected_submission_handler_register

        lead_timeline_section_register(kind="appointment", order=4, read=lead_appointment_items)
        rejected_submission_handler_register(endpoint="appointment", handler=appointment_intake)
        mapping_targets_register(endpoint="appointment", names=ProviderIntakeForm.base_fields)
