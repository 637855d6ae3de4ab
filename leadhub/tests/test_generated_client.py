"""A partner's generated client works: `openapi-python-client` builds one from the live schema, every
module of it imports, and one partner flow runs through it against a live server.

The generator runs offline (no post hooks, no network). Every response model the flow parses must
have no `additional_properties`: a field the server returns but the schema does not declare would
land there, so this also proves the responses are documented in full.
"""
import importlib
import json
import pkgutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from leadhub.testing import make_lead, make_workspace
from workspaces.delivery import outbox_emit
from workspaces.models import Scope
from workspaces.services import workspace_key_rotate

PACKAGE = "leadhub_api_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def generated_client(live_server, tmp_path_factory, django_db_setup, django_db_blocker):
    """The client package generated from `/api/schema/` of the running server, importable."""
    out = tmp_path_factory.mktemp("client")
    # Module-scoped, so outside any test's database access; the schema view's middleware may query.
    with django_db_blocker.unblock(), urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json") as response:
        (out / "schema.json").write_bytes(response.read())
    (out / "config.json").write_text(json.dumps({"post_hooks": [], "package_name_override": PACKAGE}))
    done = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(out / "schema.json"), "--config", str(out / "config.json"),
         "--meta", "none", "--output-path", str(out / PACKAGE), "--fail-on-warning"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def undocumented(model) -> dict:
    """Fields of a parsed response (and its nested models) that the schema does not declare."""
    extra = dict(getattr(model, "additional_properties", {}))
    for field in getattr(model, "__attrs_attrs__", ()):
        value = getattr(model, field.name)
        for item in value if isinstance(value, list) else [value]:
            if hasattr(item, "__attrs_attrs__"):
                extra.update(undocumented(item))
    return extra


def parsed(response, status):
    assert response.status_code == status, response.content
    assert undocumented(response.parsed) == {}, "returned but not in the schema"
    return response.parsed


def test_every_module_of_the_generated_client_imports(generated_client):
    failed = {}
    for module in pkgutil.walk_packages(generated_client.__path__, f"{PACKAGE}."):
        try:
            importlib.import_module(module.name)
        except Exception as exc:  # noqa: BLE001 - report every module that fails, not the first
            failed[module.name] = repr(exc)
    assert failed == {}
    assert {"webhooks", "leads", "conversions", "events"} <= {
        module.name for module in pkgutil.iter_modules(importlib.import_module(f"{PACKAGE}.api").__path__)
    }


def test_a_partner_flow_through_the_generated_client(generated_client, live_server):
    from leadhub_api_client import AuthenticatedClient
    from leadhub_api_client.api.conversions import conversions_create
    from leadhub_api_client.api.events import workspace_events_list
    from leadhub_api_client.api.leads import leads_activities_create, leads_list, leads_partial_update, leads_retrieve
    from leadhub_api_client.models import (
        ActivityTypeEnum,
        ConversionCreateRequest,
        ConversionTypeEnum,
        PartnerActivityRequest,
        PartnerLeadPatchWorkspaceStatusEnum,
        PatchedPartnerLeadPatchRequest,
    )

    workspace = make_workspace(workspace_id="ws-client-flow", permissions=Scope.values, webhook_active=True,
                               outbound_webhook_url="https://partner.example/hooks/leadhub")
    leads = [make_lead(workspace=workspace, workspace_status="assigned") for _ in range(2)]
    for lead in leads:
        outbox_emit(workspace=workspace, event_type="lead.assigned", data={"lead_id": lead.pk},
                    contact_id=lead.contact_id, subject_type="lead", subject_id=lead.pk)
    client = AuthenticatedClient(base_url=live_server.url, token=workspace_key_rotate(workspace=workspace))

    page = parsed(leads_list.sync_detailed(client=client), 200)
    assert {row.id for row in page.results} == {lead.pk for lead in leads}
    lead_id = leads[0].pk
    assert parsed(leads_retrieve.sync_detailed(lead_id, client=client), 200).email == leads[0].email

    status = PartnerLeadPatchWorkspaceStatusEnum.ACCEPTED
    patched = parsed(leads_partial_update.sync_detailed(
        lead_id, client=client, body=PatchedPartnerLeadPatchRequest(workspace_status=status, reason="Called back"),
    ), 200)
    assert patched.workspace_status.value == "accepted"

    activity = parsed(leads_activities_create.sync_detailed(
        lead_id, client=client, body=PartnerActivityRequest(activity_type=ActivityTypeEnum.CALL, title="First call"),
    ), 201)
    assert activity.title == "First call" and activity.id

    conversion = ConversionCreateRequest(lead_id=lead_id, conversion_type=ConversionTypeEnum.SALE,
                                         conversion_value="1200.00")
    first = parsed(conversions_create.sync_detailed(client=client, body=conversion, idempotency_key="sale-1"), 201)
    replay = parsed(conversions_create.sync_detailed(client=client, body=conversion, idempotency_key="sale-1"), 200)
    assert replay.id == first.id

    seen, cursor = [], None
    while True:
        kwargs = {"cursor": cursor} if cursor else {}
        page = parsed(workspace_events_list.sync_detailed(client=client, page_size=1, **kwargs), 200)
        seen += [event.id for event in page.results]
        if not page.next_:
            break
        cursor = parse_qs(urlparse(page.next_).query)["cursor"][0]
    assert len(seen) == len(set(seen)) >= 4  # two assignments, the status change, the conversion
