"""Appointments are sold through the one sale path: at the offer's appointment price plus its
price adjustments, within its caps (a full cap sends the appointment to the next offer), with
the source's payout; an appointment of a lead sold exclusively (or to several buyers) stays with
the lead's buyers. Before, appointments routed to an offer booked no sale, no ledger entry and no
cap usage (three appointments to a $75 offer capped at 1/day: 0 sales), and an appointment handed
an exclusively sold lead to a third workspace."""
from decimal import Decimal as D

import pytest

from appointments.models import ForwardStatus
from appointments.services.intake import appointment_intake
from appointments.services.routing import appointment_route
from distribution.models import Cap, CapUsage, Offer, OfferPriceAdjustment, Sale
from distribution.services import lead_distribute
from leadhub.testing import make_contact, make_lead, make_lead_offer, make_webhook, make_workspace
from ledger.models import Entry, EntryKind
from leads.holds import lead_hold_release
from leads.models import LeadAccess
from workspaces.models import OutboundEvent

# Appointments are posted at fixed times: the clock stands before them (past times are refused).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("appointment_clock")]

SCHEDULED = "2026-12-01T15:00:00-08:00"


def appointment_body(**fields):
    return {"customer_name": "Mary Ann Smith", "customer_phone": "(415) 234-5678", "customer_zip": "94105",
            "service_type": "solar", "scheduled_at": SCHEDULED, **fields}


def appointment_buyer(price, *, priority=1, **fields):
    workspace = make_workspace(outbound_webhook_url="https://buyer.example/hook", webhook_active=True, **fields)
    offer = Offer.objects.create(workspace=workspace, kind="appointment", products=["solar"], zip_codes=["94105"],
                                 appointment_price=D(price), priority=priority)
    return workspace, offer


def test_a_full_cap_sends_the_next_appointment_to_the_next_offer():
    first, capped = appointment_buyer("75", priority=5)
    Cap.objects.create(workspace=first, offer=capped, window="day", measure="count", maximum=D("1"))
    second, fallback = appointment_buyer("40", priority=1)
    webhook = make_webhook()

    routed = [appointment_intake(webhook=webhook, payload=appointment_body(customer_phone=f"(415) 234-56{n:02d}"))
              .appointment for n in range(3)]

    assert [a.matched_workspace_id for a in routed] == [first.pk, second.pk, second.pk]
    sales = list(Sale.objects.order_by("pk").values_list("appointment_id", "workspace_id", "offer_id", "price"))
    assert sales == [(routed[0].pk, first.pk, capped.pk, D("75.00")), (routed[1].pk, second.pk, fallback.pk, D("40.00")),
                     (routed[2].pk, second.pk, fallback.pk, D("40.00"))]
    entries = list(Entry.objects.filter(kind=EntryKind.SALE).order_by("pk").values_list("reference", "amount"))
    assert entries == [(f"sale:{pk}", price) for pk, price in Sale.objects.order_by("pk").values_list("pk", "price")]
    assert CapUsage.objects.get().used == 1
    sold = OutboundEvent.objects.get(workspace=first, event_type="appointment.sold")
    assert (sold.data["appointment_id"], sold.data["price"], sold.data["offer_id"]) == (routed[0].pk, "75.00",
                                                                                         capped.pk)
    assert "cap" not in routed[1].routing_method and f"offer #{fallback.pk}" in routed[1].routing_method


def test_the_appointment_price_takes_the_offers_price_adjustments():
    workspace, offer = appointment_buyer("50")
    OfferPriceAdjustment.objects.create(offer=offer, column="state", op="eq", value="CA", amount=D("10"))
    webhook = make_webhook()
    lead = make_lead(zip_code="94105", state="CA", webhook_id=webhook.webhook_id)

    appointment_intake(webhook=webhook, payload={"lead_id": lead.pk, "scheduled_at": SCHEDULED})

    assert Sale.objects.get().price == D("60.00")


def test_an_appointment_of_an_exclusively_sold_lead_goes_to_its_buyer_never_to_another():
    webhook = make_webhook(distribution_strategy="multisell")
    exclusive_buyer = make_workspace()
    make_lead_offer(exclusive_buyer, products=["solar"], price="20", exclusive_price="90")
    shared = make_workspace()
    make_lead_offer(shared, products=["solar"], price="30")
    third, third_offer = appointment_buyer("75", priority=9)  # first in the appointment waterfall
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    lead_distribute(lead=lead, webhook=webhook)
    assert list(Sale.objects.values_list("workspace_id", "exclusive")) == [(exclusive_buyer.pk, True)]

    appointment = appointment_intake(webhook=webhook, payload={"lead_id": lead.pk, "scheduled_at": SCHEDULED}
                                     ).appointment

    assert appointment.matched_workspace_id == exclusive_buyer.pk
    assert f"sold exclusively to '{exclusive_buyer.pk}'" in appointment.routing_method
    assert "sent unsold" in appointment.routing_method  # a free follow-up of its own lead, recorded as such
    assert not LeadAccess.objects.filter(lead=lead, workspace=third).exists()
    assert Sale.objects.filter(appointment=appointment).count() == 0

    # With an appointment offer of its own, the exclusive buyer buys the appointment at its price.
    Offer.objects.create(workspace=exclusive_buyer, kind="appointment", products=["solar"], appointment_price=D("55"))
    again = appointment_intake(webhook=webhook, payload={"lead_id": lead.pk, "scheduled_at": "2026-12-02T15:00:00Z"}
                               ).appointment
    assert again.matched_workspace_id == exclusive_buyer.pk
    assert list(Sale.objects.filter(appointment=again).values_list("workspace_id", "price", "lead_id")) == [
        (exclusive_buyer.pk, D("55.00"), lead.pk)]
    assert not Sale.objects.filter(workspace=third).exists()


def test_under_multisell_an_appointment_goes_to_one_of_the_leads_buyers():
    webhook = make_webhook(distribution_strategy="multisell")
    buyers = [make_workspace() for _ in range(2)]
    for buyer, price in zip(buyers, ("20", "30"), strict=True):
        make_lead_offer(buyer, products=["solar"], price=price)
    outsider, _ = appointment_buyer("75", priority=9)
    _, low = appointment_buyer("10")
    Offer.objects.filter(pk=low.pk).update(workspace=buyers[0])
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    lead_distribute(lead=lead, webhook=webhook)

    appointment = appointment_intake(webhook=webhook, payload={"lead_id": lead.pk, "scheduled_at": SCHEDULED}
                                     ).appointment

    assert appointment.matched_workspace_id == buyers[0].pk
    assert Sale.objects.get(appointment=appointment).price == D("10.00")
    assert not LeadAccess.objects.filter(lead=lead, workspace=outsider).exists()


def test_an_appointment_webhooks_payout_is_booked_with_the_sale_under_sold():
    webhook = make_webhook(payout_kind="fixed", payout_amount=D("8"), payout_on="sold")
    appointment_buyer("75")

    sold = appointment_intake(webhook=webhook, payload=appointment_body()).appointment
    unsold = appointment_intake(webhook=webhook, payload=appointment_body(customer_zip="10001",
                                                                          customer_phone="(415) 234-5699")).appointment

    payouts = list(Entry.objects.filter(kind=EntryKind.PAYOUT).values_list("reference", "amount", "webhook_id"))
    assert payouts == [(f"payout:appointment:{sold.pk}", D("8.00"), webhook.webhook_id)]
    assert unsold.matched_workspace_id is None


def test_an_appointment_of_a_held_lead_is_sold_at_its_release_once():
    webhook = make_webhook(payout_kind="fixed", payout_amount=D("5"), payout_on="accepted")
    buyer, offer = appointment_buyer("75")
    lead = make_lead(make_contact(webhook_id=webhook.webhook_id), zip_code="94105", held_for_consent=True)
    appointment = appointment_intake(webhook=webhook, payload={"lead_id": lead.pk, "scheduled_at": SCHEDULED}
                                     ).appointment
    assert appointment.forward_status == ForwardStatus.WAITING
    assert not Sale.objects.exists() and not Entry.objects.exists()

    lead_hold_release(lead=lead, reason="consent", by="ops:test", note="Consent recorded on the call.")
    lead_hold_release(lead=lead, reason="consent", by="ops:test", note="again")

    assert list(Sale.objects.values_list("appointment_id", "workspace_id", "price")) == [
        (appointment.pk, buyer.pk, D("75.00"))]
    assert sorted(Entry.objects.values_list("kind", "amount")) == [("payout", D("5.00")), ("sale", D("75.00"))]


def test_ops_routing_by_hand_sells_at_the_chosen_buyers_offer_or_sends_it_unsold():
    webhook = make_webhook()
    appointment = appointment_intake(webhook=webhook, payload=appointment_body(customer_zip="10001")).appointment
    assert appointment.matched_workspace_id is None
    buyer, offer = appointment_buyer("75")
    Offer.objects.filter(pk=offer.pk).update(zip_codes=["10001"])
    offer.refresh_from_db()
    offer.save()

    routed = appointment_route(appointment=appointment, workspace=buyer, by="staff:ops")

    assert routed.matched_workspace_id == buyer.pk and "manual" in routed.routing_method
    assert Sale.objects.get(appointment=appointment).price == D("75.00")
    other = appointment_intake(webhook=webhook, payload=appointment_body(customer_zip="60601")).appointment
    nobody = make_workspace()
    appointment_route(appointment=other, workspace=nobody, by="staff:ops")
    assert not Sale.objects.filter(appointment=other).exists()
    assert "sent unsold" in type(other).objects.get(pk=other.pk).routing_method


def test_the_appointment_webhook_answers_sold_and_the_payout_booked(client):
    from leadhub.testing import make_keyed_provider, provider_post

    provider = make_keyed_provider()
    webhook = make_webhook(payout_kind="fixed", payout_amount=D("8"), payout_on="sold")
    appointment_buyer("75")
    path = f"/api/v1/webhooks/{webhook.webhook_id}/appointments/"

    sold = provider_post(client, path, appointment_body(), provider=provider).json()["disposition"]
    unsold = provider_post(client, path, appointment_body(customer_zip="10001", customer_phone="(415) 234-5698"),
                           provider=provider).json()["disposition"]

    assert (sold["sold"], sold["price"]) == (True, "8.00")
    assert (unsold["sold"], unsold["price"]) == (False, "0.00")


def test_an_appointment_payout_is_the_posting_providers_and_on_its_statement():
    """The source is the appointment's: the provider that posted it is paid for it (its id on the
    payout), so the payout is on that provider's statement, whoever sent the appointment's lead."""
    from billing.selectors import statement_view
    from billing.periods import period_of
    from django.utils import timezone
    from leadhub.testing import make_keyed_provider

    poster, lead_source = make_keyed_provider(), make_keyed_provider()
    webhook = make_webhook(payout_kind="fixed", payout_amount=D("8"), payout_on="sold")
    appointment_buyer("75")
    lead = make_lead(make_contact(webhook_id=webhook.webhook_id), zip_code="94105",
                     provider_id=lead_source.provider_id)

    alone = appointment_intake(webhook=webhook, payload=appointment_body(), provider=poster).appointment
    of_lead = appointment_intake(webhook=webhook, payload={"lead_id": lead.pk, "scheduled_at": SCHEDULED},
                                 provider=lead_source).appointment

    payouts = dict(Entry.objects.filter(kind=EntryKind.PAYOUT).values_list("reference", "provider_id"))
    assert payouts == {f"payout:appointment:{alone.pk}": poster.provider_id,
                       f"payout:appointment:{of_lead.pk}": lead_source.provider_id}
    period = period_of("month", timezone.now(), poster.time_zone).label
    statement = statement_view(party_kind="source", party_id=poster.provider_id, period=period).statement
    assert (statement.payouts, statement.leads_accepted) == (D("8.00"), 1)
