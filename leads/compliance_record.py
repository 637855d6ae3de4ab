"""A lead's compliance record: what was posted and checked, what held it, and whom it reached.

One read for ops (the lead admin's "Compliance record" page, `workspace=None`: the whole record)
and for a buyer (`GET /api/v1/leads/{id}/compliance/`: the part about itself and the lead as it
may see it). The record is a list of sections in order; leads builds its own (consent as posted,
the consumer's identity, consent evidence and its verification, the suppression and duplicate
checks, the holds, the workspaces it reached) and the apps above leads add theirs through
`LEAD_COMPLIANCE_SECTIONS`, filled at ready() (distribution: sales, deliveries, decisions; a
returns app adds its returns and credits the same way). Each section's `read(*, lead, workspace)`
returns its entries, each a dict of plain values (a list of dicts for nested rows), and answers
for ops with `workspace` None or for one workspace with only that workspace's part. One query per
section at most, whatever the lead's history.
"""
from collections.abc import Callable
from dataclasses import dataclass

from leads.holds import HOLD_REASONS
from leads.models import ConsentEvidence, LeadAccess, LeadEvent, LeadHold
from workspaces.models import EventType
from workspaces.selectors import outbound_events_visible_to


@dataclass(frozen=True)
class ComplianceSection:
    key: str
    title: str
    order: int
    read: Callable  # (*, lead, workspace) -> [dict]: the whole section (None) or `workspace`'s part
    staff_only: bool = False  # ops only (its rows name other buyers)


# The sections the apps above leads own (leads may not read their rows), by key.
LEAD_COMPLIANCE_SECTIONS: dict[str, ComplianceSection] = {}


def lead_compliance_section_register(*, key: str, title: str, order: int, read, staff_only: bool = False):
    LEAD_COMPLIANCE_SECTIONS[key] = ComplianceSection(key=key, title=title, order=order, read=read,
                                                      staff_only=staff_only)


def lead_compliance_record(*, lead, workspace) -> dict:
    """The lead's compliance record: ops' whole record (`workspace` None), or the part `workspace`
    may read (the caller must hold the lead: views find it through `leads.selectors.lead_list`)."""
    sections = sorted([*LEADS_SECTIONS, *LEAD_COMPLIANCE_SECTIONS.values()], key=lambda section: section.order)
    return {
        "lead_id": lead.pk,
        "workspace": getattr(workspace, "pk", None),
        "sections": [
            {"key": section.key, "title": section.title, "entries": section.read(lead=lead, workspace=workspace)}
            for section in sections
            if workspace is None or not section.staff_only
        ],
    }


def _consent(*, lead, workspace) -> list[dict]:
    """The consent text and flags as the post gave them, with when and where it came in."""
    entry = {
        "received_at": lead.created_at,
        "webhook_id": lead.webhook_id,
        "consent_description": lead.consent_description,
        "consent_value": lead.consent_value,
        "tcpa_compliance": lead.tcpa_compliance,
    }
    if workspace is None:
        entry["provider_id"] = lead.provider_id
    return [entry]


def _identity(*, lead, workspace) -> list[dict]:
    """The consumer's IP and user agent as posted; ops also see the posting server's."""
    entry = {"ip_address": lead.ip_address, "user_agent": lead.user_agent}
    if workspace is None:
        entry.update(source_ip=lead.source_ip, source_user_agent=lead.source_user_agent)
    return [entry]


EVIDENCE_POSTED = {"trustedform": "trustedform_cert_url", "jornaya": "jornaya_leadid"}


def _evidence(*, lead, workspace) -> list[dict]:
    """Each piece of consent evidence posted (a value not of its form says why) and what its
    verifier answered, if it was asked (`consent_evidence`, one row per kind)."""
    verified = {row.kind: row for row in ConsentEvidence.objects.filter(lead=lead)}
    entries = []
    for kind, column in EVIDENCE_POSTED.items():
        row = verified.get(kind)
        if not getattr(lead, column) and row is None:
            continue
        entry = {"kind": kind, "value": getattr(lead, column), "form": lead.evidence_invalid.get(column, "valid"),
                 "verification": row.outcome if row else "not requested"}
        if row is not None:
            entry.update(reason=row.reason, requested_at=row.requested_at, checked_at=row.checked_at,
                         expires_at=row.expires_at, phone_match=row.phone_match, email_match=row.email_match,
                         one_to_one=row.one_to_one)
        entries.append(entry)
    return entries


def _checks(*, lead, workspace) -> list[dict]:
    """Every suppression and duplicate check and its result: ingest's (kept on the `received`
    event, a match or none; ops also see the duplicate rule's full match) and the lists that
    caught the number after it reached a buyer (`lead.suppressed`, to that buyer)."""
    events = LeadEvent.objects.filter(lead=lead, event_type__in=(LeadEvent.RECEIVED, LeadEvent.DUPLICATE_MATCHED))
    by_type = {event.event_type: event for event in events.order_by("created_at", "id")}
    received = by_type.get(LeadEvent.RECEIVED)
    checks = received.event_data.get("checks", {}) if received else {}
    at = received.created_at if received else lead.created_at
    not_recorded = {"result": "not recorded"}
    entries = [{"check": "suppression (ingest: lists for every buyer)", "at": at,
                **checks.get("suppression", not_recorded)}]
    duplicate = {"check": "duplicate rules (ingest)", "at": at, **checks.get("duplicate", not_recorded)}
    if workspace is not None:
        duplicate.pop("rules", None)  # ops' configuration
    elif (matched := by_type.get(LeadEvent.DUPLICATE_MATCHED)) is not None:
        duplicate["match"] = matched.event_data
    entries.append(duplicate)
    after_sale = outbound_events_visible_to(workspace=workspace).filter(
        subject_type="lead", subject_id=str(lead.pk), event_type=EventType.LEAD_SUPPRESSED)
    for event in after_sale.order_by("created_at"):
        entries.append({"check": "suppression (after it reached a buyer)", "at": event.created_at,
                        "result": f"suppressed ({event.data.get('suppressed', '')})",
                        "workspace_id": event.workspace_id})
    return entries


def _holds(*, lead, workspace) -> list[dict]:
    """Every hold placed on the lead (consent, evidence, suppressed, duplicate …): when and why,
    and its release; who placed and released it and ops' note are ops' own."""
    entries = []
    for hold in LeadHold.objects.filter(lead=lead).order_by("placed_at", "id"):
        reason = HOLD_REASONS.get(hold.reason)
        entry = {"reason": hold.reason, "label": reason.label if reason else hold.reason, "message": hold.message,
                 "placed_at": hold.placed_at, "released_at": hold.released_at}
        if workspace is None:
            entry.update(placed_by=hold.placed_by, released_by=hold.released_by, release_note=hold.release_note)
        entries.append(entry)
    return entries


def _workspaces(*, lead, workspace) -> list[dict]:
    """Every workspace the lead reached (its access records: how and when, and when it lost it);
    a workspace sees its own record only."""
    accesses = LeadAccess.objects.filter(lead=lead).order_by("granted_at", "id")
    if workspace is not None:
        accesses = accesses.filter(workspace=workspace)
    entries = []
    for access in accesses:
        entry = {"workspace_id": access.workspace_id, "how": access.how, "granted_at": access.granted_at,
                 "revoked_at": access.revoked_at}
        if workspace is None:
            entry.update(granted_by=access.granted_by, revoked_by=access.revoked_by)
        entries.append(entry)
    return entries


LEADS_SECTIONS = (
    ComplianceSection("consent", "Consent as posted", 10, _consent),
    ComplianceSection("identity", "The consumer's identity", 20, _identity),
    ComplianceSection("evidence", "Consent evidence and its verification", 30, _evidence),
    ComplianceSection("checks", "Suppression and duplicate checks", 40, _checks),
    ComplianceSection("holds", "Holds", 50, _holds),
    ComplianceSection("workspaces", "Workspaces it reached", 60, _workspaces),
)
