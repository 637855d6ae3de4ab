"""Tenant isolation of /api/v1/leads/ and its nested endpoints (the shared IsolationSuite)."""
import pytest

from leadhub.testing.api import IsolationSuite, result_ids, workspace_with_key
from leadhub.testing import make_appointment, make_contact, make_conversion, make_lead
from leads.models import Lead
from leads.services.assignment import lead_assign
from leads.services.status import lead_status_change
from leads.services.working import lead_activity_add


class TestLeadIsolation(IsolationSuite):
    url_names = ("partner-lead-list", "partner-lead-detail", "partner-lead-timeline", "partner-lead-activities",
                 "partner-lead-compliance")
    list_url = "/api/v1/leads/"
    detail_url = "/api/v1/leads/{pk}/"
    nested_get_urls = ("/api/v1/leads/{pk}/timeline/", "/api/v1/leads/{pk}/activities/",
                       "/api/v1/leads/{pk}/compliance/")
    filter_params = (
        lambda lead: {"search": "(415) " + lead.phone[5:8] + "-" + lead.phone[8:]},
        lambda lead: {"search": lead.email},
        lambda lead: {"search": f"{lead.first_name} {lead.last_name}"},
        lambda lead: {"status": lead.status, "lead_type": lead.lead_type},
        lambda lead: {"zip_code": lead.zip_code, "state": lead.state},
        lambda lead: {"updated_since": "2000-01-01T00:00:00Z"},
        lambda lead: {"created_at__gte": "2000-01-01T00:00:00Z", "created_at_before": "2999-01-01T00:00:00Z"},
    )
    write_requests = (
        ("patch", "/api/v1/leads/{pk}/", {"status": "qualified", "notes": "mine now"}),
        ("patch", "/api/v1/leads/{pk}/", {"workspace_status": "rejected"}),
        ("post", "/api/v1/leads/{pk}/activities/", {"activity_type": "call", "title": "hi"}),
    )

    def make_object(self, workspace):
        contact = make_contact(first_name="Grace", last_name=f"Hopper{workspace.pk}", zip_code="94105")
        return make_lead(
            contact,
            email=f"grace@{workspace.pk}.example.com",
            state="CA",
            zip_code="94105",
            workspace=workspace,
            workspace_status="assigned",
        )

    def snapshot(self, obj):
        lead = Lead.objects.get(pk=obj.pk)
        return {
            "status": lead.status,
            "notes": lead.notes,
            "workspace_status": lead.workspace_status,
            "contact_attempts": lead.contact_attempts,
            "updated_at": lead.updated_at,
            "activities": lead.activities.count(),
            "history": lead.status_history.count(),
        }

    def test_reassigned_lead_leaves_the_old_workspace_and_hides_its_history(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        lead = self.make_object(workspace_a)
        lead_activity_add(lead=lead, activity_type="note", title="A's secret note", created_by="a", workspace=workspace_a)
        lead_status_change(lead=lead, new_status="contacted", changed_by="a", reason="A called", workspace=workspace_a)
        make_appointment(lead=lead, matched_workspace=workspace_a, notes="A's visit")
        make_conversion(lead=lead, workspace=workspace_a)
        lead_assign(lead=lead, workspace=workspace_b, by="ops")

        assert client_a.get(f"/api/v1/leads/{lead.pk}/").status_code == 404
        assert client_a.get(f"/api/v1/leads/{lead.pk}/timeline/").status_code == 404
        assert str(lead.pk) not in result_ids(client_a.get("/api/v1/leads/"))

        timeline = client_b.get(f"/api/v1/leads/{lead.pk}/timeline/").json()["items"]
        text = str(timeline)
        assert "A's secret note" not in text and "A called" not in text
        assert workspace_a.pk not in text
        assert {item["kind"] for item in timeline} == {"event"}  # only B's own assignment
        assert client_b.get(f"/api/v1/leads/{lead.pk}/activities/").json()["results"] == []


@pytest.mark.django_db
def test_staff_see_every_workspace_and_may_narrow_by_workspace(client, django_user_model):
    workspace_a, _ = workspace_with_key()
    workspace_b, _ = workspace_with_key()
    lead_a = make_lead(workspace=workspace_a, workspace_status="assigned")
    lead_b = make_lead(workspace=workspace_b, workspace_status="assigned")
    unassigned = make_lead()
    staff = django_user_model.objects.create_user("ops", password="x", is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert {str(lead_a.pk), str(lead_b.pk), str(unassigned.pk)} <= result_ids(client.get("/api/v1/leads/"))
    assert result_ids(client.get("/api/v1/leads/", {"workspace": workspace_a.pk})) == {str(lead_a.pk)}
    assert client.get(f"/api/v1/leads/{lead_b.pk}/timeline/").status_code == 200


@pytest.mark.django_db
def test_non_staff_users_are_refused(client, django_user_model):
    user = django_user_model.objects.create_user("someone", password="x")
    client.force_login(user)
    assert client.get("/api/v1/leads/").status_code == 403
