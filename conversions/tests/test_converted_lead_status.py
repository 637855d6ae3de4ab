"""A converted lead stays `converted` while a conversion of it is counted: it leaves when its
conversions are voided (back to the stage it was in before), or by ops with a reason. The rule is
leads.services.status's, so every path (partner API, admin action, appointments) meets it."""
import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from conversions.services.changes import conversion_void
from conversions.services.create import conversion_create
from leadhub.roles import OPERATIONS
from leadhub.testing import admin_url, assert_error, make_past_lead
from leadhub.testing.api import workspace_with_key
from leads.models import Lead
from leads.services.access import LeadInvalid
from leads.services.status import LeadConverted, lead_status_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def converted():
    """A lead that was `qualified`, then converted by its workspace; the workspace's API client."""
    workspace, partner = workspace_with_key()
    lead = make_past_lead(workspace=workspace, workspace_status="assigned")
    lead_status_change(lead=lead, new_status="qualified", changed_by=f"workspace:{workspace.pk}")
    conversion = conversion_create(workspace=workspace, lead=lead, conversion_type="sale", conversion_value="500.00",
                                   created_by=f"workspace:{workspace.pk}").conversion
    assert Lead.objects.get(pk=lead.pk).status == "converted"
    return {"lead": lead, "workspace": workspace, "partner": partner, "conversion": conversion}


def status_of(lead):
    return Lead.objects.get(pk=lead.pk).status


def test_partner_cannot_move_a_converted_lead_back_while_its_conversion_is_active(converted):
    lead = converted["lead"]
    response = converted["partner"].patch(f"/api/v1/leads/{lead.pk}/", {"status": "contacted", "reason": "oops"},
                                          format="json")
    assert_error(response, 409, code="lead_converted", field="status")
    assert status_of(lead) == "converted"


@pytest.mark.parametrize("actor", ["workspace:acme", "provider:p1", "system"])
def test_only_ops_move_it_whatever_the_path(converted, actor):
    with pytest.raises(LeadConverted):
        lead_status_change(lead=converted["lead"], new_status="contacted", changed_by=actor, reason="because")
    assert status_of(converted["lead"]) == "converted"


def test_staff_move_it_back_with_a_reason(converted, django_user_model):
    lead = converted["lead"]
    user = django_user_model.objects.create_user("ops-ann", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=OPERATIONS))
    staff = APIClient()
    staff.force_login(user)

    unexplained = staff.patch(f"/api/v1/leads/{lead.pk}/", {"status": "contacted"}, format="json")
    assert_error(unexplained, 422, field="reason")
    with pytest.raises(LeadInvalid):
        lead_status_change(lead=lead, new_status="contacted", changed_by="staff:ann", reason=" ")
    assert status_of(lead) == "converted"

    moved = staff.patch(f"/api/v1/leads/{lead.pk}/", {"status": "contacted", "reason": "sale fell through"},
                        format="json")
    assert moved.status_code == 200, moved.content
    history = Lead.objects.get(pk=lead.pk).status_history.latest("id")
    assert (history.old_status, history.new_status, history.reason, history.changed_by) == (
        "converted", "contacted", "sale fell through", "staff:ops-ann")


def test_ops_move_it_with_the_admin_action_and_its_reason(converted, admin_client):
    lead = converted["lead"]
    response = admin_client.post(admin_url(Lead, "changelist"), {
        "action": "change_status", "_selected_action": [lead.pk], "post": "yes", "new_status": "lost",
        "reason": "customer cancelled",
    })
    assert response.status_code == 302
    assert status_of(lead) == "lost"


def test_voiding_its_last_conversion_moves_it_back_to_the_stage_before(converted):
    lead, workspace = converted["lead"], converted["workspace"]
    second = conversion_create(workspace=workspace, lead=lead, conversion_type="contract", conversion_value="50.00",
                               created_by=f"workspace:{workspace.pk}").conversion

    conversion_void(conversion=second, workspace=None, by="staff:ann", reason="duplicate report")
    assert status_of(lead) == "converted"  # the first conversion still counts

    conversion_void(conversion=converted["conversion"], workspace=None, by="staff:ann", reason="refunded")
    assert status_of(lead) == "qualified"
    history = Lead.objects.get(pk=lead.pk).status_history.latest("id")
    assert (history.old_status, history.new_status, history.reason) == ("converted", "qualified",
                                                                         "conversion voided: refunded")
    # No longer converted: the partner works it as any lead.
    response = converted["partner"].patch(f"/api/v1/leads/{lead.pk}/", {"status": "contacted"}, format="json")
    assert response.status_code == 200 and status_of(lead) == "contacted"
