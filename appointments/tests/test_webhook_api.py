"""The appointment webhook over HTTP: every status code, the response contract, what is stored."""
import json
import time

import pytest
from django.test import override_settings

from appointments.models import Appointment
from leadhub.testing import (
    assert_webhook_error,
    make_contact,
    make_keyed_provider,
    make_lead,
    make_webhook,
    make_workspace,
    provider_post,
    unique_id,
)
from providers.models import RejectedSubmission
from providers.signatures import sign
from workspaces.services import routing_rule_save

# Appointments are posted at fixed times: the clock stands before them (past times are refused).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("appointment_clock")]
# `webhook` and `provider` (keyed with PROVIDER_API_KEY) are the shared fixtures of conftest.py.


def appointment_body(**fields):
    body = {
        "customer_name": "Grace Brewster Hopper",
        "customer_phone": "(212) 555-0188",
        "customer_zip": "90215",
        "service_type": "Solar",
        "scheduled_at": "2026-12-01T15:00:00-08:00",
        "appointment_type": "estimate",
    }
    body.update(fields)
    return body


def post(client, webhook_id, provider=None, body=None, *, raw=None, **options):
    data = raw if raw is not None else json.dumps(appointment_body() if body is None else body)
    return provider_post(client, f"/api/v1/webhooks/{webhook_id}/appointments/", data, provider=provider, **options)


def assert_refused(response, status, code, webhook_id):
    body = assert_webhook_error(response, status, code=code)
    stored = RejectedSubmission.objects.get(webhook_id=webhook_id, reason_code__startswith=code.split("_")[0])
    assert (stored.endpoint, stored.http_status) == ("appointment", status)
    return body


def test_201_routed_with_the_contract_body(client, webhook, provider):
    workspace = make_workspace()
    rule = routing_rule_save(workspace=workspace, zip_codes=["90210-90299"], product_types=["solar"])
    response = post(client, webhook.webhook_id, provider)
    assert response.status_code == 201, response.content
    body = response.json()
    appointment = Appointment.objects.get(pk=body["appointment_id"])
    assert body == {
        "outcome": "success",
        "appointment_id": appointment.pk,
        "contact_id": appointment.contact_id,
        "lead_id": None,
        "matched_workspace_id": workspace.pk,
        "routing_method": appointment.routing_method,
        "routing_status": "routed",
        "disposition": {"ignored_fields": [], "unknown_fields": [], "sold": True, "price": None},
        "warnings": [],
    }
    assert f"rule #{rule.pk}" in body["routing_method"]
    assert appointment.customer_phone == "+12125550188" and appointment.raw_payload == appointment_body()
    assert appointment.created_by == f"provider:{provider.provider_id}"
    assert response["X-RateLimit-Limit"] == str(webhook.rate_limit)


def test_201_unrouted_links_the_lead_and_form_bodies_work(client, webhook, provider):
    contact = make_contact(webhook_id=webhook.webhook_id, phone="+12125550188")
    lead = make_lead(contact, provider_id=provider.provider_id)
    form = "customer_phone=2125550188&scheduled_at=2026-12-01T23%3A00%3A00Z&lead_id=" + str(lead.pk)
    response = post(client, webhook.webhook_id, provider, raw=form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["lead_id"], body["contact_id"], body["routing_status"]) == (lead.pk, contact.pk, "unrouted")
    assert body["matched_workspace_id"] is None


def test_fields_no_appointment_field_is_known_by_are_listed_with_the_field_they_meant(client, webhook, provider):
    body = appointment_body(custmer_notes="back gate", campaign_code="fall-26")
    response = post(client, webhook.webhook_id, provider, body)
    assert response.status_code == 201, response.content
    assert response.json()["disposition"]["unknown_fields"] == [
        {"field": "custmer_notes", "did_you_mean": "customer_notes"}, {"field": "campaign_code", "did_you_mean": None}]
    assert Appointment.objects.get().raw_payload == body  # kept whole

    webhook.strict = True
    webhook.save(update_fields=["strict"])
    refused = assert_refused(post(client, webhook.webhook_id, provider, body), 422, "validation", webhook.webhook_id)
    assert refused["errors"]["custmer_notes"] == [
        "Unknown field: this webhook refuses fields it does not know. Did you mean 'customer_notes'?"]
    assert set(refused["errors"]) == {"custmer_notes", "campaign_code"}


def test_422_names_the_fields(client, webhook, provider):
    response = post(client, webhook.webhook_id, provider, appointment_body(scheduled_at="soon", customer_zip="1"))
    body = assert_refused(response, 422, "validation", webhook.webhook_id)
    assert set(body["errors"]) == {"scheduled_at", "customer_zip"}


def test_422_for_leads_of_another_contact(client, webhook, provider):
    contact = make_contact(webhook_id=webhook.webhook_id, phone="+12125550188")
    response = post(client, webhook.webhook_id, provider,
                    appointment_body(lead_ids=[make_lead(contact, provider_id=provider.provider_id).pk,
                                               make_lead(provider_id=provider.provider_id).pk]))
    body = assert_refused(response, 422, "validation", webhook.webhook_id)
    assert "another contact" in body["errors"]["lead_ids"][0]
    assert not Appointment.objects.exists()


def test_an_appointment_for_a_lead_takes_its_customer_product_and_zip(client, webhook, provider):
    workspace = make_workspace()
    routing_rule_save(workspace=workspace, zip_codes=["94110"], product_types=["solar"])
    contact = make_contact(webhook_id="another-webhook", first_name="Grace", last_name="Hopper")
    lead = make_lead(contact, lead_type="solar", zip_code="94110", email="grace@example.com",
                     provider_id=provider.provider_id)  # the provider's lead on another of its webhooks
    response = post(client, webhook.webhook_id, provider,
                    {"lead_id": lead.pk, "scheduled_at": "2026-12-01T15:00:00-08:00"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["lead_id"], body["contact_id"], body["matched_workspace_id"]) == (lead.pk, contact.pk, workspace.pk)
    appointment = Appointment.objects.get(pk=body["appointment_id"])
    assert (appointment.customer_name, appointment.customer_phone, appointment.customer_email,
            appointment.customer_zip, appointment.service_type) == (
        "Grace Hopper", lead.phone, "grace@example.com", "94110", "Solar"
    )


def test_a_bad_lead_reference_is_refused_under_the_field_sent(client, webhook, provider):
    response = post(client, webhook.webhook_id, provider, {"lead_id": 99999999, "scheduled_at": "2026-12-01T15:00:00Z"})
    body = assert_refused(response, 422, "validation", webhook.webhook_id)
    assert list(body["errors"]) == ["lead_id"] and "99999999" in body["errors"]["lead_id"][0]
    response = post(client, webhook.webhook_id, provider, {"scheduled_at": "2026-12-01T15:00:00Z"})
    assert response.status_code == 422 and list(response.json()["errors"]) == ["customer_phone"]


def test_an_appointment_may_name_the_lead_by_its_external_id(client, webhook, provider):
    workspace = make_workspace()
    routing_rule_save(workspace=workspace, zip_codes=["94110"], product_types=["solar"])
    contact = make_contact(webhook_id=webhook.webhook_id, first_name="Grace", last_name="Hopper")
    lead = make_lead(contact, lead_type="solar", zip_code="94110", email="grace@example.com",
                     provider_id=provider.provider_id, external_id="777001")
    response = post(client, webhook.webhook_id, provider,
                    {"lead_external_id": 777001, "scheduled_at": "2026-12-01T15:00:00-08:00"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["lead_id"], body["contact_id"], body["matched_workspace_id"]) == (lead.pk, contact.pk, workspace.pk)
    appointment = Appointment.objects.get(pk=body["appointment_id"])
    assert (appointment.customer_name, appointment.customer_phone, appointment.customer_zip,
            appointment.service_type) == ("Grace Hopper", lead.phone, "94110", "Solar")


def test_a_lead_external_id_is_looked_up_among_the_posting_providers_own_leads(client, webhook, provider):
    make_lead(make_contact(webhook_id=webhook.webhook_id), provider_id=unique_id("other"), external_id="A-9")
    response = post(client, webhook.webhook_id, provider,
                    {"lead_external_id": "A-9", "scheduled_at": "2026-12-01T15:00:00Z"})
    body = assert_refused(response, 422, "validation", webhook.webhook_id)
    assert body["errors"] == {"lead_external_id": ["No lead with lead_external_id A-9."]}
    assert not Appointment.objects.exists()


def test_400_malformed_json(client, webhook, provider):
    assert_refused(post(client, webhook.webhook_id, provider, raw="{nope"), 400, "malformed_json", webhook.webhook_id)


def test_401_without_provider_and_with_a_wrong_key(client, webhook, provider):
    assert post(client, webhook.webhook_id).status_code == 401
    response = post(client, webhook.webhook_id, provider, key="lhp_wrong")
    assert_webhook_error(response, 401, code="provider_auth_failed")


def test_401_bad_signature_and_201_with_a_good_one(client, provider):
    webhook = make_webhook(unique_id("wh"), secret_key="s3cret")
    raw = json.dumps(appointment_body())
    assert_webhook_error(post(client, webhook.webhook_id, provider, raw=raw), 401, code="signature_missing")
    bad = post(client, webhook.webhook_id, provider, raw=raw, headers={"X-Leadhub-Signature": sign("other", raw.encode())})
    assert_webhook_error(bad, 401, code="signature_invalid")
    good = post(client, webhook.webhook_id, provider, raw=raw,
                headers={"X-Leadhub-Signature": sign("s3cret", raw.encode(), t=time.time())})
    assert good.status_code == 201, good.content


def test_403_webhook_not_allowed_for_the_provider(client, webhook):
    limited = make_keyed_provider(allowed_webhooks=["somewhere-else"])
    assert_refused(post(client, webhook.webhook_id, limited), 403, "webhook_not_allowed", webhook.webhook_id)


def test_404_unknown_or_inactive_webhook(client, provider):
    # Another client address: refusals before authentication share one row per address and minute.
    assert post(client, "no-such-webhook", provider, REMOTE_ADDR="198.51.100.9").status_code == 404
    inactive = make_webhook(unique_id("wh"), is_active=False)
    assert_refused(post(client, inactive.webhook_id, provider), 404, "webhook_not_found", inactive.webhook_id)


@override_settings(WEBHOOK_MAX_BODY_BYTES=200)
def test_413_body_too_large(client, webhook, provider):
    response = post(client, webhook.webhook_id, provider, appointment_body(notes="x" * 500))
    assert_refused(response, 413, "body_too_large", webhook.webhook_id)


def test_415_unsupported_media_type(client, webhook, provider):
    response = post(client, webhook.webhook_id, provider, raw="hello", content_type="text/plain")
    assert_refused(response, 415, "unsupported_media_type", webhook.webhook_id)


def test_429_rate_limited_shares_the_lead_webhook_counter(client, provider):
    webhook = make_webhook(unique_id("wh"), rate_limit=1, rate_window=60)
    assert post(client, webhook.webhook_id, provider).status_code == 201
    response = post(client, webhook.webhook_id, provider, appointment_body(customer_phone="3125550199"))
    assert_webhook_error(response, 429, code="webhook_rate_limited")
    assert response["Retry-After"]


def test_a_provider_cannot_attach_an_appointment_to_another_sources_lead(client, webhook, provider):
    """Repro: `lead_id` looked among every lead, so a provider could put an appointment (and the
    customer's name, phone and routing) on any lead by guessing ids. Another source's lead is
    now "no lead", as a lead that does not exist is: its existence is not told either."""
    theirs = make_lead(make_contact(webhook_id=webhook.webhook_id), provider_id="someone-else")
    for reference in ({"lead_id": theirs.pk}, {"lead_ids": [theirs.pk]}, {"lead_id": 99999999}):
        response = post(client, webhook.webhook_id, provider, {**reference, "scheduled_at": "2026-12-01T15:00:00Z"})
        body = assert_refused(response, 422, "validation", webhook.webhook_id)
        RejectedSubmission.objects.all().delete()
        (field,) = body["errors"]
        assert field in reference and body["errors"][field][0].startswith(f"No lead with {field.removesuffix('s')}")
    assert not Appointment.objects.exists()


def test_the_webhooks_field_and_value_mapping_applies_to_appointments(client, webhook, provider):
    from leadhub.testing import make_mapping

    make_mapping(webhook, fields={"Phone_Number_1": "customer_phone", "Appt_Kind": "appointment_type"},
                 values={"appointment_type": {"Site Visit": "estimate"}})
    sent = {**appointment_body(appointment_type=None), "Appt_Kind": "Site Visit"}
    sent["Phone_Number_1"] = sent.pop("customer_phone")
    del sent["appointment_type"]

    response = post(client, webhook.webhook_id, provider, sent)

    assert response.status_code == 201, response.content
    appointment = Appointment.objects.get(pk=response.json()["appointment_id"])
    assert (appointment.customer_phone, appointment.appointment_type) == ("+12125550188", "estimate")
    assert appointment.raw_payload == sent
