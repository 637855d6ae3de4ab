"""The data migration that gives today's assignments, routed appointments and forwarded leads
their access records, and history rows their workspace."""
import importlib

import pytest
from django.apps import apps

from leadhub.testing import make_appointment, make_conversion, make_lead, make_workspace
from leads.models import LeadAccess
from workspaces.models import EventType, OutboundEvent

pytestmark = pytest.mark.django_db
backfill = importlib.import_module("leads.migrations.0009_lead_access_backfill").access_backfill
link = importlib.import_module("conversions.migrations.0006_conversion_lead_access").conversions_link


def test_backfill_creates_each_kind_of_access_with_the_leads_working_fields():
    assignee, installer, buyer = make_workspace(), make_workspace(), make_workspace()
    lead = make_lead(workspace=assignee, workspace_status="accepted", status="contacted", notes="call back",
                     priority=4, assigned_to="rep-1", contact_attempts=2)
    appointment = make_appointment(lead=lead, matched_workspace=installer)
    appointment.lead_links.create(lead=lead)
    OutboundEvent.objects.create(workspace=buyer, event_type=EventType.LEAD_FORWARDED, target_url="https://x.example/",
                                 subject_type="lead", subject_id=str(lead.pk), data={})
    change = lead.status_history.create(old_status="new", new_status="scheduled", changed_by="system",
                                        metadata={"appointment_id": appointment.pk})
    note = lead.activities.create(activity_type="note", title="n", created_by="x",
                                  metadata={"workspace_id": assignee.pk})
    conversion = make_conversion(lead=lead, workspace=assignee, lead_access=None)
    LeadAccess.objects.all().delete()  # as before lead_access existed (the builders grant it)

    backfill(apps, None)
    link(apps, None)

    rows = {row.workspace_id: row for row in LeadAccess.objects.filter(lead=lead)}
    assert {workspace_id: row.how for workspace_id, row in rows.items()} == {
        assignee.pk: "assigned", installer.pk: "routed", buyer.pk: "forwarded"}
    mine = rows[assignee.pk]
    assert (mine.workspace_status, mine.status, mine.notes, mine.priority, mine.assigned_to, mine.contact_attempts) == (
        "accepted", "contacted", "call back", 4, "rep-1", 2)
    assert (rows[installer.pk].status, rows[installer.pk].workspace_status) == ("contacted", "")
    change.refresh_from_db()
    note.refresh_from_db()
    conversion.refresh_from_db()
    assert (change.workspace_id, note.workspace_id, conversion.lead_access_id) == (installer.pk, assignee.pk, mine.pk)
    backfill(apps, None)  # re-runnable
    assert LeadAccess.objects.filter(lead=lead).count() == 3
