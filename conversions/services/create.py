"""Conversion use cases (writes): record, change and void a conversion.

Invariant kept here: for every contact and workspace, the stored aggregates (`conversion_count`
/ `lifetime_value`, `total_conversions` / `total_revenue`) equal COUNT / SUM of `conversion_value`
over its non-void conversions. Each service locks the contact row first (so concurrent
conversions of one person queue up), then moves the aggregates by the delta with F()
expressions in the same transaction as the rows. Lock order is always contact → conversion →
lead → workspace, the order `people.services.contact_purge` uses too.

Money is Decimal throughout. Aggregates are in USD: a conversion reported in another currency is
valued with the rate-table rate of its `converted_at` day (UTC); the reported amount and currency
stay on the row (`original_value`, `original_currency`, `exchange_rate`).
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, IntegerField, OuterRef, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from contacts.models import Contact
from conversions.models import ISO_4217, USD, Conversion, ConversionEvent, ConversionIdempotencyKey, ConversionType
from conversions.selectors import (
    actual_count,
    actual_sum,
    contact_aggregate_drift,
    conversions_changeable_by,
    latest_counted_conversion,
    usd_rate,
    workspace_aggregate_drift,
)
from leadhub.errors import ServiceConflict, ServiceRefusal, errors_message
from leadhub.models import MONEY_MAX, MONEY_TOTAL
from leads.models import Lead, LeadAccess, TrackingAction, WorkspaceStatus, WorkspaceTracking
from leads.services.access import contact_conversion_status_refresh, lead_working_save
from leads.services.status import lead_conversions_voided, lead_status_change
from workspaces.delivery import outbox_emit
from workspaces.models import EventType, Workspace

CENT = Decimal("0.01")
class ConversionInvalid(ServiceRefusal):
    """Values a conversion cannot take, named per field (the API's 422 `validation`)."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


class ConversionUnprocessable(ServiceRefusal):
    """A well-formed value refused for what it would mean (the API's 422 `unprocessable`)."""

    code = "unprocessable"
    field = ""

    def __init__(self, message):
        super().__init__(errors_message({self.field: [message]}), errors={self.field: [message]})


class MoneyTooLarge(ConversionUnprocessable):
    """An amount over MONEY_MAX, as reported or once valued in USD."""

    field = "conversion_value"


CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of our clock a caller's converted_at may be


class RateMissing(ConversionUnprocessable):
    """A non-USD conversion whose `converted_at` day has no rate in the table."""

    field = "currency"

    def __init__(self, currency, day):
        super().__init__(f"No USD rate for {currency} on or before {day.isoformat()}; ops add it in the admin's "
                         "currency rates.")


class ConvertedAtOutOfRange(ConversionUnprocessable):
    """A `converted_at` before its lead (or contact) existed or in the future: it would make the
    time to conversion negative or count a sale that has not happened."""

    field = "converted_at"


class IdempotencyConflict(ServiceConflict):
    """The Idempotency-Key was already used by this workspace for another request body, or for a
    conversion since purged (named by the header it came in, the API's 409)."""

    def __init__(self, key, detail):
        message = f"Idempotency-Key '{key}' was already used ({detail}); send a new key."
        super().__init__(errors_message({"Idempotency-Key": [message]}), errors={"Idempotency-Key": [message]})


class ConversionVoided(ServiceConflict):
    """A voided conversion is kept for the audit trail and cannot change any more (the API's 409)."""


class LeadNotHeld(ServiceConflict):
    """A workspace changes or voids its conversion only while it holds the conversion's lead
    (`conversions_changeable_by`); after a reassignment only ops may (the API's 409)."""

    code = "lead_not_held"

    def __init__(self, conversion):
        field, what = ("lead_id", f"lead {conversion.lead_id}") if conversion.lead_id else (
            "contact_id", f"any lead of contact {conversion.contact_id}")
        message = (f"Conversion {conversion.pk} can no longer be changed by workspace '{conversion.workspace_id}': "
                   f"it no longer holds {what}. Ops can change it.")
        super().__init__(message, errors={field: [message]})


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
        conversion_value=_usd(original_value, rate),
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
        conversion=conversion, event_type=ConversionEvent.CREATED, event_data=_snapshot(conversion), created_by=created_by
    )
    _aggregates_move(conversion, count=1, value=conversion.conversion_value)
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
            conversion_id=str(conversion.pk), conversion_metadata=_lead_metadata(conversion), updated_at=timezone.now(),
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
    _emit(EventType.CONVERSION_CREATED, conversion)
    return conversion


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
    _validate_fields(conversion_type=conversion_type, value=conversion_value, custom_data=custom_data)
    events = []  # (event type, field, {"old": ..., "new": ...})
    delta = Decimal("0")
    if conversion_value is not None and Decimal(conversion_value).quantize(CENT) != conversion.original_value:
        old = _money(conversion)
        conversion.original_value = Decimal(conversion_value).quantize(CENT)
        new_usd = _usd(conversion.original_value, conversion.exchange_rate)
        delta = new_usd - conversion.conversion_value
        conversion.conversion_value = new_usd
        events.append((ConversionEvent.VALUE_UPDATE, "conversion_value", {"old": old, "new": _money(conversion)}))
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
        _aggregates_move(conversion, count=0, value=delta)
    if conversion.lead_id:
        Lead.objects.filter(pk=conversion.lead_id, conversion_id=str(conversion.pk)).update(
            conversion_metadata=_lead_metadata(conversion), updated_at=timezone.now()
        )
    _emit(EventType.CONVERSION_UPDATED, conversion, changes={field: data for _kind, field, data in events})
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
        event_data={"reason": reason, "reversed": _money(conversion)},
    )
    _aggregates_move(conversion, count=-1, value=-conversion.conversion_value)
    if conversion.lead_id:
        fallback = latest_counted_conversion(lead_id=conversion.lead_id)
        Lead.objects.filter(pk=conversion.lead_id, conversion_id=str(conversion.pk)).update(
            conversion_id=str(fallback.pk) if fallback else "",
            conversion_metadata=_lead_metadata(fallback) if fallback else {},
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
    _emit(EventType.CONVERSION_VOIDED, conversion)
    return conversion


def _emit(event_type, conversion, **extra):
    """Tell the workspace that recorded the conversion, through the outbox (same transaction)."""
    if conversion.workspace_id is None:
        return
    outbox_emit(
        workspace=conversion.workspace,
        event_type=event_type,
        data={**_event_data(conversion), **extra},
        contact_id=conversion.contact_id,
        subject_type="conversion",
        subject_id=str(conversion.pk),
    )


def _event_data(conversion):
    return {
        "id": str(conversion.pk),
        "contact_id": conversion.contact_id,
        "lead_id": conversion.lead_id,
        "workspace_id": conversion.workspace_id,
        "conversion_type": conversion.conversion_type,
        **_money(conversion),
        "converted_at": conversion.converted_at.isoformat(),
        "converted_by": conversion.converted_by,
        "custom_data": conversion.custom_data,
        "voided_at": conversion.voided_at.isoformat() if conversion.voided_at else None,
        "void_reason": conversion.void_reason,
    }


def conversion_aggregates_move(*, count: int, value: Decimal, contact_id=None, workspace_id=None):
    """Move a contact's and/or a workspace's stored aggregates by a change of (`count`, `value`) in
    their non-void conversions: the one writer of those columns (recording, changing, voiding,
    merging and purging all call it; only `aggregates_repair` overwrites them).

    The contact's "latest conversion" fields are re-read from the rows, since a backdated, voided
    or moved conversion need not be the latest one; lock the contact row first. Aggregates are
    floored at zero: a data-deletion request must go through even where a total had drifted
    (`aggregates_repair` puts drift right).
    """
    money = DecimalField(**MONEY_TOTAL)

    def moved(column, delta, output_field):
        return Greatest(F(column) + Value(delta, output_field=output_field), Value(0, output_field=output_field),
                        output_field=output_field)

    if contact_id is not None:
        latest = latest_counted_conversion(contact_id=contact_id)
        Contact.objects.filter(pk=contact_id).update(
            conversion_count=moved("conversion_count", count, IntegerField()),
            lifetime_value=moved("lifetime_value", value, money),
            last_conversion_id=str(latest.pk) if latest else "",
            converted_timestamp=latest.converted_at if latest else None,
            converted_by=latest.converted_by if latest else "",
            converted_from_workspace=(latest.workspace_id or "") if latest else "",
            updated_at=timezone.now(),
        )
        contact_conversion_status_refresh(contact_id=contact_id)
    if workspace_id is not None:
        Workspace.objects.filter(pk=workspace_id).update(
            total_conversions=moved("total_conversions", count, IntegerField()),
            total_revenue=moved("total_revenue", value, money),
        )


def _aggregates_move(conversion, *, count, value):
    conversion_aggregates_move(
        contact_id=conversion.contact_id, workspace_id=conversion.workspace_id, count=count, value=value
    )


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
        _validate_fields(conversion_type=conversion_type, value=value, custom_data=custom_data, required=True)
    except MoneyTooLarge as exc:
        too_large = exc  # well-formed but refused, once nothing else is wrong
    except ConversionInvalid as exc:
        errors.update(exc.errors)
    if errors:
        raise ConversionInvalid(errors)
    if too_large:
        raise too_large


def _validate_fields(*, conversion_type, value, custom_data, required=False):
    errors = {}
    if (conversion_type is not None or required) and conversion_type not in ConversionType.values:
        errors["conversion_type"] = [f"One of: {', '.join(ConversionType.values)}."]
    if value is not None or required:
        try:
            amount = Decimal(value)
        except (TypeError, ArithmeticError, ValueError):
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
            errors["conversion_value"] = ["A non-negative amount with at most two decimals."]
        elif amount > MONEY_MAX:
            raise MoneyTooLarge(f"At most {MONEY_MAX:,} is accepted.")
    if custom_data is not None and not isinstance(custom_data, dict):
        errors["custom_data"] = ["Must be a JSON object."]
    if errors:
        raise ConversionInvalid(errors)


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


def _usd(amount: Decimal, rate: Decimal) -> Decimal:
    usd = (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    if usd > MONEY_MAX:
        raise MoneyTooLarge(f"Worth {usd:,} USD at the day's rate; at most {MONEY_MAX:,} USD is accepted.")
    return usd


def _money(conversion):
    return {
        "conversion_value": str(conversion.conversion_value),
        "currency": conversion.currency,
        "original_value": str(conversion.original_value),
        "original_currency": conversion.original_currency,
        "exchange_rate": str(conversion.exchange_rate),
    }


def _snapshot(conversion):
    return {
        **_money(conversion),
        "conversion_type": conversion.conversion_type,
        "converted_at": conversion.converted_at.isoformat(),
        "converted_by": conversion.converted_by,
        "workspace_id": conversion.workspace_id,
        "lead_id": conversion.lead_id,
    }


def _lead_metadata(conversion):
    return {"conversion_id": str(conversion.pk), **_snapshot(conversion)}


@transaction.atomic
def aggregates_repair() -> dict:
    """Set drifted contact and workspace aggregates back to COUNT / SUM of their non-void rows.

    Set-based: one UPDATE with correlated sub-selects per table. The drifted rows are locked
    first, so a conversion in flight on one of them commits before the sums are read and the
    repair cannot overwrite its delta. Returns how many rows of each table were repaired.
    """
    contact_ids = list(contact_aggregate_drift().values_list("pk", flat=True))
    workspace_ids = list(workspace_aggregate_drift().values_list("pk", flat=True))
    list(Contact.objects.select_for_update().filter(pk__in=contact_ids).values_list("pk", flat=True))
    list(Workspace.objects.select_for_update().filter(pk__in=workspace_ids).values_list("pk", flat=True))
    contacts = Contact.objects.filter(pk__in=contact_ids).update(
        conversion_count=actual_count(contact=OuterRef("pk")),
        lifetime_value=actual_sum(contact=OuterRef("pk")),
        updated_at=timezone.now(),
    )
    workspaces = Workspace.objects.filter(pk__in=workspace_ids).update(
        total_conversions=actual_count(workspace=OuterRef("pk")),
        total_revenue=actual_sum(workspace=OuterRef("pk")),
    )
    return {"contacts": contacts, "workspaces": workspaces}
