"""Isolation of the caller's own-workspace endpoints, and the check that every partner route
has an isolation suite (so later endpoints cannot skip it)."""
from leadhub.testing.api import IsolationSuite, assert_partner_routes_covered
from workspaces.models import Workspace


class TestWorkspaceEndpointsIsolation(IsolationSuite):
    """Singleton endpoints: no ids in the URL, so isolation means "only ever your own"."""

    url_names = ("partner-workspace", "partner-workspace-webhook")

    def make_object(self, workspace):
        return workspace

    def test_profile_is_the_callers_own(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        body = client_b.get("/api/v1/workspace/").json()
        assert body["id"] == workspace_b.pk
        assert workspace_a.pk not in str(body)

    def test_webhook_update_changes_only_the_callers_workspace(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        response = client_b.post(
            "/api/v1/workspace/webhook/",
            {"outbound_webhook_url": "https://b.example.com/hook", "webhook_active": True},
            format="json",
        )
        assert response.status_code == 200, response.content
        # Query parameters naming another workspace are ignored for keys.
        client_b.post(
            f"/api/v1/workspace/webhook/?workspace={workspace_a.pk}",
            {"outbound_webhook_url": "https://evil.example.com/"},
            format="json",
        )
        workspace_a.refresh_from_db()
        assert workspace_a.outbound_webhook_url == "" and not workspace_a.webhook_active
        assert Workspace.objects.get(pk=workspace_b.pk).outbound_webhook_url == "https://evil.example.com/"


def test_every_partner_route_has_an_isolation_suite():
    assert_partner_routes_covered()
