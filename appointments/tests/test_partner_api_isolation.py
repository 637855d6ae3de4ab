"""Tenant isolation of /api/v1/appointments/ (the shared IsolationSuite) and the partner API."""
import pytest

from appointments.models import Appointment
from leadhub.testing.api import IsolationSuite, result_ids, workspace_with_key
from leadhub.testing import assert_error, make_appointment, make_contact, make_lead


class TestAppointmentIsolation(IsolationSuite):
    url_names = ("partner-appointment-list", "partner-appointment-detail")
    list_url = "/api/v1/appointments/"
    detail_url = "/api/v1/appointments/{pk}/"
    filter_params = (
        lambda a: {"search": "(415) " + a.customer_phone[5:8] + "-" + a.customer_phone[8:]},
        lambda a: {"search": a.customer_email},
        lambda a: {"search": a.customer_name},
        lambda a: {"status": a.status, "appointment_type": a.appointment_type},
        lambda a: {"lead": a.lead_id, "contact": a.contact_id},
        lambda a: {"scheduled_at_after": "2000-01-01T00:00:00Z", "customer_zip": a.customer_zip},
        lambda a: {"updated_since": "2000-01-01T00:00:00Z", "service_type": "SOLAR"},
    )
    write_requests = (
        ("patch", "/api/v1/appointments/{pk}/", {"status": "confirmed"}),
        ("patch", "/api/v1/appointments/{pk}/", {"notes": "mine now"}),
    )

    def make_object(self, workspace):
        contact = make_contact()
        lead = make_lead(contact, workspace=workspace, workspace_status="assigned")
        appointment = make_appointment(
            contact=contact, lead=lead, matched_workspace=workspace, customer_phone=contact.phone,
            customer_email=f"ada@{workspace.pk}.example.com", customer_name=f"Ada Lovelace{workspace.pk}",
            customer_zip="94105", service_type="Solar",
        )
        appointment.lead_links.create(lead=lead)
        return appointment

    def snapshot(self, obj):
        appointment = Appointment.objects.get(pk=obj.pk)
        return {"status": appointment.status, "notes": appointment.notes, "updated_at": appointment.updated_at,
                "events": appointment.events.count()}

    def test_create_is_for_own_leads_and_patch_runs_the_status_machine(self, tenants, appointment_clock):
        workspace_a, client_a, workspace_b, client_b = tenants
        lead_a = make_lead(workspace=workspace_a, workspace_status="assigned")
        body = {"lead_id": lead_a.pk, "scheduled_at": "2026-12-01T15:00:00-08:00", "assigned_to": "rep-1"}
        refused = client_b.post(self.list_url, body, format="json")
        assert list(assert_error(refused, 422, field="lead_id")["errors"]) == ["lead_id"]
        created = client_a.post(self.list_url, body, format="json")
        assert created.status_code == 201, created.content
        created = created.json()
        assert (created["matched_workspace_id"], created["routing_status"]) == (workspace_a.pk, "routed")
        url = f"/api/v1/appointments/{created['appointment_id']}/"

        illegal = assert_error(client_a.patch(url, {"status": "completed"}, format="json"), 422,
                               code="transition_not_allowed", field="status")
        assert set(illegal["allowed"]) == {"confirmed", "rescheduled", "cancelled", "no_show"}
        moved = client_a.patch(url, {"scheduled_at": "2026-12-02T09:00:00Z"}, format="json")
        assert moved.status_code == 200 and moved.json()["status"] == "rescheduled"
        assert client_a.patch(url, {"status": "confirmed"}, format="json").json()["status"] == "confirmed"
        done = client_a.patch(url, {"status": "completed", "outcome": "qualified", "next_action": "Send proposal"},
                              format="json").json()
        assert (done["status"], done["outcome"], done["next_action"], done["warnings"]) == (
            "completed", "qualified", "Send proposal", []
        )
        assert_error(client_a.patch(url, {"scheduled_at": "naive 2026"}, format="json"), 422, field="scheduled_at")

    def test_double_booking_comes_back_as_a_warning(self, tenants):
        workspace_a, client_a, *_ = tenants
        first, second = self.make_object(workspace_a), self.make_object(workspace_a)
        client_a.patch(f"/api/v1/appointments/{first.pk}/", {"assigned_to": "rep-9"}, format="json")
        response = client_a.patch(f"/api/v1/appointments/{second.pk}/", {"assigned_to": "rep-9"}, format="json")
        assert response.status_code == 200
        assert response.json()["warnings"][0]["appointment_ids"] == [first.pk]

    def test_scopes_are_enforced(self, db):
        reader, client = workspace_with_key(scopes=["appointments:read"])
        appointment = self.make_object(reader)
        assert client.get(self.list_url).status_code == 200
        response = client.patch(f"/api/v1/appointments/{appointment.pk}/", {"notes": "x"}, format="json")
        assert assert_error(response, 403, code="permission_denied")["missing_scope"] == "appointments:write"
        _, blind = workspace_with_key(scopes=["leads:read"])
        assert blind.get(self.list_url).status_code == 403


@pytest.mark.django_db
def test_staff_see_every_appointment(client, django_user_model):
    routed = make_appointment(matched_workspace=workspace_with_key()[0])
    unrouted = make_appointment()
    client.force_login(django_user_model.objects.create_user("ops", password="x", is_staff=True, is_superuser=True))
    assert {str(routed.pk), str(unrouted.pk)} <= result_ids(client.get("/api/v1/appointments/"))
