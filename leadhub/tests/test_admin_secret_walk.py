"""Secrets in the admin: shown once when issued, then only "set / not set", for every role.

The walk renders every registered admin's changelist, change page (view-only for the analyst),
history page and CSV export as a superuser, an Operations member, a read-only analyst and staff
in no group, over rows whose keys and secrets (and key digests) are known, and greps every page
for them. The issuing flows answer with a page that shows the new value and is not cached; the
value is never put in a message, which the messages cookie would carry.
"""
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client

from leadhub.roles import OPERATIONS, READ_ONLY_ANALYST
from leadhub.testing import (
    LONG_AGO,
    WebhookReceiver,
    admin_change_form_data,
    admin_url,
    make_contact_history,
    make_keyed_provider,
    make_lead,
    make_provider,
    make_webhook,
    provider_post,
    valid_phone,
)
from leadhub.testing.api import workspace_with_key
from providers.models import LeadSourceProvider, WebhookConfig
from providers.services.keys import provider_key_rotate, webhook_postback_set
from sources.postbacks import source_lead_returned_emit
from workspaces.delivery import outbox_deliver, outbox_emit
from workspaces.models import EventType, LeadForwardingRule, Workspace
from workspaces.services import workspace_key_rotate, workspace_signing_secret_rotate

pytestmark = pytest.mark.django_db

ROLES = ("superuser", OPERATIONS, READ_ONLY_ANALYST, "no group")
WEBHOOK_SECRET = "whsec-typed-by-ops-Q7c2Lm9x"
TYPED_SECRET = "whsec-typed-again-R4n8Kd2p"


def role_client(django_user_model, role):
    user = django_user_model.objects.create_user(
        f"walk-{role.replace(' ', '-').lower()}", password="x", is_staff=True, is_superuser=role == "superuser"
    )
    if role in (OPERATIONS, READ_ONLY_ANALYST):
        user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def secrets(admin_client):
    """Rows of every kind (a contact's whole history, an outbox delivery, a refused post, a log
    entry), the ones with secrets among them, and {name: value} of every secret and digest."""
    make_contact_history()
    webhook = make_webhook(secret_key=WEBHOOK_SECRET)
    provider = make_keyed_provider()
    old_provider_key = provider_key_rotate(provider=provider)
    provider_key = provider_key_rotate(provider=provider, grace=timedelta(hours=1))
    make_provider()  # one without a key
    workspace, _ = workspace_with_key()
    old_workspace_key = workspace_key_rotate(workspace=workspace)
    workspace_key = workspace_key_rotate(workspace=workspace, grace=timedelta(hours=1))
    old_signing_secret = Workspace.objects.get(pk=workspace.pk).webhook_secret
    signing_secret = workspace_signing_secret_rotate(workspace=workspace, grace=timedelta(hours=1))
    with WebhookReceiver([200, 200]) as receiver:
        rule = LeadForwardingRule.objects.create(webhook_id=webhook.webhook_id, name="out", target_url=receiver.url)
        postback_secret = webhook_postback_set(webhook=webhook, postback_url=receiver.url)
        postback = source_lead_returned_emit(lead=make_lead(webhook_id=webhook.webhook_id), reason_code="other",
                                             payout_change=Decimal("-4"), at=LONG_AGO)
        outbox_deliver(event_id=postback.pk)  # signed with the postback secret
        Workspace.objects.filter(pk=workspace.pk).update(outbound_webhook_url=receiver.url, webhook_active=True)
        workspace.refresh_from_db()
        event = outbox_emit(workspace=workspace, event_type=EventType.LEAD_ASSIGNED, data={"lead_id": 1})
        outbox_deliver(event_id=event.pk)
    # A refused post that carried the provider's key and a signature made with the webhook secret.
    body = json.dumps({"first_name": "Ada", "phone": valid_phone()})
    provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/", body, provider=provider, key=provider_key,
                  headers={"X-Leadhub-Signature": "t=1,v1=00"})
    # Ops type a new webhook secret: the change is in the admin's history (a log entry).
    page = admin_client.get(admin_url(webhook, "change", webhook.pk))
    data = admin_change_form_data(page, webhook)  # the inlines' management forms too (duplicate rules)
    data.update(secret_key=TYPED_SECRET, lead_type=webhook.lead_type, rate_limit=100, rate_window=60)
    assert admin_client.post(admin_url(webhook, "change", webhook.pk), data).status_code == 302
    assert WebhookConfig.objects.get(pk=webhook.pk).secret_key == TYPED_SECRET

    provider.refresh_from_db()
    workspace.refresh_from_db()
    values = {
        "webhook secret": WEBHOOK_SECRET, "typed webhook secret": TYPED_SECRET,
        "provider key": provider_key, "old provider key": old_provider_key,
        "provider key digest": provider.api_key, "old provider key digest": provider.api_key_previous,
        "workspace key": workspace_key, "old workspace key": old_workspace_key,
        "workspace key digest": workspace.api_key, "old workspace key digest": workspace.api_key_previous,
        "signing secret": signing_secret, "old signing secret": old_signing_secret,
        "forwarding rule secret": rule.signing_secret, "postback secret": postback_secret,
    }
    assert all(values.values())
    return {"rows": [webhook, provider, workspace, rule], "values": values}


def pages(client, model, model_admin, rows):
    """(url, text) of the model's changelist, its change and history pages of `rows` (default: its
    first row) and its CSV export of every row, as `client` gets them."""
    changelist = admin_url(model, "changelist")
    yield changelist, client.get(changelist)
    rows = rows or list(model._default_manager.order_by("pk")[:1])
    for row in rows:
        for view in ("change", "history"):
            url = admin_url(row, view, row.pk)
            yield url, client.get(url)
    if "export_csv" in model_admin.actions:
        pks = list(model._default_manager.values_list("pk", flat=True))
        yield f"{changelist} export", client.post(changelist, {"action": "export_csv", "_selected_action": pks})


def text(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


@pytest.mark.parametrize("role", ROLES)
def test_no_admin_page_shows_a_secret_to_any_role(role, secrets, django_user_model):
    client = role_client(django_user_model, role)
    by_model = {}
    for row in secrets["rows"]:
        by_model.setdefault(type(row), []).append(row)
    leaks, rendered = [], set()
    for model, model_admin in admin.site._registry.items():
        for url, response in pages(client, model, model_admin, by_model.get(model)):
            assert response.status_code in (200, 302, 403), (url, response.status_code)
            if response.status_code == 200:
                rendered.add(url)
            page = text(response)
            leaks += [(name, url) for name, value in secrets["values"].items() if value in page]
    assert leaks == []
    if role != "no group":  # the pages of the rows with secrets were really seen
        assert {admin_url(row, "change", row.pk) for row in secrets["rows"]} <= rendered


def test_view_only_webhook_page_says_the_secret_is_set(secrets, django_user_model):
    webhook = secrets["rows"][0]
    page = role_client(django_user_model, READ_ONLY_ANALYST).get(admin_url(webhook, "change", webhook.pk))
    assert page.status_code == 200
    fields = {line.field["name"]: line for fieldset in page.context["adminform"] for row in fieldset
              for line in row}
    assert "secret_key" not in fields and fields["signing_secret"].contents() == "set"


def issued(response):
    """The values an issuing flow showed, after checking it answered with the uncached page."""
    assert response.status_code == 200, response.content[:300]
    assert "no-store" in response["Cache-Control"]
    return [value for _what, value in response.context["issued"]]


def assert_never_in_a_message(client, response, value):
    assert value in response.content.decode()
    assert all(value not in morsel.value for morsel in response.cookies.values())
    later = client.get("/admin/")
    assert all(value not in str(message) for message in later.context["messages"])
    assert all(value not in morsel.value for morsel in client.cookies.values())


def test_issued_keys_are_on_the_response_page_never_in_the_messages_cookie(django_user_model):
    client = role_client(django_user_model, OPERATIONS)
    provider, webhook = make_provider(), make_webhook()
    workspace, _ = workspace_with_key()
    rotate = {"post": "yes", "grace_hours": "0", "confirm": "on"}
    flows = [
        (LeadSourceProvider, {"action": "generate_api_key", "_selected_action": [provider.pk], **rotate}),
        (Workspace, {"action": "rotate_api_key", "_selected_action": [workspace.pk], **rotate}),
        (Workspace, {"action": "rotate_signing_secret", "_selected_action": [workspace.pk], **rotate}),
        (WebhookConfig, {"action": "rotate_secret", "_selected_action": [webhook.pk], "post": "yes", "confirm": "on"}),
    ]
    for model, data in flows:
        response = client.post(admin_url(model, "changelist"), data)
        (value,) = issued(response)
        assert_never_in_a_message(client, response, value)
    provider.refresh_from_db()
    webhook.refresh_from_db()
    assert webhook.secret_key == value

    # A record's button runs the same action and shows the value on the page it answers with.
    url = admin_url(provider, "record_action", provider.pk, "generate_api_key")
    (value,) = issued(client.post(url, rotate))
    assert LeadSourceProvider.objects.get(pk=provider.pk).api_key != provider.api_key

    added = client.post(admin_url(Workspace, "add"), {
        "id": "ws-walk-added", "name": "Added", "permissions": ["leads:read"], "is_active": "on", "time_zone": "UTC",
        "billing_mode": "invoiced", "credit_limit": "0",
        "outbound_webhook_url": "", "routing_rules-TOTAL_FORMS": "0", "routing_rules-INITIAL_FORMS": "0",
    })
    key, secret = issued(added)
    assert secret == Workspace.objects.get(pk="ws-walk-added").webhook_secret
    assert_never_in_a_message(client, added, key)
    assert added.context["done_url"] == admin_url(Workspace, "changelist")

    rule = LeadForwardingRule.objects.create(webhook_id=webhook.webhook_id, target_url="https://partner.example/in")
    response = client.post(admin_url(rule, "changelist"), {"action": "rotate_signing_secret",
                                                           "_selected_action": [rule.pk]})
    (value,) = issued(response)
    assert value == LeadForwardingRule.objects.get(pk=rule.pk).signing_secret
    assert_never_in_a_message(client, response, value)
