"""Access records for the leads that reached workspaces before `lead_access` existed, and the
workspace of each history row.

- assigned: every lead with a `workspace_id` (granted at `workspace_assigned_at`);
- routed: each lead an appointment routed to a workspace covers;
- forwarded: each lead a `lead.forwarded` event went to a workspace with;
each with the working fields copied from the lead. History rows take the workspace their JSON
already named (`workspace_id`), and a status change made by an appointment takes the
appointment's workspace.
"""
from django.db import migrations

WORKING_FIELDS = (
    "workspace_status", "status", "status_changed_at", "notes", "priority", "assigned_to", "follow_up_date",
    "contact_attempts",
)
BATCH = 2000


def _grant(LeadAccess, seen, lead, workspace_id, how, granted_at):
    if (lead.pk, workspace_id) in seen:
        return None
    seen.add((lead.pk, workspace_id))
    working = {name: getattr(lead, name) for name in WORKING_FIELDS}
    if lead.workspace_id != workspace_id:
        working["workspace_status"] = ""
    return LeadAccess(
        lead_id=lead.pk, workspace_id=workspace_id, how=how, granted_at=granted_at or lead.created_at,
        granted_by="system", **working,
    )


def access_backfill(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    LeadAccess = apps.get_model("leads", "LeadAccess")
    AppointmentLead = apps.get_model("appointments", "AppointmentLead")
    Appointment = apps.get_model("appointments", "Appointment")
    OutboundEvent = apps.get_model("workspaces", "OutboundEvent")
    seen = set(LeadAccess.objects.values_list("lead_id", "workspace_id"))
    rows = []

    def flush(force=False):
        if rows and (force or len(rows) >= BATCH):
            LeadAccess.objects.bulk_create(rows)
            rows.clear()

    for lead in Lead.objects.filter(workspace_id__isnull=False).iterator(chunk_size=BATCH):
        if row := _grant(LeadAccess, seen, lead, lead.workspace_id, "assigned", lead.workspace_assigned_at):
            rows.append(row)
        flush()
    routed = {}
    for lead_id, workspace_id, at in AppointmentLead.objects.filter(
        appointment__matched_workspace_id__isnull=False
    ).values_list("lead_id", "appointment__matched_workspace_id", "appointment__created_at"):
        routed.setdefault((lead_id, workspace_id), at)
    for lead_id, workspace_id, at in Appointment.objects.filter(
        lead_id__isnull=False, matched_workspace_id__isnull=False
    ).values_list("lead_id", "matched_workspace_id", "created_at"):
        routed.setdefault((lead_id, workspace_id), at)
    forwarded = {}
    for subject_id, workspace_id, at in OutboundEvent.objects.filter(
        event_type="lead.forwarded", subject_type="lead", workspace_id__isnull=False
    ).values_list("subject_id", "workspace_id", "created_at"):
        if str(subject_id).isdigit():
            forwarded.setdefault((int(subject_id), workspace_id), at)
    for how, reached in (("routed", routed), ("forwarded", forwarded)):
        leads = Lead.objects.in_bulk({lead_id for lead_id, _ in reached})
        for (lead_id, workspace_id), at in reached.items():
            lead = leads.get(lead_id)
            if lead is not None and (row := _grant(LeadAccess, seen, lead, workspace_id, how, at)):
                rows.append(row)
            flush()
    flush(force=True)

    workspace_ids = set(apps.get_model("workspaces", "Workspace").objects.values_list("pk", flat=True))
    for model_name, column in (("LeadEvent", "event_data"), ("LeadStatusHistory", "metadata"), ("LeadActivity", "metadata")):
        model = apps.get_model("leads", model_name)
        for row in model.objects.filter(**{f"{column}__has_key": "workspace_id"}).iterator(chunk_size=BATCH):
            workspace_id = getattr(row, column).get("workspace_id")
            if workspace_id in workspace_ids:
                model.objects.filter(pk=row.pk).update(workspace_id=workspace_id)
    by_appointment = dict(Appointment.objects.filter(matched_workspace_id__isnull=False).values_list("pk", "matched_workspace_id"))
    for model_name, column in (("LeadEvent", "event_data"), ("LeadStatusHistory", "metadata")):
        model = apps.get_model("leads", model_name)
        for row in model.objects.filter(workspace_id__isnull=True, **{f"{column}__has_key": "appointment_id"}).iterator():
            if workspace_id := by_appointment.get(getattr(row, column).get("appointment_id")):
                model.objects.filter(pk=row.pk).update(workspace_id=workspace_id)


class Migration(migrations.Migration):

    dependencies = [
        ("leads", "0008_lead_access"),
        ("appointments", "0003_actor_one_form"),
        ("workspaces", "0011_workspace_time_zone"),
    ]

    operations = [migrations.RunPython(access_backfill, migrations.RunPython.noop)]
