"""Tenancy by access record: every workspace a lead reached (assigned, routed, forwarded, sold)
works it on the partner API through its own live record, sees only its own work on it, and loses
it all when its access is revoked (reassignment)."""
import pytest

from analytics import selectors as kpis
from appointments.services.intake import appointment_intake
from contacts.models import Contact
from leadhub.testing import assert_error, make_access, make_appointment, make_lead, make_lead_offer, make_webhook, valid_phone
from leadhub.testing.api import result_ids, workspace_with_key
from leads.models import AccessHow, Lead, LeadAccess
from leads.services.access import lead_access_revoke
from leads.services.assignment import lead_assign
from providers.models import WebhookConfig
from workspaces.services import routing_rule_save

# Appointments are posted at fixed times: the clock stands before them (past times are refused).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("appointment_clock")]

LEAD_READS = ("/api/v1/leads/{lead}/", "/api/v1/leads/{lead}/timeline/", "/api/v1/leads/{lead}/activities/")


def reads(lead, appointment):
    """Every partner GET about one lead: the lead and its nested routes, its contact, its appointment."""
    urls = [url.format(lead=lead.pk) for url in LEAD_READS]
    return [*urls, f"/api/v1/contacts/{lead.contact_id}/", f"/api/v1/appointments/{appointment.pk}/"]


def writes(lead, appointment):
    return [
        ("patch", f"/api/v1/leads/{lead.pk}/", {"notes": "still mine", "status": "contacted"}),
        ("patch", f"/api/v1/leads/{lead.pk}/", {"workspace_status": "accepted"}),
        ("post", f"/api/v1/leads/{lead.pk}/activities/", {"activity_type": "call"}),
        ("post", "/api/v1/conversions/", {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "5.00"}),
        ("patch", f"/api/v1/appointments/{appointment.pk}/", {"notes": "mine"}),
    ]


def routed_intake(workspace, **payload):
    """An appointment posted on the lead's webhook and routed by a rule to `workspace` (ZIP
    94110, Solar)."""
    routing_rule_save(workspace=workspace, zip_codes=["94110"], product_types=["solar"])
    lead = Lead.objects.get(pk=payload["lead_id"])
    webhook = WebhookConfig.objects.filter(webhook_id=lead.webhook_id).first() or make_webhook(lead.webhook_id)
    return appointment_intake(webhook=webhook, payload={
        "customer_phone": valid_phone(), "customer_name": "Rosa Parks", "scheduled_at": "2026-12-20T15:00:00Z",
        "customer_zip": "94110", "service_type": "Solar", **payload,
    }).appointment


def test_the_routed_workspace_reads_the_lead_and_records_its_sale():
    """Repro: a workspace an appointment is routed to confirms the appointment but could not read
    or convert its lead (POST /api/v1/conversions/ → 404 "No lead ... is assigned to you")."""
    seller, seller_client = workspace_with_key()
    installer, installer_client = workspace_with_key()
    lead = make_lead(workspace=seller, workspace_status="assigned", zip_code="94110")
    appointment = routed_intake(installer, lead_id=lead.pk)
    assert appointment.matched_workspace == installer

    assert installer_client.patch(f"/api/v1/appointments/{appointment.pk}/", {"status": "confirmed"},
                                  format="json").status_code == 200
    assert installer_client.get(f"/api/v1/leads/{lead.pk}/").status_code == 200
    response = installer_client.post("/api/v1/conversions/", {
        "lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "9000.00",
    }, format="json")
    assert response.status_code == 201, response.content
    conversion = LeadAccess.objects.get(lead=lead, workspace=installer).conversions.get()
    assert str(conversion.pk) == response.json()["id"]

    # The installer's pipeline moved (scheduled → converted); the seller's stayed its own.
    assert installer_client.get(f"/api/v1/leads/{lead.pk}/").json()["status"] == "converted"
    seller_view = seller_client.get(f"/api/v1/leads/{lead.pk}/").json()
    assert (seller_view["status"], seller_view["workspace_status"]) == ("new", "assigned")
    assert Lead.objects.get(pk=lead.pk).status == "new"  # the lead's columns are the primary assignee's


def test_the_appointment_conversion_kpi_counts_the_routed_workspaces_conversion(django_user_model):
    seller, _ = workspace_with_key()
    installer, installer_client = workspace_with_key()
    lead = make_lead(workspace=seller, workspace_status="assigned")
    appointment = routed_intake(installer, lead_id=lead.pk)
    installer_client.post("/api/v1/conversions/", {
        "lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "100.00",
    }, format="json")
    day = appointment.created_at.date()
    assert kpis.appointment_conversion(workspace_id=installer.pk, date_from=day, date_to=day)["overall"] == {
        "appointments": 1, "converted": 1, "conversion_rate": 100.0,
    }


def test_after_reassignment_the_new_workspace_sees_none_of_the_old_ones_work():
    """Repro: after ops reassign A → B, B read A's notes, assignee, priority, attempts, status and
    timeline (A's appointment's status change carried no workspace)."""
    workspace_a, client_a = workspace_with_key()
    workspace_b, client_b = workspace_with_key()
    lead = make_lead(workspace=workspace_a, workspace_status="assigned", zip_code="94110")
    url = f"/api/v1/leads/{lead.pk}/"
    assert client_a.patch(url, {"notes": "A's secret", "assigned_to": "a-rep", "priority": 5,
                                "follow_up_date": "2026-12-24T10:00:00Z"}, format="json").status_code == 200
    client_a.post(f"{url}activities/", {"activity_type": "call", "title": "A calls"}, format="json")
    client_a.post("/api/v1/appointments/", {"lead_id": lead.pk, "scheduled_at": "2026-12-20T15:00:00Z"},
                  format="json")
    assert client_a.get(url).json()["status"] == "scheduled"

    lead_assign(lead=lead, workspace=workspace_b, by="staff:ops")

    seen = client_b.get(url).json()
    assert (seen["notes"], seen["assigned_to"], seen["priority"], seen["follow_up_date"], seen["contact_attempts"],
            seen["status"], seen["workspace_status"]) == ("", "", 1, None, 0, "new", "assigned")
    timeline = client_b.get(f"{url}timeline/").json()["items"]
    assert workspace_a.pk not in str(timeline) and "A calls" not in str(timeline)
    assert {item["data"].get("event_type", item["summary"]) for item in timeline if item["kind"] != "event"} == set()
    assert client_b.get(f"{url}activities/").json()["results"] == []
    assert client_b.get("/api/v1/appointments/").json()["results"] == []

    # A's record and history stay for ops; the lead's columns now show B's.
    old = LeadAccess.objects.get(lead=lead, workspace=workspace_a)
    assert old.revoked_at is not None and (old.notes, old.status, old.contact_attempts) == ("A's secret", "scheduled", 1)
    assert Lead.objects.get(pk=lead.pk).notes == ""


def test_a_revoked_workspace_gets_404_on_every_partner_route():
    workspace_a, client_a = workspace_with_key()
    workspace_b, _ = workspace_with_key()
    lead = make_lead(workspace=workspace_a, workspace_status="assigned")
    appointment = make_appointment(lead=lead, matched_workspace=workspace_a)
    for url in reads(lead, appointment):
        assert client_a.get(url).status_code == 200, url
    lead_assign(lead=lead, workspace=workspace_b, by="staff:ops")
    before = LeadAccess.objects.get(lead=lead, workspace=workspace_a)
    for url in reads(lead, appointment):
        assert_error(client_a.get(url), 404, code="not_found")
    for method, url, body in writes(lead, appointment):
        response = getattr(client_a, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.content)
    for url in ("/api/v1/leads/", "/api/v1/contacts/", "/api/v1/appointments/"):
        assert result_ids(client_a.get(url)) == set(), url
    after = LeadAccess.objects.get(lead=lead, workspace=workspace_a)
    assert (after.notes, after.status, after.contact_attempts, after.updated_at) == (
        before.notes, before.status, before.contact_attempts, before.updated_at)


def test_a_revoked_workspace_no_longer_reads_or_receives_the_leads_events():
    """Repro: after reassignment the old holder still listed the lead's events (names, phone,
    address in their data) at /api/v1/workspace/events/ and could have them sent again."""
    from workspaces.delivery import outbox_deliver
    from workspaces.models import DeliveryStatus, OutboundEvent

    workspace_a, client_a = workspace_with_key(outbound_webhook_url="https://a.example/hook", webhook_active=True)
    workspace_b, _ = workspace_with_key()
    lead = make_lead()
    lead_assign(lead=lead, workspace=workspace_a, by="staff:ops")
    (event,) = OutboundEvent.objects.filter(workspace=workspace_a, subject_type="lead", subject_id=str(lead.pk))
    assert result_ids(client_a.get("/api/v1/workspace/events/")) == {str(event.pk)}

    lead_assign(lead=lead, workspace=workspace_b, by="staff:ops")
    assert result_ids(client_a.get("/api/v1/workspace/events/")) == set()
    assert_error(client_a.get(f"/api/v1/workspace/events/{event.pk}/"), 404, code="not_found")
    response = client_a.post("/api/v1/workspace/webhook/redeliver/", {"event_id": str(event.pk)}, format="json")
    assert response.status_code == 404, response.content
    assert outbox_deliver(event_id=event.pk) is None  # never sent
    event.refresh_from_db()
    assert event.status == DeliveryStatus.SKIPPED and event.withdrawn_at is not None  # ops still see it


@pytest.mark.parametrize("how", [AccessHow.ASSIGNED, AccessHow.ROUTED, AccessHow.FORWARDED, AccessHow.SOLD])
def test_each_way_of_reaching_a_lead_reads_and_works_it(how):
    primary, _ = workspace_with_key()
    holder, client = workspace_with_key()
    if how == AccessHow.ASSIGNED:
        lead = make_lead(workspace=holder, workspace_status="assigned")
    else:
        lead = make_lead(workspace=primary, workspace_status="assigned")
        make_access(lead, holder, how=how)
    appointment = make_appointment(lead=lead, matched_workspace=holder)
    for url in reads(lead, appointment):
        assert client.get(url).status_code == 200, url
    assert str(lead.pk) in result_ids(client.get("/api/v1/leads/"))
    for method, url, body in writes(lead, appointment):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code in (200, 201), (method, url, response.content)
    access = LeadAccess.objects.get(lead=lead, workspace=holder)
    assert (access.how, access.workspace_status, access.notes, access.contact_attempts) == (
        how, "converted", "still mine", 1)

    lead_access_revoke(lead=lead, workspace_id=holder.pk, by="staff:ops")
    for url in reads(lead, appointment):
        assert client.get(url).status_code == 404, url


def test_two_holders_never_see_each_others_working_fields_history_or_activities():
    workspace_a, client_a = workspace_with_key()
    workspace_w, client_w = workspace_with_key()
    lead = make_lead(workspace=workspace_a, workspace_status="assigned")
    make_access(lead, workspace_w, how=AccessHow.ROUTED)
    url = f"/api/v1/leads/{lead.pk}/"
    for client, who, status in ((client_a, "alpha", "contacted"), (client_w, "whisky", "qualified")):
        body = {"status": status, "notes": f"{who} notes", "assigned_to": f"{who}-rep", "priority": 3,
                "workspace_status": "accepted"}
        assert client.patch(url, body, format="json").status_code == 200
        client.post(f"{url}activities/", {"activity_type": "note", "title": f"{who} note",
                                          "metadata": {"crm_id": f"{who}-1"}}, format="json")

    for client, mine, theirs, status in ((client_a, "alpha", "whisky", "contacted"),
                                         (client_w, "whisky", "alpha", "qualified")):
        seen = client.get(url).json()
        assert (seen["status"], seen["notes"], seen["assigned_to"]) == (status, f"{mine} notes", f"{mine}-rep")
        listed = client.get("/api/v1/leads/", {"status": status}).json()["results"]
        assert [row["notes"] for row in listed] == [f"{mine} notes"]
        for path in ("timeline/", "activities/"):
            text = str(client.get(f"{url}{path}").json())
            assert mine in text and theirs not in text, path
        activity = client.get(f"{url}activities/").json()["results"][0]
        assert activity["metadata"] == {"crm_id": f"{mine}-1"}
        contact = client.get(f"/api/v1/contacts/{lead.contact_id}/").json()
        assert contact["leads"][0]["status"] == status
    # The lead's own columns mirror the primary assignee (A).
    assert (Lead.objects.get(pk=lead.pk).status, Lead.objects.get(pk=lead.pk).notes) == ("contacted", "alpha notes")


def test_an_activity_keeps_the_clients_metadata_and_writes_a_lead_event():
    workspace, client = workspace_with_key()
    lead = make_lead(workspace=workspace, workspace_status="assigned")
    response = client.post(f"/api/v1/leads/{lead.pk}/activities/", {
        "activity_type": "call", "title": "Intro", "metadata": {"duration_s": 95, "recording": "r-1"},
    }, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["metadata"] == {"duration_s": 95, "recording": "r-1"}
    activity = lead.activities.get()
    assert activity.metadata == {"duration_s": 95, "recording": "r-1"} and activity.workspace_id == workspace.pk
    event = lead.events.get(event_type="activity_added")
    assert (event.workspace_id, event.event_data["activity_id"]) == (workspace.pk, activity.pk)
    assert_error(client.post(f"/api/v1/leads/{lead.pk}/activities/", {"activity_type": "call", "metadata": [1]},
                             format="json"), 422, field="metadata")


def test_contact_is_rejected_only_when_every_holder_rejected_and_converted_while_a_conversion_counts():
    workspace_a, client_a = workspace_with_key()
    workspace_b, client_b = workspace_with_key()
    lead = make_lead(workspace=workspace_a, workspace_status="assigned")
    other = make_lead(lead.contact, lead_type="hvac", workspace=workspace_b, workspace_status="assigned")

    def status():
        return Contact.objects.get(pk=lead.contact_id).conversion_status

    client_a.patch(f"/api/v1/leads/{lead.pk}/", {"workspace_status": "rejected"}, format="json")
    assert status() == "pending"
    client_b.patch(f"/api/v1/leads/{other.pk}/", {"workspace_status": "rejected"}, format="json")
    assert status() == "rejected"
    client_b.patch(f"/api/v1/leads/{other.pk}/", {"workspace_status": "accepted"}, format="json")
    created = client_b.post("/api/v1/conversions/", {"lead_id": other.pk, "conversion_type": "sale",
                                                     "conversion_value": "10.00"}, format="json").json()
    assert status() == "converted"
    client_b.post(f"/api/v1/conversions/{created['id']}/void/", {"reason": "refund"}, format="json")
    assert status() == "pending"


def test_double_booking_warns_only_about_the_callers_own_appointments():
    workspace_a, client_a = workspace_with_key()
    workspace_b, client_b = workspace_with_key()
    theirs = make_appointment(lead=make_lead(workspace=workspace_b), matched_workspace=workspace_b,
                              assigned_to="shared-rep")
    mine = make_appointment(lead=make_lead(workspace=workspace_a), matched_workspace=workspace_a,
                            scheduled_at=theirs.scheduled_at)
    other_mine = make_appointment(lead=make_lead(workspace=workspace_a), matched_workspace=workspace_a,
                                  scheduled_at=theirs.scheduled_at, assigned_to="shared-rep")
    response = client_a.patch(f"/api/v1/appointments/{mine.pk}/", {"assigned_to": "shared-rep"}, format="json")
    assert response.json()["warnings"][0]["appointment_ids"] == [other_mine.pk]
    assert str(theirs.pk) not in response.json()["warnings"][0]["message"].split("appointment(s) ")[1]


def test_distribution_grants_the_buyer_its_assigned_access_and_emits_lead_assigned():
    from distribution.services import lead_distribute
    from workspaces.models import OutboundEvent

    buyer, _ = workspace_with_key(outbound_webhook_url="https://buyer.example.com/hook", webhook_active=True)
    make_lead_offer(buyer, zip_codes=["94110"], products=["solar"])
    lead = make_lead(zip_code="94110", consent_value=True, tcpa_compliance=True)
    lead_distribute(lead=lead, strategy="priority")
    access = LeadAccess.objects.get(lead=lead)
    assert (access.workspace_id, access.how, access.workspace_status) == (buyer.pk, "sold", "assigned")
    assert OutboundEvent.objects.filter(workspace=buyer, event_type="lead.assigned", subject_id=str(lead.pk)).exists()
