"""Lead offers assign leads through the engine (moved from leads/tests/test_assign.py with
`lead_auto_assign`, now `lead_distribute` by strategy `priority`); routing rules route
appointments only."""
import pytest

from distribution.models import DecisionResult
from distribution.services import lead_distribute
from leadhub.testing import make_lead, make_lead_offer, make_workspace
from leads.models import WorkspaceTracking
from workspaces.models import AppointmentRoutingRule

pytestmark = pytest.mark.django_db


def test_auto_assign_follows_the_lead_offers():
    workspace = make_workspace()
    make_lead_offer(workspace, zip_codes=["94105"], products=["Solar"])
    lead = make_lead(zip_code="94105")
    decision = lead_distribute(lead=lead, strategy="priority")
    assert decision.workspace_ids == [workspace.pk]
    lead.refresh_from_db()
    assert lead.workspace_id == workspace.pk
    tracked = WorkspaceTracking.objects.get(lead=lead)
    assert (tracked.performed_by, tracked.metadata) == ("system", {})


def test_a_routing_rule_sells_no_lead():
    AppointmentRoutingRule.objects.create(workspace=make_workspace(), zip_codes=["94105"], product_types=["Solar"])
    lead = make_lead(zip_code="94105")
    decision = lead_distribute(lead=lead, strategy="priority")
    assert decision.result == DecisionResult.UNSOLD and decision.candidates == []
    lead.refresh_from_db()
    assert lead.workspace_id is None


def test_auto_assign_never_assigns_a_lead_held_for_consent():
    workspace = make_workspace()
    make_lead_offer(workspace, zip_codes=["94105"])
    lead = make_lead(zip_code="94105", held_for_consent=True)
    decision = lead_distribute(lead=lead, strategy="priority")
    assert decision.result == DecisionResult.UNSOLD and decision.refused == {"consent_hold": 1}
    lead.refresh_from_db()
    assert lead.workspace_id is None and not WorkspaceTracking.objects.filter(lead=lead).exists()


def test_auto_assign_without_a_match_or_on_an_assigned_lead_is_a_no_op():
    make_lead_offer(make_workspace(), zip_codes=["10001"])
    unmatched = lead_distribute(lead=make_lead(zip_code="94105"), strategy="priority")
    assert unmatched.result == DecisionResult.UNSOLD and unmatched.candidates == []
    holder = make_workspace()
    assigned = make_lead(zip_code="10001", workspace=holder, workspace_status="accepted")
    assert lead_distribute(lead=assigned, strategy="priority") is None
    assigned.refresh_from_db()
    assert assigned.workspace_id == holder.pk


def test_editing_a_rule_edits_its_offer():
    rule = AppointmentRoutingRule.objects.create(workspace=make_workspace(), zip_codes=["10001"], priority=2)
    rule.zip_codes, rule.priority, rule.is_active = ["94105"], 7, False
    rule.save()
    offer = rule.offer
    offer.refresh_from_db()
    assert (offer.zip_codes, offer.priority, offer.is_active, offer.kind) == (["94105"], 7, False, "appointment")
    assert offer.created_at == rule.created_at
    assert offer.zero_price_reason == f"made from routing rule {rule.pk}, not priced yet"  # listed to ops as $0
    assert list(offer.where_rows.values_list("bucket", "offer_kind")) == [("94105", "appointment")]
