"""Property tests for payload parsing: any body gets a success or a clear 4xx, never an exception.

Three layers, each with arbitrary input: `providers.payloads.parse_body` (raw bytes + content
type → dict or Refusal), `leads.ingest.clean_lead` (any JSON → values or per-field errors), and
the signed lead webhook end to end (→ 200/201/400/409/422 with a JSON body naming the problem).
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
    st.floats(allow_nan=False, allow_infinity=False),
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


def _post(webhook, provider, body: bytes, content_type: str):
    return Client().post(
        f"/api/v1/webhooks/{webhook.webhook_id}/leads/",
        data=body,
        content_type=content_type,
        headers={"X-Provider-Id": provider.provider_id, SIGNATURE_HEADER: sign(webhook.secret_key, body)},
    )


def _assert_clear_answer(response, body_sent):
    # Django's test client sends no Content-Type with an empty body: 415 is then the right answer.
    expected = (200, 201, 400, 409, 422) if body_sent else (400, 415)
    assert response.status_code in expected, response.content
    body = response.json()
    if response.status_code >= 400:
        assert body["outcome"] == "failure" and body["code"] and body["reason"], body
        if response.status_code == 422:
            assert body["errors"], body  # names the fields
    else:
        assert body["outcome"] == "success" and body["lead_id"], body


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(payload=st.one_of(json_objects, json_values))
@example(payload={**A_VALID_LEAD, "phone": "(415) 200-2001"})
@example(payload=nested(MAX_JSON_DEPTH + 5))
def test_webhook_answers_any_json_clearly(signed_webhook, payload):
    webhook, provider = signed_webhook
    body = json.dumps(payload).encode()
    _assert_clear_answer(_post(webhook, provider, body, "application/json"), body)


@SETTINGS
@given(pairs=form_pairs)
def test_webhook_answers_any_form_body_clearly(signed_webhook, pairs):
    webhook, provider = signed_webhook
    body = urlencode(pairs).encode()
    _assert_clear_answer(_post(webhook, provider, body, "application/x-www-form-urlencoded"), body)


def test_the_harness_posts_leads_that_are_accepted(signed_webhook):
    """The properties above would also hold for a harness that only ever got 4xx: prove it does not."""
    webhook, provider = signed_webhook
    body = json.dumps({**A_VALID_LEAD, "phone": valid_phone()}).encode()
    assert _post(webhook, provider, body, "application/json").status_code == 201
    body = urlencode({**A_VALID_LEAD, "phone": valid_phone(), "consent": "yes"}).encode()
    assert _post(webhook, provider, body, "application/x-www-form-urlencoded").status_code == 201
