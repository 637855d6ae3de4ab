"""Seed constraints are enforced by the database itself, not only by forms."""
import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from appointments.models import Appointment
from contacts.models import Contact
from conversions.models import Conversion
from leadhub.testing import make_contact, make_lead, make_provider, make_webhook, make_workspace, valid_phone
from leads.models import Lead, LeadActivity, WorkspaceTracking
from providers.models import ProviderUsageLog, WebhookConfig
from analytics.models import LeadAnalytics

pytestmark = pytest.mark.django_db


def refused(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_duplicate_webhook_and_phone_is_refused_but_other_webhook_is_fine():
    phone = valid_phone()
    make_contact(webhook_id="wh-a", phone=phone)
    refused(lambda: Contact.objects.create(webhook_id="wh-a", phone=phone, first_name="B", last_name="C"))
    assert make_contact(webhook_id="wh-b", phone=phone).pk


@pytest.mark.parametrize(
    "model_factory, field, bad",
    [
        (lambda: make_lead(), "lead_type", "roofing"),
        (lambda: make_lead(), "workspace_status", "maybe"),
        (lambda: make_lead(), "priority", 9),
        (lambda: make_contact(), "conversion_status", "won"),
        (lambda: make_webhook(), "lead_type", "plumbing"),
        (lambda: Appointment.objects.create(contact=make_contact(), scheduled_at="2026-01-01T10:00Z"), "status", "lost"),
        (lambda: Appointment.objects.create(contact=make_contact(), scheduled_at="2026-01-01T10:00Z"),
         "appointment_type", "party"),
        (lambda: Appointment.objects.create(contact=make_contact(), scheduled_at="2026-01-01T10:00Z"), "location_type", "moon"),
        (lambda: Appointment.objects.create(contact=make_contact(), scheduled_at="2026-01-01T10:00Z"), "outcome", "great"),
        (lambda: Appointment.objects.create(contact=make_contact(), scheduled_at="2026-01-01T10:00Z"), "forward_status", "lost"),
        (lambda: Conversion.objects.create(contact=make_contact(), conversion_type="sale"), "conversion_type", "gift"),
        (lambda: Conversion.objects.create(contact=make_contact(), conversion_type="sale"), "conversion_value", -1),
        (lambda: LeadActivity.objects.create(lead=make_lead(), activity_type="call", title="t", created_by="x"),
         "activity_type", "fax"),
        (lambda: WorkspaceTracking.objects.create(contact=make_contact(), workspace=make_workspace(), action="sent"),
         "action", "teleported"),
    ],
)
def test_bad_enum_values_are_refused_by_the_database(model_factory, field, bad):
    row = model_factory()
    refused(lambda: type(row).objects.filter(pk=row.pk).update(**{field: bad}))


def test_rescheduled_is_a_stored_appointment_status():
    appointment = Appointment.objects.create(contact=make_contact(), scheduled_at="2026-01-01T10:00Z")
    Appointment.objects.filter(pk=appointment.pk).update(status="rescheduled")
    appointment.refresh_from_db()
    assert appointment.status == "rescheduled"


def test_unique_usage_log_per_provider_webhook_and_day():
    provider = make_provider()
    ProviderUsageLog.objects.create(provider=provider, webhook_id="wh-1", date="2026-01-01")
    refused(lambda: ProviderUsageLog.objects.create(provider=provider, webhook_id="wh-1", date="2026-01-01"))


def test_unique_analytics_per_webhook_and_day():
    LeadAnalytics.objects.create(webhook_id="wh-1", date="2026-01-01")
    refused(lambda: LeadAnalytics.objects.create(webhook_id="wh-1", date="2026-01-01"))


def test_unique_webhook_ids():
    make_webhook("wh-unique")
    refused(lambda: WebhookConfig.objects.create(webhook_id="wh-unique", name="again", lead_type="solar"))


def test_seed_defaults():
    webhook = make_webhook()
    provider = make_provider()
    workspace = make_workspace()
    contact = make_contact()
    appointment = Appointment.objects.create(contact=contact, scheduled_at="2026-01-01T10:00Z")
    conversion = Conversion.objects.create(contact=contact, conversion_type="sale")
    assert (webhook.rate_limit, webhook.rate_window, webhook.is_active, webhook.total_leads) == (100, 60, True, 0)
    assert (provider.rate_limit, provider.is_active, provider.allowed_webhooks) == (1000, True, None)
    assert (workspace.is_active, workspace.webhook_active, workspace.total_conversions) == (True, False, 0)
    assert (appointment.duration_minutes, appointment.location_type, appointment.status) == (60, "home", "scheduled")
    assert conversion.currency == "USD" and len(str(conversion.pk)) == 36
    assert contact.conversion_status == "pending"


def test_protected_deletes_are_refused():
    lead = make_lead()
    with pytest.raises(ProtectedError):
        lead.contact.delete()
    workspace = make_workspace()
    Lead.objects.filter(pk=lead.pk).update(workspace=workspace)
    with pytest.raises(ProtectedError):
        workspace.delete()
    assert Contact.objects.filter(pk=lead.contact_id).exists()


def test_an_external_id_is_unique_per_webhook_and_provider():
    first = make_lead(provider_id="acme", external_id="A-1")
    make_lead(contact=first.contact, provider_id="other", external_id="A-1")
    make_lead(contact=make_contact(webhook_id="wh-other"), provider_id="acme", external_id="A-1")
    make_lead(contact=first.contact, provider_id="acme")  # no reference: never a clash
    make_lead(contact=first.contact, provider_id="acme")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_lead(contact=first.contact, provider_id="acme", external_id="A-1")


def test_json_columns_are_validated_to_the_seed_shape():
    from django.core.exceptions import ValidationError

    workspace = make_workspace(permissions={"leads": "read"})
    with pytest.raises(ValidationError) as excinfo:
        workspace.full_clean()
    assert "permissions" in excinfo.value.message_dict
    provider = make_provider(allowed_webhooks="wh-1")
    with pytest.raises(ValidationError) as excinfo:
        provider.full_clean()
    assert "allowed_webhooks" in excinfo.value.message_dict


def test_lead_status_must_be_an_active_pipeline_stage():
    from django.core.exceptions import ValidationError

    from leads.models import LeadPipelineStage

    lead = make_lead(status="qualified")
    lead.full_clean()
    LeadPipelineStage.objects.filter(name="qualified").update(is_active=False)
    with pytest.raises(ValidationError) as excinfo:
        lead.full_clean()
    assert "status" in excinfo.value.message_dict
    assert list(LeadPipelineStage.objects.filter(is_active=True).values_list("name", flat=True)) == [
        "new", "contacted", "proposal_sent", "negotiating", "scheduled", "converted", "rejected", "lost",
    ]
