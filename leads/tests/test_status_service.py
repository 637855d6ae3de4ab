"""lead_status_change: the one status service."""
import pytest

from leadhub.testing import make_lead, make_workspace
from leads.models import LeadPipelineStage, WorkspaceTracking
from leads.services.status import LeadStatusInvalid, lead_status_change

pytestmark = pytest.mark.django_db


def test_change_writes_lead_history_event_with_who_and_why():
    lead = make_lead()
    lead_status_change(
        lead=lead, new_status="contacted", changed_by="ops:7", changed_by_name="Ada", reason="called", notes="nice"
    )
    lead.refresh_from_db()
    assert lead.status == "contacted" and lead.status_changed_by == "ops:7" and lead.status_changed_at
    history = lead.status_history.get()
    assert (history.old_status, history.new_status, history.changed_by, history.changed_by_name) == (
        "new", "contacted", "ops:7", "Ada"
    )
    assert (history.reason, history.notes) == ("called", "nice")
    event = lead.events.get(event_type="status_changed")
    assert event.event_data["old_status"] == "new" and event.event_data["new_status"] == "contacted"
    assert not WorkspaceTracking.objects.exists()  # no workspace involved


@pytest.mark.parametrize("status, action", [("qualified", "qualified"), ("rejected", "rejected"), ("lost", "updated")])
def test_workspace_change_is_tracked_as_fits(status, action):
    workspace = make_workspace()
    lead = make_lead(workspace=workspace, workspace_status="assigned")
    lead_status_change(lead=lead, new_status=status, changed_by=workspace.pk, workspace=workspace)
    tracked = WorkspaceTracking.objects.get(lead=lead)
    assert (tracked.workspace_id, tracked.action) == (workspace.pk, action)
    assert lead.status_history.get().workspace_id == workspace.pk


def test_illegal_status_is_refused_listing_the_allowed_ones():
    lead = make_lead()
    LeadPipelineStage.objects.filter(name="lost").update(is_active=False)
    for bad in ("won", "lost"):
        with pytest.raises(LeadStatusInvalid) as caught:
            lead_status_change(lead=lead, new_status=bad, changed_by="ops")
        assert "qualified" in caught.value.allowed and "lost" not in caught.value.allowed
        assert "Allowed:" in caught.value.errors["status"][0]
    lead.refresh_from_db()
    assert lead.status == "new" and not lead.status_history.exists() and not lead.events.exists()


def test_setting_the_current_status_again_records_nothing():
    lead = make_lead()
    lead_status_change(lead=lead, new_status="new", changed_by="ops")
    assert not lead.status_history.exists()
