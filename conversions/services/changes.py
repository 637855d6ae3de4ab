"""Changing a recorded conversion (`conversion_update`) and voiding it (`conversion_void`): by the
workspace that holds its lead, or by ops.
"""
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from contacts.models import Contact
from conversions.models import Conversion, ConversionEvent
from conversions.selectors import conversions_changeable_by, latest_counted_conversion
from conversions.services.aggregates import conversion_aggregates_apply
from conversions.services.common import (
    CENT,
    ConversionInvalid,
    ConversionVoided,
    LeadNotHeld,
    conversion_event_emit,
    fields_validate,
    lead_conversion_metadata,
    money_fields,
    usd_value,
)
from leads.models import Lead, TrackingAction, WorkspaceTracking
from leads.services.status import lead_conversions_voided
from workspaces.models import EventType, Workspace


def _lock_changeable(conversion, workspace) -> Conversion:
    """Lock the contact, then the conversion (the services' lock order); refuse a workspace that
    may not change it (`workspace=None`: ops) and a conversion already void."""
    Contact.objects.select_for_update().filter(pk=conversion.contact_id).first()
    conversion = Conversion.objects.select_for_update().get(pk=conversion.pk)
    if not conversions_changeable_by(workspace=workspace).filter(pk=conversion.pk).exists():
        raise LeadNotHeld(conversion)
    return conversion


@transaction.atomic
def conversion_update(*, conversion, workspace: Workspace | None, by: str, conversion_value=None,
                      conversion_type=None, custom_data=None):
    """Change the value (in the currency it was reported in), type or custom data, for `workspace`
    (None: ops; a workspace only while it holds the conversion's lead, else LeadNotHeld).

    A new value is valued at the conversion's own exchange rate (that of its `converted_at` day)
    and only the difference moves the aggregates. Writes `value_update` / `status_change` (the
    type) / `custom_data_update` events with old and new. Nothing changed, nothing written.
    """
    conversion = _lock_changeable(conversion, workspace)
    if conversion.voided_at is not None:
        raise ConversionVoided(f"Conversion {conversion.pk} is voided and can no longer change.")
    fields_validate(conversion_type=conversion_type, value=conversion_value, custom_data=custom_data)
    events = []  # (event type, field, {"old": ..., "new": ...})
    delta = Decimal("0")
    if conversion_value is not None and Decimal(conversion_value).quantize(CENT) != conversion.original_value:
        old = money_fields(conversion)
        conversion.original_value = Decimal(conversion_value).quantize(CENT)
        new_usd = usd_value(conversion.original_value, conversion.exchange_rate)
        delta = new_usd - conversion.conversion_value
        conversion.conversion_value = new_usd
        events.append((ConversionEvent.VALUE_UPDATE, "conversion_value", {"old": old, "new": money_fields(conversion)}))
    if conversion_type is not None and conversion_type != conversion.conversion_type:
        change = {"old": conversion.conversion_type, "new": conversion_type}
        events.append((ConversionEvent.STATUS_CHANGE, "conversion_type", change))
        conversion.conversion_type = conversion_type
    if custom_data is not None and custom_data != conversion.custom_data:
        events.append(("custom_data_update", "custom_data", {"old": conversion.custom_data, "new": custom_data}))
        conversion.custom_data = custom_data
    if not events:
        return conversion
    changed = [field for _kind, field, _data in events]
    if "conversion_value" in changed:
        changed.append("original_value")
    conversion.save(update_fields=[*changed, "updated_at"])
    ConversionEvent.objects.bulk_create(
        [
            ConversionEvent(conversion=conversion, event_type=kind, event_data={"field": field, **data}, created_by=by)
            for kind, field, data in events
        ]
    )
    if delta:
        conversion_aggregates_apply(conversion, count=0, value=delta)
    if conversion.lead_id:
        Lead.objects.filter(pk=conversion.lead_id, conversion_id=str(conversion.pk)).update(
            conversion_metadata=lead_conversion_metadata(conversion), updated_at=timezone.now()
        )
    conversion_event_emit(EventType.CONVERSION_UPDATED, conversion, changes={field: data for _kind, field, data in events})
    return conversion


@transaction.atomic
def conversion_void(*, conversion, workspace: Workspace | None, by: str, reason: str):
    """Take a conversion out of every aggregate; the row stays, marked void, with a `voided` event.
    `workspace` as for `conversion_update` (None: ops).

    The contact's "latest conversion" fields and the lead's `conversion_id` fall back to the
    newest conversion still counted (a contact with none left is `pending` again); a lead with
    none left goes back to the stage it was in before it converted (lead_conversions_voided).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ConversionInvalid({"reason": ["Say why the conversion is voided."]})
    conversion = _lock_changeable(conversion, workspace)
    if conversion.voided_at is not None:
        raise ConversionVoided(f"Conversion {conversion.pk} was already voided at {conversion.voided_at.isoformat()}.")
    conversion.voided_at = timezone.now()
    conversion.voided_by = by
    conversion.void_reason = reason
    conversion.save(update_fields=["voided_at", "voided_by", "void_reason", "updated_at"])
    ConversionEvent.objects.create(
        conversion=conversion, event_type="voided", created_by=by,
        event_data={"reason": reason, "reversed": money_fields(conversion)},
    )
    conversion_aggregates_apply(conversion, count=-1, value=-conversion.conversion_value)
    if conversion.lead_id:
        fallback = latest_counted_conversion(lead_id=conversion.lead_id)
        Lead.objects.filter(pk=conversion.lead_id, conversion_id=str(conversion.pk)).update(
            conversion_id=str(fallback.pk) if fallback else "",
            conversion_metadata=lead_conversion_metadata(fallback) if fallback else {},
            updated_at=timezone.now(),
        )
        if fallback is None:
            lead_conversions_voided(lead=conversion.lead, by=by, reason=reason)
    if conversion.workspace_id:
        WorkspaceTracking.objects.create(
            contact_id=conversion.contact_id,
            lead_id=conversion.lead_id,
            workspace_id=conversion.workspace_id,
            action=TrackingAction.UPDATED,
            action_details=f"conversion voided: {reason}",
            performed_by=by,
            metadata={"conversion_id": str(conversion.pk), "change": "voided"},
        )
    conversion_event_emit(EventType.CONVERSION_VOIDED, conversion)
    return conversion
