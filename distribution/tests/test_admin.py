"""Offers in the admin (text boxes, each wrong entry named), decisions, and the simulate page."""
import html
import json
from decimal import Decimal

import pytest

from distribution.models import Decision, Offer
from distribution.services import lead_distribute
from leadhub.testing import (
    admin_url, assert_admin_pages_render, assert_admin_read_only, make_lead, make_webhook, make_workspace,
)

pytestmark = pytest.mark.django_db


def form_data(workspace, **fields):
    data = {
        "workspace": workspace.pk, "name": "Bay Area solar", "kind": "lead", "products_text": "solar",
        "priority": 3, "weight": 1, "is_active": "on", "zip_text": "", "states_text": "", "radius_zip": "",
        "radius_miles": "", "dates_off_text": "", "price": "25.00", "appointment_price": "0", "exclusive_price": "",
        "duplicate_days": "",
        **{f"{inline}-{name}": value for inline in ("price_adjustments", "caps")
           for name, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0), ("MIN_NUM_FORMS", 0), ("MAX_NUM_FORMS", 1000))},
        "filters-TOTAL_FORMS": 1, "filters-INITIAL_FORMS": 0, "filters-MIN_NUM_FORMS": 0, "filters-MAX_NUM_FORMS": 1000,
        "filters-0-column": "monthly_electric_bill", "filters-0-op": "gte", "filters-0-value": "150",
        **{f"hours_{d}": "" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    }
    data.update(fields)
    return data


def test_an_offer_is_typed_in_text_boxes(admin_client):
    workspace = make_workspace()
    response = admin_client.post(admin_url(Offer, "add"), form_data(
        workspace, zip_text="94105, 94107\n94100 - 94199  941*", states_text="ca nv", hours_mon="09:00-12:00, 13:00-17:00",
        dates_off_text="2026-12-25",
    ))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    offer = Offer.objects.get()
    assert offer.zip_codes == ["94105", "94107", "94100-94199", "941*"]
    assert offer.states == ["CA", "NV"]
    assert offer.schedule == {"mon": [["09:00", "12:00"], ["13:00", "17:00"]]}
    assert offer.dates_off == ["2026-12-25"]
    assert [(f.column, f.op, f.value) for f in offer.filters.all()] == [("monthly_electric_bill", "gte", "150")]
    assert offer.where_rows.filter(bucket="94105@CA").exists()  # ZIP entries narrowed to the states
    assert offer.price == Decimal("25.00")
    assert_admin_pages_render(admin_client, offer)


def test_an_offers_caps_belong_to_its_buyer(admin_client):
    workspace = make_workspace()
    response = admin_client.post(admin_url(Offer, "add"), form_data(workspace, **{
        "caps-TOTAL_FORMS": 1, "caps-0-window": "day", "caps-0-measure": "count", "caps-0-maximum": "10",
        "price_adjustments-TOTAL_FORMS": 1, "price_adjustments-0-column": "property_type",
        "price_adjustments-0-op": "eq", "price_adjustments-0-value": "single_family", "price_adjustments-0-amount": "10",
    }))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    offer = Offer.objects.get()
    cap = offer.caps.get()
    assert (cap.workspace_id, cap.window, cap.maximum) == (workspace.pk, "day", Decimal("10.00"))
    assert offer.price_adjustments.get().amount == Decimal("10.00")


def test_each_wrong_entry_is_named(admin_client):
    response = admin_client.post(admin_url(Offer, "add"), form_data(
        make_workspace(), zip_text="94105, 9410, 94199-94100", states_text="CA, ZZ", hours_tue="9-5",
        dates_off_text="2026-13-01", **{"filters-0-value": "lots"},
    ))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "'9410' is not a ZIP entry" in " ".join(errors["zip_text"])
    assert "94199-94100" in " ".join(errors["zip_text"])
    assert "ZZ" in " ".join(errors["states_text"])
    assert "'9-5' is not a time window" in " ".join(errors["hours_tue"])
    assert "2026-13-01" in " ".join(errors["dates_off_text"])
    assert "monthly_electric_bill is a number, not 'lots'" in html.unescape(response.content.decode())
    assert not Offer.objects.exists()


def test_simulate_shows_the_decision_table_without_distributing(admin_client):
    good = Offer.objects.create(workspace=make_workspace(), zip_codes=["94105"], products=["solar"])
    Offer.objects.create(workspace=make_workspace(), zip_codes=["94105"], products=["solar"], is_active=False)
    webhook = make_webhook()
    payload = {"first_name": "Ada", "last_name": "B", "email": "a@example.com", "phone": "(415) 867-5309",
               "zip_code": "94105", "consent_value": True, "tcpa_compliance": True}
    url = admin_url(Offer, "simulate")
    page = admin_client.post(url, {"webhook": webhook.webhook_id, "payload": json.dumps(payload),
                                   "strategy": "priority"})
    assert page.status_code == 200
    body = page.content.decode()
    assert f"Would go to {good.workspace_id} (offer #{good.pk})" in body
    assert "eligible" in body and "inactive" not in body  # an inactive offer is no candidate
    lead = make_lead(zip_code="94105")
    page = admin_client.get(url, {"lead_id": lead.pk, "strategy": "priority"})
    assert f"Would go to {good.workspace_id}" in page.content.decode()
    assert not Decision.objects.exists()
    bad = admin_client.post(url, {"webhook": webhook.webhook_id, "payload": "{nope", "strategy": "priority"})
    assert "Not JSON" in bad.content.decode()


def test_decisions_are_read_only(admin_client):
    Offer.objects.create(workspace=make_workspace())
    decision = lead_distribute(lead=make_lead(), strategy="priority")
    assert_admin_pages_render(admin_client, decision)
    assert_admin_read_only(admin_client, decision)


def test_the_lead_page_and_timeline_show_the_decision_and_a_workspace_never_sees_it(admin_client):
    from leadhub.testing.api import key_client
    from leads.selectors import lead_timeline

    buyer = Offer.objects.create(workspace=make_workspace(permissions=["leads:read"]), priority=2)
    refused = Offer.objects.create(workspace=make_workspace(), schedule={"mon": []})  # never open
    lead = make_lead()
    decision = lead_distribute(lead=lead, strategy="priority")
    page = admin_client.get(admin_url(lead, "change", lead.pk)).content.decode()
    assert 'class="distribution-decision"' in page
    assert "Assigned by priority at" in page and "refused: closed by schedule 1" in page
    # Each candidate's verdict in words, its code kept in the title.
    assert f'title="schedule_closed">closed by schedule (never open {refused.workspace.time_zone})' in page
    assert f"<td>#{refused.pk}</td><td>{refused.workspace_id}</td>" in page
    timeline = admin_client.get(admin_url(lead, "timeline", lead.pk))
    (item,) = [i for i in timeline.context["items"] if i["kind"] == "decision"]
    assert item["id"] == decision.pk and item["data"]["workspace_ids"] == [buyer.workspace_id]
    assert "distribution assigned (priority)" in timeline.content.decode()
    assert "decision" not in {i["kind"] for i in lead_timeline(lead=lead, workspace=buyer.workspace)}
    response = key_client(buyer.workspace).get(f"/api/v1/leads/{lead.pk}/timeline/")
    assert response.status_code == 200 and refused.workspace_id not in response.content.decode()


def test_a_price_of_0_needs_a_zero_price_reason(admin_client):
    workspace = make_workspace()
    response = admin_client.post(admin_url(Offer, "add"), form_data(workspace, price="0", zero_price_reason=" "))
    assert response.status_code == 200
    assert "price is 0" in response.context["adminform"].form.errors["zero_price_reason"][0]
    response = admin_client.post(admin_url(Offer, "add"), form_data(
        workspace, price="0", zero_price_reason="trial week agreed with the buyer"))
    assert response.status_code == 302
    assert Offer.objects.get().zero_price_reason == "trial week agreed with the buyer"


@pytest.mark.parametrize("kind, price, appointment_price, refused", [
    ("lead", "0", "0", "price"), ("lead", "5", "0", None), ("appointment", "0", "0", "appointment_price"),
    ("appointment", "0", "30", None), ("any", "5", "0", "appointment_price"), ("any", "0", "30", "price"),
])
def test_the_price_of_what_an_offer_sells_is_the_one_that_needs_a_reason(kind, price, appointment_price, refused):
    from django.core.exceptions import ValidationError

    offer = Offer(workspace=make_workspace(), kind=kind, price=Decimal(price), appointment_price=Decimal(appointment_price))
    if refused is None:
        offer.full_clean()
        return
    with pytest.raises(ValidationError) as error:
        offer.full_clean()
    assert error.value.message_dict["zero_price_reason"] == [
        f"{refused} is 0: say why this offer sells for nothing, or give it a price."]


def test_the_offer_list_warns_of_every_live_0_offer_until_priced_or_paused(admin_client):
    from django.utils import timezone

    workspace = make_workspace()
    free = Offer.objects.create(workspace=workspace, name="Free trial", zero_price_reason="trial week")
    Offer.objects.create(workspace=workspace, name="Paused free", zero_price_reason="old", paused_at=timezone.now())
    Offer.objects.create(workspace=workspace, name="Priced", price=Decimal("20"))
    page = admin_client.get(admin_url(Offer, "changelist")).content.decode()
    assert "1 live offer(s) sell at $0" in page and "Free trial" in page and "trial week" in page
    Offer.objects.filter(pk=free.pk).update(price=Decimal("12"))
    assert "sell at $0" not in admin_client.get(admin_url(Offer, "changelist")).content.decode()
