"""Lead reads for the partner API, admin and analytics. Tenancy is enforced here.

`workspace=None` means the ops view across all workspaces; views only pass None for staff.
A workspace sees a lead only through its live access record (`lead_access`), and sees that
record's working fields, not the lead's columns (which are the primary assignee's). History rows
carry the workspace they belong to (`workspace_id`); a workspace sees its own and the neutral
ones (no workspace: received, consent, ops before anyone held the lead), so a lead re-assigned
from A to B does not show A's calls, notes or status changes to B.
"""
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q

from contacts.models import Contact
from leads.models import ACCESS_WORKING_FIELDS, Lead, LeadAccess, LeadActivity, LeadEvent, LeadStatusHistory

# What a caller sees as a lead's working fields: `seen_<field>` annotations, from the caller's
# access record for a workspace and from the lead's own columns for staff.
SEEN = {f"seen_{name}": name for name in (*ACCESS_WORKING_FIELDS, "workspace_assigned_at")}


def lead_held_by(*, workspace, lead_ref="pk"):
    """EXISTS: `workspace` holds the outer row's lead (`lead_ref`: its lead id column) by a live
    access record; answered from the partial index on the live records."""
    return Exists(LeadAccess.objects.live().filter(workspace=workspace, lead_id=OuterRef(lead_ref)))


def contact_held_by(*, workspace, contact_ref="pk"):
    """EXISTS: `workspace` holds a lead of the outer row's contact (`contact_ref`: its contact id
    column) by a live access record: what a workspace needs to see or act on a contact."""
    return Exists(LeadAccess.objects.live().filter(workspace=workspace, lead__contact_id=OuterRef(contact_ref)))


def lead_list(*, workspace):
    """Leads `workspace` holds, each annotated with the caller's view of its working fields
    (`seen_*`): a workspace's from its live access record (one inner join; a lead has at most one
    record per workspace, `lead_access_lead_workspace_uniq`, so no lead is listed twice), staff's
    (`workspace=None`: every lead) from the lead's own columns, with no join. No query per row."""
    if workspace is None:
        return Lead.objects.annotate(**{alias: F(name) for alias, name in SEEN.items()})
    own = {alias: F(f"accesses__{name}") for alias, name in SEEN.items() if name != "workspace_assigned_at"}
    return Lead.objects.filter(accesses__workspace=workspace, accesses__revoked_at__isnull=True).annotate(
        **own, seen_workspace_assigned_at=F("accesses__granted_at")
    )


def contact_list(*, workspace):
    """Contacts with at least one lead `workspace` holds (all contacts for staff, None): a
    workspace sees a contact only through a lead that reached it. Each carries `visible_leads`:
    only those leads, as the caller sees them (one extra query for the whole page)."""
    leads = lead_list(workspace=workspace).order_by("-id")
    contacts = Contact.objects.all()
    if workspace is not None:
        contacts = contacts.filter(contact_held_by(workspace=workspace))
    return contacts.prefetch_related(Prefetch("leads", queryset=leads, to_attr="visible_leads"))


def _attributed_to(workspace):
    """Rows with no workspace (neutral: system, ops) or this workspace's own."""
    if workspace is None:
        return Q()
    return Q(workspace__isnull=True) | Q(workspace=workspace)


def lead_activity_list(*, lead, workspace):
    return LeadActivity.objects.filter(lead=lead).filter(_attributed_to(workspace))


# Neutral events only ops read: a duplicate rule's match names an earlier lead another
# provider or buyer may hold.
STAFF_ONLY_EVENTS = (LeadEvent.DUPLICATE_MATCHED,)


def lead_timeline(*, lead, workspace) -> list[dict]:
    """The lead's events, status history and activities, and the sections the apps above leads
    contribute (`LEAD_TIMELINE_SECTIONS`: its appointments and conversions, and for ops
    (`workspace` None) its distribution decisions), oldest first; one query per section, whatever
    the lead's history."""
    items = []
    events = LeadEvent.objects.filter(lead=lead).filter(_attributed_to(workspace))
    if workspace is not None:
        events = events.exclude(event_type__in=STAFF_ONLY_EVENTS)
    for event in events:
        items.append(lead_timeline_item("event", event.created_at, event.pk, event.event_type, event.event_data))
    for change in LeadStatusHistory.objects.filter(lead=lead).filter(_attributed_to(workspace)):
        items.append(
            lead_timeline_item(
                "status_change",
                change.created_at,
                change.pk,
                f"{change.old_status} → {change.new_status}",
                {
                    "old_status": change.old_status,
                    "new_status": change.new_status,
                    "changed_by": change.changed_by,
                    "changed_by_name": change.changed_by_name,
                    "reason": change.reason,
                    "notes": change.notes,
                },
            )
        )
    for activity in lead_activity_list(lead=lead, workspace=workspace):
        items.append(
            lead_timeline_item(
                "activity",
                activity.activity_date,
                activity.pk,
                activity.title,
                {
                    "activity_type": activity.activity_type,
                    "description": activity.description,
                    "created_by": activity.created_by,
                    "created_by_name": activity.created_by_name,
                },
            )
        )
    for section in LEAD_TIMELINE_SECTIONS.values():
        if workspace is None or not section.staff_only:
            items += section.read(lead=lead, workspace=workspace)
    order = {**KIND_ORDER, **{kind: section.order for kind, section in LEAD_TIMELINE_SECTIONS.items()}}
    items.sort(key=lambda item: (item["at"], order[item["kind"]], str(item["id"])))
    return items


# Where each kind sorts among items at the same instant; the kinds of the sections above leads
# bring their own `order` (distribution's decision 1, appointments 4, conversions 5).
KIND_ORDER = {"event": 0, "status_change": 2, "activity": 3}


@dataclass(frozen=True)
class TimelineSection:
    order: int
    read: Callable  # (*, lead, workspace) -> [lead_timeline_item(...)]: what `workspace` may see
    staff_only: bool  # read for ops only (distribution's decisions name other buyers)


# The sections of a lead's timeline that the apps above leads own (leads may not read their
# rows: they hang off the lead by reverse accessors into those apps). Each registers its own at
# ready(), by kind.
LEAD_TIMELINE_SECTIONS: dict[str, TimelineSection] = {}


def lead_timeline_section_register(*, kind: str, order: int, read, staff_only: bool = False):
    LEAD_TIMELINE_SECTIONS[kind] = TimelineSection(order=order, read=read, staff_only=staff_only)


def lead_timeline_item(kind, at, pk, summary, data):
    return {"kind": kind, "at": at, "id": pk, "summary": summary, "data": data}


def workspace_lead_totals(*, workspace) -> dict:
    """Totals over the leads `workspace` holds, however they reached it (assigned, routed,
    forwarded, sold), by its own `workspace_status` on each: its live access records (one query)."""
    return LeadAccess.objects.live().filter(workspace=workspace).aggregate(
        leads_total=Count("id"),
        leads_assigned=Count("id", filter=Q(workspace_status="assigned")),
        leads_accepted=Count("id", filter=Q(workspace_status="accepted")),
        leads_rejected=Count("id", filter=Q(workspace_status="rejected")),
        leads_converted=Count("id", filter=Q(workspace_status="converted")),
    )


def lead_exists_with_payload(*, webhook_id, phone, raw_payload) -> bool:
    """Was this exact payload already accepted for this webhook and phone? (CSV re-runs.)"""
    return Lead.objects.filter(webhook_id=webhook_id, phone=phone, raw_payload=raw_payload).exists()
