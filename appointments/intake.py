"""Validation of an appointment payload (pure: no database access).

The provider webhook, the partner API, the admin and re-processing of rejected submissions all
clean a payload here, so one body gets one answer whichever door it came in by. Keys are the
seed's appointment columns; unknown keys are ignored here and kept in `raw_payload`.
"""
import re
from datetime import UTC, timedelta
from dataclasses import dataclass, field

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from appointments.models import AppointmentType, LocationType
from leadhub.models import MONEY, MONEY_MAX
from leadhub.payload_aliases import closest_key, payload_key
from leadhub.phones import normalize_phone
from leadhub.values import normalize_email, normalize_zip
from leads.ingest import to_external_id

# Longest appointment we accept; also bounds the window the double-booking check looks back over.
MAX_DURATION_MINUTES = 24 * 60
# ASCII digits only (str.isdigit() takes "²", which int() refuses) and no longer than a bigint.
LEAD_ID_RE = re.compile(r"[0-9]{1,19}")


def parse_scheduled_at(value):
    """ISO 8601 with a UTC offset ("2026-12-01T15:00:00-08:00"), returned in UTC."""
    if hasattr(value, "tzinfo"):
        parsed = value
    else:
        try:
            parsed = parse_datetime(str(value).strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise forms.ValidationError(
            f"'{value}' is not an ISO 8601 date-time; send e.g. 2026-12-01T15:00:00-08:00.", code="invalid"
        )
    if timezone.is_naive(parsed):
        raise forms.ValidationError(
            f"'{value}' has no UTC offset; add one, e.g. 2026-12-01T15:00:00-08:00 or ...Z.", code="naive"
        )
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 is in year 10000 in UTC; 0001-01-01T01:00+05:00 in year 0
        raise forms.ValidationError(f"'{value}' is outside the supported date range.", code="out_of_range") from None


# An appointment is booked for now or later; a few minutes of clock skew between a caller and
# leadhub is not a past booking.
PAST_GRACE = timedelta(minutes=5)


def latest_scheduled_at(now):
    """The latest time an appointment may be booked for: two calendar years after `now` (from 29
    February, the 28th). Later is a typo or a probe (year 9999), and every sum the scheduling does
    on a booked time (its end, the clash window) then stays well inside the calendar."""
    try:
        return now.replace(year=now.year + 2)
    except ValueError:
        return now.replace(year=now.year + 2, day=28)


def scheduled_at_problem(value, *, now=None) -> str | None:
    """Why `value` (an aware date-time) cannot be an appointment's time, or None: THE rule every
    door uses (webhook, partner API create and reschedule, admin form and actions, re-processing),
    through the services. A time more than PAST_GRACE in the past would be routed and forwarded as
    if it were still to come; one past `latest_scheduled_at` is no booking anyone keeps."""
    now = now or timezone.now()
    if value < now - PAST_GRACE:
        return (f"{value.isoformat()} is in the past (now is {now.replace(microsecond=0).isoformat()}): an "
                "appointment is booked for now or later.")
    latest = latest_scheduled_at(now)
    if value > latest:
        return (f"{value.isoformat()} is more than two years ahead (the latest time is "
                f"{latest.replace(microsecond=0).isoformat()}): book it nearer the date.")
    return None


class ScheduledAtField(forms.Field):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_scheduled_at(value)


class LeadIdsField(forms.Field):
    """A list of lead ids: a JSON array, a repeated form field, or "1,2,3"."""

    def to_python(self, value):
        if value in self.empty_values:
            return []
        items = value if isinstance(value, (list, tuple)) else str(value).split(",")
        ids = []
        for item in items:
            text = str(item).strip()
            if isinstance(item, bool) or not LEAD_ID_RE.fullmatch(text) or int(text) < 1:
                shown = text if len(text) <= 40 else f"{text[:40]}…"
                raise forms.ValidationError(f"'{shown}' is not a lead id (a positive whole number).", code="invalid")
            ids.append(int(text))
        return list(dict.fromkeys(ids))


class ExternalIdField(forms.Field):
    """A provider's own reference for one of its leads, read as lead ingest keeps it (777001 and
    "777001" are the same reference)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return to_external_id(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class AppointmentFieldsForm(forms.Form):
    """The scheduling fields every creation path accepts."""

    scheduled_at = ScheduledAtField()
    duration_minutes = forms.IntegerField(min_value=1, max_value=MAX_DURATION_MINUTES, required=False)
    appointment_type = forms.ChoiceField(choices=AppointmentType.choices, required=False)
    location_type = forms.ChoiceField(choices=LocationType.choices, required=False)
    location_address = forms.CharField(max_length=500, required=False)
    notes = forms.CharField(required=False, strip=False)
    customer_notes = forms.CharField(required=False, strip=False)
    assigned_to = forms.CharField(max_length=255, required=False)
    customer_name = forms.CharField(max_length=200, required=False)
    customer_phone = forms.CharField(required=False)
    customer_email = forms.CharField(required=False)
    customer_zip = forms.CharField(required=False)
    service_type = forms.CharField(max_length=100, required=False)
    estimated_value = forms.DecimalField(**MONEY, min_value=0, max_value=MONEY_MAX, required=False)
    lead_id = forms.IntegerField(min_value=1, required=False)
    lead_ids = LeadIdsField(required=False)
    workspace_id = forms.CharField(max_length=64, required=False)

    def clean_customer_phone(self):
        value = self.cleaned_data["customer_phone"]
        if not value:
            return ""
        try:
            return normalize_phone(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None

    def clean_customer_email(self):
        return _normalized(normalize_email, self.cleaned_data["customer_email"])

    def clean_customer_zip(self):
        """The ZIP rule of leads (leadhub.values.normalize_zip): `787043312` is `78704-3312` here too."""
        return _normalized(normalize_zip, self.cleaned_data["customer_zip"])


def _normalized(normalize, value):
    if not value:
        return ""
    try:
        return normalize(value)
    except ValueError as exc:
        raise forms.ValidationError(str(exc), code="invalid") from None


class ProviderIntakeForm(AppointmentFieldsForm):
    """Providers identify the customer by phone (it finds or creates the contact) or by a lead
    (`lead_id`, or `lead_external_id`: their own reference for one of their leads), whose contact,
    customer fields, product and ZIP the appointment then takes."""

    lead_external_id = ExternalIdField(required=False)

    def clean(self):
        data = super().clean()
        if (not data.get("customer_phone") and not {"customer_phone", "lead_external_id"} & set(self.errors)
                and not lead_references(data)):
            self.add_error("customer_phone", forms.ValidationError(
                "Required unless lead_id or lead_external_id names the lead this appointment is for.", code="required"
            ))
        return data


@dataclass(frozen=True)
class CleanedAppointment:
    values: dict  # Appointment columns
    lead_references: list  # (field sent, value) per lead named, primary lead first
    workspace_id: str
    errors: dict
    unknown: list = field(default_factory=list)  # [{field, did_you_mean}]: keys no field is known by


# {payload key: field} of what a provider's appointment may carry: an unknown key's hint.
PROVIDER_FIELD_KEYS = {payload_key(name): name for name in ProviderIntakeForm.base_fields}


def unknown_fields(payload) -> list:
    """The keys of a provider's appointment no field is known by, each with the one it most likely
    meant (`custmer_notes` is `customer_notes`): listed in the answer, refused by a `strict`
    webhook, kept in `raw_payload` either way."""
    if not isinstance(payload, dict):
        return []
    return [{"field": key, "did_you_mean": closest_key(key, PROVIDER_FIELD_KEYS)}
            for key in payload if key not in ProviderIntakeForm.base_fields]


def lead_references(data) -> list:
    """The leads a cleaned payload names as (field, value), primary first, each once: an unknown
    one is reported under the field that named it."""
    references = [("lead_id", data["lead_id"])] if data.get("lead_id") else []
    references += [("lead_external_id", data["lead_external_id"])] if data.get("lead_external_id") else []
    references += [("lead_ids", pk) for pk in data.get("lead_ids") or () if pk != data.get("lead_id")]
    return references


APPOINTMENT_COLUMNS = (
    "scheduled_at", "duration_minutes", "appointment_type", "location_type", "location_address", "notes",
    "customer_notes", "assigned_to", "customer_name", "customer_phone", "customer_email", "customer_zip",
    "service_type", "estimated_value",
)


def clean_appointment(payload, *, form_class=AppointmentFieldsForm) -> CleanedAppointment:
    """Cleaned Appointment columns, the leads to link and the named workspace, or `errors` per field."""
    if not isinstance(payload, dict):
        return CleanedAppointment({}, [], "", {"non_field_errors": ["Send one appointment as a JSON object."]})
    form = form_class(data={key: value for key, value in payload.items() if value is not None})
    if not form.is_valid():
        return CleanedAppointment({}, [], "", {field: list(messages) for field, messages in form.errors.items()})
    data = form.cleaned_data
    values = {name: data[name] for name in APPOINTMENT_COLUMNS if data.get(name) not in (None, "")}
    return CleanedAppointment(values, lead_references(data), data["workspace_id"].strip(), {})


def split_name(name: str) -> tuple[str, str]:
    """'Mary Ann Smith' → ('Mary Ann', 'Smith'): split at the last space; one word is a first name."""
    first, _, last = (name or "").strip().rpartition(" ")
    return (first.strip(), last) if first else (last, "")
