"""Property tests for payload parsing: any body gets a success or a clear 4xx, never an exception.

Three layers, each with arbitrary input: `providers.payloads.parse_body` (raw bytes + content
type → dict or Refusal), `leads.ingest.clean_lead` (any JSON → values or per-field errors), and
the signed lead and appointment webhooks end to end, in JSON (NaN, infinities and 1e400 included),
form and multipart bodies (NUL characters and file parts included) → 200/201/400/409/422 with a
JSON body naming the problem, every refusal kept as a rejected submission.
"""
import json
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from leadhub.api.exceptions import Refusal
from leadhub.api.parsers import MAX_JSON_DEPTH
from leadhub.choices import LeadType
from leadhub.testing import make_provider, make_webhook, valid_phone
from providers.models import RejectedSubmission
from leads.ingest import KEY_TO_COLUMN, clean_lead
from providers.payloads import ACCEPTED_MEDIA_TYPES, parse_body
from providers.signatures import SIGNATURE_HEADER, sign

# Keys ingest knows (every alias of every column) plus a few nested and unknown ones, so the
# generated payloads reach the coercion rules instead of only "This field is required".
known_keys = st.sampled_from(sorted(KEY_TO_COLUMN) + ["consent", "utm", "lead_id", "id"])
keys = st.one_of(known_keys, st.text(max_size=12))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN and ±Infinity too: json.dumps writes them as the non-JSON literals
    st.text(max_size=40),
    st.sampled_from(["(415) 200-2000", "ada@example.com", "CA", "94105", "yes", "solar", "1e400", "-1"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=4)),
    max_leaves=12,
)
json_objects = st.dictionaries(keys, json_values, max_size=12)
form_pairs = st.lists(st.tuples(keys, st.text(max_size=30)), max_size=12)
# A file part, sometimes, among the text fields of a multipart body: (part name, content).
file_parts = st.lists(st.tuples(keys, st.binary(max_size=40)), max_size=2)

A_VALID_LEAD = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": "(415) 200-2000",
    "consent": {"value": True},
    "tcpa": "yes",
}


def nested(depth):
    value = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@given(body=st.binary(max_size=2000), content_type=st.sampled_from([*ACCEPTED_MEDIA_TYPES, "application/json; charset=latin-1",
                                                                    "multipart/form-data; boundary=xyz", "text/plain", ""]))
@example(body=b"[" * 100_000, content_type="application/json")
@example(body=b"\xff\xfe", content_type="application/x-www-form-urlencoded; charset=nope")
@example(body=b"--xyz\r\n", content_type="multipart/form-data; boundary=xyz")
def test_parse_body_returns_a_dict_or_refuses_with_a_4xx(body, content_type):
    try:
        payload = parse_body(body, content_type)
    except Refusal as refusal:
        assert 400 <= refusal.status < 500 and refusal.code and refusal.reason
        return
    assert isinstance(payload, dict)


def test_json_nesting_over_the_limit_is_a_400_naming_the_problem():
    assert parse_body(json.dumps(nested(MAX_JSON_DEPTH)).encode(), "application/json")
    with pytest.raises(Refusal) as refused:
        parse_body(json.dumps(nested(MAX_JSON_DEPTH + 1)).encode(), "application/json")
    assert refused.value.status == 400 and refused.value.code == "json_too_deep"
    assert str(MAX_JSON_DEPTH) in refused.value.reason


@given(payload=st.one_of(json_objects, json_values), lead_type=st.sampled_from(LeadType.values))
@example(payload=A_VALID_LEAD, lead_type=LeadType.SOLAR)
@example(payload={"roof_age": 10**30, "monthly_electric_bill": 1e308, "id": -1}, lead_type=LeadType.SOLAR)
def test_clean_lead_never_raises_and_names_every_bad_field(payload, lead_type):
    cleaned = clean_lead(payload, lead_type=lead_type)
    assert isinstance(cleaned.values, dict)
    for field, messages in cleaned.errors.items():
        assert isinstance(field, str) and messages and all(isinstance(message, str) and message for message in messages)
    if payload == A_VALID_LEAD:
        assert cleaned.errors == {}


@pytest.fixture
def signed_webhook(db):
    webhook = make_webhook(secret_key="hypothesis-secret", rate_limit=10**6)
    provider = make_provider(rate_limit=10**6)
    return webhook, provider


ENDPOINTS = ("leads", "appointments")
BOUNDARY = "hypothesis-boundary"


def _post(webhook, provider, body: bytes, content_type: str, endpoint="leads"):
    return Client().post(
        f"/api/v1/webhooks/{webhook.webhook_id}/{endpoint}/",
        data=body,
        content_type=content_type,
        headers={"X-Provider-Id": provider.provider_id, SIGNATURE_HEADER: sign(webhook.secret_key, body)},
    )


# 400s that name the fields at fault.
NAMED_FIELDS = ("nul_character", "unpaired_surrogate", "number_not_finite", "file_not_accepted")


def _assert_clear_answer(response, body_sent, endpoint="leads"):
    # Django's test client sends no Content-Type with an empty body: 415 is then the right answer.
    expected = (200, 201, 400, 409, 422) if body_sent else (400, 415)
    assert response.status_code in expected, response.content
    body = response.json()
    if response.status_code >= 400:
        assert body["outcome"] == "failure" and body["code"] and body["reason"], body
        if response.status_code == 422 or body["code"] in NAMED_FIELDS:
            assert body["errors"], body  # names the fields
        assert RejectedSubmission.objects.filter(request_id=body["request_id"]).exists(), body
    else:
        assert body["outcome"] == "success" and body["lead_id" if endpoint == "leads" else "appointment_id"], body


def _json_text(payload, overflow: bool) -> bytes:
    """json.dumps writes ±Infinity as literals; `overflow` writes them as numbers past a double instead."""
    text = json.dumps(payload)
    return (text.replace("-Infinity", "-1e400").replace("Infinity", "1e400") if overflow else text).encode()


def _multipart(pairs, files) -> bytes:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in pairs]
    parts += [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="f.bin"\r\n\r\n'.encode()
              + content + b"\r\n" for name, content in files]
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(payload=st.one_of(json_objects, json_values), overflow=st.booleans(), endpoint=st.sampled_from(ENDPOINTS))
@example(payload={**A_VALID_LEAD, "phone": "(415) 200-2001"}, overflow=False, endpoint="leads")
@example(payload=nested(MAX_JSON_DEPTH + 5), overflow=False, endpoint="leads")
@example(payload={**A_VALID_LEAD, "custom_data": {"a": [float("inf")]}}, overflow=True, endpoint="leads")
@example(payload={"scheduled_at": "2030-01-01T10:00:00Z", "estimated_value": float("nan")}, overflow=False,
         endpoint="appointments")
def test_webhook_answers_any_json_clearly(signed_webhook, payload, overflow, endpoint):
    webhook, provider = signed_webhook
    body = _json_text(payload, overflow)
    _assert_clear_answer(_post(webhook, provider, body, "application/json", endpoint), body, endpoint)


@SETTINGS
@given(pairs=form_pairs, endpoint=st.sampled_from(ENDPOINTS))
@example(pairs=[("first_name", "Ada\x00")], endpoint="appointments")
def test_webhook_answers_any_form_body_clearly(signed_webhook, pairs, endpoint):
    webhook, provider = signed_webhook
    body = urlencode(pairs).encode()
    _assert_clear_answer(_post(webhook, provider, body, "application/x-www-form-urlencoded", endpoint), body, endpoint)


@SETTINGS
@given(pairs=form_pairs, files=file_parts, endpoint=st.sampled_from(ENDPOINTS))
@example(pairs=[("first_name", "Ada\x00")], files=[], endpoint="leads")
@example(pairs=list(A_VALID_LEAD.items())[:4], files=[("resume", b"%PDF")], endpoint="leads")
def test_webhook_answers_any_multipart_body_clearly(signed_webhook, pairs, files, endpoint):
    webhook, provider = signed_webhook
    body = _multipart(pairs, files)
    response = _post(webhook, provider, body, f"multipart/form-data; boundary={BOUNDARY}", endpoint)
    _assert_clear_answer(response, body, endpoint)


def test_the_harness_posts_leads_that_are_accepted(appointment_clock, signed_webhook):
    """The properties above would also hold for a harness that only ever got 4xx: prove it does not."""
    webhook, provider = signed_webhook
    body = json.dumps({**A_VALID_LEAD, "phone": valid_phone()}).encode()
    assert _post(webhook, provider, body, "application/json").status_code == 201
    body = urlencode({**A_VALID_LEAD, "phone": valid_phone(), "consent": "yes"}).encode()
    assert _post(webhook, provider, body, "application/x-www-form-urlencoded").status_code == 201
    body = _multipart([*{**A_VALID_LEAD, "phone": valid_phone(), "consent": "yes"}.items()], [])
    assert _post(webhook, provider, body, f"multipart/form-data; boundary={BOUNDARY}").status_code == 201
    body = json.dumps({"customer_name": "Grace Hopper", "customer_phone": valid_phone(), "customer_zip": "90215",
                       "service_type": "Solar", "scheduled_at": "2026-12-01T10:00:00Z",
                       "appointment_type": "estimate"}).encode()
    assert _post(webhook, provider, body, "application/json", "appointments").status_code == 201
