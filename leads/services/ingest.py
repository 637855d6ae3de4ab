"""Lead ingest: every door a new lead comes in by (provider webhook, CSV import, re-processing of
rejected submissions, partner referral) ends in `lead_ingest`, so validation, dedup and
bookkeeping cannot drift apart between them."""
from dataclasses import dataclass, replace

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from contacts.models import Contact, ContactEvent
from contacts.services import contact_upsert
from leadhub.actors import SYSTEM, actor_for_provider, actor_for_workspace
from leadhub.choices import LeadType
from leadhub.errors import ServiceConflict, ServiceRefusal
from leads.handoff import lead_distributor
from leads.consent_evidence import EVIDENCE_COLUMNS
from leads.ingest import clean_lead, column_for, posted_values
from leads.holds import DUPLICATE, EVIDENCE, SUPPRESSED, hold_columns, holds_at_ingest, lead_holds_live, lead_holds_record
from leads.intake_duplicates import duplicate_check
from leads.services.evidence import held_lead_evidence_queue
from leads.models import DuplicateAction, Lead, LeadEvent, TrackingAction, WorkspaceTracking
from providers.mapping import unknown_fields_refused
from providers.models import ConsentEvidenceMode, SuppressionAction, WebhookConfig
from providers.services.usage import provider_usage_record
from suppression.selectors import suppressed_for_everyone
from workspaces.zips import zip_state


class IngestError(ServiceRefusal):
    """A refused lead; `errors` are per seed column."""


class IngestValidationError(IngestError):
    code = "validation"


class IngestConflict(IngestError, ServiceConflict):
    code = "conflict"


class ConsentEvidenceInvalid(IngestValidationError):
    """A `require` webhook's post whose only flaws are its consent evidence or the consumer's
    identity (malformed, or not of its form): answered as any validation refusal, kept for ops
    as `evidence_invalid`, a compliance refusal the KPIs count."""

    stored_code = "evidence_invalid"


class ConsentEvidenceMissing(IngestError):
    """A `require` webhook's post without a TrustedForm certificate or Jornaya LeadiD token."""

    code = "consent_evidence_missing"


class LeadSuppressed(IngestError):
    """A post refused because its phone or email is suppressed for every buyer (the webhook's
    `suppression_action` is `refuse`). The answer names no list: which lists hold a number is ops'
    knowledge, not the sender's."""

    code = "suppressed"

    def __init__(self):
        message = "This lead may not be contacted: its phone or email is suppressed."
        super().__init__(message, errors={"phone": [message]})


SUPPRESSED_MESSAGE = "The phone or email is on a do-not-contact list for every buyer."


def suppression_holds(*, webhook, values) -> list[tuple[str, str]]:
    """The `suppressed` hold a post calls for when its phone or email is on a list for every buyer
    and its webhook holds such posts; LeadSuppressed when the webhook refuses them. Lists that
    stop only some buyers (a registry for callers, one workspace's opt-out) are distribution's
    verdict per buyer, not ingest's."""
    if not suppressed_for_everyone(phone=values.get("phone", ""), email=values.get("email", "")):
        return []
    if webhook.suppression_action == SuppressionAction.REFUSE:
        raise LeadSuppressed()
    return [(SUPPRESSED, SUPPRESSED_MESSAGE)]


class IngestDuplicate(IngestError, ServiceConflict):
    """A duplicate rule with action `reject` matched: nothing is stored but the refused post (the
    gate keeps it as a rejected submission). `fields` carry `disposition.duplicate_of`, the same
    place an accepted post's answer has it; `ops_reason` names the earlier lead for ops."""

    code = "duplicate"

    def __init__(self, found, *, provider):
        super().__init__(found.message, errors=found.errors(),
                         fields={"disposition": {"duplicate_of": found.answer(provider=provider)}})
        self.ops_reason = found.ops_message


# The refusals for a compliance reason, by the code a refused post is kept under (its rejected
# submission's `reason_code`), in words: what the compliance KPIs count per webhook and day.
COMPLIANCE_REFUSALS = {
    refusal.stored_code or refusal.code: words
    for refusal, words in (
        (ConsentEvidenceMissing, "consent evidence missing (the webhook requires it)"),
        (ConsentEvidenceInvalid, "consent evidence or the consumer's identity malformed (the webhook requires it)"),
        (LeadSuppressed, "phone or email suppressed for every buyer"),
        (IngestDuplicate, "a duplicate rule rejected it"),
    )
}


@dataclass(frozen=True)
class IngestResult:
    lead: Lead
    contact: Contact
    contact_status: str  # "new" | "existing"
    created: bool  # False: idempotent replay of an earlier post, nothing was written
    ignored_fields: list = ()  # another vertical's fields: kept in the contact's custom_metadata
    dropped_fields: list = ()  # [{field, reason}]: identity/evidence values not stored (leads.consent_evidence)
    invalid_evidence: list = ()  # [{field, reason}]: evidence kept but not of its form (marked on the lead)
    unknown_fields: list = ()  # [{field, did_you_mean}]: keys no lead field is known by (kept in raw_payload)
    cleaned_fields: list = ()  # [{field, reason}]: texts stored cleaned (control characters replaced)
    sold: bool = False  # distribution sold it (leads.handoff.Disposition)
    price: object = None  # the source's payout booked for it (Decimal), from distribution; None = no terms
    holds: list = ()  # [{reason, message}]: the lead's live holds (leads.holds) as the answer shows them
    duplicate_of: dict | None = None  # the duplicate rule that matched (leads.intake_duplicates), as the answer says it

    @property
    def object_id(self):
        """What rejected-submission re-processing records as created."""
        return self.lead.pk


def lead_validate(*, webhook, payload):
    """The body checks of `lead_ingest`, nothing written (a test-mode webhook's posts): the
    cleaned lead, or IngestValidationError (ConsentEvidenceMissing). The webhook's field and value
    mapping is applied first; a `strict` webhook refuses unknown fields, naming them."""
    cleaned = clean_lead(payload, lead_type=webhook.lead_type, mapping=webhook.payload_mapping)
    errors = dict(cleaned.errors)
    if webhook.strict:
        errors.update(unknown_fields_refused(cleaned.unknown))
    flawed_beyond_evidence = bool(errors)
    if webhook.consent_evidence == ConsentEvidenceMode.REQUIRE:
        # Only a webhook that requires evidence refuses a flawed piece of it; the others keep
        # what they can and say what they dropped or found malformed.
        errors.update({column: [reason] for column, reason in cleaned.dropped.items() if column != "user_agent"})
        errors.update({column: [reason] for column, reason in cleaned.invalid.items()})
    if errors:
        refusal = IngestValidationError if flawed_beyond_evidence else ConsentEvidenceInvalid
        raise refusal(f"Invalid lead data: {', '.join(sorted(errors))}.", errors=errors)
    if webhook.consent_evidence == ConsentEvidenceMode.REQUIRE and not any(
        cleaned.values.get(column) for column in EVIDENCE_COLUMNS.values()
    ):
        raise ConsentEvidenceMissing(
            "Consent evidence missing: this webhook requires a TrustedForm certificate or a Jornaya LeadiD token.",
            errors={column: ["Required by this webhook (one of trustedform_cert_url, jornaya_leadid)."]
                    for column in EVIDENCE_COLUMNS.values()},
        )
    return cleaned


def lead_sample(*, webhook, payload) -> dict:
    """What a post of `payload` to the webhook would become, nothing written (the admin's "try a
    sample post"): the cleaned lead, the fields ignored, unknown or cleaned, and the refusal's
    errors if it would be refused."""
    try:
        cleaned = lead_validate(webhook=webhook, payload=payload)
        errors = {}
    except IngestError as exc:
        cleaned, errors = clean_lead(payload, lead_type=webhook.lead_type, mapping=webhook.payload_mapping), exc.errors
    return {"lead": {**cleaned.values, **({"external_id": cleaned.external_id} if cleaned.external_id else {})},
            "errors": errors, **_flagged(cleaned)}


def lead_ingest(*, webhook, payload, provider=None, ip_address="", user_agent="",
                sent_from_workspace=None, distribute=True, lead_id=None) -> IngestResult:
    """Accept one lead for `webhook`: contact upsert, lead, audit events and counters, atomically.

    `ip_address` and `user_agent` are the connection's that posted (the sending server, the
    referring partner, the import command): stored as the lead's `source_ip` / `source_user_agent`.
    The consumer's own come from the payload (`ip_address`, `user_agent` and their aliases).

    The webhook view, the CSV import and re-processing of rejected submissions all call this,
    so validation, dedup and bookkeeping cannot drift apart between them. A new lead is then
    distributed (the registered `leads.handoff` distributor: the webhook's strategy, then its
    forwarding copies; its Disposition is the answer's `sold` and `price`) in its own
    transaction, after the lead's, unless the caller says `distribute=False` (CSV imports
    without --distribute): a failed distribution never loses the lead.

    The duplicate rules (leads.intake_duplicates) run first inside the lead's transaction, so
    every door honours them: `reject` raises IngestDuplicate with nothing written, `hold` places
    a `duplicate` hold with the lead, `accept_no_payout` marks the lead `payout_withheld`.

    leadhub numbers every lead itself; a sender's own id is only its reference (`external_id`),
    unique per (webhook, provider), so a retry is recognised by one indexed lookup. `lead_id` is
    for ops moving leads from an earlier system (`import_leads --keep-ids`) only.
    """
    cleaned = lead_validate(webhook=webhook, payload=payload)
    reference = {"webhook_id": webhook.webhook_id, "provider_id": provider.provider_id if provider else "",
                 "external_id": cleaned.external_id}
    if cleaned.external_id is not None and (existing := _lead_with_reference(reference)):
        return _replayed(existing, cleaned, webhook=webhook)
    suppressed = suppression_holds(webhook=webhook, values=cleaned.values)
    try:
        with transaction.atomic():
            result = _create(
                cleaned, webhook=webhook, payload=payload, provider=provider, ip_address=ip_address,
                user_agent=user_agent, sent_from_workspace=sent_from_workspace, lead_id=lead_id,
                distribute=distribute, suppressed=suppressed,
            )
    except IntegrityError:
        # Lost a race for the same new reference; the atomic block has rolled back (to its
        # savepoint when nested), so answer as if this post had arrived second.
        if cleaned.external_id is not None and (existing := _lead_with_reference(reference)):
            return _replayed(existing, cleaned, webhook=webhook)
        if lead_id is not None and Lead.objects.filter(pk=lead_id).exists():
            raise IngestConflict(f"Lead id {lead_id} is already taken.",
                                 errors={"id": [f"Lead id {lead_id} is already taken by another lead."]}) from None
        raise
    if distribute and (distributor := lead_distributor()) is not None:
        disposition = distributor.accepted(lead=result.lead, webhook=webhook, sent_from_workspace=sent_from_workspace)
        result = replace(result, sold=disposition.sold, price=disposition.price)
    return result


def lead_id_sequence_advance(*, past: int):
    """Before a lead keeps an earlier system's id (`import_leads --keep-ids`, ops only), move the
    id sequence past it, so no lead numbered later collides with it. Never on the ingest path: a
    sender's id is only its reference. SQLite's AUTOINCREMENT already continues after the largest
    id ever used."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(seq, %s) FROM (SELECT pg_get_serial_sequence('leads', 'id')::regclass AS seq) s "
            "WHERE %s > COALESCE(pg_sequence_last_value(seq), 0)",
            [past, past],
        )


def _create(cleaned, *, webhook, payload, provider, ip_address, user_agent, sent_from_workspace, lead_id,
            distribute, suppressed):
    now = timezone.now()
    values = cleaned.values
    checked = duplicate_check(webhook=webhook, values=values, now=now)
    duplicate = checked.found
    if duplicate is not None and duplicate.action == DuplicateAction.REJECT:
        raise IngestDuplicate(duplicate, provider=provider)
    holds = holds_at_ingest(values, webhook=webhook) + suppressed
    if duplicate is not None and duplicate.action == DuplicateAction.HOLD:
        holds.append((DUPLICATE, duplicate.message))
    contact, created_contact, changed = contact_upsert(
        webhook_id=webhook.webhook_id, phone=values["phone"], now=now,
        values={**posted_values(values), "sent_from_workspace": sent_from_workspace.pk if sent_from_workspace else ""},
        fill_existing=not holds,
    )
    lead = Lead.objects.create(
        id=lead_id,
        external_id=cleaned.external_id,
        contact=contact,
        webhook_id=webhook.webhook_id,
        raw_payload=payload,
        source_ip=(ip_address or "")[:45],
        source_user_agent=(user_agent or "")[:512],
        processed_at=now,
        source=values.get("source") or webhook.name[:255],
        **hold_columns(code for code, _message in holds),
        payout_withheld=duplicate.message if duplicate and duplicate.action == DuplicateAction.ACCEPT_NO_PAYOUT else "",
        provider_id=provider.provider_id if provider else "",
        **{name: value for name, value in values.items() if name != "source"},
    )
    if cleaned.other_vertical:
        contact.custom_metadata = {**contact.custom_metadata, **cleaned.other_vertical}
        Contact.objects.filter(pk=contact.pk).update(custom_metadata=contact.custom_metadata)
    contact_status = "new" if created_contact else "existing"
    if created_contact:
        ContactEvent.objects.create(contact=contact, event_type=ContactEvent.CREATED, event_data={"lead_id": lead.pk})
    else:
        ContactEvent.objects.create(
            contact=contact, event_type=ContactEvent.UPDATED,
            event_data={"lead_id": lead.pk, "changed_fields": changed},
        )
    if sent_from_workspace is not None:
        by = actor_for_workspace(sent_from_workspace)
    else:
        by = actor_for_provider(provider) if provider else SYSTEM
    if holds:
        lead_holds_record(lead=lead, holds=holds, by=by, at=now)
        if [code for code, _message in holds] == [EVIDENCE]:
            held_lead_evidence_queue(lead_id=lead.pk)
    events = [LeadEvent(
        lead=lead,
        event_type=LeadEvent.RECEIVED,
        event_data={
            "by": by,
            "webhook_id": webhook.webhook_id,
            "provider_id": provider.provider_id if provider else None,
            "contact_id": contact.pk,
            "contact_status": contact_status,
            "held_for_consent": lead.held_for_consent,
            "holds": [code for code, _message in holds],
            "sent_from_workspace": sent_from_workspace.pk if sent_from_workspace else None,
            # Distribution was asked for (it runs after this transaction): a lead that says so and
            # has no decision was left behind, and distribution's sweeper takes it up.
            "distribute": bool(distribute and webhook.distribution_strategy),
            "state_source": lead.state_source,
            # The compliance checks' results, a match or none (leads.compliance_record reads them):
            # ingest's suppression check (lists for every buyer) and its duplicate rules.
            "checks": {
                "suppression": {"result": "held" if suppressed else "clear"},
                "duplicate": checked.recorded(),
            },
        },
    )]
    if duplicate is not None:  # for ops, on the timeline (leads.selectors keeps it from partners)
        events.append(LeadEvent(lead=lead, event_type=LeadEvent.DUPLICATE_MATCHED,
                                event_data=duplicate.event_data(provider=provider)))
    if lead.state_conflicts_zip:  # for ops, on the timeline; written with the received event
        events.append(LeadEvent(lead=lead, event_type=LeadEvent.STATE_CONFLICT, event_data={
            "posted": lead.state, "zip_code": lead.zip_code, "zip_state": zip_state(lead.zip_code)}))
    LeadEvent.objects.bulk_create(events)
    if sent_from_workspace is not None:
        WorkspaceTracking.objects.create(
            contact=contact, lead=lead, workspace=sent_from_workspace, action=TrackingAction.RECEIVED,
            action_details="Lead referred by this workspace.", performed_by=by,
            metadata={"webhook_id": webhook.webhook_id},
        )
    _counters_increment(webhook=webhook, provider=provider, now=now)
    return IngestResult(lead=lead, contact=contact, contact_status=contact_status, created=True,
                        holds=[{"reason": code, "message": message} for code, message in holds],
                        duplicate_of=duplicate.answer(provider=provider) if duplicate else None, **_flagged(cleaned))


def _flagged(cleaned) -> dict:
    """What the answer lists of the post's fields beside the lead: ignored, dropped, invalid."""
    return {
        "ignored_fields": sorted(cleaned.other_vertical),
        "dropped_fields": [{"field": column, "reason": reason} for column, reason in sorted(cleaned.dropped.items())],
        "invalid_evidence": [{"field": column, "reason": reason} for column, reason in sorted(cleaned.invalid.items())],
        "unknown_fields": list(cleaned.unknown),
        "cleaned_fields": [{"field": column, "reason": reason} for column, reason in sorted(cleaned.cleaned.items())],
    }


def _counters_increment(*, webhook, provider, now):
    """Shared counters, written last: every post to a webhook updates the same rows, so their row
    locks are held only from here to COMMIT. `last_used_at` moves at most once a minute, which
    keeps the provider row out of the hot path."""
    WebhookConfig.objects.filter(pk=webhook.pk).update(total_leads=F("total_leads") + 1, last_lead_at=now)
    if provider is not None:
        provider_usage_record(provider=provider, webhook_id=webhook.webhook_id, now=now)


def _lead_with_reference(reference):
    """The lead this sender already sent under this reference: one query on the unique constraint's index."""
    try:
        return Lead.objects.select_related("contact").get(**reference)
    except Lead.DoesNotExist:
        return None


def _replayed(existing, cleaned, *, webhook):
    """A replay's answer, with what the distributor says of the lead (the payout booked for it)."""
    result = _replay_or_conflict(existing, cleaned, webhook=webhook)
    if (distributor := lead_distributor()) is not None:
        disposition = distributor.replayed(lead=existing, webhook=webhook)
        result = replace(result, sold=disposition.sold, price=disposition.price)
    return result


def _replay_or_conflict(existing, cleaned, *, webhook):
    """The same reference with the same cleaned values (a phone in another format is the same
    phone) is a retry: the original answer, nothing written. Different values are a 409 naming
    each field that differs."""
    before = clean_lead(existing.raw_payload, lead_type=existing.lead_type, mapping=webhook.payload_mapping)
    before_posted, posted = posted_values(before.values), posted_values(cleaned.values)
    changed = sorted(
        name for name in {*before_posted, *posted, *before.other_vertical, *cleaned.other_vertical}
        if before_posted.get(name, before.other_vertical.get(name))
        != posted.get(name, cleaned.other_vertical.get(name))
    )
    if changed:
        raise IngestConflict(
            f"Reference '{cleaned.external_id}' was already received with other values "
            f"(lead {existing.pk}): {', '.join(changed)}.",
            errors={name: [f"Differs from the lead already received with reference '{cleaned.external_id}'."]
                    for name in changed},
            fields={"lead_id": existing.pk},
        )
    return IngestResult(lead=existing, contact=existing.contact, contact_status="existing", created=False,
                        holds=lead_holds_live(existing), sold=existing.workspace_id is not None,
                        duplicate_of=_duplicate_answered(existing), **_flagged(cleaned))


def _duplicate_answered(lead) -> dict | None:
    """What the original answer said of a duplicate rule's match (its event keeps it; a replay
    comes from the same provider, so the same `lead_id` may be named)."""
    data = LeadEvent.objects.filter(lead_id=lead.pk, event_type=LeadEvent.DUPLICATE_MATCHED).values_list(
        "event_data", flat=True).first()
    return data["duplicate_of"] if data else None


def lead_refer(*, workspace, payload: dict, ip_address: str = "", user_agent: str = "") -> IngestResult:
    """A workspace sends a lead in (`POST /api/v1/leads/`): the same ingest as provider webhooks,
    on the workspace's own inbound webhook config for the lead type, `ws-<workspace>-<type>`,
    created on first use (ops deactivate it to stop that workspace's referrals)."""
    given = next((value for key, value in payload.items() if column_for(key) == "lead_type"), "")
    lead_type = str(given or "").strip().lower()
    if lead_type not in LeadType.values:
        raise IngestValidationError(
            "Invalid lead data: lead_type.",
            errors={"lead_type": [f"Required for referrals; one of: {', '.join(LeadType.values)}."]},
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
        raise PermissionDenied(f"Referrals from workspace '{workspace.pk}' are disabled.")
    return lead_ingest(
        webhook=webhook, payload=payload, ip_address=ip_address, user_agent=user_agent, sent_from_workspace=workspace
    )
