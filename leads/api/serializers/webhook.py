"""Serializers of the provider lead webhook (documentation of its body and answers)."""
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from leadhub.api.serializers import UnknownFieldSerializer
from leadhub.choices import LeadType


def _text(help_text="", **kwargs):
    return serializers.CharField(required=False, help_text=help_text, **kwargs)


# Describes the body for the schema; leads.ingest.clean_lead validates it.
@extend_schema_serializer(component_name="LeadWebhook")
class LeadWebhookRequestSerializer(serializers.Serializer):
    """One lead, as a provider posts it.

    Keys match in any case style (`first_name`, `firstName`, `FirstName`); one level of nesting is
    flattened (`consent: {value, description}`, `utm: {source, medium, campaign}`), an object under
    any other field is refused; unknown keys are kept in the lead's raw payload and listed in the
    answer's `disposition.unknown_fields`.
    """

    external_id = serializers.CharField(
        required=False, max_length=100,
        help_text="Your own reference for the lead (aliases `id`, `lead_id`, `reference`): a whole number or a "
                  "text of printable characters; 777001 and \"777001\" are the same reference. It is never our "
                  "lead id (that is `lead_id` in the answer). Re-posting it with the same values is a no-op "
                  "(200, the original ids); with other values, 409 naming the fields that differ.",
    )
    lead_type = serializers.ChoiceField(
        LeadType.choices, required=False, help_text="Defaults to the webhook's type; any other is refused. "
                                                    "Alias `vertical`.",
    )
    first_name = serializers.CharField(help_text="Aliases `firstName`, `first`, `fname`.")
    last_name = serializers.CharField(help_text="Aliases `lastName`, `last`, `lname`, `surname`.")
    email = serializers.EmailField(help_text="Alias `email_address`.")
    phone = serializers.CharField(
        help_text="US/NANP number in any common form ((415) 555-0132, 415.555.0132, +1 415 555 0132); stored as "
                  "+1XXXXXXXXXX; an extension (x77, ext. 12, ;ext=99) is kept as `phone_extension`. Aliases "
                  "`phone_number`, `phone1`, `telephone`, `mobile`.",
    )
    address = _text("Aliases `address1`, `address_line1`, `street`, `street_address`.")
    address2 = _text("Alias `address_line2`.")
    city = _text()
    state = _text("2-letter state, territory or military code (AA, AE, AP); a name (`new york`) or an abbreviation "
                  "(`Calif.`, `N.Y.`, `Washington DC`) is accepted too.")
    zip_code = _text("5 digits or ZIP+4 (78704-3312, 78704 3312, 787043312). Aliases `zip`, `zipCode`, `postal_code`.")
    source = _text()
    subsource = _text()
    campaign_id = _text()
    utm_source = _text("Also `utm: {source}`.")
    utm_medium = _text("Also `utm: {medium}`.")
    utm_campaign = _text("Also `utm: {campaign}`.")
    landing_page_url = _text("Alias `landing_page`.")
    productid = _text()
    property_type = _text()
    property_value = serializers.DecimalField(14, 2, required=False, min_value=0)
    property_size = serializers.IntegerField(required=False, min_value=0, help_text="Square feet. Alias `sqft`.")
    monthly_electric_bill = serializers.DecimalField(
        14, 2, required=False, min_value=0, help_text="Solar. Aliases `electric_bill`, `monthly_bill`."
    )
    roof_age = serializers.IntegerField(required=False, min_value=0, max_value=100, help_text="Solar: 0-100.")
    roof_condition = _text("Solar: excellent, good, fair, poor, needs_replacement, unknown.")
    shade_coverage = _text("Solar: none, light, partial, heavy, full, unknown.")
    system_type = _text()
    system_age = serializers.IntegerField(required=False, min_value=0, max_value=60, help_text="HVAC: 0-60.")
    service_type = _text("HVAC: installation, replacement, repair, maintenance, inspection.")
    urgency = _text("HVAC: emergency, immediate, within_week, within_month, flexible, researching.")
    policy_type = _text("Insurance: homeowners, renters, condo, landlord, flood, earthquake, umbrella, auto, life.")
    coverage_amount = serializers.DecimalField(14, 2, required=False, min_value=0, help_text="Alias `coverage`.")
    current_premium = serializers.DecimalField(14, 2, required=False, min_value=0, help_text="Alias `premium`.")
    claims_history = _text()
    consent_description = _text("The consent text shown. Also `consent: {description}`.")
    consent_value = serializers.BooleanField(
        required=False,
        help_text="true/false, yes/no, 1/0, on/off. Also `consent: {value}`. Leads without consent_value and "
                  "tcpa_compliance both true are accepted but held: never auto-assigned or forwarded.",
    )
    tcpa_compliance = serializers.BooleanField(required=False, help_text="Aliases `tcpa`, `tcpa_compliant`.")
    ip_address = _text("The consumer's IP address (IPv4 or IPv6), not your server's. Aliases `ip`, `consumer_ip`. "
                       "A malformed one is dropped and listed in `disposition.dropped_fields` (refused on a webhook "
                       "that requires consent evidence).")
    user_agent = _text("The consumer's browser user agent, not your server's. Alias `useragent`.")
    trustedform_cert_url = _text(
        "TrustedForm certificate URL (`https://cert.trustedform.com/<id>`, the id 40 or 80 characters; http, a trailing / or "
        "several comma-separated URLs are accepted: the first is kept). Aliases `xxTrustedFormCertUrl`, "
        "`xxTrustedFormToken`, `trusted_form_cert_url`, `trustedform_url`. A malformed one is kept, marked invalid "
        "and listed in `disposition.invalid_evidence` (refused on a webhook that requires consent evidence).")
    jornaya_leadid = _text(
        "Jornaya LeadiD token, a 36-character GUID. Aliases `universal_leadid`, `leadid_token`, `jornaya_lead_id`, "
        "`JornayaLeadId`. Malformed: as for trustedform_cert_url.")


class HoldSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="The hold's reason code, e.g. `consent`.")
    message = serializers.CharField(help_text="Why, in words.")


class FieldNoteSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The lead field, e.g. `ip_address`.")
    reason = serializers.CharField(help_text="Why, in words.")


class DuplicateOfSerializer(serializers.Serializer):
    rule = serializers.IntegerField(help_text="The duplicate rule that matched.")
    field = serializers.CharField(help_text="The key it matched on (`phone`, `email+last_name`, ...); under an "
                                            "`all` rule every key, comma-separated.")
    window = serializers.IntegerField(help_text="The rule's window in seconds: the earlier lead is at most this old.")
    action = serializers.ChoiceField(["reject", "hold", "accept_no_payout"], help_text="What the rule does.")
    lead_id = serializers.IntegerField(allow_null=True, help_text="The earlier lead, when you sent it; else null.")


class DispositionSerializer(serializers.Serializer):
    """What became of the lead. Never names who receives it."""

    held_for_consent = serializers.BooleanField(
        help_text="Stored but not assigned or forwarded: consent_value and tcpa_compliance were not both true."
    )
    held_reason = serializers.CharField(allow_null=True, help_text="Why it is held; null when it is not.")
    holds = HoldSerializer(
        many=True,
        help_text="Every reason the lead is held (`consent`; `evidence`: held until its consent evidence is "
                  "verified, on a webhook that says so), each with its message; empty "
                  "when it is not held. A held lead is stored but goes to no buyer until ops release it.",
    )
    ignored_fields = serializers.ListField(
        child=serializers.CharField(),
        help_text="Fields of another vertical (e.g. monthly_electric_bill on an HVAC webhook): not stored in "
                  "the lead's column, kept in the contact's custom_metadata.",
    )
    dropped_fields = FieldNoteSerializer(
        many=True,
        help_text="The consumer's identity or consent evidence sent but not stored (a malformed `ip_address`, "
                  "say), each with why. A webhook that requires consent evidence refuses such a post instead.",
    )
    invalid_evidence = FieldNoteSerializer(
        many=True,
        help_text="Consent evidence (`trustedform_cert_url`, `jornaya_leadid`) stored but not of its form, each "
                  "with why: the lead keeps it marked invalid. A webhook that requires evidence refuses it instead.",
    )
    unknown_fields = UnknownFieldSerializer(
        many=True,
        help_text="Fields no lead field is known by (e.g. `zip_cod`): not read, kept in the lead's raw payload; "
                  "each with the field it most likely meant, or null. A `strict` webhook refuses them instead "
                  "(422 naming each). A webhook's field mapping (see the quick start) names your own fields.",
    )
    cleaned_fields = FieldNoteSerializer(
        many=True,
        help_text="Fields whose text was stored cleaned (control characters such as a tab or line break replaced "
                  "by a space), each with what was done.",
    )
    duplicate_of = DuplicateOfSerializer(
        allow_null=True,
        help_text="A duplicate rule matched an earlier lead: `hold` (held, `duplicate` in holds) or "
                  "`accept_no_payout` (sold as usual, nothing paid to you for it); null when none did. A rejected "
                  "duplicate is answered 409 `duplicate` with the same object here.",
    )
    sold = serializers.BooleanField(help_text="A buyer took the lead when it arrived.")
    price = serializers.DecimalField(
        14, 2, allow_null=True,
        help_text="What you are paid for this lead, as booked by now (the webhook's payout: fixed, or your "
                  "share of the sale): booked when the lead is accepted (a held lead: when it is released) or, "
                  "by the webhook's terms and always for a share, when it sells; \"0.00\" while nothing is "
                  "booked yet; null when the webhook pays nothing through us. A replay answers what is booked by then.",
    )


class LeadWebhookSuccessSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(["success"])
    reason = serializers.CharField(allow_null=True, help_text="null on a plain success; why the lead is held if it is.")
    lead_id = serializers.IntegerField(help_text="Our id of the lead.")
    external_id = serializers.CharField(allow_null=True, help_text="Your reference for it, as sent; null if none.")
    contact_id = serializers.IntegerField()
    contact_status = serializers.ChoiceField(["new", "existing"])
    disposition = DispositionSerializer()


def ingest_result_body(result) -> dict:
    """The answer to an accepted lead (webhook post or referral), LeadWebhookSuccessSerializer's shape."""
    lead = result.lead
    return {
        "outcome": "success",
        "reason": lead.held_reason,
        "lead_id": lead.pk,
        "external_id": lead.external_id,
        "contact_id": result.contact.pk,
        "contact_status": result.contact_status,
        "disposition": {
            "held_for_consent": lead.held_for_consent,
            "held_reason": lead.held_reason,
            "holds": list(result.holds),
            "ignored_fields": list(result.ignored_fields),
            "dropped_fields": list(result.dropped_fields),
            "invalid_evidence": list(result.invalid_evidence),
            "unknown_fields": list(result.unknown_fields),
            "cleaned_fields": list(result.cleaned_fields),
            "duplicate_of": result.duplicate_of,
            "sold": result.sold,
            "price": None if result.price is None else f"{result.price:.2f}",
        },
    }
