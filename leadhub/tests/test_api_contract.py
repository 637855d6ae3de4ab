"""The API contract every provider and partner codes against: one error body, routes with and
without the trailing slash, JSON sent as a form, strict partner inputs, ordering and pages."""
import json
import re
import uuid

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from leadhub.testing.api import workspace_with_key
from leadhub.testing import assert_error, assert_webhook_error, make_lead, make_workspace, provider_post
from leads.models import Lead

pytestmark = pytest.mark.django_db

LEAD = {
    "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "(415) 555-0132",
    "consent": {"description": "Yes, call me.", "value": True}, "tcpa_compliance": True,
}


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def crash_client():
    """A client that receives the 500 answer instead of the exception (as a real client would)."""
    return Client(raise_request_exception=False)


# --- one error body, whatever answers -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/leads/abc/", "/api/v1/webhooks/x/leads/y/", "/api/nope"])
def test_unknown_api_route_is_the_json_404_in_every_mode(debug, path):
    for method in ("get", "post", "delete"):
        assert_error(getattr(Client(), method)(path), 404, code="not_found")


def test_wrong_method_is_the_json_405_in_every_mode(debug, webhook):
    _, client = workspace_with_key()
    body = assert_error(client.delete("/api/v1/leads/"), 405, code="method_not_allowed")
    assert "DELETE" in body["message"]
    assert_error(Client().get(f"/api/v1/webhooks/{webhook.webhook_id}/leads/"), 405, code="method_not_allowed")


def test_a_crash_under_api_is_the_json_500_in_every_mode(debug, monkeypatch):
    def crash(*, workspace_id):
        raise RuntimeError("boom")

    monkeypatch.setattr("workspaces.api.authentication.workspace_activity_touch", crash)
    workspace = make_workspace()
    from workspaces.services import workspace_key_rotate

    key = workspace_key_rotate(workspace=workspace)
    response = crash_client().get("/api/v1/leads/", headers={"Authorization": f"Bearer {key}"})
    body = assert_error(response, 500, code="server_error")
    assert "boom" not in json.dumps(body)


def test_authentication_and_throttling_answer_the_error_body():
    assert_error(Client().get("/api/v1/leads/"), 401, code="not_authenticated")
    assert_error(Client().get("/api/v1/leads/", headers={"Authorization": "Bearer nope"}), 401,
                 code="authentication_failed")
    workspace, client = workspace_with_key(metadata={"api_rate": "1/min"})
    client.get("/api/v1/workspace/")
    response = client.get("/api/v1/workspace/")
    assert_error(response, 429, code="throttled")
    assert int(response["Retry-After"]) >= 1


def test_the_admin_keeps_its_html_pages(debug, admin_client):
    response = admin_client.get("/admin/leads/nope/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_service_refusals_map_to_409_and_422_in_the_error_body():
    workspace, client = workspace_with_key()
    lead_body = {**LEAD, "lead_type": "solar", "id": 7_100_123}
    assert client.post("/api/v1/leads/", lead_body, format="json").status_code == 201
    assert_error(client.post("/api/v1/leads/", {**lead_body, "first_name": "Eve"}, format="json"), 409,
                 code="conflict", field="first_name")
    assert_error(client.post("/api/v1/leads/", {**lead_body, "id": None, "email": "nope"}, format="json"), 422,
                 code="validation", field="email")


# --- nothing lost at the door: every route with and without the slash ----------------------------


def _api_operations():
    """(path with sample values, method) for every operation in the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            sample = path
            for parameter in operation.get("parameters", ()):
                if parameter["in"] == "path":
                    value = str(uuid.uuid4()) if parameter["schema"].get("format") == "uuid" else "999999"
                    sample = sample.replace("{" + parameter["name"] + "}", value)
            assert not re.search(r"{\w+}", sample), sample
            yield sample, method


def test_every_api_route_answers_the_same_without_its_trailing_slash(debug, admin_client):
    operations = list(_api_operations())
    assert len(operations) > 20
    for path, method in operations:
        if not path.startswith("/api/v1/"):
            continue
        assert path.endswith("/"), path
        with_slash = getattr(admin_client, method)(path, {}, content_type="application/json")
        without = getattr(admin_client, method)(path[:-1], {}, content_type="application/json")
        assert without.status_code == with_slash.status_code, (method, path, without.status_code)
        assert without.status_code != 301, (method, path)
        if without.status_code >= 400:
            assert_error(without, without.status_code)


def test_webhook_post_without_the_trailing_slash_creates_the_lead(debug, webhook, provider):
    response = provider_post(crash_client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads", json.dumps(LEAD),
                             provider=provider)
    assert response.status_code == 201, response.content
    assert Lead.objects.filter(pk=response.json()["lead_id"], webhook_id=webhook.webhook_id).exists()


def test_json_sent_with_the_form_content_type_is_a_400_saying_to_send_json(webhook, provider):
    form = "application/x-www-form-urlencoded"  # curl's default for -d
    response = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/", json.dumps(LEAD),
                             provider=provider, content_type=form)
    body = assert_webhook_error(response, 400, code="json_sent_as_form")
    assert "Content-Type: application/json" in body["message"]
    assert not Lead.objects.exists()

    _, client = workspace_with_key()
    response = client.post("/api/v1/leads/", json.dumps({**LEAD, "lead_type": "solar"}), content_type=form)
    body = assert_error(response, 400, code="json_sent_as_form")
    assert "Content-Type: application/json" in body["message"]
    # A real form still works.
    response = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/",
                             "first_name=Ada&last_name=L&phone=4155550132&email=a%40example.com",
                             provider=provider, content_type=form)
    assert response.status_code == 201, response.content


# --- the webhook answer tells the provider what happened ------------------------------------------


def test_webhook_answer_has_the_disposition_and_never_names_a_buyer(webhook, provider):
    buyer = make_workspace()
    webhook.distribution_strategy = "priority"
    webhook.save()
    response = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/", json.dumps(LEAD),
                             provider=provider)
    body = response.json()
    assert set(body) == {"outcome", "reason", "lead_id", "external_id", "contact_id", "contact_status", "disposition"}
    assert (body["outcome"], body["reason"]) == ("success", None)
    assert body["disposition"] == {"held_for_consent": False, "held_reason": None, "holds": [],
                                   "ignored_fields": [], "dropped_fields": [], "invalid_evidence": [],
                                   "unknown_fields": [], "cleaned_fields": [], "duplicate_of": None,
                                   "sold": False, "price": None}
    assert buyer.pk not in response.content.decode()


def test_webhook_answer_says_when_the_lead_is_held_for_consent(webhook, provider):
    response = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/",
                             json.dumps({**LEAD, "tcpa_compliance": False}), provider=provider)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "success" and body["disposition"]["held_for_consent"] is True
    assert "tcpa_compliance" in body["disposition"]["held_reason"]
    assert body["reason"] == body["disposition"]["held_reason"]
    assert body["disposition"]["holds"] == [{"reason": "consent", "message": body["disposition"]["held_reason"]}]
    assert Lead.objects.get(pk=body["lead_id"]).held_for_consent
    replay = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/",
                           json.dumps({**LEAD, "tcpa_compliance": False, "external_id": "H-1"}), provider=provider)
    again = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/",
                          json.dumps({**LEAD, "tcpa_compliance": False, "external_id": "H-1"}), provider=provider)
    assert again.json()["disposition"]["holds"] == replay.json()["disposition"]["holds"] != []


def test_webhook_keeps_unknown_fields_in_the_raw_payload(webhook, provider):
    response = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/",
                             json.dumps({**LEAD, "favourite_colour": "teal"}), provider=provider)
    assert response.status_code == 201, response.content
    assert Lead.objects.get(pk=response.json()["lead_id"]).raw_payload["favourite_colour"] == "teal"


# --- strict, documented inputs on the partner API -------------------------------------------------

PARTNER_GETS = [
    "/api/v1/leads/", "/api/v1/contacts/", "/api/v1/appointments/", "/api/v1/conversions/",
    "/api/v1/workspace/", "/api/v1/workspace/events/", "/api/v1/analytics/funnel/",
]


@pytest.mark.parametrize("url", PARTNER_GETS)
def test_unknown_query_parameters_are_a_400_naming_them(url):
    _, client = workspace_with_key()
    body = assert_error(client.get(url, {"created_after": "2026-01-01", "colour": "teal"}), 400,
                        code="invalid_request", field="created_after")
    assert "colour" in body["errors"]


@pytest.mark.parametrize("method, url, body", [
    ("post", "/api/v1/workspace/webhook/", {"webhook_active": False, "webhook_url": "https://x.example"}),
    ("post", "/api/v1/workspace/webhook/redeliver/", {"event_ids": []}),
    ("post", "/api/v1/appointments/", {"lead_id": 1, "scheduled_at": "2026-12-01T09:00:00Z", "colour": "teal"}),
    ("post", "/api/v1/conversions/", {"lead_id": 1, "conversion_type": "sale", "conversion_value": "1", "colour": 1}),
])
def test_unknown_body_fields_are_a_400_naming_them(method, url, body):
    _, client = workspace_with_key()
    unknown = (set(body) - {"lead_id", "scheduled_at", "conversion_type", "conversion_value", "webhook_active"}).pop()
    assert_error(getattr(client, method)(url, body, format="json"), 400, code="invalid_request", field=unknown)


def test_ordering_page_size_and_next_cursor():
    workspace, client = workspace_with_key()
    leads = [make_lead(workspace=workspace, workspace_status="assigned") for _ in range(3)]
    ids = [lead.pk for lead in leads]

    def page(**params):
        response = client.get("/api/v1/leads/", params)
        assert response.status_code == 200, response.content
        return response.json()

    assert [row["id"] for row in page()["results"]] == ids[::-1]
    assert [row["id"] for row in page(ordering="id")["results"]] == ids
    assert [row["id"] for row in page(ordering="-created_at")["results"]] == ids[::-1]
    first = page(ordering="id", page_size=2)
    assert first["next_cursor"] and f"cursor={first['next_cursor']}" in first["next"].replace("%3D", "=")
    second = page(ordering="id", page_size=2, cursor=first["next_cursor"])
    assert [row["id"] for row in second["results"]] == ids[2:] and second["next_cursor"] is None
    assert_error(client.get("/api/v1/leads/", {"ordering": "email"}), 400, field="ordering")
    for bad in ("0", "501", "lots"):
        assert_error(client.get("/api/v1/leads/", {"page_size": bad}), 400, field="page_size")
    assert_error(client.get("/api/v1/workspace/", {"ordering": "id"}), 400, field="ordering")


def test_staff_only_filters_and_workspace_stay_accepted(admin_client):
    workspace = make_workspace()
    response = admin_client.get("/api/v1/leads/", {"workspace": workspace.pk, "created_at_after": "2026-01-01T00:00Z"})
    assert response.status_code == 200, response.content


# --- the schema documents the error body once ------------------------------------------------------


def test_schema_refers_every_error_response_to_the_one_error_component():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) >= {"code", "message", "errors", "request_id"}
    seen = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if not status.startswith(("4", "5")):
                    continue
                assert "content" in response, (method, path, status, response)
                text = json.dumps(response["content"]["application/json"]["schema"])
                assert '"#/components/schemas/Error"' in text, (method, path, status)
                seen += 1
    assert seen > 100
    leads = schema["paths"]["/api/v1/leads/"]["get"]["parameters"]
    page_size = next(p for p in leads if p["name"] == "page_size")
    assert page_size["schema"]["maximum"] == 500
    ordering = next(p for p in leads if p["name"] == "ordering")
    assert "-created_at" in ordering["schema"]["enum"]
    page = schema["components"]["schemas"]["PaginatedPartnerLeadList"]
    assert "next_cursor" in page["properties"]
