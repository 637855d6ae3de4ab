"""Recording a conversion (`conversion_create`), idempotent by the caller's Idempotency-Key
(`conversion_fingerprint`, `conversion_replay`).
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.models import Contact
from conversions.models import ISO_4217, USD, Conversion, ConversionEvent, ConversionIdempotencyKey
from conversions.selectors import usd_rate
from conversions.services.aggregates import conversion_aggregates_apply
from conversions.services.common import (
    CENT,
    ConversionInvalid,
    ConvertedAtOutOfRange,
    IdempotencyConflict,
    MoneyTooLarge,
    RateMissing,
    conversion_event_emit,
    conversion_snapshot,
    fields_validate,
    lead_conversion_metadata,
    usd_value,
)
from leads.models import Lead, LeadAccess, TrackingAction, WorkspaceStatus, WorkspaceTracking
from leads.services.access import lead_working_save
from leads.services.status import lead_status_change
from workspaces.models import EventType

CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of our clock a caller's converted_at may be


@dataclass(frozen=True)
class ConversionResult:
    conversion: Conversion
    created: bool  # False: an Idempotency-Key replay, nothing was written


def canonical_json(payload) -> str:
    """Key-order independent form of a payload, so a replayed Idempotency-Key is recognised by its body."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def conversion_fingerprint(*, contact_id, lead_id, conversion_type, conversion_value, currency,
                           converted_at, converted_by, custom_data) -> str:
    """Hash of a create request as the caller sent it (defaults not applied), for Idempotency-Key."""
    return hashlib.sha256(
        canonical_json(
            {
                "contact_id": contact_id,
                "lead_id": lead_id,
                "conversion_type": conversion_type,
                "conversion_value": _amount_text(conversion_value),
                "currency": currency,
                "converted_at": converted_at.astimezone(UTC).isoformat() if converted_at else None,
                "converted_by": converted_by,
                "custom_data": custom_data,
            }
        ).encode()
    ).hexdigest()


def _amount_text(value):
    """"100", "100.0" and Decimal("100.00") are the same amount; anything else stays as sent."""
    try:
        return str(Decimal(value).quantize(CENT))
    except (TypeError, ValueError, ArithmeticError):
        return str(value)


def conversion_replay(*, workspace, key: str, fingerprint: str):
    """The conversion an earlier request with this key created, None for a new key; raises
    IdempotencyConflict when the key came with another body."""
    used = ConversionIdempotencyKey.objects.filter(workspace=workspace, key=key).first()
    if used is None:
        return None
    if used.fingerprint != fingerprint:
        raise IdempotencyConflict(key, f"with a different body, for conversion {used.conversion_id}")
    if used.conversion_id is None:
        raise IdempotencyConflict(key, "its conversion was deleted by a contact purge")
    return used.conversion


def conversion_create(
    *,
    workspace,
    conversion_type: str,
    conversion_value,
    contact=None,
    lead=None,
    currency: str = USD,
    converted_at=None,
    converted_by: str = "",
    custom_data=None,
    created_by: str,
    idempotency_key: str | None = None,
) -> ConversionResult:
    """Record one conversion of `workspace` and apply it everywhere it counts, atomically.

    `lead` (optional) must belong to `contact` and have reached `workspace` (a live access
    record, which the conversion links: conversions count per lead and workspace); `contact` may be
    left out when `lead` is given. With `idempotency_key`, the same key and request replay the
    original conversion (`created=False`) and another request raises IdempotencyConflict —
    also when two such requests race (the second waits on the key's unique index).
    """
    fingerprint = conversion_fingerprint(
        contact_id=contact.pk if contact else None,
        lead_id=lead.pk if lead else None,
        conversion_type=conversion_type,
        conversion_value=conversion_value,
        currency=currency,
        converted_at=converted_at,
        converted_by=converted_by,
        custom_data=custom_data,
    )
    if idempotency_key and (original := conversion_replay(workspace=workspace, key=idempotency_key, fingerprint=fingerprint)):
        return ConversionResult(conversion=original, created=False)
    try:
        with transaction.atomic():
            conversion = _create(
                workspace=workspace, contact=contact, lead=lead, conversion_type=conversion_type,
                conversion_value=conversion_value, currency=currency, converted_at=converted_at,
                converted_by=converted_by, custom_data=custom_data, created_by=created_by,
                idempotency_key=idempotency_key, fingerprint=fingerprint,
            )
    except IntegrityError:
        # Lost the race for a new key: the winner has committed; answer as its replay (or 409).
        original = idempotency_key and conversion_replay(workspace=workspace, key=idempotency_key, fingerprint=fingerprint)
        if not original:
            raise
        return ConversionResult(conversion=original, created=False)
    return ConversionResult(conversion=conversion, created=True)


def _create(*, workspace, contact, lead, conversion_type, conversion_value, currency, converted_at,
            converted_by, custom_data, created_by, idempotency_key, fingerprint):
    contact = contact or (lead.contact if lead is not None else None)
    converted_at = converted_at or timezone.now()
    custom_data = {} if custom_data is None else custom_data
    _validate(contact=contact, lead=lead, workspace=workspace, conversion_type=conversion_type,
              value=conversion_value, currency=currency, custom_data=custom_data)
    _converted_at_check(converted_at, since=lead or contact)
    original_value = Decimal(conversion_value).quantize(CENT)
    rate = _rate(currency=currency, converted_at=converted_at)

    key_row = None
    if idempotency_key:
        key_row = ConversionIdempotencyKey.objects.create(workspace=workspace, key=idempotency_key, fingerprint=fingerprint)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    conversion = Conversion.objects.create(
        contact=contact,
        lead=lead,
        lead_access=LeadAccess.objects.live().filter(lead=lead, workspace=workspace).first() if lead else None,
        workspace=workspace,
        converted_by=converted_by,
        converted_at=converted_at,
        conversion_type=conversion_type,
        conversion_value=usd_value(original_value, rate),
        currency=USD,
        original_value=original_value,
        original_currency=currency,
        exchange_rate=rate,
        custom_data=custom_data,
    )
    if key_row is not None:
        key_row.conversion = conversion
        key_row.save(update_fields=["conversion"])
    ConversionEvent.objects.create(
        conversion=conversion, event_type=ConversionEvent.CREATED, event_data=conversion_snapshot(conversion),
        created_by=created_by,
    )
    conversion_aggregates_apply(conversion, count=1, value=conversion.conversion_value)
    if lead is not None:
        # The recording workspace's own status moves (`holder`, no tracking of its own: the
        # `converted` tracking row below is this change's).
        lead = lead_status_change(
            lead=lead,
            new_status="converted",
            changed_by=created_by,
            reason=f"{conversion_type} conversion recorded",
            holder=workspace,
            metadata={"conversion_id": str(conversion.pk)},
        )
        lead_working_save(
            lead=lead, access=conversion.lead_access, values={"workspace_status": WorkspaceStatus.CONVERTED}
        )
        Lead.objects.filter(pk=lead.pk).update(
            conversion_id=str(conversion.pk), conversion_metadata=lead_conversion_metadata(conversion), updated_at=timezone.now(),
        )
    WorkspaceTracking.objects.create(
        contact=contact,
        lead=lead,
        workspace=workspace,
        action=TrackingAction.CONVERTED,
        action_details=f"{conversion_type} {conversion.conversion_value} USD",
        performed_by=created_by,
        metadata={"conversion_id": str(conversion.pk)},
    )
    conversion_event_emit(EventType.CONVERSION_CREATED, conversion)
    return conversion


def _validate(*, contact, lead, workspace, conversion_type, value, currency, custom_data):
    errors = {}
    if contact is None:
        errors["contact_id"] = ["Give contact_id or lead_id."]
    if lead is not None and contact is not None and lead.contact_id != contact.pk:
        errors["lead_id"] = [f"Lead {lead.pk} does not belong to contact {contact.pk}."]
    elif lead is not None and not LeadAccess.objects.live().filter(lead=lead, workspace=workspace).exists():
        errors["lead_id"] = [f"Lead {lead.pk} has not reached workspace '{workspace.pk}' (or its access ended)."]
    try:
        ISO_4217(currency or "")
    except ValidationError:
        errors["currency"] = ["An ISO 4217 code in capitals, e.g. USD or EUR."]
    too_large = None
    try:
        fields_validate(conversion_type=conversion_type, value=value, custom_data=custom_data, required=True)
    except MoneyTooLarge as exc:
        too_large = exc  # well-formed but refused, once nothing else is wrong
    except ConversionInvalid as exc:
        errors.update(exc.errors)
    if errors:
        raise ConversionInvalid(errors)
    if too_large:
        raise too_large


def _converted_at_check(converted_at, *, since):
    """Refuse a conversion time before `since` (its lead, else its contact) was created or more
    than CLOCK_SKEW ahead of now."""
    if converted_at < since.created_at:
        raise ConvertedAtOutOfRange(
            f"{converted_at.isoformat()} is before the {since._meta.verbose_name} was created "
            f"({since.created_at.isoformat()})."
        )
    latest = timezone.now() + CLOCK_SKEW
    if converted_at > latest:
        raise ConvertedAtOutOfRange(
            f"{converted_at.isoformat()} is in the future; send a time up to {latest.isoformat()}."
        )


def _rate(*, currency, converted_at) -> Decimal:
    day = converted_at.astimezone(UTC).date()
    rate = usd_rate(currency=currency, on=day)
    if rate is None:
        raise RateMissing(currency, day)
    return rate
