"""lead.assigned / lead.status_changed reach the workspace's outbox from the one service that
causes them, in its transaction; a purged contact takes its outbox rows along."""
import pytest

from leadhub.testing import WebhookReceiver, make_contact_history, make_lead, make_workspace
from leads.services.assignment import lead_assign
from leads.services.status import lead_status_change
from people.services import contact_purge
from workspaces.delivery import outbox_deliver
from workspaces.models import DeliveryAttempt, EventType, OutboundEvent

pytestmark = pytest.mark.django_db


def partner(**fields):
    return make_workspace(outbound_webhook_url="https://partner.example/hook", webhook_active=True, **fields)


def test_assignment_emits_lead_assigned_to_the_new_workspace():
    first, second = partner(), partner()
    lead = make_lead(zip_code="90210", provider_id="acme", external_id="A-77", ip_address="203.0.113.7",
                     user_agent="Mozilla/5.0", source_ip="198.51.100.7", source_user_agent="acme-sender/2.1")
    lead_assign(lead=lead, workspace=first, by="ops")
    lead_assign(lead=lead, workspace=second, by="ops")
    lead_assign(lead=lead, workspace=second, by="ops")  # no change, no event
    events = list(OutboundEvent.objects.filter(event_type=EventType.LEAD_ASSIGNED).order_by("created_at"))
    assert [e.workspace_id for e in events] == [first.pk, second.pk]
    latest = events[-1]
    assert (latest.contact_id, latest.subject_type, latest.subject_id) == (lead.contact_id, "lead", str(lead.pk))
    assert latest.data["lead_id"] == lead.pk and latest.data["zip_code"] == "90210"
    assert latest.data["external_id"] == "A-77"  # the sender's reference, beside our id
    assert latest.data["workspace_id"] == second.pk and latest.data["previous_workspace_id"] == first.pk
    assert "raw_payload" not in latest.data
    # The consumer's IP and agent go to buyers (to claim consent with), never the posting server's.
    assert (latest.data["ip_address"], latest.data["user_agent"]) == ("203.0.113.7", "Mozilla/5.0")
    assert "source_ip" not in latest.data and "source_user_agent" not in latest.data


def test_status_change_emits_to_the_assigned_workspace_only():
    workspace = partner()
    unassigned = make_lead()
    lead_status_change(lead=unassigned, new_status="contacted", changed_by="ops")
    assert not OutboundEvent.objects.exists()

    lead = make_lead(workspace=workspace)
    lead_status_change(lead=lead, new_status="contacted", changed_by="ops", reason="called")
    lead_status_change(lead=lead, new_status="contacted", changed_by="ops")  # same status: nothing
    (event,) = OutboundEvent.objects.filter(event_type=EventType.LEAD_STATUS_CHANGED)
    assert event.workspace == workspace
    assert (event.data["old_status"], event.data["new_status"], event.data["reason"]) == ("new", "contacted", "called")


def test_contact_purge_removes_outbox_payloads_and_attempt_logs_about_the_person():
    with WebhookReceiver([500]) as receiver:
        workspace = make_workspace(outbound_webhook_url=receiver.url, webhook_active=True)
        purged = make_contact_history(workspace=workspace)
        kept = make_contact_history(workspace=workspace)
        for history in (purged, kept):
            lead_assign(lead=history["leads"][1], workspace=workspace, by="ops")
        for event in OutboundEvent.objects.all():
            outbox_deliver(event_id=event.pk)
    assert DeliveryAttempt.objects.count() == 2

    record = contact_purge(contact=purged["contact"], reason="DSR-7", by="ops")

    assert not OutboundEvent.objects.filter(contact_id=purged["contact"].pk).exists()
    assert OutboundEvent.objects.filter(contact_id=kept["contact"].pk).count() == 1
    assert DeliveryAttempt.objects.count() == 1
    assert record.deleted_counts["outbound_events"] == 1
    assert record.deleted_counts["outbound_delivery_attempts"] == 1
