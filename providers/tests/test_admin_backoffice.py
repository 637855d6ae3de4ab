"""Providers' back-office without JSON: allowed webhooks ticked from the real webhooks (a typo is
refused by name), the URL to give a provider, and a rejected post corrected and re-processed."""
import json
import re

import pytest
from django.contrib.auth import get_user_model

from leadhub.testing import make_provider, make_webhook
from leads.models import Lead
from providers.models import LeadSourceProvider
from providers.services.rejected import ReprocessRefused, rejected_submission_record, rejected_submission_reprocess

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-not-used-1"))
    return client


def provider_form(provider, **changes):
    data = {
        "provider_id": provider.provider_id, "provider_name": provider.provider_name, "is_active": "on",
        "rate_limit": provider.rate_limit, "allowed_webhooks": [], "time_zone": provider.time_zone,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_allowed_webhooks_are_ticked_from_the_existing_webhooks(admin_client):
    make_webhook("solar-main", name="Solar main")
    make_webhook("roof-main")
    provider = make_provider(allowed_webhooks=None)

    page = admin_client.get(f"/admin/providers/leadsourceprovider/{provider.pk}/change/").content.decode()
    assert 'type="checkbox" name="allowed_webhooks" value="solar-main"' in page
    assert "solar-main: Solar main" in page
    assert re.search(r'<input[^>]*name="every_webhook"[^>]*checked', page)

    response = admin_client.post(f"/admin/providers/leadsourceprovider/{provider.pk}/change/",
                                 provider_form(provider, allowed_webhooks=["solar-main"]))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.allowed_webhooks == ["solar-main"]

    admin_client.post(f"/admin/providers/leadsourceprovider/{provider.pk}/change/",
                      provider_form(provider, every_webhook="on", allowed_webhooks=["roof-main"]))
    provider.refresh_from_db()
    assert provider.allowed_webhooks is None


def test_an_unknown_webhook_id_is_refused_by_name(admin_client):
    make_webhook("solar-main")
    provider = make_provider(allowed_webhooks=None)

    response = admin_client.post(f"/admin/providers/leadsourceprovider/{provider.pk}/change/",
                                 provider_form(provider, allowed_webhooks=["typo-webhook"]))

    assert response.status_code == 200
    assert "typo-webhook" in str(response.context["adminform"].form.errors["allowed_webhooks"])
    provider.refresh_from_db()
    assert provider.allowed_webhooks is None


def test_a_stored_unknown_id_is_shown_and_must_be_unticked(admin_client):
    make_webhook("solar-main")
    provider = make_provider(allowed_webhooks=["solar-main", "typo-webhook"])

    page = admin_client.get(f"/admin/providers/leadsourceprovider/{provider.pk}/change/").content.decode()
    assert "typo-webhook (unknown: untick to save)" in page
    response = admin_client.post(f"/admin/providers/leadsourceprovider/{provider.pk}/change/",
                                 provider_form(provider, allowed_webhooks=["solar-main", "typo-webhook"]))
    assert "Unknown webhook id(s): typo-webhook." in str(response.context["adminform"].form.errors)
    assert LeadSourceProvider.objects.get(pk=provider.pk).allowed_webhooks == ["solar-main", "typo-webhook"]


def test_webhook_page_shows_the_url_to_give_and_deletion_fields_only_when_deleted(admin_client):
    webhook = make_webhook("solar-main")

    page = admin_client.get(f"/admin/providers/webhookconfig/{webhook.pk}/change/").content.decode()

    assert "POST http://testserver/api/v1/webhooks/solar-main/leads/" in page
    assert "Restorable until" not in page and "Deleted by" not in page
    assert "100 per 60 s" in admin_client.get("/admin/providers/webhookconfig/").content.decode()


def refused(webhook_id, **body):
    payload = {"first_name": "Ada", "last_name": "L", "email": "not-an-email", "phone": "(415) 555-0132",
               "consent": True, "tcpa_compliance": True, **body}
    return rejected_submission_record(
        webhook_id=webhook_id, provider_id="", reason_code="validation_failed", reason="email: not valid.",
        http_status=400, body=json.dumps(payload).encode(), content_type="application/json", request_id="req-1",
    )


def edited_rows(**rows):
    data = {"post": "yes", "action": "reprocess_edited"}
    for index, (key, value) in enumerate(rows.items()):
        data[f"payload-key-{index}"], data[f"payload-value-{index}"] = key, value
    return data


def test_reprocess_with_an_edited_payload_from_the_record(admin_client):
    make_webhook("solar-main")
    row = refused("solar-main")
    url = f"/admin/providers/rejectedsubmission/{row.pk}/action/reprocess_edited/"

    page = admin_client.post(url).content.decode()
    assert 'value="not-an-email"' in page and "Consent and evidence (not editable)" in page
    assert 'name="payload-key-' in page and 'value="consent"' not in page

    response = admin_client.post(url, edited_rows(first_name="Ada", last_name="L", email="ada@example.com",
                                                  phone="(415) 555-0132"))

    assert response.status_code == 302 and response.url.endswith(f"/rejectedsubmission/{row.pk}/change/")
    row.refresh_from_db()
    lead = Lead.objects.get(pk=row.reprocessed_object_id)
    assert (lead.email, lead.consent_value, lead.tcpa_compliance) == ("ada@example.com", True, True)
    assert json.loads(row.raw_body)["email"] == "not-an-email"  # the original body is kept
    assert row.reprocessed_payload["email"] == "ada@example.com"
    page = admin_client.get(f"/admin/providers/rejectedsubmission/{row.pk}/change/").content.decode()
    assert f'href="/admin/leads/lead/{lead.pk}/change/"' in page


def test_consent_evidence_cannot_be_edited(admin_client):
    make_webhook("solar-main")
    row = refused("solar-main", consent=False)

    with pytest.raises(ReprocessRefused, match="'consent' is consent or evidence"):
        rejected_submission_reprocess(submission=row, payload={
            "first_name": "Ada", "last_name": "L", "email": "ada@example.com", "phone": "(415) 555-0132",
            "consent": True, "tcpa_compliance": True})
    assert not Lead.objects.exists()


def test_an_edited_payload_with_an_unpaired_surrogate_is_refused_naming_it(admin_client):
    """A value typed as JSON (`["\\ud800"]`) parses to text no column can hold: refused, not a 500."""
    make_webhook("solar-main")
    row = refused("solar-main")

    response = admin_client.post(f"/admin/providers/rejectedsubmission/{row.pk}/action/reprocess_edited/",
                                 edited_rows(first_name="Ada", last_name="L", email="ada@example.com",
                                             phone="(415) 555-0132", notes='["\\ud800"]'))

    assert response.status_code == 200
    assert "notes.0" in str(response.context["form"].errors["payload"])
    assert not Lead.objects.exists()
