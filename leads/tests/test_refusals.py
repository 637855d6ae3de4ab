"""The leads refusals no API route reaches (the serializers refuse those values first): each is a
ServiceRefusal of code `validation` naming its field, so the admin and the API word it alike."""
import pytest

from leadhub.testing import make_lead
from leads.holds import HoldInvalid, lead_hold_release
from leads.services.access import LeadInvalid
from leads.services.assignment import lead_workspace_respond
from leads.services.working import lead_activity_add, lead_update

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("refuse, refusal, field", [
    (lambda lead: lead_hold_release(lead=lead, reason="spam", by="staff:ops", note="ok"), HoldInvalid, "reason"),
    (lambda lead: lead_hold_release(lead=lead, reason="consent", by="staff:ops", note=" "), HoldInvalid, "note"),
    (lambda lead: lead_update(lead=lead, data={"phone": "+14155550100"}, by="staff:ops"), LeadInvalid, "phone"),
    (lambda lead: lead_activity_add(lead=lead, activity_type="fax", title="x", created_by="staff:ops"), LeadInvalid,
     "activity_type"),
    (lambda lead: lead_workspace_respond(lead=lead, workspace=None, response="maybe", by="staff:ops"), LeadInvalid,
     "workspace_status"),
], ids=["unknown-hold-reason", "release-without-note", "field-not-editable", "activity-type", "response"])
def test_each_refusal_names_its_field(refuse, refusal, field):
    with pytest.raises(refusal) as refused:
        refuse(make_lead())

    assert (refused.value.code, list(refused.value.errors)) == ("validation", [field])
    assert refused.value.reason == f"{field}: {refused.value.errors[field][0]}"
