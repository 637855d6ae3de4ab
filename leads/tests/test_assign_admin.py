"""The admin bulk action "Assign to workspace" (intermediate page, then lead_assign)."""
import pytest

from leadhub.testing import make_lead, make_workspace
from leads.models import Lead, WorkspaceTracking

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
    held = make_lead()
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


def assign(admin_client, leads, workspace, **fields):
    return admin_client.post(CHANGELIST, {
        "action": "assign_to_workspace", "_selected_action": [lead.pk for lead in leads], "post": "yes",
        "workspace": workspace.pk, **fields,
    }, follow=True)


def messages_of(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_a_held_lead_is_refused_release_first_and_the_others_are_assigned(admin_client):
    held, free, target = make_lead(held_for_consent=True), make_lead(), make_workspace()

    response = assign(admin_client, [held, free], target)

    assert messages_of(response) == [
        ("success", f"Assigned 1 lead(s) to {target}."),
        ("error", f"Not assigned: #{held.pk} (consent) held. Release the holds first (“Release a hold”, with the "
                  "reason): the release distributes the lead."),
    ]
    held.refresh_from_db()
    assert held.workspace_id is None and held.held_for_consent and not held.accesses.exists()
    assert Lead.objects.get(pk=free.pk).workspace_id == target.pk
