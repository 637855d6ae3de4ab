"""Workspace API keys: issue, rotate, hashed storage, and how the partner API authenticates."""
import io
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from leadhub.testing.api import workspace_with_key
from leadhub.keys import key_digest
from leadhub.testing import assert_error, make_lead, make_workspace
from workspaces.models import Scope, Workspace
from workspaces.services import workspace_key_rotate

pytestmark = pytest.mark.django_db


def client_with(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


def test_key_is_prefixed_high_entropy_and_stored_only_as_digest():
    workspace = make_workspace()
    raw_key = workspace_key_rotate(workspace=workspace)
    assert raw_key.startswith("lh_live_") and len(raw_key) >= 40
    workspace.refresh_from_db()
    assert workspace.api_key == key_digest(raw_key) != raw_key
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert raw_key not in dump.getvalue()
    assert raw_key[len("lh_live_"):] not in dump.getvalue()


def test_rotation_without_grace_invalidates_the_old_key():
    workspace = make_workspace(permissions=Scope.values)
    old_key = workspace_key_rotate(workspace=workspace)
    new_key = workspace_key_rotate(workspace=workspace, grace=timedelta(0))
    assert client_with(f"Bearer {old_key}").get("/api/v1/leads/").status_code == 401
    assert client_with(f"Bearer {new_key}").get("/api/v1/leads/").status_code == 200


@pytest.mark.parametrize("scheme", ["Bearer", "Api-Key", "bearer"])
def test_both_header_forms_are_accepted(scheme):
    workspace = make_workspace(permissions=Scope.values)
    raw_key = workspace_key_rotate(workspace=workspace)
    assert client_with(f"{scheme} {raw_key}").get("/api/v1/workspace/").json()["id"] == workspace.pk


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer lh_live_wrong", "Bearer a b", "Token lh_live_x", "Basic Zm9vOmJhcg=="]
)
def test_missing_or_wrong_key_is_401(header):
    workspace_with_key()
    client = APIClient() if header is None else client_with(header)
    response = client.get("/api/v1/leads/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_inactive_workspace_is_401():
    workspace, client = workspace_with_key()
    Workspace.objects.filter(pk=workspace.pk).update(is_active=False)
    body = assert_error(client.get("/api/v1/leads/"), 401, code="authentication_failed")
    assert "inactive" in body["message"]


@pytest.mark.parametrize(
    "method, url, body, scope",
    [
        ("get", "/api/v1/leads/", None, "leads:read"),
        ("get", "/api/v1/leads/{pk}/", None, "leads:read"),
        ("get", "/api/v1/leads/{pk}/timeline/", None, "leads:read"),
        ("get", "/api/v1/leads/{pk}/activities/", None, "leads:read"),
        ("post", "/api/v1/leads/{pk}/activities/", {"activity_type": "note"}, "leads:write"),
        ("patch", "/api/v1/leads/{pk}/", {"notes": "x"}, "leads:write"),
        ("post", "/api/v1/leads/", {"lead_type": "solar"}, "leads:write"),
        ("get", "/api/v1/contacts/", None, "contacts:read"),
        ("get", "/api/v1/contacts/{contact}/", None, "contacts:read"),
        ("post", "/api/v1/workspace/webhook/", {"webhook_active": False}, "leads:write"),
    ],
)
def test_each_endpoint_names_its_missing_scope(method, url, body, scope):
    workspace, client = workspace_with_key(scopes=[s for s in Scope.values if s != scope])
    lead = make_lead(workspace=workspace, workspace_status="assigned")
    response = getattr(client, method)(url.format(pk=lead.pk, contact=lead.contact_id), body, format="json")
    body = assert_error(response, 403, code="permission_denied")
    assert body["missing_scope"] == scope
    assert scope in body["message"]


def test_profile_needs_no_scope():
    workspace, client = workspace_with_key(scopes=[])
    assert client.get("/api/v1/workspace/").status_code == 200


def test_last_activity_is_stamped_at_most_once_a_minute(query_baseline, frozen_clock):
    workspace, client = workspace_with_key()
    assert workspace.last_activity_at is None
    client.get("/api/v1/workspace/")
    workspace.refresh_from_db()
    first = workspace.last_activity_at
    assert first == frozen_clock.at
    with query_baseline("partner-workspace"):  # key lookup + the profile; no activity write
        client.get("/api/v1/workspace/")
    workspace.refresh_from_db()
    assert workspace.last_activity_at == first
    frozen_clock.shift(timedelta(minutes=1))
    cache.delete(f"workspace-activity:{workspace.pk}")  # the minute has passed (a Redis key expires on its own clock)
    client.get("/api/v1/workspace/")
    workspace.refresh_from_db()
    assert workspace.last_activity_at > first


def test_throttle_is_per_workspace_and_answers_429_with_retry_after():
    busy, busy_client = workspace_with_key(metadata={"api_rate": "3/min"})
    calm, calm_client = workspace_with_key(metadata={"api_rate": "3/min"})
    statuses = [busy_client.get("/api/v1/workspace/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = busy_client.get("/api/v1/workspace/")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    assert calm_client.get("/api/v1/workspace/").status_code == 200


@override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {"workspace": "2/hour"}})
def test_default_rate_comes_from_settings():
    workspace, client = workspace_with_key()
    assert [client.get("/api/v1/workspace/").status_code for _ in range(3)] == [200, 200, 429]


def test_management_command_rotates_and_prints_key_last():
    workspace, old_client = workspace_with_key()
    out = io.StringIO()
    call_command("workspace_key", workspace.pk, "--grace", "0", stdout=out)
    raw_key = out.getvalue().strip().splitlines()[-1]
    assert raw_key.startswith("lh_live_") and "no longer works" in out.getvalue()
    assert old_client.get("/api/v1/workspace/").status_code == 401
    assert client_with(f"Bearer {raw_key}").get("/api/v1/workspace/").status_code == 200


def test_management_command_refuses_unknown_workspace():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no-such"):
        call_command("workspace_key", "no-such", stdout=io.StringIO())


def test_admin_action_rotates_and_shows_the_key_once(admin_client):
    workspace, old_client = workspace_with_key()
    response = admin_client.post(
        "/admin/workspaces/workspace/",
        {"action": "rotate_api_key", "_selected_action": [workspace.pk], "post": "yes", "grace_hours": "0",
         "confirm": "on"},
    )
    ((_what, raw_key),) = response.context["issued"]
    assert raw_key.startswith("lh_live_") and raw_key in response.content.decode()
    assert client_with(f"Bearer {raw_key}").get("/api/v1/workspace/").status_code == 200
    assert old_client.get("/api/v1/workspace/").status_code == 401
    assert admin_client.get("/admin/workspaces/workspace/").content.count(raw_key.encode()) == 0
    assert site.is_registered(Workspace)


def test_unknown_scope_is_refused_by_model_validation():
    from django.core.exceptions import ValidationError

    workspace = make_workspace()
    workspace.permissions = ["leads:read", "leads:delete"]
    with pytest.raises(ValidationError, match="leads:delete"):
        workspace.full_clean()


def test_staff_session_works_across_workspaces_and_token_auth_is_gone(django_user_model):
    staff = django_user_model.objects.create_user("ops", is_staff=True, is_superuser=True)
    workspace, _ = workspace_with_key()
    lead = make_lead(workspace=workspace, workspace_status="assigned")
    client = APIClient()
    client.force_login(staff)
    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 200
    assert_error(client.get("/api/v1/workspace/"), 400, field="workspace")  # staff must name the workspace
    assert client.get("/api/v1/workspace/", {"workspace": workspace.pk}).json()["id"] == workspace.pk
    assert client_with("Token 0123456789abcdef").get("/api/v1/leads/").status_code == 401


# --- rotation with a grace period -----------------------------------------------------------------


def test_during_the_grace_both_keys_work_and_after_it_only_the_new_one():
    workspace = make_workspace(permissions=Scope.values)
    old_key = workspace_key_rotate(workspace=workspace)
    new_key = workspace_key_rotate(workspace=workspace, grace=timedelta(hours=2))
    assert client_with(f"Bearer {old_key}").get("/api/v1/workspace/").status_code == 200
    assert client_with(f"Bearer {new_key}").get("/api/v1/workspace/").status_code == 200
    Workspace.objects.filter(pk=workspace.pk).update(api_key_previous_expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(client_with(f"Bearer {old_key}").get("/api/v1/workspace/"), 401, code="authentication_failed")
    assert client_with(f"Bearer {new_key}").get("/api/v1/workspace/").status_code == 200


def test_the_default_grace_is_24_hours_and_a_second_rotation_ends_the_previous_key_at_once():
    workspace = make_workspace(permissions=Scope.values)
    first = workspace_key_rotate(workspace=workspace)
    before = timezone.now()
    second = workspace_key_rotate(workspace=workspace)
    workspace.refresh_from_db()
    assert timedelta(hours=24) <= workspace.api_key_previous_expires_at - before < timedelta(hours=24, minutes=1)
    third = workspace_key_rotate(workspace=workspace)
    assert client_with(f"Bearer {first}").get("/api/v1/workspace/").status_code == 401
    assert client_with(f"Bearer {second}").get("/api/v1/workspace/").status_code == 200
    assert client_with(f"Bearer {third}").get("/api/v1/workspace/").status_code == 200


def test_management_command_grace_keeps_the_old_key_for_that_long():
    workspace, old_client = workspace_with_key()
    out = io.StringIO()
    call_command("workspace_key", workspace.pk, "--grace", "90m", stdout=out)
    raw_key = out.getvalue().strip().splitlines()[-1]
    assert "keeps working until" in out.getvalue()
    workspace.refresh_from_db()
    assert timedelta(minutes=89) < workspace.api_key_previous_expires_at - timezone.now() <= timedelta(minutes=90)
    assert old_client.get("/api/v1/workspace/").status_code == 200
    assert client_with(f"Bearer {raw_key}").get("/api/v1/workspace/").status_code == 200
    with pytest.raises(CommandError):
        call_command("workspace_key", workspace.pk, "--grace", "soon", stdout=io.StringIO())


def test_admin_rotation_asks_for_the_grace_and_a_confirmation_first(admin_client):
    workspace, old_client = workspace_with_key()
    key_before = Workspace.objects.get(pk=workspace.pk).api_key
    url = "/admin/workspaces/workspace/"
    selection = {"action": "rotate_api_key", "_selected_action": [workspace.pk]}
    page = admin_client.post(url, selection)
    assert page.status_code == 200 and b"grace_hours" in page.content and b'name="confirm"' in page.content
    unconfirmed = admin_client.post(url, {**selection, "post": "yes", "grace_hours": "24"})
    assert unconfirmed.status_code == 200 and unconfirmed.context["form"].errors["confirm"]
    assert Workspace.objects.get(pk=workspace.pk).api_key == key_before
    response = admin_client.post(url, {**selection, "post": "yes", "grace_hours": "24", "confirm": "on"})
    ((what, raw_key),) = response.context["issued"]
    assert "keeps working until" in what
    assert old_client.get("/api/v1/workspace/").status_code == 200
    assert client_with(f"Bearer {raw_key}").get("/api/v1/workspace/").status_code == 200


def test_every_scope_an_endpoint_requires_is_a_defined_scope():
    def views(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns)
            elif view := getattr(pattern.callback, "cls", None):
                yield view

    required = {
        (view.__name__, scope)
        for view in views(get_resolver().url_patterns)
        for scope in getattr(view, "required_scopes", {}).values()
    }

    assert required and {(name, scope) for name, scope in required if scope not in {*Scope.values, None}} == set()
