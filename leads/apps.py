from django.apps import AppConfig


class LeadsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'leads'

    def ready(self):
        from leads import receivers  # noqa: F401  (connects the delivery hook)
        from leads.ingest import KEY_TO_COLUMN, did_you_mean
        from leads.selectors import workspace_lead_totals
        from leads.services.ingest import lead_ingest, lead_sample
        from providers.handlers import (
            mapping_targets_register, rejected_submission_handler_register, sample_post_handler_register,
        )
        from workspaces.selectors import workspace_profile_section_register

        workspace_profile_section_register(name="totals", read=workspace_lead_totals)
        rejected_submission_handler_register(endpoint="lead", handler=lead_ingest)
        sample_post_handler_register(endpoint="lead", handler=lead_sample)
        mapping_targets_register(endpoint="lead", names=KEY_TO_COLUMN, suggest=did_you_mean)
