"""The webhook gate against callers who are not who they say: bounded storage for posts anyone
can send, replays of signed posts, malformed signature timestamps, retention."""
import ipaddress
import json
import time
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from leadhub.testing import (
    PROVIDER_API_KEY,
    make_keyed_provider,
    make_provider,
    make_webhook,
    provider_post,
    run_at_once,
    unique_id,
    unique_suffix,
)
from leadhub.errors import ServiceConflict
from leads.models import Lead
from providers.models import RejectedSubmission, RejectedSubmissionTally, SignatureReceipt
from providers.auth import signature_check
from providers.services.rejected import rejected_submissions_purge
from providers.services.replay import signature_receipt_claim, signature_receipts_purge
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


def test_unauthenticated_refusals_merge_per_ipv6_64_and_ipv4_mapped_as_ipv4(webhook, provider, still_clock):
    network = ipaddress.IPv6Network((0x2001_0DB8 << 96 | (uuid.uuid4().int & 0xFFFF_FFFF) << 64, 64))
    ipv4 = f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"

    for ip in (str(network[1]), str(network[0xBEEF_0000_0001]), f"::ffff:{ipv4}", ipv4):
        assert post(webhook.webhook_id, provider, b"{}", ip=ip, key="lhp_wrong").status_code == 401

    rows = RejectedSubmission.objects.filter(webhook_id=webhook.webhook_id)
    assert sorted((row.ip_address, row.occurrences) for row in rows) == sorted([(str(network[1]), 2), (f"::ffff:{ipv4}", 2)])


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


# --- refusals of a provider that named itself, before the rate limits -------------------------------

def refused_before_the_limits(kind, webhook, provider, key, n):
    """Post the `n`th body `kind` refuses before the rate limits; returns (response, body)."""
    raw = json.dumps(lead_body(notes=f"post {n}")).encode()
    options = {"signature": dict(headers={"X-Leadhub-Signature": sign("not-the-secret", raw)}),
               "size": dict(raw=raw + b" " * 2048),
               "type": dict(content_type="text/plain")}[kind]
    raw = options.pop("raw", raw)
    return post(webhook.webhook_id, provider, raw, key=key, **options), raw


@pytest.mark.parametrize("who", ["keyed", "keyless"])
@pytest.mark.parametrize("kind, status", [("signature", 401), ("size", 413), ("type", 415)])
def test_refusals_of_a_named_provider_count_against_its_limit_and_merge_per_minute(settings, still_clock, who,
                                                                                   kind, status):
    """Repro: each was stored whole and never counted, so a provider (or anyone, by a keyless
    provider's id) could post refused bodies without end. Now they spend the same limit as
    accepted posts, and a minute's make one row holding the first body, with a count."""
    settings.WEBHOOK_MAX_BODY_BYTES = 1024
    signed = make_webhook(unique_id("wh"), secret_key=SECRET, rate_limit=3, rate_window=60)
    sender, key = (make_keyed_provider(), PROVIDER_API_KEY) if who == "keyed" else (make_provider(unique_id("prov")), None)

    sent = [refused_before_the_limits(kind, signed, sender, key, n) for n in range(8)]

    responses = [response for response, _ in sent]
    assert [response.status_code for response in responses] == [status] * 3 + [429] * 5
    assert [response["X-RateLimit-Remaining"] for response in responses] == ["2", "1", "0"] + ["0"] * 5
    rows = RejectedSubmission.objects.filter(webhook_id=signed.webhook_id)
    refused, flooded = rows.get(http_status=status), rows.get(http_status=429)
    assert (refused.occurrences, flooded.occurrences) == (3, 5)
    assert refused.raw_body == sent[0][1].decode() and refused.provider_id == sender.provider_id
    assert valid_post_is_refused(signed, sender, key)


def test_a_wrong_key_cannot_spend_the_named_providers_limit(settings, provider):
    """Only a sender that proves it is the provider counts against the provider's limits: anyone
    could name it, and would otherwise shut its intake."""
    settings.WEBHOOK_MAX_BODY_BYTES = 1024
    signed = make_webhook(unique_id("wh"), secret_key=SECRET, rate_limit=1, rate_window=3600)
    for kind in ("signature", "size", "type"):
        for n in range(2):
            assert refused_before_the_limits(kind, signed, provider, "lhp_wrong", n)[0].status_code in (401, 413, 415)

    raw = json.dumps(lead_body()).encode()
    accepted = post(signed.webhook_id, provider, raw, headers={"X-Leadhub-Signature": sign(SECRET, raw)})
    assert accepted.status_code == 201, accepted.content


@pytest.mark.parametrize("named", ["prov\x00nul", "p" * 100_000, "\x00" * 300], ids=["nul", "100k-chars", "300-nuls"])
def test_a_hostile_provider_id_on_a_refused_post_is_answered_and_stored_clipped(webhook, named):
    response = Client(REMOTE_ADDR=f"192.0.2.{unique_suffix() % 250 + 1}").post(
        f"/api/v1/webhooks/{webhook.webhook_id}/leads/", data=b"x" * 5000, content_type="text/plain",
        headers={"X-Provider-Id": named})

    assert response.status_code == 415
    stored = RejectedSubmission.objects.get(request_id=response.json()["request_id"])
    assert "\x00" not in stored.provider_id and len(stored.provider_id) <= 255
    assert len(stored.raw_body) <= RejectedSubmission.UNAUTHENTICATED_BODY_LIMIT


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_refused_posts_of_a_provider_stop_at_its_limit(still_clock):
    signed = make_webhook(unique_id("wh"), secret_key=SECRET, rate_limit=4, rate_window=3600)
    sender = make_keyed_provider()
    raw = json.dumps(lead_body()).encode()

    statuses, errors = run_at_once(16, lambda _: post(signed.webhook_id, sender, raw, headers={
        "X-Leadhub-Signature": sign("not-the-secret", raw)}).status_code)

    assert errors == [] and sorted(statuses) == [401] * 4 + [429] * 12
    rows = RejectedSubmission.objects.filter(webhook_id=signed.webhook_id)
    assert sum(row.occurrences for row in rows.filter(http_status=401)) == 4
    assert sum(row.occurrences for row in rows.filter(http_status=429)) == 12


def valid_post_is_refused(webhook, provider, key):
    raw = json.dumps(lead_body()).encode()
    response = post(webhook.webhook_id, provider, raw, key=key, headers={"X-Leadhub-Signature": sign(SECRET, raw)})
    return response.status_code == 429


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


def test_a_copy_sent_while_the_first_is_processed_is_told_to_retry(provider):
    signed = make_webhook(unique_id("wh"), secret_key=SECRET)
    raw = json.dumps(lead_body()).encode()
    headers = {"X-Leadhub-Signature": sign(SECRET, raw)}
    digest = signature_check(headers=headers, webhook=signed, body=raw)
    SignatureReceipt.objects.create(digest=digest, webhook_id=signed.webhook_id, response=None)
    reason = "The same signed post is still being processed; send it again in a few seconds."

    response = post(signed.webhook_id, provider, raw, headers=headers)

    assert response.status_code == 409
    assert {key: value for key, value in response.json().items() if key != "request_id"} == {
        "outcome": "failure", "reason": reason, "code": "replay_in_progress", "message": reason, "errors": {},
        "lead_id": None, "external_id": None, "contact_status": None, "disposition": None,
    }
    row = RejectedSubmission.objects.get(webhook_id=signed.webhook_id)
    assert (row.reason_code, row.http_status) == ("replay_in_progress", 409)
    with pytest.raises(ServiceConflict) as caught:
        signature_receipt_claim(digest=digest, webhook_id=signed.webhook_id)
    assert (caught.value.code, caught.value.reason) == ("replay_in_progress", reason)


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
