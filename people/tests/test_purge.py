"""contact_purge: one person's data goes, in the seed's delete order, and nobody else's."""
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact, ContactPurge
from leadhub.testing import make_contact, make_contact_history, make_lead, make_workspace
from people.services import ContactPurgeInvalid, contact_purge

# Every table that hangs off a contact, reached through reverse relations as the service does.
PER_CONTACT = {
    "leads": lambda c: c.leads.all(),
    "lead_events": lambda c: _model(c, "leads", "events").objects.filter(lead__contact=c),
    "lead_status_history": lambda c: _model(c, "leads", "status_history").objects.filter(lead__contact=c),
    "lead_activities": lambda c: _model(c, "leads", "activities").objects.filter(lead__contact=c),
    "workspace_tracking": lambda c: c.workspace_tracking.all(),
    "appointments": lambda c: c.appointments.all(),
    "appointment_events": lambda c: _model(c, "appointments", "events").objects.filter(appointment__contact=c),
    "conversions": lambda c: c.conversions.all(),
    "conversion_events": lambda c: _model(c, "conversions", "events").objects.filter(conversion__contact=c),
    "lead_access": lambda c: _model(c, "leads", "accesses").objects.filter(lead__contact=c),
    "consent_evidence": lambda c: _model(c, "leads", "consent_evidence").objects.filter(lead__contact=c),
    "lead_holds": lambda c: _model(c, "leads", "holds").objects.filter(lead__contact=c),
    "contact_events": lambda c: c.events.all(),
}


def _model(contact, accessor, child):
    parent = Contact._meta.get_field(accessor).related_model
    return parent._meta.get_field(child).related_model


def make_history(**fields):
    """A contact's history (make_contact_history) with a lead's consent evidence as verified, and a hold."""
    history = make_contact_history(**fields)
    lead = history["leads"][1]
    lead.consent_evidence.create(kind="trustedform", value="https://cert.trustedform.com/" + "a" * 40)
    lead.holds.create(reason="consent", message="Held for consent.", placed_by="ops")
    return history


def row_counts(contact):
    return {table: rows(contact).count() for table, rows in PER_CONTACT.items()}


@pytest.mark.django_db
def test_contact_with_leads_cannot_be_deleted_by_accident():
    contact = make_lead().contact

    with pytest.raises(ProtectedError):
        contact.delete()

    assert Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.django_db
def test_purge_removes_every_row_of_the_contact_and_nothing_of_another():
    workspace = make_workspace()
    purged = make_history(workspace=workspace, conversion_value="1250.40")
    kept = make_history(workspace=workspace, conversion_value="99.99")
    kept_before = row_counts(kept["contact"])
    assert all(count > 0 for count in row_counts(purged["contact"]).values())

    with CaptureQueriesContext(connection) as queries:
        record = contact_purge(contact=purged["contact"], reason="DSR-1042 deletion request", by="ops@example.com")

    assert not Contact.objects.filter(pk=purged["contact"].pk).exists()
    assert all(count == 0 for count in row_counts(purged["contact"]).values())
    assert row_counts(kept["contact"]) == kept_before
    assert record.deleted_counts == {
        "lead_events": 2,
        "lead_status_history": 2,
        "lead_activities": 2,
        "workspace_tracking": 1,
        "appointment_events": 1,
        "conversion_events": 1,
        "contact_events": 1,
        "conversions": 1,
        "appointments": 1,
        "lead_access": 1,
        "consent_evidence": 1,
        "lead_holds": 1,
        "leads": 2,
        "distribution_buyer_phones": 0,
        "rejected_submissions": 0,
        "outbound_delivery_attempts": 0,
        "outbound_events": 0,
        "suppression_entry_values": 0,
        "contacts": 1,
    }
    deleted_tables = [
        re.match(r'DELETE FROM "?(\w+)"?', query["sql"]).group(1)
        for query in queries.captured_queries
        if query["sql"].startswith("DELETE")
    ]
    assert deleted_tables == [
        "lead_events",
        "lead_status_history",
        "lead_activities",
        "workspace_tracking",
        "appointment_events",
        "conversion_events",
        "contact_events",
        "conversions",
        # an appointment's sales cascade with it, read first (their returns cascade with them): none here
        "appointment_leads",  # cascades with its appointment
        "appointments",
        "lead_access",
        "consent_evidence",
        "lead_holds",
        # its sales cascade with the lead, read first (none here; the ledger keeps the money: lead_id without a key)
        "distribution_decisions",  # cascades with its lead
        "returns",  # a buyer's returns of its leads cascade with it
        "leads",
        "distribution_buyer_phones",  # the buyers' duplicate windows keep the phone only while a sale does
        # no rejected_submissions: the person has none, and their tallies make Django look first
        "contact_merges",  # merge manifests hold the person's data too; they cascade with the contact
        "contacts",
    ]


@pytest.mark.django_db
def test_purge_takes_the_contacts_conversions_out_of_workspace_totals_exactly():
    workspace = make_workspace()
    other_workspace = make_workspace()
    purged = make_contact_history(workspace=workspace, conversion_value="1250.40")
    purged["contact"].conversions.create(workspace=workspace, conversion_type="contract", conversion_value=Decimal("0.35"))
    type(workspace).objects.filter(pk=workspace.pk).update(total_conversions=3, total_revenue=Decimal("1350.74"))
    make_contact_history(workspace=other_workspace, conversion_value="99.99")

    contact_purge(contact=purged["contact"], reason="data request", by="ops")

    workspace.refresh_from_db()
    other_workspace.refresh_from_db()
    assert (workspace.total_conversions, workspace.total_revenue) == (1, Decimal("99.99"))
    assert (other_workspace.total_conversions, other_workspace.total_revenue) == (1, Decimal("99.99"))


@pytest.mark.django_db
def test_purge_never_drives_a_drifted_total_below_zero():
    history = make_contact_history(conversion_value="500.00")
    type(history["workspace"]).objects.filter(pk=history["workspace"].pk).update(
        total_conversions=0, total_revenue=Decimal("10.00")
    )

    contact_purge(contact=history["contact"], reason="data request", by="ops")

    history["workspace"].refresh_from_db()
    assert (history["workspace"].total_conversions, history["workspace"].total_revenue) == (0, Decimal("0.00"))


@pytest.mark.django_db
def test_purge_keeps_another_contacts_appointment_that_points_at_a_purged_lead():
    purged = make_contact_history()
    other = make_contact()
    appointment = other.appointments.create(lead=purged["leads"][0], scheduled_at=purged["appointment"].scheduled_at)

    contact_purge(contact=purged["contact"], reason="data request", by="ops")

    appointment.refresh_from_db()
    assert appointment.lead_id is None
    assert appointment.contact_id == other.pk


@pytest.mark.django_db
def test_purge_audit_record_holds_no_personal_data():
    contact = make_contact(first_name="Grace", last_name="Hopper", email="grace@navy.example", city="Arlington")
    make_contact_history(contact=contact)

    record = contact_purge(contact=contact, reason="DSR-7", by="ops")

    stored = json.dumps(
        {"reason": record.reason, "by": record.performed_by, "counts": record.deleted_counts}
        | {"row": list(ContactPurge.objects.filter(pk=record.pk).values().get().values())},
        default=str,
    )
    for personal in ("Grace", "Hopper", "grace@navy.example", "Arlington", contact.phone, contact.phone[2:]):
        assert personal not in stored
    assert (record.contact_id, record.reason, record.performed_by) == (contact.pk, "DSR-7", "ops")


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", None])
def test_purge_without_a_reason_is_refused_and_deletes_nothing(reason):
    history = make_history()

    with pytest.raises(ContactPurgeInvalid) as refused:
        contact_purge(contact=history["contact"], reason=reason, by="ops")

    assert "reason" in refused.value.errors
    assert Contact.objects.filter(pk=history["contact"].pk).exists()
    assert all(count > 0 for count in row_counts(history["contact"]).values())
    assert not ContactPurge.objects.exists()


@pytest.mark.django_db
def test_purge_of_a_contact_without_other_rows():
    contact = make_contact()

    record = contact_purge(contact=contact, reason="data request", by="ops")

    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert record.deleted_counts["contacts"] == 1
    assert sum(record.deleted_counts.values()) == 1


@pytest.mark.django_db
def test_purge_removes_the_persons_rejected_submissions_and_skips_voided_conversions():
    from django.utils import timezone

    from providers.models import RejectedSubmission

    workspace = make_workspace()
    make_contact_history(workspace=workspace, conversion_value="99.99")
    history = make_contact_history(workspace=workspace, conversion_value="300.00")
    contact = history["contact"]
    voided = contact.conversions.create(
        workspace=workspace, conversion_type="sale", conversion_value=Decimal("50.00"), voided_at=timezone.now()
    )
    assert voided.pk
    common = {"webhook_id": "wh-x", "reason_code": "validation", "reason": "bad", "http_status": 422}
    RejectedSubmission.objects.create(phone_normalized=contact.phone, **common)
    other = RejectedSubmission.objects.create(phone_normalized="+12125550199", **common)

    record = contact_purge(contact=contact, reason="DSR-7", by="ops")

    assert record.deleted_counts["rejected_submissions"] == 1
    assert list(RejectedSubmission.objects.values_list("pk", flat=True)) == [other.pk]
    workspace.refresh_from_db()
    # Only the live 300.00 conversion was in the totals; the voided 50.00 must not be subtracted.
    assert (workspace.total_conversions, workspace.total_revenue) == (1, Decimal("99.99"))


@pytest.mark.django_db
def test_a_refused_appointment_post_is_purged_with_the_person(client):
    """An appointment post names its person by `customer_phone`: refused, it is kept under that
    phone, so the person's purge deletes it too."""
    from leadhub.testing import make_keyed_provider, make_webhook, provider_post
    from providers.models import RejectedSubmission

    history = make_contact_history()
    contact, webhook, provider = history["contact"], make_webhook(), make_keyed_provider()
    body = {"customer_phone": contact.phone, "customer_name": "Ada Lovelace", "scheduled_at": "not a date"}
    refused = provider_post(client, f"/api/v1/webhooks/{webhook.webhook_id}/appointments/", body, provider=provider)
    assert refused.status_code == 422, refused.content
    assert RejectedSubmission.objects.get().phone_normalized == contact.phone

    contact_purge(contact=contact, reason="DSR-8", by="ops")

    assert not RejectedSubmission.objects.exists()


@pytest.mark.django_db
def test_purge_takes_the_persons_phone_out_of_the_buyers_duplicate_windows():
    from datetime import UTC, datetime

    from distribution.models import BuyerPhone, Offer
    from distribution.services import lead_distribute

    buyer = make_workspace()
    Offer.objects.create(workspace=buyer, products=["solar"], price=Decimal("10"), duplicate_days=30)
    purged, kept = make_lead(zip_code="94105"), make_lead(zip_code="94105")
    for lead in (purged, kept):
        lead_distribute(lead=lead, strategy="priority", at=datetime(2026, 6, 1, tzinfo=UTC))
    assert set(BuyerPhone.objects.values_list("phone", flat=True)) == {purged.phone, kept.phone}

    record = contact_purge(contact=purged.contact, reason="DSR-77 deletion request", by="ops@example.com")

    assert list(BuyerPhone.objects.values_list("workspace_id", "phone")) == [(buyer.pk, kept.phone)]
    assert record.deleted_counts["distribution_buyer_phones"] == 1
