"""Staff on the partner API act by Django permission: every partner route, every role.

The matrix names each partner route (the isolation suites' list) with the requests it serves
and the kind of permission each needs; a route missing here fails the coverage test, so a new
endpoint cannot ship without deciding what staff may do with it. The same walk with a workspace
key checks that no partner answer, whoever asks, may be kept by a cache.
"""
import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from billing.models import Statement
from billing.periods import period_parse
from distribution.models import Offer
from leadhub.roles import OPERATIONS, READ_ONLY_ANALYST
from leadhub.testing.api import key_client, partner_route_names
from leadhub.testing import make_appointment, make_conversion, make_lead, make_workspace
from workspaces.models import DeliveryStatus, EventType, OutboundEvent, Workspace

pytestmark = pytest.mark.django_db

VIEW, WRITE, SECRETS = "view", "write", "secrets"
ANALYTICS = ("contact-lead-ratio", "appointment-conversion", "providers", "workspaces", "geography", "daily", "funnel",
             "buyers", "webhooks", "compliance", "margin", "return-rate")

# route name -> [(method, url template, body, kind)]; {lead} {appointment} ... are filled per test.
ROUTES = {
    "partner-lead-list": [("get", "/api/v1/leads/", None, VIEW), ("post", "/api/v1/leads/", {}, WRITE)],
    "partner-lead-detail": [
        ("get", "/api/v1/leads/{lead}/", None, VIEW),
        ("patch", "/api/v1/leads/{lead}/", {"notes": "staff note"}, WRITE),
    ],
    "partner-lead-timeline": [("get", "/api/v1/leads/{lead}/timeline/", None, VIEW)],
    "partner-lead-compliance": [("get", "/api/v1/leads/{lead}/compliance/", None, VIEW)],
    "partner-lead-activities": [
        ("get", "/api/v1/leads/{lead}/activities/", None, VIEW),
        ("post", "/api/v1/leads/{lead}/activities/", {"activity_type": "note", "title": "Called"}, WRITE),
    ],
    "partner-contact-list": [("get", "/api/v1/contacts/", None, VIEW)],
    "partner-contact-detail": [("get", "/api/v1/contacts/{contact}/", None, VIEW)],
    "partner-appointment-list": [
        ("get", "/api/v1/appointments/", None, VIEW),
        ("post", "/api/v1/appointments/", {}, WRITE),
    ],
    "partner-appointment-detail": [
        ("get", "/api/v1/appointments/{appointment}/", None, VIEW),
        ("patch", "/api/v1/appointments/{appointment}/", {"notes": "staff note"}, WRITE),
    ],
    "partner-conversion-list": [
        ("get", "/api/v1/conversions/", None, VIEW),
        ("post", "/api/v1/conversions/?workspace={workspace}",
         {"lead_id": "{lead}", "conversion_type": "sale", "conversion_value": "10.00"}, WRITE),
    ],
    "partner-conversion-detail": [
        ("get", "/api/v1/conversions/{conversion}/", None, VIEW),
        ("patch", "/api/v1/conversions/{conversion}/", {"notes": "staff note"}, WRITE),
    ],
    "partner-conversion-void": [("post", "/api/v1/conversions/{conversion}/void/", {"reason": "test"}, WRITE)],
    **{
        f"partner-analytics-{name}": [("get", f"/api/v1/analytics/{name}/", None, VIEW)] for name in ANALYTICS
    },
    "partner-offer-list": [("get", "/api/v1/offers/?workspace={workspace}", None, VIEW)],
    "partner-offer-detail": [("get", "/api/v1/offers/{offer}/?workspace={workspace}", None, VIEW)],
    "partner-offer-pause": [("post", "/api/v1/offers/{offer}/pause/?workspace={workspace}", None, WRITE)],
    "partner-offer-resume": [("post", "/api/v1/offers/{offer}/resume/?workspace={workspace}", None, WRITE)],
    "partner-workspace-sales": [("get", "/api/v1/workspace/sales/", None, VIEW)],
    "partner-workspace-statements": [("get", "/api/v1/workspace/statements/?workspace={workspace}", None, VIEW)],
    "partner-workspace-statement-detail": [
        ("get", "/api/v1/workspace/statements/{period}/?workspace={workspace}", None, VIEW),
    ],
    "partner-suppression-list": [
        ("get", "/api/v1/suppressions/", None, VIEW),
        ("post", "/api/v1/suppressions/?workspace={workspace}", {"phone": "4155550132", "reason": "asked"}, WRITE),
    ],
    "partner-lead-return": [("post", "/api/v1/leads/{lead}/return/?workspace={workspace}", {"reason": "other"},
                             WRITE)],
    "partner-return-list": [("get", "/api/v1/returns/", None, VIEW)],
    "staff-lead-assign": [("post", "/api/v1/leads/{lead}/assign/", {"workspace_id": "{workspace}", "price": "5"},
                           WRITE)],
    "partner-workspace": [("get", "/api/v1/workspace/?workspace={workspace}", None, VIEW)],
    "partner-workspace-webhook": [
        ("post", "/api/v1/workspace/webhook/?workspace={workspace}",
         {"outbound_webhook_url": "https://attacker.example/hook"}, SECRETS),
    ],
    "partner-workspace-webhook-redeliver": [
        ("post", "/api/v1/workspace/webhook/redeliver/?workspace={workspace}", {"event_id": "{event}"}, WRITE),
    ],
    "partner-workspace-webhook-secret": [
        ("post", "/api/v1/workspace/webhook/secret/?workspace={workspace}", None, SECRETS),
    ],
    "partner-workspace-events": [("get", "/api/v1/workspace/events/?workspace={workspace}", None, VIEW)],
    "partner-workspace-balance": [("get", "/api/v1/workspace/balance/?workspace={workspace}", None, VIEW)],
    "partner-workspace-event-detail": [("get", "/api/v1/workspace/events/{event}/", None, VIEW)],
}

ROLES = ("superuser", OPERATIONS, READ_ONLY_ANALYST, "no group")
ALLOWED = {
    "superuser": {VIEW, WRITE, SECRETS},
    OPERATIONS: {VIEW, WRITE, SECRETS},
    READ_ONLY_ANALYST: {VIEW},
    "no group": set(),
}


def test_matrix_names_every_partner_route():
    assert set(ROUTES) == partner_route_names()


def closed_statement(workspace):
    """A month closed at zero: readable whenever the test runs, unlike the running month."""
    march = period_parse("2026-03", workspace.time_zone)
    return Statement.objects.create(party_kind="buyer", party_id=workspace.pk, period_kind="month", period=march.label,
                                    time_zone=workspace.time_zone, starts_at=march.starts_at, ends_at=march.ends_at)


@pytest.fixture
def objects():
    workspace = make_workspace(outbound_webhook_url="https://partner.example/hook", webhook_active=True)
    lead = make_lead(workspace=workspace)
    event = OutboundEvent.objects.create(
        workspace=workspace, event_type=EventType.LEAD_ASSIGNED, target_url="https://partner.example/hook",
        data={"lead_id": lead.pk}, status=DeliveryStatus.FAILED,
    )
    return {
        "workspace": workspace.pk,
        "lead": lead.pk,
        "contact": lead.contact_id,
        "appointment": make_appointment(lead=lead, matched_workspace=workspace).pk,
        "conversion": make_conversion(lead=lead, workspace=workspace).pk,
        "event": event.pk,
        "offer": Offer.objects.create(workspace=workspace, products=["solar"]).pk,
        "period": closed_statement(workspace).period,
    }


def staff_client(django_user_model, role):
    user = django_user_model.objects.create_user(
        f"staff-{role.replace(' ', '-').lower()}", password="x", is_staff=True, is_superuser=role == "superuser"
    )
    if role in (OPERATIONS, READ_ONLY_ANALYST):
        user.groups.add(Group.objects.get(name=role))
    client = APIClient()
    client.force_login(user)
    return client


def fill(value, objects):
    if isinstance(value, dict):
        return {key: fill(item, objects) for key, item in value.items()}
    return value.format(**objects) if isinstance(value, str) else value


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_its_permissions_allow_on_every_partner_route(role, objects, django_user_model):
    client = staff_client(django_user_model, role)
    secret_before = Workspace.objects.get(pk=objects["workspace"]).webhook_secret
    for name, requests in ROUTES.items():
        for method, template, body, kind in requests:
            url = fill(template, objects)
            response = getattr(client, method)(url, fill(body, objects), format="json")
            where = (role, name, method, url, response.status_code, response.content[:300])
            assert "no-store" in response.get("Cache-Control", ""), where
            if kind in ALLOWED[role]:
                assert response.status_code < 500 and response.status_code != 403, where
                if method == "get":
                    assert response.status_code == 200, where
            else:
                assert response.status_code == 403, where
    workspace = Workspace.objects.get(pk=objects["workspace"])
    if SECRETS not in ALLOWED[role]:
        assert workspace.webhook_secret == secret_before
        assert workspace.outbound_webhook_url == "https://partner.example/hook"


def test_no_partner_answer_to_a_workspace_key_may_be_stored_by_a_cache(objects):
    """Partner answers carry personal data (names, phones, emails, notes, conversion values) or
    secrets: a shared proxy or the client's HTTP cache must keep none, given or refused. (The
    role walk above checks every route; the header does not depend on who is asking.)"""
    workspace = Workspace.objects.get(pk=objects["workspace"])
    workspace.permissions = ["leads:read"]
    workspace.save(update_fields=["permissions"])
    client = key_client(workspace)
    answers = [
        client.get(fill("/api/v1/leads/{lead}/", objects)),
        client.get(fill("/api/v1/appointments/{appointment}/", objects)),  # no appointments:read: 403
        client.get("/api/v1/leads/999999999/"),
        APIClient().get("/api/v1/leads/"),
    ]
    assert [response.status_code for response in answers] == [200, 403, 404, 401]
    assert all("no-store" in response["Cache-Control"] for response in answers)


def test_secret_changes_need_the_dedicated_permission_which_only_operations_holds():
    assert Group.objects.get(name=OPERATIONS).permissions.filter(codename="manage_workspace_secrets").exists()
    analyst = Group.objects.get(name=READ_ONLY_ANALYST)
    assert not analyst.permissions.filter(codename="manage_workspace_secrets").exists()


@pytest.mark.parametrize("role, status", [(READ_ONLY_ANALYST, 200), (OPERATIONS, 200), ("no group", 403)])
def test_dashboard_needs_the_analytics_view_permission(role, status, django_user_model):
    client = staff_client(django_user_model, role)
    assert client.get("/admin/dashboard/").status_code == status
