"""Ops' hand work sells: assigning a lead by hand (service, admin action and record button, staff
API) is a sale at the buyer's best eligible offer price or a typed price (0 needs a reason), on
the ledger, within the buyer's caps (a full cap refuses, naming it). Before, an ops assignment
booked no sale, no money and no cap usage."""
from decimal import Decimal as D

import pytest

from distribution.hand import HandSaleInvalid, HandSaleRefused, lead_sell_by_hand
from distribution.models import Cap, CapUsage, Sale
from distribution.selling import CapFull
from leadhub.testing import assert_error, make_lead, make_lead_offer, make_webhook, make_workspace
from leadhub.testing.api import key_client
from ledger.models import Entry, EntryKind
from leads.gate import LeadHeld
from leads.models import Lead, LeadAccess
from workspaces.models import OutboundEvent

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/leads/lead/"


def buyer_with_offers(*prices, **fields):
    workspace = make_workspace(outbound_webhook_url="https://buyer.example/hook", webhook_active=True, **fields)
    offers = [make_lead_offer(workspace, products=["solar"], price=price) for price in prices]
    return workspace, offers


def test_a_hand_assignment_sells_at_the_buyers_best_eligible_offer_with_its_money_caps_and_event():
    workspace, (cheap, dear) = buyer_with_offers("20", "30")
    Cap.objects.create(workspace=workspace, offer=dear, window="day", measure="count", maximum=D("5"))
    lead = make_lead(zip_code="94105")

    sale = lead_sell_by_hand(lead=lead, workspace=workspace, by="staff:ops")

    assert (sale.workspace_id, sale.offer_id, sale.price, sale.by) == (workspace.pk, dear.pk, D("30.00"), "staff:ops")
    entry = Entry.objects.get(kind=EntryKind.SALE)
    assert (entry.amount, entry.reference, entry.workspace_id, entry.lead_id) == (
        D("30.00"), f"sale:{sale.pk}", workspace.pk, lead.pk)
    assert CapUsage.objects.get().used == 1
    lead.refresh_from_db()
    access = LeadAccess.objects.get(lead=lead, workspace=workspace)
    assert (lead.workspace_id, lead.workspace_status, access.how) == (workspace.pk, "assigned", "sold")
    sold = OutboundEvent.objects.get(workspace=workspace, event_type="lead.sold")
    assert (sold.data["price"], sold.data["exclusive"], sold.data["offer_id"]) == ("30.00", False, dear.pk)
    assert OutboundEvent.objects.filter(workspace=workspace, event_type="lead.assigned").count() == 1


def test_a_typed_price_sells_at_it_and_zero_needs_a_reason():
    workspace, _ = buyer_with_offers("20")
    lead, other = make_lead(zip_code="94105"), make_lead(zip_code="94105")

    assert lead_sell_by_hand(lead=lead, workspace=workspace, by="staff:ops", price="42.5").price == D("42.50")
    with pytest.raises(HandSaleInvalid) as refused:
        lead_sell_by_hand(lead=other, workspace=workspace, by="staff:ops", price="0")
    assert "reason" in refused.value.errors
    free = lead_sell_by_hand(lead=other, workspace=workspace, by="staff:ops", price="0", reason="make-good for #7")

    assert (free.price, free.note) == (D("0.00"), "make-good for #7")
    assert list(Entry.objects.values_list("amount", flat=True)) == [D("42.50")]  # $0 moves no money


def test_a_full_cap_refuses_naming_the_cap_and_books_nothing():
    workspace, (offer,) = buyer_with_offers("20")
    Cap.objects.create(workspace=workspace, offer=offer, window="day", measure="count", maximum=D("1"))
    lead_sell_by_hand(lead=make_lead(zip_code="94105"), workspace=workspace, by="staff:ops")
    second = make_lead(zip_code="94105")

    for price in (None, "15"):
        with pytest.raises(CapFull) as refused:
            lead_sell_by_hand(lead=second, workspace=workspace, by="staff:ops", price=price)
        assert refused.value.verdicts == ["cap:offer:day"] and "cap:offer:day" in refused.value.reason

    assert Sale.objects.count() == Entry.objects.count() == 1
    assert Lead.objects.get(pk=second.pk).workspace_id is None


def test_a_buyer_cap_limits_a_typed_price_sale_without_any_offer():
    workspace = make_workspace()
    Cap.objects.create(workspace=workspace, offer=None, window="week", measure="spend", maximum=D("50"))
    lead_sell_by_hand(lead=make_lead(), workspace=workspace, by="staff:ops", price="40")

    with pytest.raises(CapFull, match="cap:buyer:week"):
        lead_sell_by_hand(lead=make_lead(), workspace=workspace, by="staff:ops", price="20")
    assert Sale.objects.get().offer_id is None


def test_no_offer_and_no_price_is_refused_naming_the_price():
    with pytest.raises(HandSaleInvalid) as refused:
        lead_sell_by_hand(lead=make_lead(), workspace=make_workspace(), by="staff:ops")
    assert "type a price" in refused.value.errors["price"][0]


def test_what_may_not_be_sold_by_hand_is_refused():
    workspace, _ = buyer_with_offers("20")
    with pytest.raises(LeadHeld):
        lead_sell_by_hand(lead=make_lead(held_for_consent=True), workspace=workspace, by="staff:ops", price="5")

    exclusive_buyer = make_workspace()
    lead = make_lead()
    lead_sell_by_hand(lead=lead, workspace=exclusive_buyer, by="staff:ops", price="90")
    Sale.objects.filter(lead=lead).update(exclusive=True)
    with pytest.raises(HandSaleRefused, match="sold exclusively"):
        lead_sell_by_hand(lead=lead, workspace=workspace, by="staff:ops", price="5")
    assert Sale.objects.filter(lead=lead).count() == 1


def test_a_buyer_that_bought_the_lead_already_becomes_its_holder_and_pays_once():
    first, _ = buyer_with_offers("20")
    second, _ = buyer_with_offers("25")
    lead = make_lead(zip_code="94105")
    sale = lead_sell_by_hand(lead=lead, workspace=first, by="staff:ops")
    lead_sell_by_hand(lead=lead, workspace=second, by="staff:ops")

    assert lead_sell_by_hand(lead=lead, workspace=first, by="staff:ops") == sale

    assert Lead.objects.get(pk=lead.pk).workspace_id == first.pk
    assert Sale.objects.filter(lead=lead).count() == Entry.objects.filter(kind=EntryKind.SALE).count() == 2


def test_a_hand_sale_books_a_fixed_payout_on_sold_once():
    webhook = make_webhook(payout_kind="fixed", payout_amount=D("6"), payout_on="sold")
    workspace, _ = buyer_with_offers("20")
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)

    lead_sell_by_hand(lead=lead, workspace=workspace, by="staff:ops")

    payout = Entry.objects.get(kind=EntryKind.PAYOUT)
    assert (payout.amount, payout.reference, payout.webhook_id) == (D("6.00"), f"payout:{lead.pk}", webhook.webhook_id)


# The admin action and its record button.

def assign(admin_client, leads, workspace, **fields):
    return admin_client.post(CHANGELIST, {
        "action": "assign_to_workspace", "_selected_action": [lead.pk for lead in leads], "post": "yes",
        "workspace": workspace.pk, **fields,
    }, follow=True)


def messages_of(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_the_admin_action_asks_for_the_buyer_and_a_price_first(admin_client):
    leads = [make_lead(), make_lead()]
    make_workspace("acme-solar")
    response = admin_client.post(CHANGELIST, {"action": "assign_to_workspace",
                                              "_selected_action": [lead.pk for lead in leads]})
    assert response.status_code == 200
    assert b"acme-solar" in response.content and b"Assign and sell 2 leads" in response.content
    assert b'name="price"' in response.content and b'name="reason"' in response.content
    assert not Sale.objects.exists()


def test_the_admin_action_sells_each_lead_and_names_each_refusal(admin_client):
    workspace, (offer,) = buyer_with_offers("20")
    Cap.objects.create(workspace=workspace, offer=offer, window="day", measure="count", maximum=D("1"))
    held, first, second = make_lead(held_for_consent=True), make_lead(zip_code="94105"), make_lead(zip_code="94105")

    response = assign(admin_client, [held, first, second], workspace)

    (success, error) = messages_of(response)
    assert success == ("success", f"Assigned 1 lead(s) to {workspace}, sold for 20.00 in all.")
    assert error[0] == "error" and f"#{held.pk}: Lead {held.pk} is held (consent)" in error[1]
    assert f"#{second.pk}: Workspace '{workspace.pk}' cannot buy more now: cap:offer:day is full." in error[1]
    assert list(Sale.objects.values_list("lead_id", "price", "by")) == [(first.pk, D("20.00"), "staff:admin")]


def test_a_typed_zero_price_without_a_reason_stays_on_the_form(admin_client):
    workspace = make_workspace()
    lead = make_lead()
    response = admin_client.post(CHANGELIST, {"action": "assign_to_workspace", "_selected_action": [lead.pk],
                                              "post": "yes", "workspace": workspace.pk, "price": "0"})
    assert response.status_code == 200 and b"A sale at 0 needs a reason" in response.content
    assert not Sale.objects.exists()


def test_the_record_button_sells_at_a_typed_price(admin_client):
    workspace = make_workspace()
    lead = make_lead()
    admin_client.post(f"/admin/leads/lead/{lead.pk}/action/assign_to_workspace/",
                      {"post": "yes", "workspace": workspace.pk, "price": "12.00"})
    assert Sale.objects.get(lead=lead).price == D("12.00")


# The staff API.

def test_staff_sell_a_lead_by_hand_through_the_api(admin_client):
    workspace, (offer,) = buyer_with_offers("20")
    lead = make_lead(zip_code="94105")

    response = admin_client.post(f"/api/v1/leads/{lead.pk}/assign/", {"workspace_id": workspace.pk},
                                 content_type="application/json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["subject"], body["lead_id"], body["workspace_id"], body["offer_id"], body["price"]) == (
        "lead", lead.pk, workspace.pk, offer.pk, "20.00")


def test_the_api_refuses_keys_unknown_buyers_zero_without_reason_and_full_caps(admin_client):
    workspace, (offer,) = buyer_with_offers("20")
    Cap.objects.create(workspace=workspace, offer=offer, window="day", measure="count", maximum=D("0"))
    lead = make_lead(zip_code="94105")
    url = f"/api/v1/leads/{lead.pk}/assign/"

    assert key_client(workspace).post(url, {"workspace_id": workspace.pk}, format="json").status_code == 403
    assert_error(admin_client.post(url, {"workspace_id": "nobody"}, content_type="application/json"), 422,
                 field="workspace_id")
    assert_error(admin_client.post(url, {"workspace_id": workspace.pk, "price": "-1"},
                                   content_type="application/json"), 422, field="price")
    assert_error(admin_client.post(url, {"workspace_id": workspace.pk, "price": "0"},
                                   content_type="application/json"), 422, field="reason")
    assert_error(admin_client.post(url, {"workspace_id": workspace.pk}, content_type="application/json"), 409,
                 code="cap_full")
    held = make_lead(held_for_consent=True)
    assert_error(admin_client.post(f"/api/v1/leads/{held.pk}/assign/", {"workspace_id": workspace.pk, "price": "5"},
                                   content_type="application/json"), 409, code="lead_held")
    assert not Sale.objects.exists()


def test_an_inactive_buyer_cannot_be_chosen(admin_client):
    lead, closed = make_lead(), make_workspace(is_active=False)
    response = admin_client.post(CHANGELIST, {"action": "assign_to_workspace", "_selected_action": [lead.pk],
                                              "post": "yes", "workspace": closed.pk, "price": "5"})
    assert response.status_code == 200 and b"errorlist" in response.content
    with pytest.raises(HandSaleInvalid, match="inactive"):
        lead_sell_by_hand(lead=lead, workspace=closed, by="staff:ops", price="5")
    assert Lead.objects.get(pk=lead.pk).workspace_id is None
