"""Workspaces' back-office without JSON: scopes and webhook events ticked, metadata as key/value
rows, unknown entries refused by name, the id explained, and the outbox page's actions and links."""
import pytest
from django.contrib.auth import get_user_model

from leadhub.testing import WebhookReceiver, make_lead, make_workspace
from workspaces.delivery import outbox_deliver, outbox_emit
from workspaces.models import DeliveryStatus, EventType, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-not-used-1"))
    return client


def change_url(workspace):
    return f"/admin/workspaces/workspace/{workspace.pk}/change/"


def workspace_form(workspace, **changes):
    data = {"name": workspace.name, "is_active": "on", "time_zone": "UTC",
            "billing_mode": "invoiced", "credit_limit": "0", "outbound_webhook_url": "",
            "routing_rules-TOTAL_FORMS": "0",
            "routing_rules-INITIAL_FORMS": "0"}
    data.update(changes)
    return data


def test_scopes_events_and_metadata_without_json(admin_client):
    workspace = make_workspace("acme", name="Acme", permissions=["leads:read"], metadata={"tier": "gold", "seats": 5})

    page = admin_client.get(change_url(workspace)).content.decode()
    assert 'type="checkbox" name="permissions" value="leads:read"' in page and "Read leads" in page
    assert 'name="webhook_events" value="lead.assigned"' in page
    assert 'name="metadata-key-0" value="tier"' in page and 'name="metadata-value-1" value="5"' in page

    response = admin_client.post(change_url(workspace), workspace_form(
        workspace, permissions=["leads:read", "leads:write"], webhook_events=["lead.assigned"],
        **{"metadata-key-0": "tier", "metadata-value-0": "platinum", "metadata-key-1": "seats", "metadata-value-1": "5",
           "metadata-key-2": "zip", "metadata-value-2": "02134", "metadata-key-3": "", "metadata-value-3": ""},
    ))

    assert response.status_code == 302, response.context["adminform"].form.errors
    workspace.refresh_from_db()
    assert workspace.permissions == ["leads:read", "leads:write"]
    assert workspace.webhook_events == ["lead.assigned"]
    assert workspace.metadata == {"tier": "platinum", "seats": 5, "zip": "02134"}


@pytest.mark.parametrize("field,value,message", [
    ("permissions", "leads:delete", "Unknown scope(s): leads:delete."),
    ("webhook_events", "lead.deleted", "Unknown event type(s): lead.deleted."),
])
def test_unknown_scope_or_event_is_refused_by_name(admin_client, field, value, message):
    workspace = make_workspace("acme")

    response = admin_client.post(change_url(workspace), workspace_form(workspace, **{field: [value]}))

    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])


def test_a_metadata_value_without_a_key_is_refused(admin_client):
    workspace = make_workspace("acme")

    response = admin_client.post(change_url(workspace), workspace_form(
        workspace, **{"metadata-key-0": "", "metadata-value-0": "orphan"}))

    assert response.context["adminform"].form.errors["metadata"] == ["The value 'orphan' has no key."]


def test_the_workspace_id_says_why_it_cannot_change(admin_client):
    workspace = make_workspace("acme")

    page = admin_client.get(change_url(workspace)).content.decode()
    assert 'name="id"' not in page
    assert "The id cannot be changed" in page
    response = admin_client.post(change_url(workspace), workspace_form(workspace, id="renamed"))
    assert response.status_code == 302
    assert Workspace.objects.filter(pk="acme").exists() and not Workspace.objects.filter(pk="renamed").exists()


def test_no_bulk_delete_of_workspaces(admin_client):
    make_workspace("acme")

    page = admin_client.get("/admin/workspaces/workspace/").content.decode()

    assert 'value="delete_selected"' not in page


def test_outbound_event_page_sends_again_and_links_contact_and_subject(admin_client):
    lead = make_lead()
    with WebhookReceiver([400]) as receiver:
        workspace = make_workspace("acme", outbound_webhook_url=receiver.url, webhook_active=True)
        event = outbox_deliver(event_id=outbox_emit(
            workspace=workspace, event_type=EventType.LEAD_ASSIGNED, data={"lead": {"id": lead.pk}},
            contact_id=lead.contact_id, subject_type="lead", subject_id=str(lead.pk)).pk)
    assert event.status == DeliveryStatus.FAILED

    page = admin_client.get(f"/admin/workspaces/outboundevent/{event.pk}/change/").content.decode()
    assert f'href="/admin/contacts/contact/{lead.contact_id}/change/"' in page
    assert f'href="/admin/leads/lead/{lead.pk}/change/"' in page
    assert 'class="record-action"' in page and "Send again" in page
    assert '<table class="json-rows">' in page and "<th>lead.id</th>" in page

    response = admin_client.post(f"/admin/workspaces/outboundevent/{event.pk}/action/send_again/")

    assert response.status_code == 302 and response.url.endswith(f"/outboundevent/{event.pk}/change/")
    event.refresh_from_db()
    assert event.status == DeliveryStatus.PENDING
