"""How a workspace or ops work a lead: its working fields, logged activities, and the partner
PATCH that combines those with a status change and an accept/reject in one transaction."""
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leadhub.models import field_changes_apply
from leads.models import ActivityType, Lead, LeadActivity, LeadEvent, TrackingAction
from leads.services.access import LeadInvalid, lead_access_for, lead_working_save, working_owner
from leads.services.assignment import lead_workspace_respond
from leads.services.status import lead_status_change
from leads.services.tracking import lead_lock, workspace_tracking_record

LEAD_WORKING_FIELDS = ("notes", "priority", "assigned_to", "follow_up_date", "contact_attempts")
# What ops may also correct by hand (the lead admin's form): the person, address, source and
# vertical details a provider sent wrong, and the scores. Identity, status, assignment and
# consent change only through their own services or are the record of the submission.
LEAD_OPS_FIELDS = (
    *LEAD_WORKING_FIELDS, "first_name", "last_name", "email", "address", "address2", "city", "state", "zip_code",
    "conversion_score", "revenue_potential", "source", "campaign_id", "utm_source", "utm_medium", "utm_campaign",
    "subsource", "landing_page_url", "productid", "monthly_electric_bill", "property_type", "roof_condition",
    "roof_age", "shade_coverage", "system_type", "system_age", "service_type", "urgency", "property_size",
    "policy_type", "coverage_amount", "current_premium", "property_value", "claims_history",
)


@transaction.atomic
def lead_update(*, lead, data: dict, by: str, workspace=None, editable=LEAD_WORKING_FIELDS):
    """Working fields (notes, priority, assigned_to, follow-up date, attempts) of one holder:
    `workspace`'s access record, or for ops the primary assignee's (the lead's own columns when
    nobody holds it); for ops in the admin also the `LEAD_OPS_FIELDS` of the lead itself. Changes
    are recorded as an `updated` lead event of that holder and, for a workspace, tracking
    `updated`: every edit path (partner PATCH, admin form) comes here."""
    unknown = sorted(set(data) - set(editable))
    if unknown:
        raise LeadInvalid({field: ["This field cannot be changed here."] for field in unknown})
    lead = lead_lock(lead)
    owner = working_owner(lead, workspace)
    access = lead_access_for(lead=lead, workspace=owner) if owner is not None else None
    if owner is not None and access is None:
        raise PermissionDenied(f"Workspace '{owner.pk}' does not hold lead {lead.pk}.")
    record = access if access is not None else lead
    working = field_changes_apply(record, {f: v for f, v in data.items() if f in LEAD_WORKING_FIELDS})
    corrected = field_changes_apply(lead, {f: v for f, v in data.items() if f not in LEAD_WORKING_FIELDS})
    changes = {**working, **corrected}
    if not changes:
        return lead
    record.full_clean(exclude=[f.name for f in type(record)._meta.fields if f.name not in working], validate_unique=False)
    if corrected:
        lead.full_clean(exclude=[f.name for f in Lead._meta.fields if f.name not in corrected], validate_unique=False)
        lead.save(update_fields=[*corrected, "updated_at"])
    if working:
        lead_working_save(lead=lead, access=access, values={field: data[field] for field in working})
    event_data = {"changes": changes, "by": by}
    if workspace is not None:
        event_data["workspace_id"] = workspace.pk
        workspace_tracking_record(
            lead=lead,
            workspace_id=workspace.pk,
            action=TrackingAction.UPDATED,
            performed_by=by,
            details="changed " + ", ".join(changes),
            metadata={"fields": sorted(changes)},
        )
    LeadEvent.objects.create(lead=lead, workspace=owner, event_type="updated", event_data=event_data)
    return lead


ACTIVITY_ADDED = "activity_added"


@transaction.atomic
def lead_activity_add(
    *,
    lead,
    activity_type: str,
    created_by: str,
    title: str = "",
    description: str = "",
    activity_date=None,
    created_by_name: str = "",
    workspace=None,
    metadata=None,
):
    """Log a call, email, meeting or note of one holder (`workspace`, else the primary assignee),
    with the caller's `metadata` kept as sent, and an `activity_added` lead event; a call also
    counts as a contact attempt of that holder (DB-side +1)."""
    if activity_type not in ActivityType.values:
        raise LeadInvalid({"activity_type": [f"Must be one of: {', '.join(ActivityType.values)}."]})
    owner = working_owner(lead, workspace)
    access = lead_access_for(lead=lead, workspace=owner) if owner is not None else None
    if owner is not None and access is None:
        raise PermissionDenied(f"Workspace '{owner.pk}' does not hold lead {lead.pk}.")
    activity = LeadActivity.objects.create(
        lead=lead,
        workspace=owner,
        activity_type=activity_type,
        title=title or ActivityType(activity_type).label,
        description=description,
        activity_date=activity_date or timezone.now(),
        created_by=created_by,
        created_by_name=created_by_name,
        metadata=dict(metadata or {}),
    )
    LeadEvent.objects.create(
        lead=lead, workspace=owner, event_type=ACTIVITY_ADDED,
        event_data={"activity_id": activity.pk, "activity_type": activity_type, "title": activity.title, "by": created_by},
    )
    if activity_type == ActivityType.CALL:
        lead_working_save(lead=lead, access=access, values={"contact_attempts": F("contact_attempts") + 1})
    return activity


@transaction.atomic
def lead_patch(
    *,
    lead,
    changed_by: str,
    workspace=None,
    status=None,
    workspace_status=None,
    changed_by_name: str = "",
    reason: str = "",
    **fields,
):
    """One partner/ops edit as one transaction: status (through lead_status_change, with the
    edit's `notes` on the history row), accept/reject, then the working fields."""
    if status is not None:
        lead = lead_status_change(
            lead=lead,
            new_status=status,
            changed_by=changed_by,
            changed_by_name=changed_by_name,
            reason=reason,
            notes=fields.get("notes", ""),
            workspace=workspace,
        )
    if workspace_status is not None:
        responder = workspace or lead.workspace
        if responder is None:
            raise LeadInvalid({"workspace_status": ["The lead is not assigned to a workspace."]})
        lead = lead_workspace_respond(lead=lead, workspace=responder, response=workspace_status, by=changed_by)
    if fields:
        lead = lead_update(lead=lead, data=fields, by=changed_by, workspace=workspace)
    return lead
