"""Re-processing a stored post calls the live endpoint's own service, registered by the app that
owns it (providers names none of the apps above it)."""
from appointments.services.intake import appointment_intake
from leads.services.ingest import lead_ingest
from providers.handlers import REJECTED_SUBMISSION_HANDLERS


def test_each_webhook_endpoint_registers_its_live_service_for_reprocessing():
    registered = REJECTED_SUBMISSION_HANDLERS
    assert registered == {"lead": lead_ingest, "appointment": appointment_intake}
