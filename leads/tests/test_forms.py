"""A webhook's first-party form: served, posted from an allowed and a refused origin, rate-limited,
its honeypot, and the consent text ops wrote stored with the lead word for word."""
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import override_settings

from leadhub.testing import make_provider, make_webhook, unique_id
from leads.models import Lead
from providers.models import RejectedSubmission

pytestmark = pytest.mark.django_db

CONSENT = ("By ticking this box I agree that Sunny Roofs and its partners may call and text me at the number "
           "above, including by autodialer, about solar offers. Consent is not a condition of purchase.")
SITE = "https://www.sunny-roofs.example"


@pytest.fixture
def webhook():
    return make_webhook(unique_id("wh"), form_enabled=True, form_consent_text=CONSENT,
                        form_allowed_origins=f"{SITE}/\nhttps://promo.sunny-roofs.example",
                        form_provider=make_provider(unique_id("prov")), form_trustedform=True)


def submit_url(webhook):
    return f"/api/v1/forms/{webhook.webhook_id}/submit/"


def form_post(client, webhook, *, origin=SITE, accept="application/json", ip="198.51.100.7", **fields):
    data = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
            "phone": "415.867.5309 cell", "zip_code": "94105 1234", "consent": "on", "website": "",
            "monthly_electric_bill": "$101-$150", **fields}
    headers = {"HTTP_ACCEPT": accept, "HTTP_USER_AGENT": "Mozilla/5.0 (Consumer)", "REMOTE_ADDR": ip}
    if origin:
        headers["HTTP_ORIGIN"] = origin
    return client.post(submit_url(webhook), data, **headers)


def test_the_form_is_served_with_the_lead_types_fields_the_consent_text_and_the_scripts_turned_on(client, webhook):
    page = client.get(f"/forms/{webhook.webhook_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("first_name", "phone", "zip_code", "monthly_electric_bill", "roof_condition", "website"):
        assert f'name="{name}"' in html
    assert CONSENT in html
    assert "trustedform.js" in html and "lidstatic" not in html
    assert f'action="{submit_url(webhook)}"' in html
    assert client.get(f"/forms/{make_webhook(unique_id('wh')).webhook_id}/").status_code == 404  # no form


def test_a_post_from_an_allowed_origin_is_a_lead_with_the_consent_text_word_for_word(client, webhook):
    response = form_post(client, webhook, consent_text="I agreed to nothing.", tcpa="false", ip="198.51.100.7",
                         consumer_ip="10.0.0.1")
    assert response.status_code == 201, response.content
    assert response["Access-Control-Allow-Origin"] == SITE
    assert response.json()["outcome"] == "success" and "lead_id" not in response.json()
    lead = Lead.objects.get(webhook_id=webhook.webhook_id)
    assert lead.consent_description == CONSENT
    assert lead.consent_value and lead.tcpa_compliance and not lead.held_for_consent
    assert (lead.ip_address, lead.user_agent) == ("198.51.100.7", "Mozilla/5.0 (Consumer)")
    assert (lead.source_ip, lead.source_user_agent) == ("198.51.100.7", "Mozilla/5.0 (Consumer)")
    assert lead.provider_id == webhook.form_provider.provider_id
    assert (lead.phone, lead.zip_code, str(lead.monthly_electric_bill)) == ("+14158675309", "94105-1234", "125.50")
    assert lead.raw_payload["monthly_electric_bill"] == "$101-$150"  # the range's text is kept


def test_the_forms_own_page_may_post_it_and_a_browser_gets_a_page_back(client, webhook):
    response = form_post(client, webhook, origin="http://testserver", accept="text/html,*/*")
    assert response.status_code == 201
    assert "Thank you" in response.content.decode()
    refused = form_post(client, webhook, origin="http://testserver", accept="text/html", email="ada@", phone="555")
    assert refused.status_code == 200  # the form again, with what is wrong
    assert 'value="Lovelace"' in refused.content.decode() and "email" in refused.content.decode()


def test_a_refused_origin_gets_403_no_cors_and_its_post_is_kept(client, webhook):
    response = form_post(client, webhook, origin="https://evil.example")
    assert response.status_code == 403 and response.json()["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response
    assert not Lead.objects.filter(webhook_id=webhook.webhook_id).exists()
    kept = RejectedSubmission.objects.get(webhook_id=webhook.webhook_id)
    assert (kept.reason_code, kept.http_status, kept.endpoint) == ("origin_not_allowed", 403, "lead")
    assert form_post(client, webhook, origin=None).status_code == 403  # no Origin: not a browser on a page we know


def test_cors_preflight_answers_only_allowed_origins(client, webhook):
    allowed = client.options(submit_url(webhook), HTTP_ORIGIN="https://promo.sunny-roofs.example",
                             HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == "https://promo.sunny-roofs.example"
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    refused = client.options(submit_url(webhook), HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused


@override_settings(FORM_RATE_LIMIT=2, FORM_RATE_WINDOW=3600)
def test_one_address_is_rate_limited_per_form(client, webhook):
    ip = f"203.0.113.{unique_id('n')[-2:].strip('-') or '9'}"
    assert [form_post(client, webhook, ip=ip, email=f"a{n}@example.com", phone=f"415-867-53{n:02d}").status_code
            for n in range(3)] == [201, 201, 429]
    assert form_post(client, webhook, ip="192.0.2.77", phone="415-867-5399").status_code == 201  # another address
    assert RejectedSubmission.objects.filter(webhook_id=webhook.webhook_id, reason_code="form_rate_limited").exists()


def test_a_filled_honeypot_looks_accepted_and_stores_no_lead(client, webhook):
    response = form_post(client, webhook, website="http://spam.example")
    assert response.status_code == 201 and response.json()["outcome"] == "success"
    assert not Lead.objects.filter(webhook_id=webhook.webhook_id).exists()
    assert RejectedSubmission.objects.get(webhook_id=webhook.webhook_id).reason_code == "honeypot"


def test_with_an_appointment_step_the_honeypots_answer_carries_a_token_like_any_other_that_books_nothing(
        client, webhook):
    from appointments.models import Appointment

    webhook.form_appointments = True
    webhook.save(update_fields=["form_appointments"])
    real = form_post(client, webhook).json()
    bot = form_post(client, webhook, website="http://spam.example", phone="415-867-5388").json()
    assert set(bot) == set(real) and bot["reason"] == real["reason"]
    assert bot["appointment_token"].count(":") == real["appointment_token"].count(":") == 2  # one signed shape
    booked = client.post(f"/api/v1/forms/{webhook.webhook_id}/appointment/",
                         {"token": bot["appointment_token"], "scheduled_at": "2030-06-03T16:30:00+00:00"},
                         HTTP_ORIGIN=SITE, HTTP_ACCEPT="application/json")
    assert booked.status_code == 422 and booked.json()["errors"]["token"] == ["Not valid or expired."]
    assert not Appointment.objects.exists()


@time_machine.travel(datetime(2026, 6, 1, 15, 0, tzinfo=UTC), tick=False)
def test_the_appointment_step_books_a_time_for_the_lead_just_sent_and_no_other(client, webhook):
    from appointments.models import Appointment

    webhook.form_appointments = True
    webhook.save(update_fields=["form_appointments"])
    token = form_post(client, webhook).json()["appointment_token"]
    lead = Lead.objects.get(webhook_id=webhook.webhook_id)
    url = f"/api/v1/forms/{webhook.webhook_id}/appointment/"
    when = "2026-06-03T16:30:00+00:00"
    booked = client.post(url, {"token": token, "scheduled_at": when}, HTTP_ORIGIN=SITE, HTTP_ACCEPT="application/json")
    assert booked.status_code == 201, booked.content
    assert Appointment.objects.get(lead=lead).scheduled_at.isoformat() == when
    forged = client.post(url, {"token": token[:-2] + "xx", "scheduled_at": when}, HTTP_ORIGIN=SITE)
    assert forged.status_code == 422 and forged.json()["code"] == "appointment_token_invalid"
