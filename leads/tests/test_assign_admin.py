"""The admin bulk action "Assign to workspace" (intermediate page, then lead_assign)."""
import pytest

from leadhub.testing import make_lead, make_workspace
from leads.models import WorkspaceTracking

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/leads/lead/"


def test_action_asks_for_the_workspace_first(admin_client):
    leads = [make_lead(), make_lead()]
    make_workspace("acme-solar")
    response = admin_client.post(
        CHANGELIST, {"action": "assign_to_workspace", "_selected_action": [lead.pk for lead in leads]}
    )
    assert response.status_code == 200
    assert b"acme-solar" in response.content and b"Assign 2 leads" in response.content
    assert not WorkspaceTracking.objects.exists()


def test_confirming_assigns_every_selected_lead_through_the_service(admin_client):
    held = make_lead(held_for_consent=True)
    other = make_workspace()
    moved = make_lead(workspace=other, workspace_status="accepted")
    target = make_workspace()
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "assign_to_workspace",
            "_selected_action": [held.pk, moved.pk],
            "post": "yes",
            "workspace": target.pk,
        },
        follow=True,
    )
    assert "Assigned 2 lead(s)" in " ".join(str(m) for m in response.context["messages"])
    for lead in (held, moved):
        lead.refresh_from_db()
        assert (lead.workspace_id, lead.workspace_status) == (target.pk, "assigned")
    assert WorkspaceTracking.objects.filter(workspace=target, action="sent").count() == 2
    assert WorkspaceTracking.objects.filter(workspace=other, lead=moved, action="updated").exists()
    assert WorkspaceTracking.objects.get(workspace=target, lead=held).performed_by == "staff:admin"


def test_inactive_workspace_cannot_be_chosen(admin_client):
    lead = make_lead()
    closed = make_workspace(is_active=False)
    response = admin_client.post(
        CHANGELIST,
        {"action": "assign_to_workspace", "_selected_action": [lead.pk], "post": "yes", "workspace": closed.pk},
    )
    assert response.status_code == 200 and b"errorlist" in response.content
    lead.refresh_from_db()
    assert lead.workspace_id is None
