"""Lead use cases (writes). Every path that creates or changes a lead calls one function here."""
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from contacts.models import Contact, ContactEvent
from contacts.services import contact_upsert
from leadhub.errors import ServiceRefusal
from providers.models import WebhookConfig
from providers.services import provider_usage_record
from workspaces.forwarding import lead_forward_rules_apply
from workspaces.models import EventType

from .events import lead_event_data, lead_event_emit
from .ingest import canonical_json, clean_lead
from .models import Lead, LeadEvent, TrackingAction, WorkspaceTracking
from .signals import lead_accepted


class IngestError(ServiceRefusal):
    """A refused lead; `errors` are per seed column."""


class IngestValidationError(IngestError):
    code = "validation"


class IngestConflict(IngestError):
    code = "conflict"


@dataclass(frozen=True)
class IngestResult:
    lead: Lead
    contact: Contact
    contact_status: str  # "new" | "existing"
    created: bool  # False: idempotent replay of an earlier post, nothing was written

    @property
    def object_id(self):
        """What rejected-submission re-processing records as created."""
        return self.lead.pk


def lead_ingest(*, webhook, payload, provider=None, ip_address="", user_agent="",
                sent_from_workspace=None, distribute=True) -> IngestResult:
    """Accept one lead for `webhook`: contact upsert, lead, audit events and counters, atomically.

    The webhook view, the CSV import and re-processing of rejected submissions all call this,
    so validation, dedup and bookkeeping cannot drift apart between them. A new lead of a
    webhook with a distribution strategy is then distributed (`lead_accepted`) in its own
    transaction, after the lead's: a failed distribution never loses the lead.
    """
    cleaned = clean_lead(payload, lead_type=webhook.lead_type)
    if cleaned.errors:
        raise IngestValidationError(
            f"Invalid lead data: {', '.join(sorted(cleaned.errors))}.", errors=cleaned.errors
        )
    custom_id = cleaned.custom_id
    if custom_id is not None and (existing := _lead_with_id(custom_id)):
        return _replay_or_conflict(existing, webhook=webhook, payload=payload)
    try:
        with transaction.atomic():
            result = _create(
                cleaned, webhook=webhook, payload=payload, provider=provider, ip_address=ip_address,
                user_agent=user_agent, sent_from_workspace=sent_from_workspace,
            )
    except IntegrityError:
        # Lost a race for the same new custom id; the atomic block has rolled back (to its
        # savepoint when nested), so answer as if this post had arrived second.
        existing = custom_id is not None and _lead_with_id(custom_id)
        if not existing:
            raise
        return _replay_or_conflict(existing, webhook=webhook, payload=payload)
    if distribute and webhook.distribution_strategy:
        lead_accepted.send(sender=Lead, lead=result.lead, webhook=webhook, sent_from_workspace=sent_from_workspace)
    return result


def _create(cleaned, *, webhook, payload, provider, ip_address, user_agent, sent_from_workspace):
    now = timezone.now()
    values = cleaned.values
    contact, created_contact, changed = contact_upsert(
        webhook_id=webhook.webhook_id, phone=values["phone"], now=now,
        values={**values, "sent_from_workspace": sent_from_workspace.pk if sent_from_workspace else ""},
    )
    if cleaned.custom_id is not None:
        Lead.objects.reserve_id(cleaned.custom_id)
    held = not cleaned.consent_ok
    lead = Lead.objects.create(
        id=cleaned.custom_id,
        contact=contact,
        webhook_id=webhook.webhook_id,
        raw_payload=payload,
        ip_address=(ip_address or "")[:45],
        user_agent=(user_agent or "")[:512],
        processed_at=now,
        status="new",
        held_for_consent=held,
        provider_id=provider.provider_id if provider else "",
        **values,
    )
    contact_status = "new" if created_contact else "existing"
    if created_contact:
        ContactEvent.objects.create(contact=contact, event_type=ContactEvent.CREATED, event_data={"lead_id": lead.pk})
    else:
        ContactEvent.objects.create(
            contact=contact, event_type=ContactEvent.UPDATED,
            event_data={"lead_id": lead.pk, "changed_fields": changed},
        )
    LeadEvent.objects.create(
        lead=lead,
        event_type=LeadEvent.RECEIVED,
        event_data={
            "webhook_id": webhook.webhook_id,
            "provider_id": provider.provider_id if provider else None,
            "contact_id": contact.pk,
            "contact_status": contact_status,
            "held_for_consent": held,
            "sent_from_workspace": sent_from_workspace.pk if sent_from_workspace else None,
        },
    )
    if sent_from_workspace is not None:
        WorkspaceTracking.objects.create(
            contact=contact, lead=lead, workspace=sent_from_workspace, action=TrackingAction.RECEIVED,
            action_details="Lead referred by this workspace.", metadata={"webhook_id": webhook.webhook_id},
        )
    # Forwarding rules only queue outbox rows here; delivery happens after commit.
    lead_forward_rules_apply(lead=lead, data=lead_event_data(lead))
    _counters_increment(webhook=webhook, provider=provider, now=now)
    return IngestResult(lead=lead, contact=contact, contact_status=contact_status, created=True)


def _counters_increment(*, webhook, provider, now):
    """Shared counters, written last: every post to a webhook updates the same rows, so their row
    locks are held only from here to COMMIT. `last_used_at` moves at most once a minute, which
    keeps the provider row out of the hot path."""
    WebhookConfig.objects.filter(pk=webhook.pk).update(total_leads=F("total_leads") + 1, last_lead_at=now)
    if provider is not None:
        provider_usage_record(provider=provider, webhook_id=webhook.webhook_id, now=now)


def _lead_with_id(lead_id):
    return Lead.objects.select_related("contact").filter(pk=lead_id).first()


def _replay_or_conflict(existing, *, webhook, payload):
    """Same id, webhook and payload is a retry (answer with the original); anything else is a 409."""
    if existing.webhook_id != webhook.webhook_id:
        raise IngestConflict(
            f"Lead id {existing.pk} is already used by another webhook.",
            errors={"id": ["This id is already used by another webhook."]},
        )
    if canonical_json(existing.raw_payload) != canonical_json(payload):
        raise IngestConflict(
            f"Lead id {existing.pk} already exists with a different payload.",
            errors={"id": ["This id was already received with a different payload."]},
        )
    return IngestResult(lead=existing, contact=existing.contact, contact_status="existing", created=False)


# =================================================================================================
# Assignment, status changes and activities (issue 4, workspaces and the partner API).
# Imports are local to this section so it stays independent of the ingest code above.
# =================================================================================================
from django.core.exceptions import PermissionDenied as _PermissionDenied  # noqa: E402
from django.core.exceptions import ValidationError as _ValidationError  # noqa: E402
from django.db import transaction as _transaction  # noqa: E402
from django.db.models import F as _F  # noqa: E402
from django.utils import timezone as _timezone  # noqa: E402

from leadhub.choices import LeadType as _LeadType  # noqa: E402
from leads.ingest import column_for as _column_for  # noqa: E402
from leads.models import (  # noqa: E402
    ActivityType,
    LeadActivity,
    LeadPipelineStage,
    LeadStatusHistory,
    WorkspaceStatus,
)


class LeadStatusInvalid(_ValidationError):
    """A status that is not an active pipeline stage; `.allowed` lists the ones that are."""

    def __init__(self, status, allowed):
        self.allowed = allowed
        super().__init__(
            {"status": [f"'{status}' is not an active pipeline stage. Allowed: {', '.join(allowed)}."]},
            code="invalid_status",
        )


def _track(*, lead, workspace_id, action, performed_by, details="", metadata=None):
    return WorkspaceTracking.objects.create(
        contact_id=lead.contact_id,
        lead=lead,
        workspace_id=workspace_id,
        action=action,
        action_details=details,
        performed_by=performed_by,
        metadata=metadata or {},
    )


def _locked(lead):
    """Re-read the lead under a row lock so concurrent assignment/status writes serialise."""
    return Lead.objects.select_for_update().get(pk=lead.pk)


@_transaction.atomic
def lead_assign(*, lead, workspace, by: str):
    """Give a lead to a workspace (ops, the admin bulk action, routing).

    Re-assignment records both sides: the previous workspace gets tracking `updated` (not
    `rejected`, which is reserved for a workspace refusing the lead itself, so partner rejection
    rates stay truthful) and an `unassigned` lead event; the new one gets `sent` and `assigned`.
    Assigning by hand a lead held for consent is allowed (that is how ops release it);
    distribution (`distribution.services.lead_distribute`) is the path that refuses it. Re-assigning to the workspace that already
    holds the lead as `assigned` changes nothing.
    """
    lead = _locked(lead)
    previous_id = lead.workspace_id
    if previous_id == workspace.pk and lead.workspace_status == WorkspaceStatus.ASSIGNED:
        return lead
    lead.workspace = workspace
    lead.workspace_assigned_at = _timezone.now()
    lead.workspace_status = WorkspaceStatus.ASSIGNED
    lead.save(update_fields=["workspace", "workspace_assigned_at", "workspace_status", "updated_at"])
    if previous_id and previous_id != workspace.pk:
        _track(
            lead=lead,
            workspace_id=previous_id,
            action=TrackingAction.UPDATED,
            performed_by=by,
            details=f"Lead re-assigned to another workspace by {by}.",
            metadata={"change": "unassigned"},
        )
        LeadEvent.objects.create(
            lead=lead, event_type=LeadEvent.UNASSIGNED, event_data={"workspace_id": previous_id, "by": by}
        )
    _track(lead=lead, workspace_id=workspace.pk, action=TrackingAction.SENT, performed_by=by)
    LeadEvent.objects.create(
        lead=lead, event_type=LeadEvent.ASSIGNED, event_data={"workspace_id": workspace.pk, "by": by}
    )
    lead_event_emit(
        lead=lead, workspace=workspace, event_type=EventType.LEAD_ASSIGNED, assigned_by=by,
        previous_workspace_id=previous_id,
    )
    return lead


STATUS_TRACKING = {"qualified": TrackingAction.QUALIFIED, "rejected": TrackingAction.REJECTED}


@_transaction.atomic
def lead_status_change(
    *,
    lead,
    new_status: str,
    changed_by: str,
    changed_by_name: str = "",
    reason: str = "",
    notes: str = "",
    workspace=None,
    metadata=None,
):
    """THE status service: every status change (ops, partner API, appointments, conversions).

    Validates against the active pipeline stages (LeadStatusInvalid lists them), then writes the
    lead, `lead_status_history`, a `status_changed` lead event and, when a workspace is party to
    the change, `workspace_tracking` (qualified / rejected / updated). Setting the current
    status again changes nothing.
    """
    allowed = list(LeadPipelineStage.objects.filter(is_active=True).values_list("name", flat=True))
    if new_status not in allowed:
        raise LeadStatusInvalid(new_status, allowed)
    lead = _locked(lead)
    old_status = lead.status
    if old_status == new_status:
        return lead
    metadata = dict(metadata or {})
    if workspace is not None:
        metadata.setdefault("workspace_id", workspace.pk)
    lead.status = new_status
    lead.status_changed_at = _timezone.now()
    lead.status_changed_by = changed_by
    lead.save(update_fields=["status", "status_changed_at", "status_changed_by", "updated_at"])
    LeadStatusHistory.objects.create(
        lead=lead,
        old_status=old_status,
        new_status=new_status,
        changed_by=changed_by,
        changed_by_name=changed_by_name,
        reason=reason,
        notes=notes,
        metadata=metadata,
    )
    LeadEvent.objects.create(
        lead=lead,
        event_type=LeadEvent.STATUS_CHANGED,
        event_data={"old_status": old_status, "new_status": new_status, "changed_by": changed_by, **metadata},
    )
    if workspace is not None:
        _track(
            lead=lead,
            workspace_id=workspace.pk,
            action=STATUS_TRACKING.get(new_status, TrackingAction.UPDATED),
            performed_by=changed_by,
            details=f"status {old_status} → {new_status}" + (f": {reason}" if reason else ""),
            metadata={"old_status": old_status, "new_status": new_status},
        )
    if lead.workspace_id:
        lead_event_emit(
            lead=lead, workspace=lead.workspace, event_type=EventType.LEAD_STATUS_CHANGED, old_status=old_status,
            new_status=new_status, changed_by=changed_by, reason=reason,
        )
    return lead


CONSENT_RELEASED = "consent_released"


@_transaction.atomic
def lead_consent_release(*, lead, by: str, reason: str):
    """Ops confirm that a lead held at ingest for missing consent may be worked after all (e.g.
    consent was obtained on a call): the hold is lifted and a `consent_released` lead event keeps
    who and why. Routing and forwarding then treat it like any other lead. Releasing a lead
    that is not held changes nothing."""
    reason = (reason or "").strip()
    if not reason:
        raise _ValidationError({"reason": ["Say why the lead may be worked (e.g. consent obtained by phone)."]})
    lead = _locked(lead)
    if not lead.held_for_consent:
        return lead
    lead.held_for_consent = False
    lead.save(update_fields=["held_for_consent", "updated_at"])
    LeadEvent.objects.create(
        lead=lead,
        event_type=CONSENT_RELEASED,
        event_data={
            "by": by,
            "reason": reason,
            "consent_value": lead.consent_value,
            "tcpa_compliance": lead.tcpa_compliance,
        },
    )
    return lead


# What a partner may answer about a lead assigned to it, and how tracking records the answer.
PARTNER_RESPONSES = {
    WorkspaceStatus.ACCEPTED: TrackingAction.UPDATED,
    WorkspaceStatus.REJECTED: TrackingAction.REJECTED,
}


@_transaction.atomic
def lead_workspace_respond(*, lead, workspace, response: str, by: str):
    """The assigned workspace accepts or rejects a lead (its `workspace_status`)."""
    if response not in PARTNER_RESPONSES:
        raise _ValidationError({"workspace_status": [f"Must be one of: {', '.join(PARTNER_RESPONSES)}."]})
    lead = _locked(lead)
    if lead.workspace_id != workspace.pk:
        raise _PermissionDenied("Only the workspace the lead is assigned to can accept or reject it.")
    old = lead.workspace_status
    if old == response:
        return lead
    lead.workspace_status = response
    lead.save(update_fields=["workspace_status", "updated_at"])
    LeadEvent.objects.create(
        lead=lead,
        event_type=f"workspace_{response}",
        event_data={"workspace_id": workspace.pk, "old": old, "new": response, "by": by},
    )
    _track(
        lead=lead,
        workspace_id=workspace.pk,
        action=PARTNER_RESPONSES[response],
        performed_by=by,
        details=f"workspace_status {old or '-'} → {response}",
        metadata={"workspace_status": response},
    )
    return lead


LEAD_WORKING_FIELDS = ("notes", "priority", "assigned_to", "follow_up_date", "contact_attempts")


@_transaction.atomic
def lead_update(*, lead, data: dict, by: str, workspace=None):
    """Working fields (notes, priority, assigned_to, follow-up date, attempts). Changes are
    recorded as an `updated` lead event and, for a workspace, tracking `updated`."""
    unknown = sorted(set(data) - set(LEAD_WORKING_FIELDS))
    if unknown:
        raise _ValidationError({field: ["This field cannot be changed here."] for field in unknown})
    lead = _locked(lead)
    changes = {}
    for field, value in data.items():
        old = getattr(lead, field)
        if old != value:
            changes[field] = [_jsonable(old), _jsonable(value)]
            setattr(lead, field, value)
    if not changes:
        return lead
    lead.full_clean(exclude=[f.name for f in Lead._meta.fields if f.name not in changes], validate_unique=False)
    lead.save(update_fields=[*changes, "updated_at"])
    event_data = {"changes": changes, "by": by}
    if workspace is not None:
        event_data["workspace_id"] = workspace.pk
        _track(
            lead=lead,
            workspace_id=workspace.pk,
            action=TrackingAction.UPDATED,
            performed_by=by,
            details="changed " + ", ".join(changes),
            metadata={"fields": sorted(changes)},
        )
    LeadEvent.objects.create(lead=lead, event_type="updated", event_data=event_data)
    return lead


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@_transaction.atomic
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
    """Log a call, email, meeting or note; a call also counts as a contact attempt (DB-side +1)."""
    if activity_type not in ActivityType.values:
        raise _ValidationError({"activity_type": [f"Must be one of: {', '.join(ActivityType.values)}."]})
    metadata = dict(metadata or {})
    if workspace is not None:
        metadata.setdefault("workspace_id", workspace.pk)
    activity = LeadActivity.objects.create(
        lead=lead,
        activity_type=activity_type,
        title=title or ActivityType(activity_type).label,
        description=description,
        activity_date=activity_date or _timezone.now(),
        created_by=created_by,
        created_by_name=created_by_name,
        metadata=metadata,
    )
    if activity_type == ActivityType.CALL:
        Lead.objects.filter(pk=lead.pk).update(contact_attempts=_F("contact_attempts") + 1, updated_at=_timezone.now())
    return activity


def lead_refer(*, workspace, payload: dict, ip_address: str = "", user_agent: str = "") -> IngestResult:
    """A workspace sends a lead in (`POST /api/v1/leads/`): the same ingest as provider webhooks,
    on the workspace's own inbound webhook config for the lead type, `ws-<workspace>-<type>`,
    created on first use (ops deactivate it to stop that workspace's referrals)."""
    given = next((value for key, value in payload.items() if _column_for(key) == "lead_type"), "")
    lead_type = str(given or "").strip().lower()
    if lead_type not in _LeadType.values:
        raise IngestValidationError(
            "Invalid lead data: lead_type.",
            errors={"lead_type": [f"Required for referrals; one of: {', '.join(_LeadType.values)}."]},
        )
    webhook, _ = WebhookConfig.objects.get_or_create(
        webhook_id=f"ws-{workspace.pk}-{lead_type}",
        defaults={
            "name": f"Referrals from {workspace.name} ({lead_type})",
            "description": f"Leads referred by workspace {workspace.pk} through the partner API.",
            "lead_type": lead_type,
        },
    )
    if not webhook.is_active or webhook.deleted_at:
        raise _PermissionDenied(f"Referrals from workspace '{workspace.pk}' are disabled.")
    return lead_ingest(
        webhook=webhook, payload=payload, ip_address=ip_address, user_agent=user_agent, sent_from_workspace=workspace
    )


@_transaction.atomic
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
            raise _ValidationError({"workspace_status": ["The lead is not assigned to a workspace."]})
        lead = lead_workspace_respond(lead=lead, workspace=responder, response=workspace_status, by=changed_by)
    if fields:
        lead = lead_update(lead=lead, data=fields, by=changed_by, workspace=workspace)
    return lead
