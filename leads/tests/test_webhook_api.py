"""The provider webhook over HTTP: every status code, its reason body, and what each one stores."""
import json
import time

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.test.client import FakePayload
from django.utils import timezone

from contacts.models import Contact
from distribution.models import Offer
from leadhub.middleware import client_ip
from leadhub.testing import (
    PROVIDER_API_KEY,
    assert_webhook_error,
    make_provider,
    make_webhook,
    make_workspace,
    provider_post,
    unique_id,
)
from leads.models import Lead
from providers.models import RejectedSubmission, WebhookConfig
from providers.services.rejected import rejected_submission_reprocess
from providers.signatures import sign

pytestmark = pytest.mark.django_db

# `webhook` and `provider` (keyed with PROVIDER_API_KEY) are the shared fixtures of conftest.py;
# every other id comes from unique_id(): rate-limit counters outlive the test database.


def lead_body(**fields):
    body = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "(415) 555-0132",
        "consent": {"description": "Yes, call me.", "value": True},
        "tcpa_compliance": True,
    }
    body.update(fields)
    return body


def post(client, webhook_id, provider=None, body=None, *, raw=None, **options):
    data = raw if raw is not None else json.dumps(lead_body() if body is None else body)
    return provider_post(client, f"/api/v1/webhooks/{webhook_id}/leads/", data, provider=provider, **options)


def assert_failure(response, status, code, *, lead_id=None):
    """A refusal names no lead, except a conflicting reference, which names the lead it conflicts with."""
    body = assert_webhook_error(response, status, code=code)
    assert (body["lead_id"], body["contact_status"], body["disposition"]) == (lead_id, None, None)
    return body


# --- success -----------------------------------------------------------------------------------


def test_json_post_creates_lead_and_contact(client, webhook, provider):
    response = post(client, webhook.webhook_id, provider)

    assert response.status_code == 201, response.content
    body = response.json()
    lead = Lead.objects.get(pk=body["lead_id"])
    assert body == {
        "outcome": "success", "reason": None, "lead_id": lead.pk, "external_id": None, "contact_id": lead.contact_id,
        "contact_status": "new",
        "disposition": {"held_for_consent": False, "held_reason": None, "holds": [],
                        "ignored_fields": [], "dropped_fields": [], "invalid_evidence": [], "unknown_fields": [],
                        "cleaned_fields": [], "duplicate_of": None,
                        "sold": False, "price": None},
    }
    assert lead.phone == "+14155550132" and lead.webhook_id == webhook.webhook_id
    assert response["X-Request-ID"]
    assert response["X-RateLimit-Limit"] == str(webhook.rate_limit)
    assert response["X-RateLimit-Remaining"] == str(webhook.rate_limit - 1)


def test_another_verticals_fields_are_kept_in_custom_metadata_and_listed_as_ignored(client, provider):
    webhook = make_webhook(lead_type="hvac")
    response = post(client, webhook.webhook_id, provider,
                    lead_body(monthly_electric_bill="210.50", roof_age=12, system_age=9))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["disposition"]["ignored_fields"] == ["monthly_electric_bill", "roof_age"]
    lead = Lead.objects.get(pk=body["lead_id"])
    assert (lead.monthly_electric_bill, lead.roof_age, lead.system_age) == (None, None, 9)
    assert lead.contact.custom_metadata == {"monthly_electric_bill": "210.50", "roof_age": 12}


def test_source_defaults_to_the_webhooks_name(client, provider):
    webhook = make_webhook(name="Spring solar campaign")
    lead = Lead.objects.get(pk=post(client, webhook.webhook_id, provider).json()["lead_id"])
    assert lead.source == "Spring solar campaign"
    lead = Lead.objects.get(pk=post(client, webhook.webhook_id, provider, lead_body(
        source="fb-ads", phone="(415) 200-4009"
    )).json()["lead_id"])
    assert lead.source == "fb-ads"


def test_second_lead_for_same_phone_reuses_contact(client, webhook, provider):
    first = post(client, webhook.webhook_id, provider).json()
    second = post(client, webhook.webhook_id, provider, lead_body(phone="415.555.0132")).json()

    assert second["contact_status"] == "existing"
    assert second["contact_id"] == first["contact_id"]
    assert second["lead_id"] != first["lead_id"]


def test_form_encoded_body_is_accepted(client, webhook, provider):
    form = "firstName=Grace&lastName=Hopper&email=grace%40example.com&phone_number=%2B1+212+555+0188&zip=10001"

    response = post(client, webhook.webhook_id, provider, raw=form, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert (lead.first_name, lead.phone, lead.zip_code) == ("Grace", "+12125550188", "10001")


def test_multipart_form_body_is_accepted(client, webhook, provider):
    fields = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com", "phone": "3125550199"}
    response = client.post(
        f"/api/v1/webhooks/{webhook.webhook_id}/leads/", data=fields,
        headers={"X-Provider-Id": provider.provider_id, "X-Api-Key": PROVIDER_API_KEY},
    )

    assert response.status_code == 201, response.content
    assert Lead.objects.get(pk=response.json()["lead_id"]).phone == "+13125550199"


def test_replay_of_an_external_id_returns_200_with_original_ids(client, webhook, provider):
    created = post(client, webhook.webhook_id, provider, lead_body(id=7_000_123))
    # the same reference as text, the same phone in another format: the same lead
    replay = post(client, webhook.webhook_id, provider, lead_body(id="7000123", phone="415.555.0132"))

    assert created.status_code == 201
    assert replay.status_code == 200, replay.content
    assert replay.json()["lead_id"] == created.json()["lead_id"] != 7_000_123
    assert replay.json()["external_id"] == created.json()["external_id"] == "7000123"
    assert replay.json()["contact_id"] == created.json()["contact_id"]
    assert Lead.objects.get().external_id == "7000123"
    assert not RejectedSubmission.objects.exists()


def test_another_provider_with_the_same_reference_gets_its_own_lead(client, webhook, provider):
    first = post(client, webhook.webhook_id, provider, lead_body(lead_id="A-1"))
    other = make_provider(unique_id("prov"))

    second = post(client, webhook.webhook_id, other, lead_body(lead_id="A-1", first_name="Eve", phone="(415) 555-0144"),
                  key=None)

    assert (first.status_code, second.status_code) == (201, 201), second.content
    lead = Lead.objects.get(pk=second.json()["lead_id"])
    assert second.json() == {  # an answer like any new lead's: nothing of the other provider's lead
        "outcome": "success", "reason": None, "lead_id": lead.pk, "external_id": "A-1", "contact_id": lead.contact_id,
        "contact_status": "new", "disposition": {"held_for_consent": False, "held_reason": None, "holds": [],
                        "ignored_fields": [], "dropped_fields": [], "invalid_evidence": [], "unknown_fields": [],
                        "cleaned_fields": [], "duplicate_of": None,
                                                "sold": False, "price": None},
    }
    assert (lead.provider_id, lead.first_name) == (other.provider_id, "Eve")
    assert Lead.objects.filter(external_id="A-1").count() == 2


def test_provider_without_key_needs_no_api_key(client, webhook):
    keyless = make_provider(unique_id("prov"))

    response = post(client, webhook.webhook_id, keyless, key=None)

    assert response.status_code == 201, response.content


# --- every refusal: status, code, reason, and one stored rejected submission --------------------


def test_malformed_json_is_400(client, webhook, provider):
    body = assert_failure(post(client, webhook.webhook_id, provider, raw='{"first_name": '), 400, "malformed_json")
    assert "not valid JSON" in body["reason"]


def test_json_that_is_not_an_object_is_400(client, webhook, provider):
    body = assert_failure(post(client, webhook.webhook_id, provider, raw="[1, 2]"), 400, "json_not_object")
    assert "object" in body["reason"]


def test_missing_provider_header_is_401(client, webhook):
    body = assert_failure(post(client, webhook.webhook_id, None), 401, "provider_id_missing")
    assert "X-Provider-Id" in body["reason"]


def test_missing_api_key_gets_one_answer_whether_the_provider_exists_or_not(client, webhook, provider):
    known = assert_failure(post(client, webhook.webhook_id, provider, key=None), 401, "provider_auth_failed")
    provider.provider_id = unique_id("nobody")  # unsaved: only the header changes
    unknown = assert_failure(post(client, webhook.webhook_id, provider, key=None), 401, "provider_auth_failed")
    assert known["reason"] == unknown["reason"]
    assert RejectedSubmission.objects.get(request_id=known["request_id"]).reason_code == "api_key_missing"


@pytest.mark.parametrize(
    "case, stored_code",
    [("unknown", "provider_unknown"), ("inactive", "provider_inactive"), ("wrong_key", "api_key_invalid")],
)
def test_provider_auth_failures_are_401_with_one_public_answer(client, webhook, provider, case, stored_code):
    key = PROVIDER_API_KEY
    if case == "unknown":
        provider.provider_id = unique_id("nobody")  # unsaved: only the header changes
    elif case == "inactive":
        provider.is_active = False
        provider.save()
    else:
        key = "lhp_wrong"

    body = assert_failure(post(client, webhook.webhook_id, provider, key=key), 401, "provider_auth_failed")

    assert body["reason"] == "Unknown or inactive provider, or wrong API key."
    stored = RejectedSubmission.objects.get(request_id=body["request_id"])
    assert stored.reason_code == stored_code  # ops see the precise cause
    assert stored.provider_id == provider.provider_id


def test_provider_not_allowed_on_webhook_is_403(client, webhook):
    limited = make_provider(unique_id("prov"), allowed_webhooks=["some-other-webhook"])

    body = assert_failure(post(client, webhook.webhook_id, limited, key=None), 403, "webhook_not_allowed")

    assert webhook.webhook_id in body["reason"]


def test_provider_allowed_on_listed_webhook(client, webhook):
    listed = make_provider(unique_id("prov"), allowed_webhooks=[webhook.webhook_id])

    assert post(client, webhook.webhook_id, listed, key=None).status_code == 201


@pytest.mark.parametrize("state", ["unknown", "inactive", "deleted"])
def test_unusable_webhook_is_404(client, webhook, provider, state):
    webhook_id = webhook.webhook_id
    if state == "unknown":
        webhook_id = unique_id("nowhere")
    elif state == "inactive":
        WebhookConfig.objects.filter(pk=webhook.pk).update(is_active=False)
    else:
        WebhookConfig.objects.filter(pk=webhook.pk).update(deleted_at=timezone.now())

    body = assert_failure(post(client, webhook_id, provider), 404, "webhook_not_found")

    assert webhook_id in body["reason"]
    assert RejectedSubmission.objects.get(request_id=body["request_id"]).webhook_id == webhook_id


def test_external_id_with_different_values_is_409_naming_the_field_and_the_earlier_lead(client, webhook, provider):
    earlier = post(client, webhook.webhook_id, provider, lead_body(id=7_000_456)).json()["lead_id"]

    body = assert_failure(
        post(client, webhook.webhook_id, provider, lead_body(id=7_000_456, first_name="Eve")), 409, "conflict",
        lead_id=earlier,
    )

    assert "7000456" in body["reason"] and "first_name" in body["reason"] and f"lead {earlier}" in body["reason"]
    assert list(body["errors"]) == ["first_name"]
    assert Lead.objects.count() == 1


def test_body_over_one_megabyte_is_413(client, webhook, provider):
    big = json.dumps(lead_body(notes="x" * (1024 * 1024)))

    body = assert_failure(post(client, webhook.webhook_id, provider, raw=big), 413, "body_too_large")

    assert "1048576" in body["reason"]
    stored = RejectedSubmission.objects.get(request_id=body["request_id"])
    assert stored.body_size == len(big) and stored.body_truncated
    assert len(stored.raw_body) == RejectedSubmission.BODY_LIMIT  # a sample is kept for ops
    assert not Lead.objects.exists()


def test_body_exactly_one_megabyte_is_not_413(client, webhook, provider):
    base = json.dumps(lead_body(notes=""))
    padded = base.replace('"notes": ""', '"notes": "' + "x" * (1024 * 1024 - len(base)) + '"')
    assert len(padded) == 1024 * 1024

    assert post(client, webhook.webhook_id, provider, raw=padded).status_code == 201


def test_body_without_content_length_is_measured_when_read(webhook, provider):
    """ASGI servers may pass a body with no Content-Length (chunked); the real size still counts."""
    big = json.dumps(lead_body(notes="x" * (1024 * 1024))).encode()
    scope = {
        "method": "POST",
        "path": f"/api/v1/webhooks/{webhook.webhook_id}/leads/",
        "query_string": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"x-provider-id", provider.provider_id.encode()),
            (b"x-api-key", PROVIDER_API_KEY.encode()),
        ],
        "_body_file": FakePayload(big),
    }

    response = async_to_sync(AsyncClient().request)(**scope)

    assert_failure(response, 413, "body_too_large")


def test_unsupported_content_type_is_415(client, webhook, provider):
    body = assert_failure(
        post(client, webhook.webhook_id, provider, raw="first_name=Ada", content_type="text/plain"),
        415, "unsupported_media_type",
    )
    assert "text/plain" in body["reason"]
    assert RejectedSubmission.objects.get(request_id=body["request_id"]).raw_body == "first_name=Ada"


def test_invalid_lead_is_422_with_field_errors(client, webhook, provider):
    bad = lead_body(email="ada@", phone="(555) 555-0100")
    del bad["last_name"]

    body = assert_failure(post(client, webhook.webhook_id, provider, bad), 422, "validation")

    assert set(body["errors"]) == {"email", "phone", "last_name"}
    assert all(isinstance(message, str) for messages in body["errors"].values() for message in messages)
    stored = RejectedSubmission.objects.get(request_id=body["request_id"])
    assert stored.errors == body["errors"]
    assert json.loads(stored.raw_body) == bad


def test_over_the_webhook_limit_is_429_with_retry_after(client, provider):
    tight = make_webhook(unique_id("wh"), rate_limit=2, rate_window=3600)
    assert post(client, tight.webhook_id, provider).status_code == 201
    second = post(client, tight.webhook_id, provider, lead_body(phone="4155550133"))
    assert second["X-RateLimit-Remaining"] == "0"

    response = post(client, tight.webhook_id, provider, lead_body(phone="4155550134"))

    body = assert_failure(response, 429, "webhook_rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert tight.webhook_id in body["reason"] and "2 requests per 3600 s" in body["reason"]
    assert response["X-RateLimit-Remaining"] == "0"
    assert Lead.objects.count() == 2


def test_one_providers_flood_leaves_the_webhook_open_to_the_others(client, provider):
    shared = make_webhook(unique_id("wh"), rate_limit=2, rate_window=3600)
    for n in range(2):
        assert post(client, shared.webhook_id, provider, lead_body(phone=f"41555502{n:02d}")).status_code == 201
    assert_failure(post(client, shared.webhook_id, provider, lead_body(phone="4155550210")), 429, "webhook_rate_limited")

    other = post(client, shared.webhook_id, make_provider(unique_id("prov")), lead_body(phone="4155550211"), key=None)

    assert other.status_code == 201, other.content
    assert (other["X-RateLimit-Limit"], other["X-RateLimit-Remaining"]) == ("2", "1")


def test_over_the_provider_limit_is_429(client, webhook):
    tight = make_provider(unique_id("prov"), rate_limit=1)
    assert post(client, webhook.webhook_id, tight, key=None).status_code == 201

    response = post(client, webhook.webhook_id, tight, lead_body(phone="4155550135"), key=None)

    body = assert_failure(response, 429, "provider_rate_limited")
    assert "per 3600 s" in body["reason"]
    assert int(response["Retry-After"]) >= 1


def test_rate_limit_headers_show_the_tighter_limit(client, webhook):
    tight = make_provider(unique_id("prov"), rate_limit=5)

    response = post(client, webhook.webhook_id, tight, key=None)

    assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == ("5", "4")


def test_refusals_of_a_wrong_key_do_not_count_against_the_limit(client, provider):
    tight = make_webhook(unique_id("wh"), rate_limit=1, rate_window=3600)
    for _ in range(3):
        post(client, tight.webhook_id, provider, key="lhp_wrong")

    assert post(client, tight.webhook_id, provider).status_code == 201


def test_a_429_flood_is_stored_once_a_minute_with_a_count(client, provider, frozen_clock):
    tight = make_webhook(unique_id("wh"), rate_limit=1, rate_window=3600)
    post(client, tight.webhook_id, provider)
    for n in range(6):
        post(client, tight.webhook_id, provider, lead_body(phone=f"415555{n:04d}"))

    rows = RejectedSubmission.objects.filter(webhook_id=tight.webhook_id, http_status=429)
    assert rows.count() == 1
    assert sum(row.occurrences for row in rows) == 6
    assert all(row.provider_id == provider.provider_id for row in rows)


REFUSALS = {
    "400": dict(raw="{oops"),
    "401": dict(key="lhp_wrong"),
    "403": dict(provider=lambda: make_provider(unique_id("prov"), allowed_webhooks=[])),
    "404": dict(webhook_id="no-such-webhook"),
    "409": dict(body=lead_body(id=7_000_999, first_name="Other")),
    "413": dict(raw=json.dumps(lead_body(notes="y" * (1024 * 1024 + 1)))),
    "415": dict(content_type="text/csv", raw="a,b"),
    "422": dict(body=lead_body(email="nope")),
}


@pytest.mark.parametrize("status", sorted(REFUSALS))
def test_each_refused_request_leaves_one_rejected_submission(client, webhook, provider, status):
    post(client, webhook.webhook_id, provider, lead_body(id=7_000_999))  # for the 409 case
    case = dict(REFUSALS[status])
    webhook_id = case.pop("webhook_id", webhook.webhook_id)
    poster = case.pop("provider", lambda: provider)()
    before = RejectedSubmission.objects.count()

    response = post(client, webhook_id, poster, headers={"User-Agent": "acme-sender/2.1"}, **case)

    assert response.status_code == int(status)
    assert RejectedSubmission.objects.count() == before + 1
    stored = RejectedSubmission.objects.get(request_id=response["X-Request-ID"])
    assert (stored.http_status, stored.webhook_id, stored.provider_id) == (int(status), webhook_id, poster.provider_id)
    assert stored.reason_code and stored.reason
    assert stored.user_agent == "acme-sender/2.1" and stored.ip_address == "127.0.0.1"
    assert stored.occurrences == 1 and stored.created_at and stored.last_seen_at


def test_rejected_submission_keeps_the_normalised_phone(client, webhook, provider):
    bad = lead_body(email="nope", phone_number="(212) 555-0101")
    del bad["phone"]

    response = post(client, webhook.webhook_id, provider, bad)

    assert response.status_code == 422
    stored = RejectedSubmission.objects.get(request_id=response["X-Request-ID"])
    assert stored.phone_normalized == "+12125550101"  # so purging this person reaches the row


# --- signatures --------------------------------------------------------------------------------


@pytest.fixture
def signed_webhook():
    return make_webhook(unique_id("wh"), secret_key="whsec_test_secret")


def signed_post(client, webhook, provider, signature, raw=None):
    raw = raw or json.dumps(lead_body()).encode()
    headers = {} if signature is None else {"X-Leadhub-Signature": signature}
    return post(client, webhook.webhook_id, provider, raw=raw, headers=headers)


def test_valid_signature_is_accepted(client, signed_webhook, provider):
    raw = json.dumps(lead_body()).encode()

    response = signed_post(client, signed_webhook, provider, sign("whsec_test_secret", raw), raw)

    assert response.status_code == 201, response.content


def test_signature_over_form_body_is_accepted(client, signed_webhook, provider):
    raw = b"first_name=Ada&last_name=L&email=a%40example.com&phone=4155550132"

    response = post(client, signed_webhook.webhook_id, provider, raw=raw,
                    content_type="application/x-www-form-urlencoded",
                    headers={"X-Leadhub-Signature": sign("whsec_test_secret", raw)})

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "make_signature, code, says",
    [
        (lambda raw: None, "signature_missing", "X-Leadhub-Signature"),
        (lambda raw: "sha256=abc", "signature_malformed", "t=<unix seconds>"),
        (lambda raw: sign("another-secret", raw), "signature_invalid", "does not match"),
        (lambda raw: sign("whsec_test_secret", raw + b" "), "signature_invalid", "does not match"),
        (lambda raw: sign("whsec_test_secret", raw, t=time.time() - 301), "signature_expired", "old"),
        (lambda raw: sign("whsec_test_secret", raw, t=time.time() + 400), "signature_in_future", "future"),
    ],
    ids=["missing", "malformed", "wrong-secret", "altered-body", "expired", "future"],
)
def test_bad_signature_is_401_saying_which(client, signed_webhook, provider, make_signature, code, says):
    raw = json.dumps(lead_body()).encode()

    body = assert_failure(signed_post(client, signed_webhook, provider, make_signature(raw), raw), 401, code)

    assert says in body["reason"]
    assert RejectedSubmission.objects.get(request_id=body["request_id"]).reason_code == code
    assert not Lead.objects.exists()


# --- request ids and client addresses ----------------------------------------------------------


def test_client_request_id_is_echoed_in_header_and_error_body(client, webhook):
    response = post(client, webhook.webhook_id, None, headers={"X-Request-ID": "acme-42.retry:1"})

    assert response["X-Request-ID"] == "acme-42.retry:1"
    assert response.json()["request_id"] == "acme-42.retry:1"


@pytest.mark.parametrize("sent", ["", "has spaces", "x" * 200, "<script>"])
def test_insane_request_id_is_replaced(client, webhook, provider, sent):
    response = post(client, webhook.webhook_id, provider, headers={"X-Request-ID": sent})

    assert response["X-Request-ID"] != sent
    assert len(response["X-Request-ID"]) == 32


def test_every_response_has_a_request_id(client):
    for response in (client.get("/healthz"), client.get("/api/v1/webhooks/x/leads/"), client.get("/nowhere")):
        assert response["X-Request-ID"]


def test_forwarded_for_is_ignored_from_untrusted_peers(client, webhook, provider, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    response = post(client, webhook.webhook_id, provider, REMOTE_ADDR="198.51.100.7",
                    headers={"X-Forwarded-For": "203.0.113.9"})

    assert Lead.objects.get(pk=response.json()["lead_id"]).source_ip == "198.51.100.7"


def test_forwarded_for_from_trusted_proxy_gives_rightmost_untrusted_address(client, webhook, provider, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]

    response = post(client, webhook.webhook_id, provider, REMOTE_ADDR="10.1.2.3",
                    headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9, 192.0.2.1"})

    assert Lead.objects.get(pk=response.json()["lead_id"]).source_ip == "203.0.113.9"


@pytest.mark.parametrize(
    "remote, forwarded, expected",
    [
        ("10.0.0.5", "", "10.0.0.5"),  # a trusted proxy that forwarded nothing
        ("10.0.0.5", "10.0.0.9, 10.0.0.7", "10.0.0.9"),  # every hop ours: the first one
        ("10.0.0.5", "203.0.113.9, not-an-ip", "10.0.0.5"),  # garbled hop: what we saw
        ("2001:db8::1", "203.0.113.9", "2001:db8::1"),  # untrusted IPv6 peer
    ],
)
def test_client_ip_edge_cases(rf, settings, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


# --- re-processing -----------------------------------------------------------------------------


def test_reprocessing_after_the_webhook_is_reactivated_creates_the_lead(client, webhook, provider):
    WebhookConfig.objects.filter(pk=webhook.pk).update(is_active=False)
    response = post(client, webhook.webhook_id, provider, headers={"User-Agent": "acme/1"})
    stored = RejectedSubmission.objects.get(request_id=response["X-Request-ID"])
    WebhookConfig.objects.filter(pk=webhook.pk).update(is_active=True)
    assert not stored.sender_authenticated  # refused (404) before the key was checked

    stored = rejected_submission_reprocess(submission=stored, sender_confirmed_by="staff:ops")

    lead = Lead.objects.get(pk=stored.reprocessed_object_id)
    assert stored.reprocessed_at and stored.reprocess_error == ""
    assert (lead.webhook_id, lead.phone, lead.source_user_agent, lead.source_ip) == (
        webhook.webhook_id, "+14155550132", "acme/1", "127.0.0.1"
    )
    assert Contact.objects.get(pk=lead.contact_id).webhook_id == webhook.webhook_id


def test_reprocessing_a_form_post_after_the_provider_is_created(client, webhook):
    provider_id = unique_id("late")
    form = "first_name=Ada&last_name=L&email=a%40example.com&phone=4155550132"
    client.post(f"/api/v1/webhooks/{webhook.webhook_id}/leads/", data=form,
                content_type="application/x-www-form-urlencoded", headers={"X-Provider-Id": provider_id})
    stored = RejectedSubmission.objects.get(provider_id=provider_id)
    make_provider(provider_id)

    stored = rejected_submission_reprocess(submission=stored, sender_confirmed_by="staff:ops")  # it was unknown

    assert Lead.objects.get(pk=stored.reprocessed_object_id).first_name == "Ada"


def test_reprocessing_a_body_that_is_still_invalid_records_why(client, webhook, provider):
    response = post(client, webhook.webhook_id, provider, lead_body(email="nope"))
    stored = RejectedSubmission.objects.get(request_id=response["X-Request-ID"])

    stored = rejected_submission_reprocess(submission=stored)

    assert stored.reprocessed_object_id is None and stored.reprocessed_at
    assert stored.reprocess_error.startswith("validation:") and "email" in stored.reprocess_error
    assert not Lead.objects.exists()


# --- cost and documentation --------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["", "priority"])
def test_an_accepted_lead_costs_its_baseline(client, webhook, provider, strategy, query_baseline):
    """Blank strategy (the default): only the webhook's forwarding rules are read; with one, the
    lead is also sold to the one matching offer."""
    webhook.distribution_strategy = strategy
    webhook.save()
    Offer.objects.create(workspace=make_workspace(), products=["solar"], zip_codes=["94105"])
    post(client, webhook.webhook_id, provider, lead_body(zip_code="94105"))  # warm-up: the contact and usage row exist

    with query_baseline("webhook-lead-accepted-distributed" if strategy else "webhook-lead-accepted"):
        response = post(client, webhook.webhook_id, provider, lead_body(phone="4155550177", zip_code="94105"))

    assert response.status_code == 201, response.content
    assert response.json()["disposition"]["sold"] is bool(strategy)


def test_a_replay_costs_its_baseline(client, webhook, provider, query_baseline):
    body = lead_body(id="7000124")
    assert post(client, webhook.webhook_id, provider, body).status_code == 201

    with query_baseline("webhook-lead-replayed"):
        response = post(client, webhook.webhook_id, provider, body)

    assert response.status_code == 200, response.content


def test_a_refused_lead_costs_its_baseline(client, webhook, provider, query_baseline):
    post(client, webhook.webhook_id, provider)  # warm-up, as for an accepted lead

    with query_baseline("webhook-lead-refused"):
        response = post(client, webhook.webhook_id, provider, lead_body(email="nope"))

    assert_failure(response, 422, "validation")


def test_openapi_schema_documents_the_webhook(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = json.loads(response.content)
    operation = schema["paths"]["/api/v1/webhooks/{webhook_id}/leads/"]["post"]
    assert set(operation["responses"]) == {"200", "201", "400", "401", "403", "404", "406", "409", "413", "415", "422", "429"}
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert {"X-Provider-Id", "X-Api-Key", "X-Leadhub-Signature"} <= headers
    assert set(operation["requestBody"]["content"]) == {"application/json", "application/x-www-form-urlencoded"}
    assert operation["requestBody"]["content"]["application/json"]["examples"]
    assert operation["responses"]["201"]["content"]["application/json"]["examples"]
    assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_api_docs_render_from_local_assets(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html and "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html  # renders without internet


def test_a_huge_lead_id_is_a_reference_and_later_leads_still_get_ids(client, webhook, provider):
    """`lead_id` 2**63-1 once moved the id sequence to its limit: every later lead failed."""
    huge = post(client, webhook.webhook_id, provider, lead_body(lead_id=9223372036854775807))
    normal = post(client, webhook.webhook_id, provider, lead_body(phone="(415) 555-0133"))

    assert huge.status_code == 201, huge.content
    assert normal.status_code == 201, normal.content
    assert huge.json()["external_id"] == "9223372036854775807"
    assert huge.json()["lead_id"] < normal.json()["lead_id"] < 10**12
    assert normal.json()["external_id"] is None
