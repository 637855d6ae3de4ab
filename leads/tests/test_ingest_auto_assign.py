"""Per-webhook automatic assignment on ingest through the buyers' lead offers."""
import pytest

from leadhub.testing import make_lead_offer, make_webhook, make_workspace
from leads.services.ingest import lead_ingest

pytestmark = pytest.mark.django_db

PAYLOAD = {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com", "phone": "(415) 867-5309",
           "zip_code": "94105", "consent_value": "true", "tcpa_compliance": "yes"}


@pytest.fixture
def routed_workspace():
    workspace = make_workspace()
    make_lead_offer(workspace, zip_codes=["94105"], products=["solar"])
    return workspace


def test_switched_on_webhook_assigns_by_lead_offers(routed_workspace):
    webhook = make_webhook(distribution_strategy="priority")
    lead = lead_ingest(webhook=webhook, payload=PAYLOAD).lead
    lead.refresh_from_db()
    assert (lead.workspace_id, lead.workspace_status) == (routed_workspace.pk, "assigned")
    assert lead.workspace_tracking.filter(action="sent", workspace=routed_workspace).count() == 1


def test_switched_off_webhook_leaves_leads_unassigned(routed_workspace):
    lead = lead_ingest(webhook=make_webhook(), payload=PAYLOAD).lead
    lead.refresh_from_db()
    assert lead.workspace_id is None


def test_lead_without_consent_is_never_auto_assigned(routed_workspace):
    webhook = make_webhook(distribution_strategy="priority")
    lead = lead_ingest(webhook=webhook, payload={**PAYLOAD, "tcpa_compliance": "no"}).lead
    lead.refresh_from_db()
    assert lead.held_for_consent and lead.workspace_id is None
