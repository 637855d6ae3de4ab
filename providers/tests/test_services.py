"""Provider services: key rotation, the rejected-submission log (flood control, purge, re-process)."""
import ipaddress
import json
import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from leadhub.keys import digests_match
from leadhub.testing import make_provider, make_webhook, provider_post, unique_id
from leads.models import Lead
from providers.models import LeadSourceProvider, RejectedSubmission
from providers.services.keys import provider_key_rotate
from providers.services.rejected import (
    SenderNotProven,
    rejected_submission_record,
    rejected_submission_reprocess,
    rejected_submissions_purge_for_phone,
)

pytestmark = pytest.mark.django_db

LEAD = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "(415) 555-0132"}


def record(**fields):
    fields.setdefault("webhook_id", unique_id("wh"))
    fields.setdefault("provider_id", "prov-x")
    fields.setdefault("reason_code", "webhook_not_found")
    fields.setdefault("reason", "No active webhook.")
    fields.setdefault("http_status", 404)
    fields.setdefault("body", json.dumps(LEAD).encode())
    fields.setdefault("content_type", "application/json")
    return rejected_submission_record(**fields)


def test_provider_key_rotate_stores_only_the_digest():
    provider = make_provider()

    raw_key = provider_key_rotate(provider=provider)

    stored = LeadSourceProvider.objects.get(pk=provider.pk).api_key
    assert raw_key.startswith("lhp_") and len(raw_key) > 40
    assert stored != raw_key and raw_key not in stored
    assert digests_match(stored, raw_key)
    assert provider_key_rotate(provider=provider) != raw_key


def test_record_keeps_the_body_and_the_phone():
    row = record(ip_address="203.0.113.9", user_agent="acme/1", request_id="r-1")

    assert json.loads(row.raw_body) == LEAD
    assert (row.phone_normalized, row.ip_address, row.user_agent, row.request_id) == (
        "+14155550132", "203.0.113.9", "acme/1", "r-1"
    )
    assert not row.body_truncated and row.body_size == len(row.raw_body)


def test_record_keeps_only_the_first_64_kb():
    body = b"x" * (RejectedSubmission.BODY_LIMIT + 10)

    row = record(body=body)

    assert len(row.raw_body) == RejectedSubmission.BODY_LIMIT
    assert row.body_truncated and row.body_size == len(body)


def test_record_survives_bodies_that_are_not_utf8():
    row = record(body=b'{"first_name": "\xff"}')

    assert "\ufffd" in row.raw_body and row.phone_normalized == ""


@pytest.mark.parametrize("cache_up", [True, False], ids=["cache", "redis-down"])
def test_repeated_429s_are_counted_on_one_row(settings, cache_up):
    if not cache_up:  # the database decides when the cache cannot
        if not settings.REDIS_URL:
            pytest.skip("needs Redis (REDIS_URL) to simulate its outage")
        settings.CACHES = {"default": dict(settings.CACHES["default"], LOCATION="redis://127.0.0.1:1/0")}
    webhook_id = unique_id("wh")
    flood = dict(webhook_id=webhook_id, http_status=429, reason_code="webhook_rate_limited", reason="Too many.")

    first = record(**flood)
    rest = [record(**flood) for _ in range(4)]

    assert first is not None and rest == [None] * 4
    first.refresh_from_db()
    assert first.occurrences == 5 and first.last_seen_at > first.created_at
    assert RejectedSubmission.objects.filter(webhook_id=webhook_id).count() == 1


def test_a_counted_429_costs_one_update():
    flood = dict(webhook_id=unique_id("wh"), http_status=429, reason_code="webhook_rate_limited",
                 reason="Too many.")
    record(**flood)

    with CaptureQueriesContext(connection) as queries:
        record(**flood)

    # ... of the narrow tally row: a repeat never rewrites the row holding the body.
    assert [q["sql"].split()[:3] for q in queries.captured_queries] == [["UPDATE", '"rejected_submission_tallies"', "SET"]]


def test_other_refusals_are_never_merged():
    webhook_id = unique_id("wh")

    rows = [record(webhook_id=webhook_id) for _ in range(3)]

    assert all(rows) and RejectedSubmission.objects.filter(webhook_id=webhook_id).count() == 3


def test_429s_of_another_provider_get_their_own_row():
    webhook_id = unique_id("wh")
    flood = dict(webhook_id=webhook_id, http_status=429, reason_code="webhook_rate_limited", reason="Too many.")

    record(provider_id="a", **flood)
    record(provider_id="b", **flood)

    assert RejectedSubmission.objects.filter(webhook_id=webhook_id).count() == 2


def one_64():
    """An IPv6 /64 no other test uses (merges live in the shared cache, keyed by the network)."""
    return ipaddress.IPv6Network((0x2001_0DB8 << 96 | (uuid.uuid4().int & 0xFFFF_FFFF) << 64, 64))


@pytest.mark.parametrize("cache_up, addresses", [(True, 500), (False, 20)], ids=["cache", "redis-down"])
def test_unauthenticated_refusals_from_one_ipv6_64_make_one_row(settings, still_clock, cache_up, addresses):
    """Repro: merged per exact address, 500 addresses of one /64 (what a single subscriber is
    given) made 500 rows."""
    if not cache_up:
        if not settings.REDIS_URL:
            pytest.skip("needs Redis (REDIS_URL) to simulate its outage")
        settings.CACHES = {"default": dict(settings.CACHES["default"], LOCATION="redis://127.0.0.1:1/0")}
    webhook_id, network = unique_id("wh"), one_64()
    refusal = dict(webhook_id=webhook_id, authenticated=False, http_status=401, reason_code="api_key_invalid",
                   reason="Wrong API key.")

    for n in range(addresses):
        record(ip_address=str(network[n * 7919 + 1]), **refusal)

    row = RejectedSubmission.objects.get(webhook_id=webhook_id)
    assert row.occurrences == addresses and row.ip_address == str(network[1])


def test_an_ipv4_mapped_address_merges_with_its_ipv4(still_clock):
    webhook_id, ipv4 = unique_id("wh"), f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    refusal = dict(webhook_id=webhook_id, authenticated=False, http_status=401, reason_code="api_key_invalid",
                   reason="Wrong API key.")

    record(ip_address=f"::ffff:{ipv4}", **refusal)
    record(ip_address=ipv4, **refusal)

    assert RejectedSubmission.objects.get(webhook_id=webhook_id).occurrences == 2


def test_purge_for_phone_deletes_only_that_persons_rows():
    mine, other = record(), record(body=json.dumps({**LEAD, "phone": "2125550188"}).encode())

    assert rejected_submissions_purge_for_phone(phone="+14155550132") == 1

    assert not RejectedSubmission.objects.filter(pk=mine.pk).exists()
    assert RejectedSubmission.objects.filter(pk=other.pk).exists()
    assert rejected_submissions_purge_for_phone(phone="") == 0


def test_reprocess_twice_creates_one_lead():
    webhook = make_webhook()
    row = record(webhook_id=webhook.webhook_id)

    first = rejected_submission_reprocess(submission=row)
    second = rejected_submission_reprocess(submission=row)

    assert first.reprocessed_object_id and second.reprocessed_object_id == first.reprocessed_object_id
    assert Lead.objects.count() == 1


def test_reprocess_refuses_a_truncated_body():
    webhook = make_webhook()
    row = record(webhook_id=webhook.webhook_id, body=b"x" * (RejectedSubmission.BODY_LIMIT + 1))

    row = rejected_submission_reprocess(submission=row)

    assert row.reprocessed_object_id is None and "64 KB" in row.reprocess_error


def test_reprocess_while_the_webhook_is_still_missing_records_why():
    row = record(webhook_id="still-missing")

    row = rejected_submission_reprocess(submission=row)

    assert row.reprocessed_at and row.reprocessed_object_id is None
    assert "still-missing" in row.reprocess_error


def test_reprocess_of_malformed_json_records_the_parse_error():
    webhook = make_webhook()
    row = record(webhook_id=webhook.webhook_id, body=b"{nope", reason_code="malformed_json", http_status=400)

    row = rejected_submission_reprocess(submission=row)

    assert row.reprocess_error.startswith("malformed_json:")


CONFIRMED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def wrong_key_post(webhook, provider):
    """A refusal anyone can plant: a real provider's id with a wrong key."""
    response = provider_post(Client(REMOTE_ADDR="198.51.100.31"), f"/api/v1/webhooks/{webhook.webhook_id}/leads/",
                             json.dumps({**LEAD, "consent_value": True, "tcpa_compliance": True}), provider=provider,
                             key="lhp_not-the-key")
    assert response.status_code == 401
    return RejectedSubmission.objects.get(request_id=response.json()["request_id"])


def test_a_refusal_of_an_unproven_sender_is_reprocessed_only_when_someone_takes_the_sender_as_proven(
    webhook, provider
):
    row = wrong_key_post(webhook, provider)

    with pytest.raises(SenderNotProven, match="not authenticated") as refused:
        rejected_submission_reprocess(submission=row)
    assert "sender_confirmed_by" in refused.value.errors
    with pytest.raises(SenderNotProven, match="not authenticated"):
        rejected_submission_reprocess(submission=row, sender_confirmed_by="workspace:ws-1")  # ops only
    assert not Lead.objects.exists()
    assert row.sender_authenticated is False
    assert RejectedSubmission.objects.get(pk=row.pk).reprocessed_at is None

    with time_machine.travel(CONFIRMED_AT, tick=False):
        row = rejected_submission_reprocess(submission=row, sender_confirmed_by="staff:ann")

    assert Lead.objects.get(pk=row.reprocessed_object_id).provider_id == provider.provider_id
    row.refresh_from_db()
    assert (row.sender_confirmed_by, row.sender_confirmed_at) == ("staff:ann", CONFIRMED_AT)


def test_a_refusal_after_the_sender_proved_itself_is_reprocessed_as_before(webhook, provider):
    response = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/",
                             json.dumps({**LEAD, "email": "not-an-email"}), provider=provider)
    assert response.status_code == 422
    row = RejectedSubmission.objects.get(request_id=response.json()["request_id"])
    assert row.sender_authenticated is True

    row = rejected_submission_reprocess(submission=row, payload={**LEAD})

    assert row.reprocessed_object_id and (row.sender_confirmed_by, row.sender_confirmed_at) == ("", None)
