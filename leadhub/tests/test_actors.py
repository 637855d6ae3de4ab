"""Every audit row names who acted in one form (leadhub.actors), whichever door the change came in by:
a provider's webhook, a partner's key or a staff token, an admin session, a Celery task; and the
data migration brings the older forms to it."""
import importlib
import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from appointments.models import AppointmentEvent
from appointments.services.intake import appointment_intake
from contacts.models import ContactPurge
from leadhub.actors import SYSTEM, actor_for_caller, actor_for_provider, actor_for_user, actor_for_workspace
from leadhub.legacy_actors import legacy_actor
from leadhub.testing import (
    WebhookReceiver,
    make_contact,
    make_lead,
    make_lead_offer,
    make_provider,
    make_webhook,
    make_workspace,
    provider_post,
)
from leads.models import Lead, LeadActivity, LeadEvent, LeadStatusHistory, WorkspaceTracking
from providers.models import WebhookConfigEvent
from workspaces.models import AppointmentRoutingRule, OutboundEvent
from workspaces.services import routing_rule_save
from workspaces.tasks import deliver_event

# Appointments are posted at fixed times: the clock stands before them (past times are refused).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("appointment_clock")]

LEAD = {
    "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "(415) 555-0132",
    "zip_code": "94105", "consent": {"description": "Yes, call me.", "value": True}, "tcpa_compliance": True,
}


def test_the_four_forms():
    user = get_user_model()(username="ada")
    workspace = make_workspace()
    assert actor_for_user(user) == "staff:ada"
    assert actor_for_workspace(workspace) == f"workspace:{workspace.pk}"
    provider = make_provider()
    assert actor_for_provider(provider) == f"provider:{provider.provider_id}"
    assert SYSTEM == "system"
    user.workspace = workspace
    assert actor_for_caller(user) == f"workspace:{workspace.pk}"


def test_provider_webhook_records_the_provider_and_distribution_records_the_system(client, provider):
    workspace = make_workspace()
    make_lead_offer(workspace, zip_codes=["94105"], products=["solar"])
    webhook = make_webhook(distribution_strategy="priority")
    response = provider_post(client, f"/api/v1/webhooks/{webhook.webhook_id}/leads/", json.dumps(LEAD),
                             provider=provider)
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert lead.events.get(event_type="received").event_data["by"] == f"provider:{provider.provider_id}"
    assigned = lead.events.get(event_type="assigned").event_data
    assert (assigned["by"], assigned["workspace_id"]) == (SYSTEM, workspace.pk)
    assert lead.workspace_tracking.get(action="sent").performed_by == SYSTEM


def test_appointment_webhook_without_a_provider_is_the_system():
    appointment = appointment_intake(
        webhook=make_webhook(), payload={"customer_name": "Ada Lovelace", "customer_phone": "(415) 234-5678",
                                         "scheduled_at": "2026-12-01T15:00:00-08:00"},
    ).appointment
    assert appointment.created_by == SYSTEM
    assert appointment.events.get(event_type="created").created_by == SYSTEM


def test_a_staff_session_on_the_partner_api_records_the_staff_user():
    staff = get_user_model().objects.create_superuser("ops-token", password="x")
    client = APIClient()
    client.force_login(staff)
    lead = make_lead(workspace=make_workspace(), workspace_status="assigned")
    response = client.patch(f"/api/v1/leads/{lead.pk}/", {"status": "contacted", "changed_by": "mallory"},
                            format="json")
    assert response.status_code == 200, response.content
    history = lead.status_history.get()
    assert (history.changed_by, history.changed_by_name) == ("staff:ops-token", "mallory")
    note = client.post(f"/api/v1/leads/{lead.pk}/activities/", {"activity_type": "note"}, format="json")
    assert note.json()["created_by"] == "staff:ops-token"


def test_admin_session_records_the_staff_user(admin_client):
    workspace = make_workspace()
    response = admin_client.post(
        "/admin/workspaces/appointmentroutingrule/add/",
        {"workspace": workspace.pk, "priority": 1, "zip_codes": '["94105"]', "product_types": '["solar"]',
         "is_active": "on", "created_by": "mallory"},
    )
    assert response.status_code == 302, response.content
    assert AppointmentRoutingRule.objects.get(workspace=workspace).created_by == "staff:admin"
    webhook = make_webhook()
    url = "/admin/providers/webhookconfig/"
    admin_client.post(url, {"action": "soft_delete", "_selected_action": [webhook.pk], "apply": "1", "reason": "x"})
    assert WebhookConfigEvent.objects.get(webhook_id=webhook.webhook_id).created_by == "staff:admin"


def test_the_forwarding_task_records_the_system():
    with WebhookReceiver([(200, "thanks", 0)]) as receiver:
        workspace = make_workspace(outbound_webhook_url=receiver.url, webhook_active=True)
        routing_rule_save(workspace=workspace, zip_codes=["902*"], product_types=["solar"])
        appointment = appointment_intake(webhook=make_webhook(), payload={
            "customer_name": "Ada Lovelace", "customer_phone": "(415) 234-5679", "customer_zip": "90215",
            "service_type": "Solar", "scheduled_at": "2026-12-01T15:00:00-08:00",
        }).appointment
        event = OutboundEvent.objects.get(subject_type="appointment", subject_id=str(appointment.pk),
                                          event_type="appointment.created")
        deliver_event.apply(args=[str(event.pk)])
    assert WorkspaceTracking.objects.get(workspace=workspace, action="sent").performed_by == SYSTEM
    assert AppointmentEvent.objects.get(appointment=appointment, event_type="forwarded").created_by == SYSTEM


LOOKUPS = {"workspace_ids": {"ws-a"}, "usernames": {"ada"}, "provider_ids": {"acme"}}


@pytest.mark.parametrize("old, workspace_id, expected", [
    ("", None, ("", "")),
    ("staff:ada", None, ("staff:ada", "")),
    ("workspace:ws-a", None, ("workspace:ws-a", "")),
    ("provider:acme", None, ("provider:acme", "")),
    ("system", None, ("system", "")),
    ("system:routing:rule-7", None, ("system", "")),
    ("system:forwarding", None, ("system", "")),
    ("webhook:wh-1", None, ("system", "")),
    ("admin:ada", None, ("staff:ada", "")),
    ("ws-a", None, ("workspace:ws-a", "")),
    ("ada", "ws-a", ("staff:ada", "")),
    ("acme", None, ("provider:acme", "")),
    ("mallory", "ws-a", ("workspace:ws-a", "mallory")),
    ("bob", None, ("staff:bob", "")),
])
def test_legacy_values_map_to_the_one_form(old, workspace_id, expected):
    assert legacy_actor(old, workspace_id=workspace_id, **LOOKUPS) == expected


def test_the_data_migration_rewrites_old_rows():
    workspace = make_workspace()
    lead = make_lead(workspace=workspace, status_changed_by=workspace.pk)
    history = LeadStatusHistory.objects.create(
        lead=lead, new_status="contacted", changed_by="mallory", metadata={"workspace_id": workspace.pk}
    )
    named = LeadStatusHistory.objects.create(lead=lead, new_status="qualified", changed_by="staff:ada")
    activity = LeadActivity.objects.create(lead=lead, activity_type="call", title="t", created_by=workspace.pk,
                                           metadata={"workspace_id": workspace.pk})
    tracking = WorkspaceTracking.objects.create(contact=lead.contact, lead=lead, workspace=workspace, action="sent",
                                                performed_by="system:routing:rule-7")
    event = LeadEvent.objects.create(lead=lead, event_type="status_changed",
                                     event_data={"changed_by": "rep-42", "workspace_id": workspace.pk})
    get_user_model().objects.create_user("ops", password="x")
    purge = ContactPurge.objects.create(contact_id=make_contact().pk, reason="DSR", performed_by="ops")

    for module in ("leads.migrations.0006_actor_one_form", "contacts.migrations.0003_actor_one_form"):
        importlib.import_module(module).forwards(apps, None)

    actor = f"workspace:{workspace.pk}"
    for row in (lead, history, named, activity, tracking, event, purge):
        row.refresh_from_db()
    assert lead.status_changed_by == actor
    assert (history.changed_by, history.changed_by_name) == (actor, "mallory")
    assert (named.changed_by, named.changed_by_name) == ("staff:ada", "")
    assert activity.created_by == actor
    assert (tracking.performed_by, tracking.metadata) == (SYSTEM, {"routing_rule_id": 7})
    assert event.event_data == {"changed_by": actor, "workspace_id": workspace.pk}
    assert purge.performed_by == "staff:ops"
