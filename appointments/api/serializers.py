"""Appointment API serializers: documentation of bodies and the partner read shape.

Validation of appointment bodies is appointments.intake's job (one cleaning for every door);
the PATCH serializer only checks shapes before appointments.services.status.appointment_update.
"""
from django import forms
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from appointments.intake import MAX_DURATION_MINUTES, parse_scheduled_at
from appointments.models import Appointment, AppointmentStatus, AppointmentType, LocationType, Outcome
from leadhub.api.serializers import StrictSerializer, UnknownFieldSerializer
from leadhub.models import MONEY_MAX


class ScheduledAtField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset (a naive time is refused); stored and returned in UTC."""

    def to_internal_value(self, data):
        try:
            return parse_scheduled_at(data)
        except forms.ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


def _text(help_text="", **kwargs):
    return serializers.CharField(required=False, allow_blank=True, help_text=help_text, **kwargs)


# Describes the body for the schema; appointments.services validates it.
@extend_schema_serializer(component_name="NewAppointment")
class AppointmentRequestSerializer(serializers.Serializer):
    """One appointment: the provider webhook's and the partner create's body."""

    customer_name = _text("Required when no contact has this phone yet; split at the last space into "
                          "first/last name.", max_length=200)
    customer_phone = _text("US/NANP phone in any common form; required on the provider webhook (finds or "
                           "creates the contact) unless `lead_id` or `lead_external_id` names the lead.")
    customer_email = serializers.EmailField(required=False)
    customer_zip = _text("5 digits or ZIP+4; used for routing.")
    service_type = _text("The product (e.g. Solar, Kitchen); used for routing and lead linking.")
    scheduled_at = serializers.DateTimeField(help_text="ISO 8601 with a UTC offset; stored in UTC. From now (5 "
                                                       "minutes' grace for clock skew) to two years ahead.")
    duration_minutes = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DURATION_MINUTES)
    appointment_type = serializers.ChoiceField(AppointmentType.choices, required=False)
    location_type = serializers.ChoiceField(LocationType.choices, required=False)
    location_address = _text()
    notes = _text()
    customer_notes = _text()
    assigned_to = _text("Sales rep or tech; an overlapping booking comes back as a warning.")
    estimated_value = serializers.DecimalField(14, 2, required=False, min_value=0, max_value=MONEY_MAX)
    lead_id = serializers.IntegerField(required=False, help_text="The primary lead (of this contact).")
    lead_ids = serializers.ListField(child=serializers.IntegerField(), required=False,
                                     help_text="More leads of the same contact; another contact's lead → 422.")
    lead_external_id = serializers.CharField(
        required=False, max_length=100,
        help_text="Provider webhook only: the primary lead by your own reference (the `external_id` you sent it "
                  "with), looked up among your own leads. Like `lead_id`, the customer, product and ZIP then come "
                  "from the lead.",
    )
    workspace_id = _text(
        "Route to this workspace: honoured only when the webhook's config lists it as a direct target (an active "
        "forwarding rule to it); otherwise ignored (listed in `disposition.ignored_fields`) and routing decides."
    )


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    appointment_ids = serializers.ListField(child=serializers.IntegerField())


class AppointmentDispositionSerializer(serializers.Serializer):
    ignored_fields = serializers.ListField(
        child=serializers.CharField(),
        help_text="Fields sent but not honoured, e.g. a `workspace_id` this webhook may not name (routing decided).",
    )
    unknown_fields = UnknownFieldSerializer(
        many=True, help_text="Fields no appointment field is known by (kept with the appointment as sent; a `strict` "
                             "webhook refuses them), each with the field it most likely meant.")
    sold = serializers.BooleanField(help_text="A buyer bought the appointment.")
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True,
        help_text="Your payout booked for this appointment: null when this webhook has no payout terms, \"0.00\" "
                  "when nothing is booked yet.",
    )


class AppointmentCreatedSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(["success"])
    appointment_id = serializers.IntegerField()
    contact_id = serializers.IntegerField()
    lead_id = serializers.IntegerField(allow_null=True)
    matched_workspace_id = serializers.CharField(allow_null=True)
    routing_method = serializers.CharField()
    routing_status = serializers.ChoiceField(["routed", "unrouted"])
    warnings = WarningSerializer(many=True)
    disposition = AppointmentDispositionSerializer()


def created_body(result):
    appointment = result.appointment
    return {
        "outcome": "success",
        "appointment_id": appointment.pk,
        "contact_id": result.contact.pk,
        "lead_id": appointment.lead_id,
        "matched_workspace_id": appointment.matched_workspace_id,
        "routing_method": appointment.routing_method,
        "routing_status": result.routing_status,
        "warnings": result.warnings,
        "disposition": {"ignored_fields": list(result.ignored_fields), "unknown_fields": list(result.unknown_fields),
                        "sold": result.sold,
                        "price": None if result.price is None else f"{result.price:.2f}"},
    }


class PartnerAppointmentSerializer(serializers.ModelSerializer):
    contact_id = serializers.IntegerField(read_only=True)
    lead_id = serializers.IntegerField(read_only=True)
    lead_ids = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = [
            "id", "contact_id", "lead_id", "lead_ids", "appointment_type", "scheduled_at", "duration_minutes",
            "status", "location_type", "location_address", "notes", "customer_notes", "assigned_to", "outcome",
            "next_action", "next_action_date", "created_by", "customer_name", "customer_phone", "customer_email",
            "service_type", "customer_zip", "estimated_value", "routing_method", "forward_status", "forwarded_at",
            "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_lead_ids(self, obj) -> list[int]:
        return [link.lead_id for link in obj.lead_links.all()]


class PartnerAppointmentResponseSerializer(PartnerAppointmentSerializer):
    """An edited appointment, with the edit's warnings (e.g. a double booking)."""

    warnings = WarningSerializer(many=True, read_only=True)

    class Meta(PartnerAppointmentSerializer.Meta):
        fields = [*PartnerAppointmentSerializer.Meta.fields, "warnings"]
        read_only_fields = fields


class AppointmentPatchSerializer(StrictSerializer):
    status = serializers.ChoiceField(AppointmentStatus.choices, required=False,
                                     help_text="An illegal transition → 422 listing the allowed next states.")
    scheduled_at = ScheduledAtField(required=False, help_text="A new time sets status `rescheduled`; from now to two "
                                                              "years ahead, like a new appointment's.")
    outcome = serializers.ChoiceField(Outcome.choices, required=False, help_text="With status `completed` only.")
    next_action = serializers.CharField(required=False, max_length=255, help_text="With status `completed` only.")
    next_action_date = serializers.DateTimeField(required=False, help_text="With status `completed` only.")
    reason = serializers.CharField(required=False, allow_blank=True, help_text="Kept on the event.")
    appointment_type = serializers.ChoiceField(AppointmentType.choices, required=False)
    duration_minutes = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DURATION_MINUTES)
    location_type = serializers.ChoiceField(LocationType.choices, required=False)
    location_address = serializers.CharField(required=False, allow_blank=True, max_length=500)
    notes = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    customer_notes = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    assigned_to = serializers.CharField(required=False, allow_blank=True, max_length=255)
    estimated_value = serializers.DecimalField(14, 2, required=False, min_value=0, max_value=MONEY_MAX,
                                               allow_null=True)
