"""Appointment creation: contact lookup, lead linking, routing decision and the forward it queues."""
from datetime import datetime
from datetime import UTC

import pytest

from appointments.models import AppointmentEvent, ForwardStatus
from appointments.services.common import AppointmentInvalid
from appointments.services.intake import appointment_intake, appointment_submit
from appointments.services.routing import appointment_route
from contacts.models import Contact, ContactEvent
from leadhub.testing import make_contact, make_lead, make_webhook, make_workspace, valid_phone
from leads.models import LeadStatusHistory
from people.services import contact_merge
from workspaces.models import LeadForwardingRule, OutboundEvent
from workspaces.services import routing_rule_save

# Appointments are posted at fixed times: the clock stands before them (past times are refused).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("appointment_clock")]


def body(**fields):
    payload = {
        "customer_name": "Mary Ann Smith",
        "customer_phone": "(415) 234-5678",
        "customer_email": "mary@example.com",
        "customer_zip": "90215",
        "service_type": "Solar",
        "scheduled_at": "2026-12-01T15:00:00-08:00",
    }
    payload.update(fields)
    return payload


def served_workspace(zip_codes=("902*",), products=("Solar",), **fields):
    workspace = make_workspace(outbound_webhook_url="https://partner.example.com/hook", webhook_active=True, **fields)
    rule = routing_rule_save(workspace=workspace, zip_codes=list(zip_codes), product_types=list(products), priority=2)
    return workspace, rule


def test_new_contact_is_created_with_the_name_split_at_the_last_space():
    webhook = make_webhook()
    result = appointment_intake(webhook=webhook, payload=body())
    contact = result.contact
    assert (contact.first_name, contact.last_name, contact.phone, contact.webhook_id) == (
        "Mary Ann", "Smith", "+14152345678", webhook.webhook_id
    )
    assert result.contact_status == "new"
    assert ContactEvent.objects.filter(contact=contact, event_type="created").count() == 1
    appointment = result.appointment
    assert appointment.scheduled_at == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert appointment.raw_payload == body()
    assert AppointmentEvent.objects.filter(appointment=appointment, event_type="created").count() == 1


def test_existing_contact_is_found_by_webhook_and_phone():
    webhook = make_webhook()
    contact = make_contact(webhook_id=webhook.webhook_id, phone="+14152345678")
    make_contact(webhook_id="another-webhook", phone="+14152345678")
    result = appointment_intake(webhook=webhook, payload=body(customer_phone="415.234.5678", customer_name=""))
    assert result.contact == contact and result.contact_status == "existing"
    assert Contact.objects.filter(phone="+14152345678").count() == 2


def test_an_appointment_for_a_merged_away_phone_lands_on_the_surviving_contact():
    webhook = make_webhook()
    duplicate = make_contact(webhook_id=webhook.webhook_id, phone="+14152345678")
    survivor = make_contact(webhook_id="another-webhook", phone="+14152345678", email="")
    contact_merge(survivor=survivor, duplicates=[duplicate], by="ops")

    result = appointment_intake(webhook=webhook, payload=body())

    assert result.contact.pk == survivor.pk and result.contact_status == "existing"
    assert result.appointment.contact_id == survivor.pk
    assert not duplicate.appointments.exists()
    survivor.refresh_from_db()
    assert survivor.email == "mary@example.com"  # blank fields filled, as ingest does


def test_a_new_contact_needs_a_name():
    with pytest.raises(AppointmentInvalid) as caught:
        appointment_intake(webhook=make_webhook(), payload=body(customer_name=""))
    assert "customer_name" in caught.value.errors
    assert not Contact.objects.exists()


@pytest.mark.parametrize("field,value", [
    ("customer_phone", "123"), ("customer_phone", None), ("scheduled_at", "2026-12-01T15:00:00"),
    ("scheduled_at", "tomorrow"), ("customer_zip", "9021"), ("duration_minutes", 0), ("duration_minutes", 5000),
    ("appointment_type", "party"), ("location_type", "moon"), ("customer_email", "mary@"), ("estimated_value", "-1"),
    ("lead_ids", ["x"]),
])
def test_bad_fields_are_named(field, value):
    payload = body(**{field: value})
    if value is None:
        payload.pop(field)
    with pytest.raises(AppointmentInvalid) as caught:
        appointment_intake(webhook=make_webhook(), payload=payload)
    assert list(caught.value.errors) == [field]


def test_the_one_open_lead_for_the_product_is_linked_and_moves_to_scheduled():
    webhook = make_webhook()
    contact = make_contact(webhook_id=webhook.webhook_id, phone="+14152345678")
    solar = make_lead(contact, lead_type="solar")
    make_lead(contact, lead_type="hvac")
    make_lead(contact, lead_type="solar", status="lost")
    result = appointment_intake(webhook=webhook, payload=body())
    assert result.lead == solar
    assert list(result.appointment.leads.all()) == [solar]
    solar.refresh_from_db()
    assert solar.status == "scheduled"
    history = LeadStatusHistory.objects.get(lead=solar)
    assert (history.old_status, history.new_status) == ("new", "scheduled")
    assert history.metadata["appointment_id"] == result.appointment.pk


def test_productid_matches_too_and_two_open_candidates_link_nothing():
    webhook = make_webhook()
    contact = make_contact(webhook_id=webhook.webhook_id, phone="+14152345678")
    kitchen = make_lead(contact, lead_type="hvac", productid="KITCHEN")
    assert appointment_intake(webhook=webhook, payload=body(service_type="kitchen")).lead == kitchen
    make_lead(contact, lead_type="hvac", productid="Kitchen")
    assert appointment_intake(webhook=webhook, payload=body(service_type="Kitchen")).lead is None


def test_named_leads_of_the_same_contact_are_all_covered():
    webhook = make_webhook()
    contact = make_contact(webhook_id=webhook.webhook_id, phone="+14152345678")
    first, second = make_lead(contact), make_lead(contact, lead_type="hvac", status="converted")
    result = appointment_intake(webhook=webhook, payload=body(lead_id=first.pk, lead_ids=[second.pk]))
    assert result.lead == first
    assert set(result.appointment.leads.all()) == {first, second}
    second.refresh_from_db()
    assert second.status == "converted"  # settled leads are covered but not moved back


def test_multi_lead_appointment_across_two_contacts_is_refused():
    webhook = make_webhook()
    contact = make_contact(webhook_id=webhook.webhook_id, phone="+14152345678")
    mine, theirs = make_lead(contact), make_lead(make_contact(webhook_id=webhook.webhook_id))
    with pytest.raises(AppointmentInvalid) as caught:
        appointment_intake(webhook=webhook, payload=body(lead_ids=[mine.pk, theirs.pk]))
    assert str(theirs.pk) in caught.value.errors["lead_ids"][0]
    assert "another contact" in caught.value.errors["lead_ids"][0]
    mine.refresh_from_db()
    assert mine.status == "new"
    with pytest.raises(AppointmentInvalid) as caught:
        appointment_intake(webhook=webhook, payload=body(lead_id=99999999))
    assert list(caught.value.errors) == ["lead_id"] and "99999999" in caught.value.errors["lead_id"][0]


def test_routing_stores_the_workspace_and_why_and_queues_the_forward():
    workspace, rule = served_workspace()
    result = appointment_intake(webhook=make_webhook(), payload=body())
    appointment = result.appointment
    assert result.routing_status == "routed" and appointment.matched_workspace == workspace
    assert f"rule #{rule.pk}" in appointment.routing_method and "902*" in appointment.routing_method
    assert appointment.forward_status == ForwardStatus.PENDING
    event = OutboundEvent.objects.get(event_type="appointment.created")
    assert (event.event_type, event.workspace_id, event.subject_type, event.subject_id, event.contact_id) == (
        "appointment.created", workspace.pk, "appointment", str(appointment.pk), result.contact.pk
    )
    assert event.data["appointment_id"] == appointment.pk and event.data["customer_zip"] == "90215"


def test_no_rule_leaves_it_unrouted_and_unforwarded():
    served_workspace(zip_codes=["10001"])
    result = appointment_intake(webhook=make_webhook(), payload=body())
    assert result.routing_status == "unrouted" and result.appointment.matched_workspace is None
    assert result.appointment.routing_method.startswith("unrouted:")
    assert result.appointment.forward_status == ""
    assert not OutboundEvent.objects.exists()


def direct_target(webhook, workspace):
    """The webhook's config lists `workspace` as a direct target (a forwarding rule to it)."""
    LeadForwardingRule.objects.create(webhook_id=webhook.webhook_id, target_workspace=workspace)
    return workspace


def test_a_named_workspace_wins_only_when_the_webhook_lists_it_as_a_direct_target():
    routed, _ = served_workspace()
    webhook = make_webhook()
    named = direct_target(webhook, make_workspace())
    result = appointment_intake(webhook=webhook, payload=body(workspace_id=named.pk))
    assert result.appointment.matched_workspace == named and result.ignored_fields == []
    assert result.appointment.routing_method.startswith("named:")

    # Not a target of this webhook, inactive, or no such workspace: ignored alike, recorded as
    # ignored, and routing_method cannot tell them apart.
    methods = set()
    for name in (make_workspace().pk, direct_target(webhook, make_workspace(is_active=False)).pk, "nobody"):
        result = appointment_intake(webhook=webhook, payload=body(workspace_id=name, customer_phone=valid_phone()))
        assert result.appointment.matched_workspace == routed and result.ignored_fields == ["workspace_id"]
        created = result.appointment.events.get(event_type="created")
        assert created.event_data["ignored_fields"] == ["workspace_id"]
        assert name not in result.appointment.routing_method
        methods.add(result.appointment.routing_method)
    assert len(methods) == 1


def test_a_workspace_without_an_outbound_webhook_reads_its_appointment_through_the_api():
    """No URL is a way of working (the partner API), not a failed forward."""
    webhook = make_webhook()
    workspace = direct_target(webhook, make_workspace())
    result = appointment_intake(webhook=webhook, payload=body(workspace_id=workspace.pk))
    appointment = result.appointment
    appointment.refresh_from_db()
    assert appointment.forward_status == ForwardStatus.API
    assert "no outbound webhook URL" in appointment.forward_response
    assert "partner API" in appointment.forward_response
    assert not OutboundEvent.objects.filter(subject_type="appointment", subject_id=str(appointment.pk)).exists()


def test_a_workspace_whose_webhook_does_not_subscribe_to_appointments_gets_a_failed_forward_saying_why():
    """It asked for pushes and this one cannot reach it: ops must see that."""
    webhook = make_webhook()
    workspace = direct_target(webhook, make_workspace(
        outbound_webhook_url="https://partner.example.com/hook", webhook_active=True, webhook_events=["lead.assigned"],
    ))
    result = appointment_intake(webhook=webhook, payload=body(workspace_id=workspace.pk))
    appointment = result.appointment
    appointment.refresh_from_db()
    assert appointment.forward_status == ForwardStatus.FAILED
    assert "does not subscribe to appointment.created" in appointment.forward_response


def test_manual_route_of_an_unrouted_appointment_forwards_it():
    result = appointment_intake(webhook=make_webhook(), payload=body())
    workspace = make_workspace(outbound_webhook_url="https://partner.example.com/hook", webhook_active=True)
    appointment = appointment_route(appointment=result.appointment, workspace=workspace, by="staff:ops")
    assert appointment.matched_workspace == workspace and "manual" in appointment.routing_method
    assert OutboundEvent.objects.get(event_type="appointment.created").subject_id == str(appointment.pk)
    with pytest.raises(AppointmentInvalid):
        appointment_route(appointment=appointment, workspace=make_workspace(), by="staff:ops")


def test_partner_submission_uses_the_leads_contact_and_only_its_own_leads():
    workspace = make_workspace()
    lead = make_lead(workspace=workspace)
    result = appointment_submit(payload=body(lead_id=lead.pk), created_by=workspace.pk, workspace=workspace)
    assert result.contact == lead.contact and result.appointment.matched_workspace == workspace
    foreign = make_lead(workspace=make_workspace())
    with pytest.raises(AppointmentInvalid) as caught:
        appointment_submit(payload=body(lead_id=foreign.pk), created_by=workspace.pk, workspace=workspace)
    assert list(caught.value.errors) == ["lead_id"]
    with pytest.raises(AppointmentInvalid) as caught:
        appointment_submit(payload=body(), created_by=workspace.pk, workspace=workspace)
    assert "lead_id" in caught.value.errors


def test_double_booking_at_intake_is_a_warning():
    webhook = make_webhook()
    first = appointment_intake(webhook=webhook, payload=body(assigned_to="rep-7"))
    assert first.warnings == []
    second = appointment_intake(webhook=webhook, payload=body(
        assigned_to="rep-7", customer_phone=valid_phone(), scheduled_at="2026-12-01T23:30:00Z"
    ))
    assert second.warnings[0]["appointment_ids"] == [first.appointment.pk]


@pytest.mark.parametrize("minutes_ago, refused", [(6, True), (4, False)])
def test_an_appointment_more_than_five_minutes_in_the_past_is_refused_at_every_door(
        minutes_ago, refused, admin_client):
    from datetime import timedelta

    from django.utils import timezone

    from appointments.models import Appointment
    from appointments.services.status import appointment_status_change
    from leadhub.testing import make_appointment

    at = (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()
    webhook = make_webhook()
    doors = [lambda: appointment_intake(webhook=webhook, payload=body(scheduled_at=at)).appointment]
    if refused:
        with pytest.raises(AppointmentInvalid) as caught:
            doors[0]()
        assert "in the past" in caught.value.errors["scheduled_at"][0]
        assert not Appointment.objects.exists()
        booked = make_appointment()
        with pytest.raises(AppointmentInvalid, match="scheduled_at"):
            appointment_status_change(appointment=booked, new_status="rescheduled", changed_by="staff:ops",
                                      scheduled_at=timezone.now() - timedelta(minutes=minutes_ago))
        page = admin_client.post("/admin/appointments/appointment/add/", {
            "contact": booked.contact_id, "scheduled_at_0": at[:10], "scheduled_at_1": at[11:19],
            "duration_minutes": 60, "appointment_type": "consultation", "location_type": "home",
        })
        assert page.status_code == 200 and b"in the past" in page.content
    else:
        assert doors[0]().pk


def test_a_zip_and_an_email_are_normalised_as_a_leads_are():
    """`787043312`, which the lead endpoint took, is no longer refused here (leadhub.values)."""
    result = appointment_intake(webhook=make_webhook(), payload=body(customer_zip="787043312",
                                                                     customer_email=" Mary @ Example.COM"))
    assert (result.appointment.customer_zip, result.appointment.customer_email) == ("78704-3312", "Mary@example.com")
