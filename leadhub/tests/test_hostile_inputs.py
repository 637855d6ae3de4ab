"""Inputs a hostile caller sends end in a 4xx in the one error body naming the field, never a 500;
a refused provider post is also kept as a rejected submission (so ops see it, and nothing is lost).
"""
import base64
import json

import pytest
from distribution.models import Offer

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
    """A workspace (every scope; an outbound webhook, so it has events) with its key and a lead."""
    workspace, client = workspace_with_key(outbound_webhook_url="https://partner.example/hooks/leadhub",
                                           webhook_active=True)
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



# --- unpaired UTF-16 surrogates (`"\ud800"`: valid JSON, but no character any column can hold) ------------

# Where the escape sits (a JSON fragment) and the path the answer names it by (escaped, like a NUL).
SURROGATE_PLACES = [
    ("value", '"{field}": "Ada\\ud800"', "{field}"),
    ("nested", '"custom_data": {{"tags": ["a", "\\udfff"]}}', "custom_data.tags.1"),
    ("key", '"x\\udc00": "y"', "x\\udc00"),
]


@pytest.mark.parametrize(("place", "fragment", "path"), SURROGATE_PLACES, ids=[place[0] for place in SURROGATE_PLACES])
@pytest.mark.parametrize("endpoint", sorted(WEBHOOK_BODIES))
def test_an_unpaired_surrogate_in_a_webhook_post_is_400_naming_its_path_and_stored(
    client, webhook, provider, endpoint, place, fragment, path
):
    body, _ = WEBHOOK_BODIES[endpoint]
    raw = with_fragment(body, fragment.format(field=TEXT_FIELD[endpoint]))
    response = provider_post(client, webhook_url(webhook, endpoint), raw, provider=provider)
    path = path.format(field=TEXT_FIELD[endpoint])
    assert_webhook_error(response, 400, code="unpaired_surrogate", field=path)
    stored = stored_refusal(response)
    assert (stored.reason_code, stored.endpoint, list(stored.errors)) == ("unpaired_surrogate", endpoint[:-1], [path])
    assert stored.raw_body == raw


@pytest.mark.parametrize(("place", "fragment", "path"), SURROGATE_PLACES, ids=[place[0] for place in SURROGATE_PLACES])
def test_an_unpaired_surrogate_in_a_partner_body_is_400_naming_its_path(partner, place, fragment, path):
    workspace, client, lead = partner
    for method, url, body, _ in partner_bodies(lead, make_conversion(lead=lead, workspace=workspace)):
        raw = with_fragment(body, fragment.format(field="notes"))
        response = getattr(client, method)(url, data=raw, content_type="application/json")
        assert_error(response, 400, code="parse_error", field=path.format(field="notes"))


def test_a_surrogate_pair_is_one_character_and_accepted(client, webhook, provider):
    raw = with_fragment(WEBHOOK_BODIES["leads"][0], '"notes": "\\ud83d\\ude00"')
    response = provider_post(client, webhook_url(webhook, "leads"), raw, provider=provider)
    assert response.status_code == 201, response.content


# --- signatures and dates that overflow -------------------------------------------------------------------


@pytest.mark.parametrize("timestamp", ["²", "1" * 400, "9" * 5000], ids=["superscript-two", "400-digits", "5000-digits"])
@pytest.mark.parametrize("endpoint", sorted(WEBHOOK_BODIES))
def test_a_signature_timestamp_that_is_no_number_is_401_naming_the_header_and_stored(
    client, provider, endpoint, timestamp
):
    from leadhub.testing import make_webhook, unique_id

    signed = make_webhook(unique_id("wh"), secret_key="hostile-secret")
    response = provider_post(client, webhook_url(signed, endpoint), json.dumps(WEBHOOK_BODIES[endpoint][0]),
                             provider=provider, headers={"X-Leadhub-Signature": f"t={timestamp},v1=00"})
    body = assert_webhook_error(response, 401, code="signature_malformed")
    assert "X-Leadhub-Signature" in body["message"]
    assert stored_refusal(response).reason_code == "signature_malformed"


OUT_OF_RANGE = ["9999-12-31T23:00:00-05:00", "0001-01-01T01:00:00+05:00"]


@pytest.mark.parametrize("scheduled_at", OUT_OF_RANGE)
def test_a_scheduled_at_outside_the_date_range_is_422_naming_it_on_every_door(
    client, webhook, provider, partner, scheduled_at
):
    response = provider_post(client, webhook_url(webhook, "appointments"),
                             json.dumps({**WEBHOOK_BODIES["appointments"][0], "scheduled_at": scheduled_at}),
                             provider=provider)
    assert_webhook_error(response, 422, code="validation", field="scheduled_at")
    assert stored_refusal(response).errors.keys() == {"scheduled_at"}
    workspace, partner_client, lead = partner
    response = partner_client.post("/api/v1/appointments/", {"lead_id": lead.pk, "scheduled_at": scheduled_at})
    assert_error(response, 422, code="validation", field="scheduled_at")
    appointment = make_appointment(lead=lead, matched_workspace=workspace)
    response = partner_client.patch(f"/api/v1/appointments/{appointment.pk}/", {"scheduled_at": scheduled_at})
    assert_error(response, 422, code="validation", field="scheduled_at")


@pytest.mark.parametrize("lead_ids", ["²", "1" * 5000, ["١"], [" 1" * 3000]], ids=["superscript", "5000-digits",
                                                                                  "arabic-indic", "long-list-text"])
def test_lead_ids_that_are_no_whole_numbers_are_422_naming_the_field(client, webhook, provider, partner, lead_ids):
    response = provider_post(client, webhook_url(webhook, "appointments"),
                             json.dumps({**WEBHOOK_BODIES["appointments"][0], "lead_ids": lead_ids}), provider=provider)
    assert_webhook_error(response, 422, code="validation", field="lead_ids")
    _, partner_client, lead = partner
    response = partner_client.post("/api/v1/appointments/", {"lead_id": lead.pk, "scheduled_at": "2030-12-01T15:00:00Z",
                                                             "lead_ids": lead_ids})
    assert_error(response, 422, code="validation", field="lead_ids")


# --- query parameters: cursors, page sizes, analytics dates ---------------------------------------------------


def cursor(text: str) -> str:
    """A cursor as DRF encodes one (base64 of a query string), with any content."""
    return base64.b64encode(text.encode()).decode()


def lists_with_one_row(workspace, lead):
    """Every partner list (url → its position is an id or a time), each holding a row, so a
    cursor's position reaches the database."""
    make_appointment(lead=lead, matched_workspace=workspace)
    make_conversion(lead=lead, workspace=workspace)
    Offer.objects.create(workspace=workspace, products=["solar"], zip_codes=["94105"])
    from workspaces.delivery import outbox_emit

    outbox_emit(workspace=workspace, event_type="lead.assigned", data={"lead_id": lead.pk}, contact_id=lead.contact_id,
                subject_type="lead", subject_id=lead.pk)
    return {"/api/v1/leads/": "id", "/api/v1/contacts/": "id", "/api/v1/appointments/": "id", "/api/v1/offers/": "id",
            "/api/v1/conversions/": "time", "/api/v1/workspace/events/": "time"}


EDITED_CURSORS = {
    "id": ["p=abc", "r=1&p=abc", "p=2026-01-01", "p=" + "9" * 5000, "p=99999999999999999999999", "p=1.5", "p=-"],
    "time": ["p=notadate", "r=1&p=notadate", "p=" + "9" * 5000, "p=9999-12-31 23:59:59-05:00", "p=0001-01-01 00:00%2B05:00"],
    "any": ["o=abc", "o=-1", "r=x", "o=" + "9" * 5000, "p=\x00"],
}


def test_an_edited_cursor_is_400_naming_the_cursor_on_every_list(partner):
    workspace, client, lead = partner
    for url, position in lists_with_one_row(workspace, lead).items():
        for text in EDITED_CURSORS[position] + EDITED_CURSORS["any"]:
            response = client.get(url, {"cursor": cursor(text)})
            assert_error(response, 400, code="invalid_request", field="cursor"), (url, text)
        assert_error(client.get(url, {"cursor": "not base64 at all \u00e9"}), 400, field="cursor")


def test_cursors_the_lists_give_out_still_page(partner):
    workspace, client, lead = partner
    lists_with_one_row(workspace, lead)
    other = make_lead(contact=make_contact(webhook_id=lead.contact.webhook_id), workspace=workspace)
    for url in lists_with_one_row(workspace, other):
        first = client.get(url, {"page_size": 1}).json()
        assert first["next_cursor"], (url, first)
        second = client.get(url, {"page_size": 1, "cursor": first["next_cursor"]})
        assert second.status_code == 200 and second.json()["results"], (url, second.content)
        back = client.get(second.json()["previous"])
        assert back.status_code == 200 and back.json()["results"] == first["results"], url


def test_a_cursor_for_another_ordering_is_400(partner):
    """A cursor's position is compared with the ordering's field, which the query string chooses."""
    workspace, client, lead = partner
    response = client.get("/api/v1/leads/", {"ordering": "created_at", "cursor": cursor("p=123")})
    assert_error(response, 400, code="invalid_request", field="cursor")
    response = client.get("/api/v1/leads/", {"ordering": "created_at", "cursor": cursor("p=2026-01-01 10:00:00%2B00:00")})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("page_size", ["²", "1" * 5000, "0", "501", "-1", " 5", "5\x00"])
def test_a_page_size_that_is_no_small_whole_number_is_400_naming_it(partner, page_size):
    _, client, _ = partner
    for url in ("/api/v1/leads/", "/api/v1/workspace/events/", "/api/v1/offers/"):
        assert_error(client.get(url, {"page_size": page_size}), 400, code="invalid_request", field="page_size")


ANALYTICS = ["daily", "funnel", "providers", "workspaces", "geography", "contact-lead-ratio", "appointment-conversion"]


@pytest.mark.parametrize(("query", "fields"), [
    ({"from": "9999-12-01", "to": "9999-12-31"}, {"from", "to"}),
    ({"to": "9999-12-31"}, {"to"}),
    ({"from": "9999-12-31"}, {"from"}),
    ({"to": "0001-01-05"}, {"to"}),
    ({"from": "0001-01-01", "to": "2026-01-01"}, {"from"}),
    ({"from": "1969-12-31", "to": "2026-01-01"}, {"from"}),
], ids=["far-future-range", "far-future-to", "far-future-from", "far-past-to", "far-past-from", "before-1970"])
def test_analytics_dates_outside_the_supported_range_are_400_naming_the_field(partner, query, fields):
    _, client, _ = partner
    for kpi in ANALYTICS:
        body = assert_error(client.get(f"/api/v1/analytics/{kpi}/", query), 400, code="invalid_request")
        assert set(body["errors"]) == fields, (kpi, body)


def test_analytics_dates_inside_the_range_still_answer(partner):
    _, client, _ = partner
    for kpi in ANALYTICS:
        response = client.get(f"/api/v1/analytics/{kpi}/", {"from": "1970-01-01", "to": "2099-12-31"})
        assert response.status_code == 200, (kpi, response.content)
