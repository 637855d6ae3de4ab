"""lead_assign (ops, routing and distribution)."""
import pytest

from leadhub.testing import make_lead, make_workspace
from leads.models import LeadEvent, WorkspaceTracking
from leadhub.api.exceptions import service_refusal_status
from leads.gate import LeadHeld
from leads.holds import lead_hold_release
from leads.services.assignment import lead_assign

pytestmark = pytest.mark.django_db


def tracking(lead):
    return list(WorkspaceTracking.objects.filter(lead=lead).order_by("id").values_list("workspace_id", "action"))


def test_assign_sets_fields_and_records_sent_and_an_event():
    lead, workspace = make_lead(), make_workspace()
    lead_assign(lead=lead, workspace=workspace, by="ops:ada")
    lead.refresh_from_db()
    assert (lead.workspace_id, lead.workspace_status) == (workspace.pk, "assigned")
    assert lead.workspace_assigned_at is not None
    assert tracking(lead) == [(workspace.pk, "sent")]
    tracked = WorkspaceTracking.objects.get(lead=lead)
    assert tracked.contact_id == lead.contact_id and tracked.performed_by == "ops:ada"
    event = lead.events.get(event_type=LeadEvent.ASSIGNED)
    assert event.event_data == {"workspace_id": workspace.pk, "by": "ops:ada"}


def test_reassignment_records_both_sides():
    lead, old, new = make_lead(), make_workspace(), make_workspace()
    lead_assign(lead=lead, workspace=old, by="ops")
    lead_assign(lead=lead, workspace=new, by="ops")
    lead.refresh_from_db()
    assert lead.workspace_id == new.pk and lead.workspace_status == "assigned"
    assert tracking(lead) == [(old.pk, "sent"), (old.pk, "updated"), (new.pk, "sent")]
    assert lead.events.filter(event_type=LeadEvent.UNASSIGNED, event_data__workspace_id=old.pk).exists()


def test_assigning_again_to_the_same_workspace_changes_nothing():
    lead, workspace = make_lead(), make_workspace()
    lead_assign(lead=lead, workspace=workspace, by="ops")
    lead_assign(lead=lead, workspace=workspace, by="ops")
    assert tracking(lead) == [(workspace.pk, "sent")]


def test_reassigning_a_rejected_lead_to_the_same_workspace_sends_it_again():
    lead, workspace = make_lead(), make_workspace()
    lead_assign(lead=lead, workspace=workspace, by="ops")
    type(lead).objects.filter(pk=lead.pk).update(workspace_status="rejected")
    lead_assign(lead=lead, workspace=workspace, by="ops")
    lead.refresh_from_db()
    assert lead.workspace_status == "assigned"
    assert tracking(lead) == [(workspace.pk, "sent"), (workspace.pk, "sent")]


def test_manual_assignment_of_a_lead_held_for_consent_is_refused_release_first():
    lead, workspace = make_lead(held_for_consent=True), make_workspace()
    with pytest.raises(LeadHeld, match="release its holds first") as refused:
        lead_assign(lead=lead, workspace=workspace, by="staff:ada")
    assert service_refusal_status(refused.value) == 409 and "holds" in refused.value.errors
    assert refused.value.reasons == ["consent"]
    lead.refresh_from_db()
    assert lead.workspace_id is None and lead.held_for_consent
    assert not WorkspaceTracking.objects.filter(lead=lead).exists() and not lead.events.exists()


def test_a_released_lead_is_assigned():
    lead, workspace = make_lead(held_for_consent=True), make_workspace()
    lead_hold_release(lead=lead, reason="consent", by="staff:ada", note="consent obtained by phone")
    lead_assign(lead=lead, workspace=workspace, by="staff:ada")
    lead.refresh_from_db()
    assert (lead.workspace_id, lead.held_for_consent) == (workspace.pk, False)
