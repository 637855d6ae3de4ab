"""What the conversion use cases share: their refusals (one family, leadhub.errors), money in USD,
the field checks, the event and snapshot shapes.
"""
from decimal import ROUND_HALF_UP, Decimal

from conversions.models import ConversionType
from leadhub.errors import ServiceConflict, ServiceRefusal, errors_message
from leadhub.models import MONEY_MAX
from workspaces.delivery import outbox_emit

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


def conversion_event_emit(event_type, conversion, **extra):
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
        **money_fields(conversion),
        "converted_at": conversion.converted_at.isoformat(),
        "converted_by": conversion.converted_by,
        "custom_data": conversion.custom_data,
        "voided_at": conversion.voided_at.isoformat() if conversion.voided_at else None,
        "void_reason": conversion.void_reason,
    }


def fields_validate(*, conversion_type, value, custom_data, required=False):
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


def usd_value(amount: Decimal, rate: Decimal) -> Decimal:
    usd = (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    if usd > MONEY_MAX:
        raise MoneyTooLarge(f"Worth {usd:,} USD at the day's rate; at most {MONEY_MAX:,} USD is accepted.")
    return usd


def money_fields(conversion):
    return {
        "conversion_value": str(conversion.conversion_value),
        "currency": conversion.currency,
        "original_value": str(conversion.original_value),
        "original_currency": conversion.original_currency,
        "exchange_rate": str(conversion.exchange_rate),
    }


def conversion_snapshot(conversion):
    return {
        **money_fields(conversion),
        "conversion_type": conversion.conversion_type,
        "converted_at": conversion.converted_at.isoformat(),
        "converted_by": conversion.converted_by,
        "workspace_id": conversion.workspace_id,
        "lead_id": conversion.lead_id,
    }


def lead_conversion_metadata(conversion):
    return {"conversion_id": str(conversion.pk), **conversion_snapshot(conversion)}
