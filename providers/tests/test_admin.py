"""Admin screens for providers: they render, search by phone, rotate keys and re-process posts."""
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from leadhub.keys import digests_match
from leadhub.testing import make_keyed_provider, make_provider, make_webhook, provider_post
from leads.models import Lead
from providers.models import LeadSourceProvider, RejectedSubmission, WebhookConfig
from providers.services.rejected import rejected_submission_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-not-used-1")
    client.force_login(user)
    return client


def stored(webhook_id, phone="(415) 555-0132"):
    body = {"first_name": "Ada", "last_name": "L", "email": "a@example.com", "phone": phone}
    return rejected_submission_record(
        webhook_id=webhook_id, provider_id="", reason_code="webhook_not_found", reason="No active webhook.",
        http_status=404, body=json.dumps(body).encode(), content_type="application/json", request_id="req-1",
    )


@pytest.mark.parametrize("model", ["webhookconfig", "leadsourceprovider", "providerusagelog", "rejectedsubmission"])
def test_changelists_render(admin_client, model):
    make_webhook()
    make_provider()
    stored("wh-x")

    assert admin_client.get(f"/admin/providers/{model}/").status_code == 200


def test_rejected_submission_detail_is_read_only(admin_client):
    row = stored("wh-x")

    response = admin_client.get(f"/admin/providers/rejectedsubmission/{row.pk}/change/")

    assert response.status_code == 200
    assert b'name="raw_body"' not in response.content  # shown, not editable


def test_search_finds_a_phone_typed_in_any_form(admin_client):
    mine, other = stored("wh-x"), stored("wh-x", phone="2125550188")

    response = admin_client.get("/admin/providers/rejectedsubmission/", {"q": "415.555.0132"})

    assert list(response.context["cl"].result_list) == [mine]
    assert other not in response.context["cl"].result_list


def test_search_by_request_id(admin_client):
    row = stored("wh-x")

    response = admin_client.get("/admin/providers/rejectedsubmission/", {"q": "req-1"})

    assert list(response.context["cl"].result_list) == [row]


def test_generate_key_action_shows_the_key_once_and_stores_the_digest(admin_client):
    provider = make_provider()

    response = admin_client.post(
        "/admin/providers/leadsourceprovider/",
        {"action": "generate_api_key", "_selected_action": [provider.pk], "post": "yes", "grace_hours": "0",
         "confirm": "on"},
    )

    ((what, raw_key),) = response.context["issued"]
    assert what.startswith(f"New API key for {provider.provider_id}")
    assert raw_key.startswith("lhp_") and raw_key in response.content.decode()
    assert digests_match(LeadSourceProvider.objects.get(pk=provider.pk).api_key, raw_key)


def test_reprocess_action_creates_the_lead_once_the_cause_is_fixed(admin_client):
    webhook = make_webhook(is_active=False)
    row = stored(webhook.webhook_id)
    WebhookConfig.objects.filter(pk=webhook.pk).update(is_active=True)

    admin_client.post(
        "/admin/providers/rejectedsubmission/", {"action": "reprocess", "_selected_action": [row.pk]}, follow=True
    )

    row.refresh_from_db()
    assert Lead.objects.get(pk=row.reprocessed_object_id).phone == "+14155550132"


def test_reprocess_action_reports_a_submission_still_refused(admin_client):
    row = stored("never-created")

    response = admin_client.post(
        "/admin/providers/rejectedsubmission/", {"action": "reprocess", "_selected_action": [row.pk]}, follow=True
    )

    messages = [m.message for m in response.context["messages"]]
    assert any("still refused" in message and "never-created" in message for message in messages)
    assert RejectedSubmission.objects.get(pk=row.pk).reprocess_error


def test_a_refused_body_with_an_unpaired_surrogate_is_shown_as_received(admin_client, webhook):
    """Anyone can plant `"\\ud800"` (valid JSON, no character): its page showed it parsed and answered 500."""
    raw = b'{"first_name": "Ada\\ud800", "phone": "(415) 555-0132"}'
    response = Client(REMOTE_ADDR="198.51.100.23").post(f"/api/v1/webhooks/{webhook.webhook_id}/leads/", data=raw,
                                                        content_type="application/json")
    assert response.status_code == 401
    row = RejectedSubmission.objects.get(request_id=response.json()["request_id"])

    page = admin_client.get(f"/admin/providers/rejectedsubmission/{row.pk}/change/")

    assert page.status_code == 200
    assert "Ada\\ud800" in page.content.decode()  # the text as received, not parsed
    response = admin_client.post(f"/admin/providers/rejectedsubmission/{row.pk}/action/reprocess_edited/", follow=True)
    assert any("cannot be edited" in str(message) and "unpaired" in str(message)
               for message in response.context["messages"])


def unproven_refusal(webhook):
    """A real provider's id with a wrong key: the stored post's sender was never proven."""
    provider = make_keyed_provider()
    body = {"first_name": "Ada", "last_name": "L", "email": "a@example.com", "phone": "(415) 555-0132",
            "consent_value": True, "tcpa_compliance": True}
    response = provider_post(Client(REMOTE_ADDR="198.51.100.41"), f"/api/v1/webhooks/{webhook.webhook_id}/leads/",
                             json.dumps(body), provider=provider, key="lhp_guessed")
    assert response.status_code == 401
    return RejectedSubmission.objects.get(request_id=response.json()["request_id"])


def test_reprocessing_a_post_of_an_unproven_sender_asks_ops_to_take_the_sender_as_proven(admin_client, webhook):
    row = unproven_refusal(webhook)
    selected = {"action": "reprocess", "_selected_action": [row.pk]}

    page = admin_client.post("/admin/providers/rejectedsubmission/", selected)

    assert page.status_code == 200 and not Lead.objects.exists()  # a question, not a lead
    text = page.content.decode()
    assert "not authenticated" in text and f"Wrong API key for provider &#x27;{row.provider_id}&#x27;" in text
    page = admin_client.post("/admin/providers/rejectedsubmission/", {**selected, "post": "yes"})
    assert page.status_code == 200 and "confirm_sender" in page.context["form"].errors
    assert not Lead.objects.exists()

    admin_client.post("/admin/providers/rejectedsubmission/", {**selected, "post": "yes", "confirm_sender": "on"})

    row.refresh_from_db()
    assert Lead.objects.get(pk=row.reprocessed_object_id)
    assert row.sender_confirmed_by == "staff:ops" and row.sender_confirmed_at is not None
    page = admin_client.get(f"/admin/providers/rejectedsubmission/{row.pk}/change/").content.decode()
    assert "Sender authenticated" in page and "staff:ops" in page


def test_reprocessing_an_unproven_senders_post_with_an_edited_payload_asks_too(admin_client, webhook):
    row = unproven_refusal(webhook)
    url = f"/admin/providers/rejectedsubmission/{row.pk}/action/reprocess_edited/"
    rows = {"payload-key-0": "first_name", "payload-value-0": "Ada", "payload-key-1": "last_name",
            "payload-value-1": "L", "payload-key-2": "email", "payload-value-2": "a@example.com",
            "payload-key-3": "phone", "payload-value-3": "(415) 555-0132"}

    assert "not authenticated" in admin_client.post(url).content.decode()
    page = admin_client.post(url, {"post": "yes", "action": "reprocess_edited", **rows})
    assert "confirm_sender" in page.context["form"].errors and not Lead.objects.exists()
    admin_client.post(url, {"post": "yes", "action": "reprocess_edited", "confirm_sender": "on", **rows})

    row.refresh_from_db()
    assert row.reprocessed_object_id and row.sender_confirmed_by == "staff:ops"
