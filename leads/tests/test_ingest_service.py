"""`lead_ingest`: what one accepted lead writes, dedup, idempotency, conflicts and query budget."""
import datetime

import pytest
from django.utils import timezone

from contacts.models import Contact, ContactEvent
from leadhub.testing import make_contact, make_provider, make_webhook, make_workspace, valid_phone
from leads.models import ENTRY_STAGE, Lead, LeadAccess, LeadEvent, LeadPipelineStage, WorkspaceTracking
from leads.services.ingest import IngestConflict, IngestError, IngestValidationError, lead_ingest
from providers.models import ProviderUsageLog

pytestmark = pytest.mark.django_db


def lead_payload(phone=None, **fields):
    payload = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": phone or valid_phone(),
        "consent_value": True,
        "tcpa_compliance": True,
    }
    payload.update(fields)
    return payload


@pytest.fixture
def webhook():
    return make_webhook()


@pytest.fixture
def provider():
    return make_provider()


def usage_count(provider, webhook):
    log = ProviderUsageLog.objects.filter(provider=provider, webhook_id=webhook.webhook_id).first()
    return log.request_count if log else 0


def test_an_accepted_lead_writes_everything_in_one_go(webhook, provider, frozen_clock):
    payload = lead_payload(
        "(415) 200-3001", zipCode="94107", state="ca", monthlyElectricBill="180.5", roof_age="12",
        consent={"description": "I agree", "value": "yes"}, tcpa="1", affiliate_ref="abc-1",
    )
    before = timezone.now()

    result = lead_ingest(webhook=webhook, payload=payload, provider=provider, ip_address="203.0.113.9", user_agent="curl/8")

    assert result.created is True and result.contact_status == "new"
    lead = Lead.objects.get(pk=result.lead.pk)
    assert lead.contact_id == result.contact.pk
    assert (lead.webhook_id, lead.lead_type, lead.phone, lead.zip_code, lead.state) == (
        webhook.webhook_id, "solar", "+14152003001", "94107", "CA"
    )
    assert str(lead.monthly_electric_bill) == "180.50" and lead.roof_age == 12
    assert (lead.consent_description, lead.consent_value, lead.tcpa_compliance) == ("I agree", True, True)
    assert lead.raw_payload == payload  # unknown fields too
    assert (lead.source_ip, lead.source_user_agent, lead.status, lead.held_for_consent) == (
        "203.0.113.9", "curl/8", "new", False)
    assert (lead.ip_address, lead.user_agent) == ("", "")  # the consumer's: the post named none
    assert lead.processed_at >= before

    contact = Contact.objects.get()
    assert (contact.webhook_id, contact.phone, contact.first_name, contact.zip_code) == (
        webhook.webhook_id, "+14152003001", "Ada", "94107"
    )
    assert list(contact.events.values_list("event_type", "event_data")) == [("created", {"lead_id": lead.pk})]
    event = lead.events.get()
    assert event.event_type == "received"
    assert event.event_data["contact_status"] == "new" and event.event_data["provider_id"] == provider.provider_id
    assert lead.provider_id == provider.provider_id

    webhook.refresh_from_db()
    provider.refresh_from_db()
    assert webhook.total_leads == 1 and webhook.last_lead_at >= before
    assert provider.last_used_at >= before
    log = ProviderUsageLog.objects.get()
    assert (log.provider_id, log.webhook_id, log.request_count) == (provider.provider_id, webhook.webhook_id, 1)
    assert log.date == frozen_clock.at.astimezone(datetime.UTC).date()


def test_a_lead_and_its_access_records_start_in_the_one_entry_stage(webhook):
    lead = lead_ingest(webhook=webhook, payload=lead_payload()).lead

    assert Lead.objects.get(pk=lead.pk).status == ENTRY_STAGE == LeadAccess._meta.get_field("status").default
    assert LeadPipelineStage.objects.get(name=ENTRY_STAGE).is_active


def test_counters_add_up_over_several_leads(webhook, provider):
    other_webhook = make_webhook()
    for _ in range(3):
        lead_ingest(webhook=webhook, payload=lead_payload(), provider=provider)
    lead_ingest(webhook=other_webhook, payload=lead_payload(), provider=provider)
    webhook.refresh_from_db()
    assert webhook.total_leads == 3
    assert usage_count(provider, webhook) == 3
    assert usage_count(provider, other_webhook) == 1


def test_a_lead_without_a_provider_is_not_logged_as_usage(webhook):
    result = lead_ingest(webhook=webhook, payload=lead_payload())
    assert result.lead.events.get().event_data["provider_id"] is None
    assert not ProviderUsageLog.objects.exists()


def test_every_phone_form_lands_on_one_contact(webhook, provider):
    forms = ["(415) 200-3002", "415.200.3002", "+1 415 200 3002", "14152003002", "4152003002"]
    results = [lead_ingest(webhook=webhook, payload=lead_payload(form), provider=provider) for form in forms]

    contact = Contact.objects.get()
    assert contact.phone == "+14152003002"
    assert [r.contact_status for r in results] == ["new"] + ["existing"] * 4
    assert {r.contact.pk for r in results} == {contact.pk}
    assert contact.leads.count() == 5
    assert sorted(contact.events.values_list("event_type", flat=True)) == ["created"] + ["updated"] * 4


def test_the_same_phone_on_another_webhook_is_another_contact(webhook):
    other = make_webhook()
    first = lead_ingest(webhook=webhook, payload=lead_payload("415.200.3003"))
    second = lead_ingest(webhook=other, payload=lead_payload("415.200.3003"))
    assert first.contact.pk != second.contact.pk
    assert second.contact_status == "new"
    assert set(Contact.objects.values_list("webhook_id", flat=True)) == {webhook.webhook_id, other.webhook_id}


def test_an_existing_contact_gets_blank_fields_filled_and_nothing_overwritten(webhook):
    phone = valid_phone()
    contact = make_contact(webhook.webhook_id, phone, first_name="Ada", email="", city="Oakland", address="")
    Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now() - datetime.timedelta(days=1))
    contact.refresh_from_db()

    result = lead_ingest(
        webhook=webhook,
        payload=lead_payload(phone, first_name="Augusta", email="ada@new.example", city="", address="1 Main St"),
    )

    assert result.contact_status == "existing" and result.contact.pk == contact.pk
    stored = Contact.objects.get(pk=contact.pk)
    assert stored.first_name == "Ada"  # non-empty: kept
    assert stored.city == "Oakland"  # the lead's blank never blanks it
    assert (stored.email, stored.address) == ("ada@new.example", "1 Main St")
    assert stored.updated_at > contact.updated_at
    assert (result.contact.email, result.contact.address) == ("ada@new.example", "1 Main St")
    event = stored.events.get()
    assert event.event_type == "updated"
    assert event.event_data == {"lead_id": result.lead.pk, "changed_fields": ["address", "email"]}
    assert result.lead.first_name == "Augusta"  # the lead keeps what this provider sent


def test_an_existing_contact_with_nothing_to_fill_records_an_empty_change(webhook):
    phone = valid_phone()
    lead_ingest(webhook=webhook, payload=lead_payload(phone))
    result = lead_ingest(webhook=webhook, payload=lead_payload(phone))
    assert result.contact.events.get(event_type="updated").event_data["changed_fields"] == []


@pytest.mark.parametrize(
    "consent",
    [{}, {"consent_value": False}, {"tcpa_compliance": "no"}, {"consent_value": "yes", "tcpa_compliance": "off"}],
)
def test_a_lead_without_full_consent_is_accepted_but_held(webhook, consent):
    payload = lead_payload()
    payload.pop("consent_value"), payload.pop("tcpa_compliance")
    result = lead_ingest(webhook=webhook, payload={**payload, **consent})
    assert result.created is True
    assert Lead.objects.get().held_for_consent is True
    assert result.lead.events.get().event_data["held_for_consent"] is True


def test_invalid_data_raises_422_errors_and_writes_nothing(webhook, provider):
    with pytest.raises(IngestValidationError) as caught:
        lead_ingest(webhook=webhook, payload=lead_payload("555-0132", email="nope", lead_type="hvac"), provider=provider)
    error = caught.value
    assert isinstance(error, IngestError) and error.code == "validation"
    assert set(error.errors) == {"phone", "email", "lead_type"}
    assert "email" in error.reason and "phone" in error.reason
    assert not Contact.objects.exists() and not Lead.objects.exists()
    webhook.refresh_from_db()
    assert webhook.total_leads == 0 and usage_count(provider, webhook) == 0


def test_a_referral_marks_the_sending_workspace(webhook):
    workspace = make_workspace()
    result = lead_ingest(webhook=webhook, payload=lead_payload(), sent_from_workspace=workspace)
    assert Contact.objects.get().sent_from_workspace == workspace.pk
    tracking = WorkspaceTracking.objects.get()
    assert (tracking.action, tracking.workspace_id, tracking.lead_id, tracking.contact_id) == (
        "received", workspace.pk, result.lead.pk, result.contact.pk
    )
    assert result.lead.events.get().event_data["sent_from_workspace"] == workspace.pk


def test_long_client_strings_are_cut_to_their_columns(webhook):
    result = lead_ingest(webhook=webhook, payload=lead_payload(), user_agent="x" * 600, ip_address="1" * 50)
    lead = Lead.objects.get(pk=result.lead.pk)
    assert len(lead.source_user_agent) == 512 and len(lead.source_ip) == 45


class TestExternalIds:
    def test_a_senders_id_is_its_external_id_never_the_lead_id(self, webhook):
        result = lead_ingest(webhook=webhook, payload=lead_payload(lead_id="900001"))
        assert result.lead.external_id == "900001"
        assert result.lead.pk != 900001
        assert Lead.objects.get().external_id == "900001"

    def test_a_replay_returns_the_original_and_writes_nothing(self, webhook, provider):
        payload = lead_payload("(415) 200-4101", id=900002, city="Oakland")
        first = lead_ingest(webhook=webhook, payload=payload, provider=provider)
        reordered = {**dict(reversed(list(payload.items()))), "phone": "+1 415 200 4101", "id": "900002"}

        again = lead_ingest(webhook=webhook, payload=reordered, provider=provider)

        assert again.created is False and again.contact_status == "existing"
        assert (again.lead.pk, again.contact.pk) == (first.lead.pk, first.contact.pk)
        assert Lead.objects.count() == 1 and LeadEvent.objects.count() == 1 and ContactEvent.objects.count() == 1
        webhook.refresh_from_db()
        assert webhook.total_leads == 1 and usage_count(provider, webhook) == 1

    def test_the_same_reference_with_other_values_is_a_conflict_naming_the_fields(self, webhook):
        lead_ingest(webhook=webhook, payload=lead_payload("(415) 200-4102", id=900003, city="Oakland"))
        with pytest.raises(IngestConflict) as caught:
            lead_ingest(webhook=webhook, payload=lead_payload("415-200-4102", id=900003, city="Berkeley", state="CA"))
        assert caught.value.code == "conflict"
        assert sorted(caught.value.errors) == ["city", "state"]
        assert "'900003'" in caught.value.reason
        assert Lead.objects.count() == 1

    def test_the_same_reference_on_another_webhook_is_another_lead(self, webhook):
        payload = lead_payload(id=900004)
        first = lead_ingest(webhook=webhook, payload=payload)
        other = lead_ingest(webhook=make_webhook(), payload=payload)
        assert other.created and other.lead.pk != first.lead.pk
        assert [lead.external_id for lead in Lead.objects.all()] == ["900004", "900004"]

    def test_a_reference_ahead_of_the_sequence_never_moves_it(self, webhook):
        generated = lead_ingest(webhook=webhook, payload=lead_payload()).lead.pk
        lead_ingest(webhook=webhook, payload=lead_payload(id=generated + 5))
        later = [lead_ingest(webhook=webhook, payload=lead_payload()).lead.pk for _ in range(7)]
        assert later == list(range(generated + 2, generated + 9))

    def test_a_kept_id_below_the_sequence_fills_a_gap(self, webhook):
        """`import_leads --keep-ids`: ops moving leads from an earlier system keep their ids."""
        generated = lead_ingest(webhook=webhook, payload=lead_payload()).lead.pk
        LeadEvent.objects.filter(lead_id=generated).delete()
        Lead.objects.filter(pk=generated).delete()
        result = lead_ingest(webhook=webhook, payload=lead_payload(id=generated), lead_id=generated)
        assert (result.lead.pk, result.lead.external_id) == (generated, str(generated))
        assert lead_ingest(webhook=webhook, payload=lead_payload()).lead.pk > generated

    def test_a_kept_id_already_taken_is_a_conflict_on_the_id(self, webhook):
        taken = lead_ingest(webhook=webhook, payload=lead_payload()).lead.pk
        with pytest.raises(IngestConflict) as caught:
            lead_ingest(webhook=webhook, payload=lead_payload(id=taken), lead_id=taken)
        assert list(caught.value.errors) == ["id"]
        assert Lead.objects.count() == 1


# Inside the test transaction lead_ingest's atomic block is a SAVEPOINT ... RELEASE pair: two
# statements of each baseline a production request (outermost transaction) does not run.


@pytest.mark.parametrize("existing_contact", [False, True])
def test_an_accepted_lead_costs_its_baseline(webhook, provider, existing_contact, query_baseline):
    phone = valid_phone()
    if existing_contact:
        make_contact(webhook.webhook_id, phone, email="")  # the lead fills the blank email: worst case
    with query_baseline("ingest-lead-existing-contact" if existing_contact else "ingest-lead-new-contact"):
        lead_ingest(webhook=webhook, payload=lead_payload(phone), provider=provider)


def test_a_lead_with_an_external_id_costs_its_baseline(webhook, provider, query_baseline):
    # Any lead's, and the indexed look-up of the reference.
    with query_baseline("ingest-lead-with-external-id"):
        lead_ingest(webhook=webhook, payload=lead_payload(id=900005), provider=provider)


def test_a_replay_costs_its_baseline(webhook, provider, query_baseline):
    payload = lead_payload(id=900006)
    lead_ingest(webhook=webhook, payload=payload, provider=provider)
    with query_baseline("ingest-replay"):
        lead_ingest(webhook=webhook, payload=payload, provider=provider)
