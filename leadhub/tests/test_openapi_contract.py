"""The OpenAPI document is one a client generator and a partner can rely on."""
import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from leadhub.testing.api import workspace_with_key
from leadhub.testing import make_lead

PROVIDER_WEBHOOKS = ("/api/v1/webhooks/{webhook_id}/leads/", "/api/v1/webhooks/{webhook_id}/appointments/")
# Notes for developers, not partners: dotted module paths and "clean_lead's job" (quoted names
# such as `lead.assigned` are API values, and "e.g." is prose).
INTERNAL_NOTE = re.compile(r"\b[a-z_]+\.[a-z_]+\b|'s job\b|\bissue \d+")
QUOTED = re.compile(r"`[^`]*`|e\.g\.")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def texts(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                yield value
            else:
                yield from texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from texts(value)


def component(schema, ref):
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_request_bodies_are_json_on_the_partner_api_and_json_or_form_on_the_webhooks(schema):
    media = {(path, method): list(op["requestBody"]["content"]) for path, method, op in operations(schema)
             if "requestBody" in op}
    assert media, "no operation has a body"
    for (path, method), types in media.items():
        expected = ["application/json", "application/x-www-form-urlencoded"] if path in PROVIDER_WEBHOOKS \
            else ["application/json"]
        assert types == expected, (method, path)


def test_request_components_carry_no_read_only_fields(schema):
    body = schema["paths"]["/api/v1/leads/{id}/activities/"]["post"]["requestBody"]["content"]["application/json"]
    activity = component(schema, body["schema"]["$ref"])
    assert not {"id", "created_by", "created_at"} & set(activity["properties"])
    assert activity["required"] == ["activity_type"]


def test_path_ids_are_typed_as_the_primary_keys(schema):
    types = {path: next(p["schema"] for p in item[next(iter(item))]["parameters"] if p["name"] == "id")
             for path, item in schema["paths"].items() if "{id}" in path}
    for path in ("/api/v1/leads/{id}/", "/api/v1/contacts/{id}/", "/api/v1/appointments/{id}/"):
        assert types[path]["type"] == "integer", path
    assert types["/api/v1/conversions/{id}/"] == {"type": "string", "format": "uuid"}


def test_session_auth_is_documented_as_staff_only_and_there_is_no_token_auth(schema):
    schemes = schema["components"]["securitySchemes"]
    assert set(schemes) == {"workspaceKey", "staffSession", "providerId", "providerKey"}
    assert schemes["staffSession"]["description"].startswith("Staff only")


def test_one_tag_per_resource_with_the_provider_webhooks_first(schema):
    declared = [tag["name"] for tag in schema["tags"]]
    assert declared[0] == "webhooks"
    used = {}
    for path, method, operation in operations(schema):
        assert len(operation["tags"]) == 1 and operation["tags"][0] in declared, (method, path)
        used.setdefault(operation["tags"][0], set()).add(path)
    assert set(used) == set(declared)
    assert used["webhooks"] == set(PROVIDER_WEBHOOKS)
    assert all(path.startswith("/api/v1/workspace/events/") for path in used["events"])


def test_descriptions_hold_no_internal_notes(schema):
    notes = sorted({text for text in texts(schema) if INTERNAL_NOTE.search(QUOTED.sub("", text))})
    assert notes == []


def test_an_edited_appointment_documents_its_warnings(schema):
    response = schema["paths"]["/api/v1/appointments/{id}/"]["patch"]["responses"]["200"]
    body = component(schema, response["content"]["application/json"]["schema"]["$ref"])
    assert "warnings" in body["properties"]


@pytest.mark.django_db
def test_the_partner_api_takes_the_json_it_documents_and_refuses_forms():
    workspace, client = workspace_with_key()
    lead = make_lead(workspace=workspace, workspace_status="assigned")
    url = f"/api/v1/leads/{lead.pk}/activities/"
    assert client.post(url, {"activity_type": "note", "title": "hi"}, format="json").status_code == 201
    form = client.post(url, {"activity_type": "note", "title": "hi"}, format="multipart")
    assert form.status_code == 415
    assert "multipart/form-data" in form.content.decode()  # names what was sent
