"""A lead's state from its ZIP: a lead posted with a ZIP and no state gets the ZIP's state, stored
as derived; a posted state the ZIP contradicts is kept as posted and flagged for ops."""
import pytest

from distribution.models import Offer
from leadhub.testing import admin_url, make_access, make_provider, make_webhook, make_workspace, valid_phone
from leadhub.testing.api import key_client
from leads.ingest import clean_lead
from leads.models import Lead, LeadEvent
from leads.services.ingest import lead_ingest
from leads.tests.test_ingest_service import lead_payload

pytestmark = pytest.mark.django_db


def ingest(**fields):
    return lead_ingest(webhook=make_webhook(distribution_strategy="priority"), payload=lead_payload(valid_phone(), **fields),
                       provider=make_provider()).lead


@pytest.mark.parametrize(
    "fields, state, source, conflict",
    [
        ({"zip_code": "94110"}, "CA", "zip", False),
        ({"zip_code": "94110-1234"}, "CA", "zip", False),
        ({"zip_code": "94110", "state": "ca"}, "CA", "posted", False),
        ({"zip_code": "94110", "state": "NV"}, "NV", "posted", True),
        ({"state": "NV"}, "NV", "posted", False),
        ({"zip_code": "00000"}, "", "", False),  # no such ZIP: nothing to derive
        ({}, "", "", False),
    ],
)
def test_clean_lead_derives_the_state_from_the_zip(fields, state, source, conflict):
    values = clean_lead(lead_payload(valid_phone(), **fields), lead_type="solar").values
    assert (values.get("state", ""), values.get("state_source", ""),
            values.get("state_conflicts_zip", False)) == (state, source, conflict)


def test_a_lead_without_a_state_is_sold_by_an_offer_of_its_zips_state():
    bay = Offer.objects.create(workspace=make_workspace(), products=["solar"], zip_codes=["941*"], states=["CA"])
    lead = ingest(zip_code="94110")
    assert (lead.state, lead.state_source, lead.state_conflicts_zip) == ("CA", "zip", False)
    assert lead.decisions.get().offer_ids == [bay.pk]
    received = LeadEvent.objects.get(lead=lead, event_type=LeadEvent.RECEIVED)
    assert received.event_data["state_source"] == "zip"
    assert lead.contact.state == ""  # the contact keeps what was posted: no state


def test_a_posted_state_the_zip_contradicts_is_kept_and_flagged_for_ops(admin_client):
    lead = ingest(zip_code="94110", state="NV")
    assert (lead.state, lead.state_source, lead.state_conflicts_zip) == ("NV", "posted", True)
    conflict = LeadEvent.objects.get(lead=lead, event_type=LeadEvent.STATE_CONFLICT)
    assert conflict.event_data == {"posted": "NV", "zip_code": "94110", "zip_state": "CA"}
    calm = ingest(zip_code="94110", state="CA")
    assert not LeadEvent.objects.filter(lead=calm, event_type=LeadEvent.STATE_CONFLICT).exists()
    changelist = admin_client.get(admin_url(Lead, "changelist"), {"state_conflicts_zip__exact": "1"})
    assert [row.pk for row in changelist.context["cl"].result_list] == [lead.pk]
    page = admin_client.get(admin_url(lead, "change", lead.pk)).content.decode()
    assert "State conflicts with the ZIP" in page and "state_source" in page
    timeline = admin_client.get(admin_url(lead, "timeline", lead.pk)).content.decode()
    assert "state_conflict" in timeline


def test_the_partner_api_shows_where_the_state_came_from():
    workspace = make_workspace(permissions=["leads:read"])
    lead = ingest(zip_code="94110")
    Lead.objects.filter(pk=lead.pk).update(workspace=workspace)
    make_access(lead, workspace, how="assigned")
    body = key_client(workspace).get(f"/api/v1/leads/{lead.pk}/").json()
    assert (body["state"], body["state_source"], body["state_conflicts_zip"]) == ("CA", "zip", False)
