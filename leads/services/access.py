"""Which workspaces hold a lead (`lead_access`) and the one writer of each holder's working fields.

A lead reaches a workspace by assignment, an appointment routed to it, forwarding or a sale; each
way grants that workspace a record of its own (`lead_access_grant`). Its working fields (pipeline
status, accept/reject, notes, priority, follow-up, attempts) live on that record, and the lead's
own columns mirror the record of the primary assignee (`leads.workspace_id`), so the seed model
stays readable while two holders never share their work.
"""
from django.db import transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.utils import timezone

from contacts.models import Contact, ConversionStatus
from leadhub.errors import ServiceRefusal, errors_message
from leads.models import ACCESS_WORKING_FIELDS, AccessHow, Lead, LeadAccess, WorkspaceStatus
from workspaces.delivery import outbox_withdraw



class LeadInvalid(ServiceRefusal):
    """Values a lead's write (working fields, activity, accept/reject, status) cannot take,
    named per field (the API's 422 `validation`)."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


def lead_access_grant(*, lead, workspace, how: str, by: str, holder: bool = False) -> LeadAccess:
    """Give `workspace` its record of `lead`, reached by `how` (AccessHow). Idempotent: a live
    record is returned unchanged; a revoked one is reopened with its own working fields.

    A new record starts from the lead's working columns when the lead has no other primary
    assignee (they are nobody's work yet), else fresh: `new`, and `assigned` for the assignee
    (`holder`: the lead's primary holder, however it got the lead, e.g. a buyer's `sold` record).
    """
    if how not in AccessHow.values:
        raise ValueError(f"how must be one of {AccessHow.values}, not {how!r}")
    with transaction.atomic(savepoint=False):  # nothing catches a failure inside: no savepoint per lead
        now = timezone.now()
        access = LeadAccess.objects.select_for_update().filter(lead_id=lead.pk, workspace_id=workspace.pk).first()
        if access is not None:
            if access.revoked_at is not None:
                access.revoked_at, access.revoked_by = None, ""
                access.how, access.granted_at, access.granted_by = how, now, by
                access.save(update_fields=["revoked_at", "revoked_by", "how", "granted_at", "granted_by", "updated_at"])
                contact_conversion_status_refresh(
                    contact_id=lead.contact_id, holder_open=access.workspace_status != WorkspaceStatus.REJECTED
                )
            return access
        inherits = lead.workspace_id in (None, workspace.pk)
        working = {name: getattr(lead, name) for name in ACCESS_WORKING_FIELDS} if inherits else {}
        if (how == AccessHow.ASSIGNED or holder) and not working.get("workspace_status"):
            working["workspace_status"] = WorkspaceStatus.ASSIGNED
        access = LeadAccess.objects.create(
            lead_id=lead.pk, workspace_id=workspace.pk, how=how, granted_at=now, granted_by=by, **working
        )
        contact_conversion_status_refresh(
            contact_id=lead.contact_id, holder_open=access.workspace_status != WorkspaceStatus.REJECTED
        )
        return access


@transaction.atomic
def lead_access_revoke(*, lead, workspace_id: str, by: str) -> LeadAccess | None:
    """End a workspace's hold on a lead (reassignment, an approved return): it no longer reads or
    works the lead; its record and history stay for ops. Revoking what is not live changes nothing."""
    access = LeadAccess.objects.select_for_update().filter(lead_id=lead.pk, workspace_id=workspace_id).first()
    if access is None or access.revoked_at is not None:
        return access
    access.revoked_at, access.revoked_by = timezone.now(), by
    access.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    outbox_withdraw(workspace_id=workspace_id, subject_type="lead", subject_id=lead.pk)
    contact_conversion_status_refresh(contact_id=lead.contact_id)
    return access


def lead_access_for(*, lead, workspace) -> LeadAccess | None:
    """`workspace`'s live record of `lead`, locked (the caller is in a transaction), or None."""
    return LeadAccess.objects.live().select_for_update().filter(lead_id=lead.pk, workspace_id=workspace.pk).first()


def working_owner(lead, workspace):
    """Whose working fields a write changes: the given workspace's, else (ops, system) the primary
    assignee's; None for a lead nobody holds, whose own columns are then the ones written."""
    return workspace if workspace is not None else lead.workspace


def lead_working_save(*, lead, access, values: dict):
    """Write working fields to a holder's record (`access`; None: the lead's own columns) and, for
    the primary assignee, the same values to the lead's columns. `values` may hold F() increments."""
    now = timezone.now()
    targets = []
    if access is not None:
        LeadAccess.objects.filter(pk=access.pk).update(**values, updated_at=now)
        targets.append(access)
    if access is None or access.workspace_id == lead.workspace_id:
        Lead.objects.filter(pk=lead.pk).update(**values, updated_at=now)
        targets.append(lead)
    for target in targets:
        for name, value in values.items():
            if not isinstance(value, F):
                setattr(target, name, value)


def lead_primary_mirror(*, lead, access, workspace):
    """Make `workspace` the lead's primary assignee as of now and copy its record's working
    fields onto the lead's columns, in one UPDATE (after assignment)."""
    now = timezone.now()
    values = {name: getattr(access, name) for name in ACCESS_WORKING_FIELDS}
    values.update(workspace=workspace, workspace_assigned_at=now, updated_at=now)
    Lead.objects.filter(pk=lead.pk).update(**values)
    for name, value in values.items():
        setattr(lead, name, value)


def contact_conversion_status_refresh(*, contact_id, holder_open: bool = False):
    """THE rule of `contacts.conversion_status`: `converted` while any conversion of the contact
    counts, `rejected` only when every workspace holding one of its leads rejected it, else
    `pending`. Called by whatever moves one of those inputs (conversions, accept/reject, access).

    `holder_open`: the caller has just given a workspace a live record that is not rejected, so
    the contact is `converted` or `pending` without reading its holders (one UPDATE, what every
    distributed lead pays). Otherwise the holders are read by the contact's lead ids: an index
    lookup each, whatever the planner believes of the tables' sizes."""
    converted = Q(conversion_count__gt=0)
    if holder_open:
        status = Case(When(converted, then=Value(ConversionStatus.CONVERTED)), default=Value(ConversionStatus.PENDING))
        Contact.objects.filter(pk=contact_id).exclude(conversion_status=status).update(
            conversion_status=status, updated_at=timezone.now()
        )
        return
    contact = Contact.objects.filter(pk=contact_id).values("conversion_count").first()
    if contact is None:
        return
    if contact["conversion_count"] > 0:
        status = ConversionStatus.CONVERTED
    else:
        lead_ids = list(Lead.objects.filter(contact_id=contact_id).values_list("pk", flat=True))
        held = LeadAccess.objects.live().filter(lead_id__in=lead_ids).aggregate(
            held=Count("pk"), open=Count("pk", filter=~Q(workspace_status=WorkspaceStatus.REJECTED))
        )
        rejected = held["held"] > 0 and held["open"] == 0
        status = ConversionStatus.REJECTED if rejected else ConversionStatus.PENDING
    Contact.objects.filter(pk=contact_id).exclude(conversion_status=status).update(
        conversion_status=status, updated_at=timezone.now()
    )
