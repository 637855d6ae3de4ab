"""The webhook gate against callers who are not who they say: bounded storage for posts anyone
can send, replays of signed posts, malformed signature timestamps, retention."""
import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from leadhub.testing import make_webhook, provider_post, unique_id, unique_suffix
from leads.models import Lead
from providers.models import RejectedSubmission, RejectedSubmissionTally, SignatureReceipt
from providers.services import rejected_submissions_purge, signature_receipts_purge
from providers.signatures import sign

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_secret"
MEGABYTE_BODY = json.dumps({"first_name": "A", "notes": "x" * (1024 * 1024 - 100)}).encode()


def lead_body(phone="(415) 555-0132", **fields):
    return {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": phone,
            "consent": {"description": "Yes, call me.", "value": True}, "tcpa_compliance": True, **fields}


def post(webhook_id, provider, raw, *, ip="198.51.100.7", **options):
    return provider_post(Client(REMOTE_ADDR=ip), f"/api/v1/webhooks/{webhook_id}/leads/", raw, provider=provider,
                         **options)


def rows_from(ip):
    return RejectedSubmission.objects.filter(ip_address=ip)


# --- bounded storage ------------------------------------------------------------------------------

def test_unauthenticated_refusals_keep_a_prefix_on_one_row_per_ip_and_minute(webhook, provider, frozen_clock):
    ip = f"198.51.100.{unique_suffix() % 200 + 1}"
    unknown_webhook = post(unique_id("nowhere"), provider, MEGABYTE_BODY, ip=ip)
    assert unknown_webhook.status_code == 404
    for _ in range(5):
        assert post(webhook.webhook_id, provider, MEGABYTE_BODY, ip=ip, key="lhp_wrong").status_code == 401
    rows = rows_from(ip)
    assert all(len(row.raw_body) <= RejectedSubmission.UNAUTHENTICATED_BODY_LIMIT for row in rows)
    assert all(row.body_truncated and row.body_size == len(MEGABYTE_BODY) for row in rows)
    assert sum(row.occurrences for row in rows) == 6
    assert rows.count() == 2  # one per reason: webhook_not_found, api_key_invalid


def test_a_bad_signature_from_an_authenticated_provider_keeps_the_full_body(provider):
    signed = make_webhook(unique_id("wh"), secret_key=SECRET)
    raw = json.dumps(lead_body(notes="y" * 50_000)).encode()
    response = post(signed.webhook_id, provider, raw, headers={"X-Leadhub-Signature": sign("other", raw)})
    assert response.status_code == 401
    stored = RejectedSubmission.objects.get(request_id=response.json()["request_id"])
    assert stored.raw_body == raw.decode() and not stored.body_truncated


def test_an_oversized_post_of_an_unknown_provider_is_bounded_too(webhook):
    ip = f"198.51.101.{int(time.time()) % 200 + 1}"
    raw = b'{"notes": "' + b"z" * (2 * 1024 * 1024) + b'"}'
    response = Client(REMOTE_ADDR=ip).post(f"/api/v1/webhooks/{webhook.webhook_id}/leads/", data=raw,
                                           content_type="application/json", headers={"X-Provider-Id": "nobody"})
    assert response.status_code == 413
    assert len(rows_from(ip).get().raw_body) <= RejectedSubmission.UNAUTHENTICATED_BODY_LIMIT


def test_a_429_says_the_post_was_not_stored_and_when_to_retry(provider):
    tight = make_webhook(unique_id("wh"), rate_limit=1, rate_window=3600)
    assert post(tight.webhook_id, provider, json.dumps(lead_body())).status_code == 201
    response = post(tight.webhook_id, provider, json.dumps(lead_body(phone="(415) 555-0133")))
    assert response.status_code == 429
    reason = response.json().get("reason") or response.json().get("message")
    assert "not stored" in reason and f"in {response['Retry-After']} s" in reason
    assert RejectedSubmission.objects.get(webhook_id=tight.webhook_id).raw_body == ""


def test_rejected_submissions_older_than_the_retention_are_purged(settings):
    settings.REJECTED_RETENTION_DAYS = 30
    old, recent = (RejectedSubmission.objects.create(webhook_id="x", reason_code="c", reason="r", http_status=400)
                   for _ in range(2))
    RejectedSubmissionTally.objects.create(submission=old, last_seen_at=timezone.now() - timedelta(days=31))
    RejectedSubmissionTally.objects.create(submission=recent, last_seen_at=timezone.now() - timedelta(days=29))
    assert rejected_submissions_purge() == 1
    assert not RejectedSubmission.objects.filter(pk=old.pk).exists()
    assert RejectedSubmission.objects.filter(pk=recent.pk).exists()


def test_the_retention_purges_run_on_beat(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"providers.tasks.purge_rejected_submissions", "providers.tasks.purge_signature_receipts"} <= tasks


# --- replays --------------------------------------------------------------------------------------

def test_a_replayed_accepted_post_gets_the_original_answer_and_writes_nothing(provider):
    signed = make_webhook(unique_id("wh"), secret_key=SECRET)
    raw = json.dumps(lead_body()).encode()
    headers = {"X-Leadhub-Signature": sign(SECRET, raw)}
    first = post(signed.webhook_id, provider, raw, headers=headers)
    assert first.status_code == 201, first.content
    leads, rejected = Lead.objects.count(), RejectedSubmission.objects.count()

    replay = post(signed.webhook_id, provider, raw, headers=headers)

    assert replay.status_code == 200
    assert replay.json()["lead_id"] == first.json()["lead_id"]
    assert replay.json()["contact_id"] == first.json()["contact_id"]
    assert (Lead.objects.count(), RejectedSubmission.objects.count()) == (leads, rejected)


def test_a_replayed_refused_post_is_refused_again(provider):
    signed = make_webhook(unique_id("wh"), secret_key=SECRET)
    raw = json.dumps(lead_body(phone="not a phone")).encode()
    headers = {"X-Leadhub-Signature": sign(SECRET, raw)}
    assert post(signed.webhook_id, provider, raw, headers=headers).status_code == 422
    again = post(signed.webhook_id, provider, raw, headers=headers)
    assert again.status_code == 422
    assert RejectedSubmission.objects.filter(webhook_id=signed.webhook_id).count() == 2
    assert not SignatureReceipt.objects.filter(webhook_id=signed.webhook_id).exists()


def test_signature_receipts_are_forgotten_after_the_window():
    old = SignatureReceipt.objects.create(digest="a" * 64, webhook_id="wh", response={})
    SignatureReceipt.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    fresh = SignatureReceipt.objects.create(digest="b" * 64, webhook_id="wh", response={})
    assert signature_receipts_purge() == 1
    assert list(SignatureReceipt.objects.values_list("pk", flat=True)) == [fresh.pk]


# --- malformed timestamps -------------------------------------------------------------------------

@pytest.mark.parametrize("timestamp", ["²", "1" * 400, "9" * 5000, "١٧٠٠٠٠٠٠٠٠"],
                         ids=["superscript-two", "400-digits", "5000-digits", "arabic-indic"])
def test_a_timestamp_that_is_no_unix_time_is_401_malformed_and_stored(provider, timestamp):
    signed = make_webhook(unique_id("wh"), secret_key=SECRET)
    raw = json.dumps(lead_body()).encode()
    response = post(signed.webhook_id, provider, raw, headers={"X-Leadhub-Signature": f"t={timestamp},v1=00"})
    assert response.status_code == 401, response.content
    assert "X-Leadhub-Signature" in response.content.decode()
    stored = RejectedSubmission.objects.get(request_id=response.json()["request_id"])
    assert stored.reason_code == "signature_malformed"
