"""Inputs a hostile caller sends end in a 4xx in the one error body naming the field, never a 500;
a refused provider post is also kept as a rejected submission (so ops see it, and nothing is lost).
"""
import base64
import json

import pytest
from rest_framework.test import APIClient

from leadhub.testing import (
    assert_error,
    assert_webhook_error,
    make_appointment,
    make_contact,
    make_conversion,
    make_lead,
    provider_post,
    valid_phone,
)
from leadhub.testing.api import workspace_with_key
from providers.models import RejectedSubmission

pytestmark = pytest.mark.django_db

NON_FINITE = ["1e400", "-1e400", "NaN", "Infinity", "-Infinity"]
# Where in a body the number sits (a JSON fragment) and the path the answer names it by.
PLACES = [
    ("top-level", '"{field}": {number}', "{field}"),
    ("custom_data", '"custom_data": {{"tags": ["a", {number}]}}', "custom_data.tags.1"),
    ("custom_metadata", '"custom_metadata": {{"deep": {{"x": {number}}}}}', "custom_metadata.deep.x"),
]
WEBHOOK_BODIES = {
    "leads": ({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "(415) 555-0132",
               "consent": {"value": True}, "tcpa_compliance": True}, "monthly_electric_bill"),
    "appointments": ({"customer_phone": "(212) 555-0188", "scheduled_at": "2030-12-01T15:00:00-08:00"},
                     "estimated_value"),
}


def with_fragment(body: dict, fragment: str) -> str:
    """`body` as JSON with `fragment` (raw JSON text, e.g. `"x": 1e400`) added as its last member."""
    return json.dumps(body)[:-1] + ", " + fragment + "}"


def webhook_url(webhook, endpoint):
    return f"/api/v1/webhooks/{webhook.webhook_id}/{endpoint}/"


def stored_refusal(response):
    return RejectedSubmission.objects.get(request_id=response.json()["request_id"])


# --- numbers that overflow to infinity, and NaN / Infinity literals -------------------------------------


@pytest.mark.parametrize("number", NON_FINITE)
@pytest.mark.parametrize(("place", "fragment", "path"), PLACES, ids=[place[0] for place in PLACES])
@pytest.mark.parametrize("endpoint", sorted(WEBHOOK_BODIES))
def test_a_non_finite_number_in_a_webhook_post_is_400_naming_its_path_and_stored(
    client, webhook, provider, endpoint, place, fragment, path, number
):
    body, field = WEBHOOK_BODIES[endpoint]
    raw = with_fragment(body, fragment.format(field=field, number=number))
    response = provider_post(client, webhook_url(webhook, endpoint), raw, provider=provider)
    path = path.format(field=field)
    assert_webhook_error(response, 400, code="number_not_finite", field=path)
    stored = stored_refusal(response)
    assert (stored.reason_code, stored.http_status, stored.endpoint) == ("number_not_finite", 400, endpoint[:-1])
    assert path in stored.errors and stored.raw_body == raw


@pytest.fixture
def partner():
    workspace, client = workspace_with_key()
    lead = make_lead(contact=make_contact(webhook_id=f"ws-{workspace.pk}-solar"), workspace=workspace)
    return workspace, client, lead


def partner_bodies(lead, conversion):
    """(method, url, valid-looking body, a top-level number field) of every partner write taking a body."""
    return [
        ("post", "/api/v1/leads/", {"lead_type": "solar", "first_name": "Ada", "phone": valid_phone()}, "roof_age"),
        ("post", "/api/v1/appointments/", {"lead_id": lead.pk, "scheduled_at": "2030-12-01T15:00:00Z"},
         "estimated_value"),
        ("post", "/api/v1/conversions/", {"lead_id": lead.pk, "conversion_type": "sale"}, "conversion_value"),
        ("patch", f"/api/v1/conversions/{conversion.pk}/", {"conversion_type": "sale"}, "conversion_value"),
        ("patch", f"/api/v1/appointments/{make_appointment(lead=lead, matched_workspace=lead.workspace).pk}/",
         {"status": "confirmed"}, "duration_minutes"),
    ]


@pytest.mark.parametrize("number", NON_FINITE)
@pytest.mark.parametrize(("place", "fragment", "path"), PLACES, ids=[place[0] for place in PLACES])
def test_a_non_finite_number_in_a_partner_body_is_400_naming_its_path(partner, place, fragment, path, number):
    workspace, client, lead = partner
    for method, url, body, field in partner_bodies(lead, make_conversion(lead=lead, workspace=workspace)):
        raw = with_fragment(body, fragment.format(field=field, number=number))
        response = getattr(client, method)(url, data=raw, content_type="application/json")
        body = assert_error(response, 400, code="parse_error", field=path.format(field=field))
        assert "finite" in body["message"], (url, body)


def test_an_integer_too_long_for_python_is_named_like_an_infinity(client, webhook, provider, partner):
    """More than 4,300 digits is past what Python's int() takes (and past any column)."""
    raw = with_fragment(WEBHOOK_BODIES["leads"][0], '"roof_age": ' + "9" * 5000)
    response = provider_post(client, webhook_url(webhook, "leads"), raw, provider=provider)
    assert_webhook_error(response, 400, code="number_not_finite", field="roof_age")
    _, partner_client, _ = partner
    raw = '{"lead_type": "solar", "custom_data": [' + "-" + "1" * 5000 + "]}"
    response = partner_client.post("/api/v1/leads/", data=raw, content_type="application/json")
    assert_error(response, 400, code="parse_error", field="custom_data.0")


def test_finite_numbers_still_reach_validation(client, webhook, provider):
    raw = with_fragment(WEBHOOK_BODIES["leads"][0], '"roof_age": 1e308, "custom_data": {"big": 1e300}')
    response = provider_post(client, webhook_url(webhook, "leads"), raw, provider=provider)
    assert_webhook_error(response, 422, code="validation", field="roof_age")


# --- NUL characters and file parts in form and multipart bodies ------------------------------------------

BOUNDARY = "hostile-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
FORM = "application/x-www-form-urlencoded"


def multipart(fields: dict, files: dict = ()) -> bytes:
    """A multipart body of text `fields` and `files` ({part name: (file name, bytes)})."""
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
             for name, value in fields.items()]
    parts += [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
              f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n"
              for name, (filename, content) in dict(files).items()]
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


FORM_FIELDS = {
    "leads": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "4155550132",
              "consent": "yes", "tcpa_compliance": "yes"},
    "appointments": {"customer_name": "Grace Hopper", "customer_phone": "2125550188",
                     "scheduled_at": "2030-12-01T15:00:00-08:00"},
}
TEXT_FIELD = {"leads": "first_name", "appointments": "customer_name"}


def encoded(fields: dict, content_type: str, files: dict = ()) -> bytes:
    if content_type == FORM:
        return "&".join(f"{name}={value.replace(chr(0), '%00')}" for name, value in fields.items()).encode()
    return multipart(fields, files)


@pytest.mark.parametrize("content_type", [FORM, MULTIPART], ids=["form", "multipart"])
@pytest.mark.parametrize("endpoint", sorted(FORM_FIELDS))
def test_a_nul_in_a_webhook_form_field_is_400_naming_the_field_and_stored(
    client, webhook, provider, endpoint, content_type
):
    field = TEXT_FIELD[endpoint]
    raw = encoded({**FORM_FIELDS[endpoint], field: "Ada\x00"}, content_type)
    response = provider_post(client, webhook_url(webhook, endpoint), raw, provider=provider, content_type=content_type)
    assert_webhook_error(response, 400, code="nul_character", field=field)
    stored = stored_refusal(response)
    assert (stored.reason_code, stored.endpoint, stored.errors) == ("nul_character", endpoint[:-1], {
        field: [response.json()["errors"][field][0]]})
    assert "\x00" not in stored.raw_body


@pytest.mark.parametrize("content_type", [FORM, MULTIPART], ids=["form", "multipart"])
def test_a_nul_in_a_form_field_name_is_named_escaped(client, webhook, provider, content_type):
    raw = encoded({**FORM_FIELDS["leads"], "fir\x00st": "Ada"}, content_type)
    response = provider_post(client, webhook_url(webhook, "leads"), raw, provider=provider, content_type=content_type)
    assert_webhook_error(response, 400, code="nul_character", field="fir\\u0000st")
    assert stored_refusal(response).errors == {"fir\\u0000st": [response.json()["errors"]["fir\\u0000st"][0]]}


@pytest.mark.parametrize("endpoint", sorted(FORM_FIELDS))
def test_a_file_part_on_a_webhook_is_400_naming_the_part_and_stored(client, webhook, provider, endpoint):
    raw = multipart(FORM_FIELDS[endpoint], files={"resume": ("cv.pdf", b"%PDF-1.4 \x00\x01")})
    response = provider_post(client, webhook_url(webhook, endpoint), raw, provider=provider, content_type=MULTIPART)
    body = assert_webhook_error(response, 400, code="file_not_accepted", field="resume")
    assert "resume" in body["reason"]
    assert stored_refusal(response).reason_code == "file_not_accepted"


@pytest.mark.parametrize(("content_type", "files"), [(FORM, ()), (MULTIPART, ()), (MULTIPART, {"doc": ("a.txt", b"x")})],
                         ids=["form", "multipart", "multipart-with-a-file"])
@pytest.mark.parametrize("url", ["/api/v1/leads/", "/api/v1/appointments/"], ids=["referral", "appointment"])
def test_the_partner_api_answers_form_and_multipart_bodies_with_415(partner, url, content_type, files):
    """The partner API takes JSON only (one documented media type): a form, with a NUL or a file
    part or not, is refused before anything parses it."""
    _, client, lead = partner
    fields = {"lead_type": "solar", "first_name": "Ada\x00", "lead_id": str(lead.pk),
              "scheduled_at": "2030-12-01T15:00:00Z"}
    response = client.post(url, data=encoded(fields, content_type, files), content_type=content_type)
    assert_error(response, 415, code="unsupported_media_type")
