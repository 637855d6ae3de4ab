"""GET /api/v1/workspace/ and POST /api/v1/workspace/webhook/, and the OpenAPI schema."""
import io

import pytest
import yaml
from django.core.management import call_command

from leadhub.testing.api import workspace_with_key
from leadhub.testing import assert_error, make_access, make_lead, make_workspace
from leads.services.access import lead_access_revoke

pytestmark = pytest.mark.django_db


def test_profile_shows_settings_and_totals():
    workspace, client = workspace_with_key(scopes=["leads:read"], total_conversions=2, total_revenue="150.00")
    for status in ("assigned", "assigned", "accepted", "rejected"):
        make_lead(workspace=workspace, workspace_status=status)
    make_lead()  # not ours
    bought = make_lead(workspace=make_workspace(), workspace_status="accepted")
    make_access(bought, workspace, how="sold")  # a multisell copy: ours, with our own (empty) status
    lost = make_lead(workspace=workspace, workspace_status="accepted")
    lead_access_revoke(lead=lost, workspace_id=workspace.pk, by="staff:ops")  # no longer ours
    body = client.get("/api/v1/workspace/").json()
    assert body["id"] == workspace.pk and body["scopes"] == ["leads:read"]
    assert body["total_conversions"] == 2 and body["total_revenue"] == "150.00"
    assert body["totals"] == {
        "leads_total": 5, "leads_assigned": 2, "leads_accepted": 1, "leads_rejected": 1, "leads_converted": 0
    }
    assert "api_key" not in body


def test_webhook_set_and_disable():
    workspace, client = workspace_with_key()
    response = client.post(
        "/api/v1/workspace/webhook/", {"outbound_webhook_url": "https://hooks.example.com/lh", "webhook_active": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["webhook_active"] is True
    workspace.refresh_from_db()
    assert (workspace.outbound_webhook_url, workspace.webhook_active) == ("https://hooks.example.com/lh", True)
    client.post("/api/v1/workspace/webhook/", {"webhook_active": False}, format="json")
    workspace.refresh_from_db()
    assert workspace.webhook_active is False and workspace.outbound_webhook_url == "https://hooks.example.com/lh"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"outbound_webhook_url": "not a url"}, "outbound_webhook_url"),
        ({"webhook_active": True}, "outbound_webhook_url"),  # active needs a URL
        ({"webhook_active": "maybe"}, "webhook_active"),
        ({}, "outbound_webhook_url"),
    ],
)
def test_bad_webhook_settings_are_422_naming_the_field(body, field):
    workspace, client = workspace_with_key()
    assert_error(client.post("/api/v1/workspace/webhook/", body, format="json"), 422, field=field)
    workspace.refresh_from_db()
    assert workspace.webhook_active is False


def test_openapi_schema_validates_and_documents_the_auth_schemes():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    schemes = schema["components"]["securitySchemes"]
    assert schemes["workspaceKey"] == {**schemes["workspaceKey"], "type": "http", "scheme": "bearer"}
    assert "Api-Key" in schemes["workspaceKey"]["description"]
    assert set(schemes) == {"workspaceKey", "staffSession", "providerId", "providerKey"}  # staff: the admin session
    for path in ("/api/v1/leads/", "/api/v1/leads/{id}/timeline/", "/api/v1/contacts/", "/api/v1/workspace/"):
        operation = schema["paths"][path]["get"]
        assert {"workspaceKey": []} in operation["security"], path
    assert "patch" in schema["paths"]["/api/v1/leads/{id}/"]
    assert "put" not in schema["paths"]["/api/v1/leads/{id}/"]
