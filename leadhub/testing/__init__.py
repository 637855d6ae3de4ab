"""Shared test builders: one place that knows how to make valid rows, so tests stay short.

Test code only: nothing that runs in production, nor bench/ or scripts/, imports this package.

Phones use real US area codes (415, 212, 312 ...): `phonenumbers` refuses the fictional 555 range
as a whole number, and ingestion refuses what it does not consider valid.
"""
import contextlib
import fcntl
import itertools
import tempfile
import threading
from datetime import datetime
from datetime import UTC
from pathlib import Path

from leadhub.choices import LeadType
from leadhub.receiver import WebhookReceiver  # noqa: F401  (tests build it from here with the rest)

_seq = itertools.count(1)
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)  # before every fixed date a test converts at


def unique_suffix():
    return next(_seq)


def valid_phone(n=None):
    """A distinct, valid NANP number in normalised form: +1 415 2xx xxxx."""
    n = unique_suffix() if n is None else n
    return f"+1415{2000000 + n % 8000000:07d}"


def make_workspace(workspace_id=None, **fields):
    from workspaces.models import Workspace

    workspace_id = workspace_id or f"ws-{unique_suffix()}"
    fields.setdefault("name", workspace_id.title())
    fields.setdefault("calls_consumers", False)  # a test that needs a calling buyer says so
    return Workspace.objects.create(id=workspace_id, **fields)


def make_webhook(webhook_id=None, lead_type=LeadType.SOLAR, **fields):
    from providers.models import WebhookConfig

    webhook_id = webhook_id or f"wh-{unique_suffix()}"
    fields.setdefault("name", f"Webhook {webhook_id}")
    return WebhookConfig.objects.create(webhook_id=webhook_id, lead_type=lead_type, **fields)


def make_mapping(webhook, fields=None, values=None):
    """A webhook's mapping rows, `fields` {source field: leadhub field} and `values` {leadhub field:
    {source value: value}}, compiled as the admin does."""
    from providers.models import WebhookFieldMapping, WebhookValueMapping
    from providers.services.mapping import webhook_mapping_refresh

    WebhookFieldMapping.objects.bulk_create(
        WebhookFieldMapping(webhook=webhook, source_field=source, field=field) for source, field in (fields or {}).items())
    WebhookValueMapping.objects.bulk_create(
        WebhookValueMapping(webhook=webhook, field=field, source_value=source, value=value)
        for field, rows in (values or {}).items() for source, value in rows.items())
    return webhook_mapping_refresh(webhook=webhook)


def make_provider(provider_id=None, **fields):
    from providers.models import LeadSourceProvider

    provider_id = provider_id or f"prov-{unique_suffix()}"
    fields.setdefault("provider_name", f"Provider {provider_id}")
    return LeadSourceProvider.objects.create(provider_id=provider_id, **fields)


def make_contact(webhook_id="wh-test", phone=None, **fields):
    from contacts.models import Contact

    fields.setdefault("first_name", "Ada")
    fields.setdefault("last_name", "Lovelace")
    return Contact.objects.create(webhook_id=webhook_id, phone=phone or valid_phone(), **fields)


def make_lead(contact=None, holds=(), **fields):
    """A lead; one given a `workspace` has that workspace's access record too (`assigned`, with
    the lead's working fields), as assignment leaves it. `holds`: reason codes it is held for, as
    ingest leaves a held lead (`held_for_consent=True` is the `consent` hold)."""
    from leads.holds import hold_columns, lead_holds_record
    from leads.models import Lead

    holds = {*holds, *(["consent"] if fields.pop("held_for_consent", False) else [])}
    fields.update(hold_columns(holds))

    contact = contact or make_contact()
    fields.setdefault("webhook_id", contact.webhook_id)
    fields.setdefault("lead_type", LeadType.SOLAR)
    fields.setdefault("first_name", contact.first_name)
    fields.setdefault("last_name", contact.last_name)
    fields.setdefault("email", "ada@example.com")
    fields.setdefault("phone", contact.phone)
    lead = Lead.objects.create(contact=contact, **fields)
    lead_holds_record(lead=lead, holds=[(code, f"held for {code} (test)") for code in sorted(holds)], by="system")
    if lead.workspace_id:
        make_access(lead, lead.workspace, how="assigned")
    return lead


def make_access(lead, workspace, how="routed"):
    """`workspace`'s access record of `lead` (through the grant service, so it is what production writes)."""
    from leads.services.access import lead_access_grant

    return lead_access_grant(lead=lead, workspace=workspace, how=how, by="system")


def make_past_contact(**fields):
    """A contact created at LONG_AGO, so fixed past dates (conversions, appointments) come after it."""
    return backdate(make_contact(**fields), created_at=LONG_AGO)


def make_past_lead(contact=None, **fields):
    """A lead (of a past contact) created at LONG_AGO."""
    return backdate(make_lead(contact or make_past_contact(), **fields), created_at=LONG_AGO)


def make_contact_history(contact=None, workspace=None, conversion_value="100.00"):
    """A contact with a row in every table that hangs off it: two leads with events, status
    history and an activity, workspace tracking, an appointment with an event, and a conversion
    with an event that is counted in the workspace's totals (as conversion recording does).

    Returns a dict of the rows by name, so tests can check each one.
    """
    from decimal import Decimal

    from django.db.models import F
    from django.utils import timezone

    contact = contact or make_contact()
    workspace = workspace or make_workspace()
    value = Decimal(conversion_value)
    leads = [make_lead(contact, workspace=workspace), make_lead(contact, lead_type=LeadType.HVAC)]
    for lead in leads:
        lead.events.create(event_type="received", event_data={"source": "test"})
        lead.status_history.create(old_status="new", new_status="contacted", changed_by="ops")
        lead.activities.create(activity_type="call", title="First call", created_by="ops")
    tracking = contact.workspace_tracking.create(lead=leads[0], workspace=workspace, action="sent")
    appointment = contact.appointments.create(lead=leads[0], scheduled_at=timezone.now(), matched_workspace=workspace)
    appointment.events.create(event_type="created", created_by="intake")
    conversion = contact.conversions.create(
        lead=leads[0], workspace=workspace, conversion_type="sale", conversion_value=value
    )
    conversion.events.create(event_type="created", created_by="partner")
    contact.events.create(event_type="created")
    type(workspace).objects.filter(pk=workspace.pk).update(
        total_conversions=F("total_conversions") + 1, total_revenue=F("total_revenue") + value
    )
    workspace.refresh_from_db()
    return {
        "contact": contact,
        "workspace": workspace,
        "leads": leads,
        "tracking": tracking,
        "appointment": appointment,
        "conversion": conversion,
    }


def admin_url(obj_or_model, view, *args):
    """The admin URL of `view` ("changelist", "add", "change", "delete") for a model or row."""
    from django.urls import reverse

    opts = obj_or_model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def assert_admin_pages_render(client, obj):
    """The changelist (with `obj` listed) and the change page of `obj` render for `client`."""
    changelist = client.get(admin_url(obj, "changelist"))
    assert changelist.status_code == 200, changelist.content[:500]
    assert obj.pk in [row.pk for row in changelist.context["cl"].result_list]
    change = client.get(admin_url(obj, "change", obj.pk))
    assert change.status_code == 200, change.content[:500]


def admin_change_form_data(page, obj):
    """What a browser posts back from `obj`'s admin change page (`page`, a GET response) unchanged:
    the form's initial values and each inline's management form and row ids."""
    form = page.context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({f"{management.prefix}-{key}": value for key, value in management.initial.items()})
        for index, row in enumerate(inline.formset.forms):
            data[f"{inline.formset.prefix}-{index}-id"] = row.instance.pk
            data[f"{inline.formset.prefix}-{index}-{inline.formset.fk.name}"] = obj.pk
    return data


def assert_admin_read_only(client, obj):
    """Even a superuser cannot add, change or delete rows of an audit table in the admin."""
    assert client.get(admin_url(obj, "add")).status_code == 403
    assert client.post(admin_url(obj, "change", obj.pk), {}).status_code == 403
    assert client.post(admin_url(obj, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def backdate(obj, **timestamps):
    """Set auto-managed timestamps (created_at, updated_at …) that `create()` would overwrite."""
    type(obj).objects.filter(pk=obj.pk).update(**timestamps)
    obj.refresh_from_db()
    return obj


def make_lead_offer(workspace, *, zip_codes=(), products=(), price="0", webhook=None, **fields):
    """A lead offer of `workspace` (saved, so its match rows exist), for `webhook`'s leads only
    when given (a `webhook_id eq` filter). At the default price of 0 it says why, as every $0
    offer must."""
    from decimal import Decimal

    from distribution.models import Offer, OfferFilter, OfferKind

    fields.setdefault("kind", OfferKind.LEAD)
    if Decimal(price) == 0:
        fields.setdefault("zero_price_reason", "test offer")
    offer = Offer.objects.create(
        workspace=workspace, zip_codes=list(zip_codes), products=list(products), price=Decimal(price), **fields
    )
    if webhook is not None:
        OfferFilter.objects.create(offer=offer, column="webhook_id", op="eq", value=webhook.webhook_id)
    return offer


def make_conversion(lead=None, contact=None, workspace=None, conversion_value="100.00", **fields):
    """A conversion row as recorded (no aggregates touched: tests of counters use the service)."""
    from decimal import Decimal

    from conversions.models import Conversion

    from leads.models import LeadAccess

    contact = contact or (lead.contact if lead is not None else make_contact())
    fields.setdefault("conversion_type", "sale")
    if lead is not None and workspace is not None:
        fields.setdefault("lead_access", LeadAccess.objects.filter(lead=lead, workspace=workspace).first())
    return Conversion.objects.create(
        contact=contact, lead=lead, workspace=workspace, conversion_value=Decimal(conversion_value), **fields
    )


def make_appointment(contact=None, lead=None, **fields):
    from django.utils import timezone

    from appointments.models import Appointment

    contact = contact or (lead.contact if lead is not None else make_contact())
    fields.setdefault("scheduled_at", timezone.now())
    appointment = Appointment.objects.create(contact=contact, lead=lead, **fields)
    if lead is not None and appointment.matched_workspace_id:
        make_access(lead, appointment.matched_workspace, how="routed")  # routing grants it
    return appointment


def ensure_pipeline_stages():
    """Re-create the default pipeline stages (seeded by a data migration) when a transactional
    test runs after another one: their database flush also wipes migration-seeded rows."""
    import importlib

    from leads.models import LeadPipelineStage

    seeded = importlib.import_module("leads.migrations.0002_default_pipeline_stages")
    for index, (name, description) in enumerate(seeded.DEFAULT_STAGES, start=1):
        LeadPipelineStage.objects.get_or_create(name=name, defaults={"description": description, "order_index": index * 10})


# --- Posting to the provider webhooks ------------------------------------------------------------

PROVIDER_API_KEY = "lhp_test-key-0123456789"


def unique_id(prefix):
    """An id no earlier run used: rate-limit counters live in the shared cache (Redis in CI) and
    outlive the test database, so webhook and provider ids must not repeat across runs."""
    import uuid

    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_keyed_provider(provider_id=None, **fields):
    """A provider that authenticates with PROVIDER_API_KEY (stored as its digest, as rotation does)."""
    from leadhub.keys import key_digest

    return make_provider(provider_id or unique_id("prov"), api_key=key_digest(PROVIDER_API_KEY), **fields)


def provider_post(client, path, data, *, provider=None, key=PROVIDER_API_KEY, headers=None,
                  content_type="application/json", **extra):
    """POST `data` to a provider webhook as `provider` would: its id and `key` (none if falsy) in
    the headers, then `headers` (a signature, or overrides)."""
    sent = {}
    if provider is not None:
        sent["X-Provider-Id"] = provider.provider_id
    if key:
        sent["X-Api-Key"] = key
    sent.update(headers or {})
    return client.post(path, data=data, content_type=content_type, headers=sent, **extra)


ERROR_KEYS = ("code", "message", "errors", "request_id")


def assert_error(response, status, *, code=None, field=None):
    """The one error body (leadhub.api.exceptions) with `status`, and `code` / a message for
    `field` when given; returns the body for further checks. Every API error test asserts
    through this, so the format is checked everywhere it is answered."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert all(key in body for key in ERROR_KEYS), body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["errors"], dict), body
    assert all(isinstance(messages, list) and messages for messages in body["errors"].values()), body
    assert body["request_id"] and body["request_id"] == response["X-Request-ID"], body
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert field in body["errors"], body
    return body


def assert_webhook_error(response, status, *, code=None, field=None):
    """`assert_error` for a provider webhook's answer, which adds `outcome` and `reason`."""
    body = assert_error(response, status, code=code, field=field)
    assert body["outcome"] == ("error" if status >= 500 else "failure"), body
    assert body["reason"] == body["message"], body
    return body


# From this many threads a test takes turns with the other xdist workers' (`connections_taking_turns`).
MANY_CONNECTIONS = 20


@contextlib.contextmanager
def connections_taking_turns(count):
    """Held while `count` threads each hold a database connection: from MANY_CONNECTIONS on, one
    such test at a time on this machine (a file lock the xdist workers share), since two 50-thread
    tests at once pass PostgreSQL's default limit of 100 connections ("too many clients")."""
    if count < MANY_CONNECTIONS:
        yield
        return
    with open(Path(tempfile.gettempdir()) / "leadhub-tests-many-connections.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def run_at_once(count, work):
    """Call work(i) from `count` threads released together; return (results, exceptions). For
    PostgreSQL concurrency tests: each thread uses (and closes) its own connection."""
    from django.db import connection

    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def target(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # collected and asserted on by the test
            errors.append(exc)
        finally:
            connection.close()  # each thread opened its own connection

    with connections_taking_turns(count):
        threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors
