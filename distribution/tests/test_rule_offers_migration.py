"""Migration 0006: an install whose rules were also free lead offers keeps routing, and every
such offer at $0 becomes an ordinary, editable offer that ops see listed until priced or paused.

The install is built as the earlier migrations left it (routing rules' offers of leads and
appointments as 0002 made them, 0003 run on today's models as its own test does), then 0006 runs."""
import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from appointments.services.intake import appointment_intake
from distribution.models import Offer
from distribution.selectors import zero_price_offers
from distribution.services import lead_distribute
from leadhub.testing import admin_url, make_lead, make_webhook, make_workspace, valid_phone
from workspaces.models import AppointmentRoutingRule, LeadForwardingRule
from workspaces.services import routing_rule_save

# Appointments are posted at fixed times: the clock stands before them (past times are refused).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("appointment_clock")]


def migration(name):
    return importlib.import_module(f"distribution.migrations.{name}")


@pytest.fixture
def install(monkeypatch):
    """Two routing rules (one with a priced appointment offer) and a forwarding rule to a
    workspace, each with the offer the earlier migrations gave it (0003's first_match as
    providers 0014 leaves it: priority)."""
    monkeypatch.setitem(migration("0003_offers_from_forwarding_rules").MODE_STRATEGY, "first-match", "priority")
    rooftop, priced, forwarded_to = make_workspace(), make_workspace(), make_workspace()
    rule = routing_rule_save(workspace=rooftop, zip_codes=["941*"], product_types=["solar"], priority=2)
    other = routing_rule_save(workspace=priced, zip_codes=["902*"], product_types=["solar"])
    for made in Offer.objects.filter(routing_rule__isnull=False):  # as 0002 made them: leads and appointments
        Offer.objects.filter(pk=made.pk).update(kind="any", zero_price_reason="")
        made.refresh_from_db()
        made.reindex()
    Offer.objects.filter(routing_rule=other).update(appointment_price=Decimal("40.00"))
    forwarding_webhook = make_webhook()
    forwarding = LeadForwardingRule.objects.create(
        webhook_id=forwarding_webhook.webhook_id, target_workspace=forwarded_to, zip_codes=["100*"]
    )
    migration("0003_offers_from_forwarding_rules").forwarding_rules_to_offers(apps, None)
    before = {offer.pk: offer.kind for offer in Offer.objects.all()}
    assert sorted(before.values()) == ["any", "any", "lead"]

    migration("0006_offers_sell_leads_rules_route_appointments").rule_offers_to_plain_offers(apps, None)
    return {"rooftop": rooftop, "priced": priced, "forwarded_to": forwarded_to, "rule": rule, "other": other,
            "forwarding": forwarding, "forwarding_webhook": forwarding_webhook, "old_ids": set(before)}


def test_each_rule_offer_that_sold_leads_becomes_an_ordinary_lead_offer_and_the_rule_an_appointment_offer(install):
    rule, other, forwarding = install["rule"], install["other"], install["forwarding"]
    leads_of_rule = Offer.objects.get(name=f"leads, was routing rule #{rule.pk}")
    assert leads_of_rule.pk in install["old_ids"]  # its id, sales and caps stay with the leads it sold
    assert (leads_of_rule.kind, leads_of_rule.routing_rule, leads_of_rule.workspace) == ("lead", None, install["rooftop"])
    assert set(leads_of_rule.where_rows.values_list("offer_kind", flat=True)) == {"lead"}
    appointments_of_rule = AppointmentRoutingRule.objects.get(pk=rule.pk).offer
    assert (appointments_of_rule.kind, appointments_of_rule.created_at) == ("appointment", rule.created_at)
    assert set(appointments_of_rule.where_rows.values_list("offer_kind", flat=True)) == {"appointment"}
    assert AppointmentRoutingRule.objects.get(pk=other.pk).offer.appointment_price == Decimal("40.00")
    from_forwarding = Offer.objects.get(forwarding_rule=forwarding)
    assert from_forwarding.kind == "lead" and from_forwarding.pk in install["old_ids"]
    assert LeadForwardingRule.objects.get(pk=forwarding.pk).is_active  # still the webhook's direct target

    for offer in Offer.objects.all():
        offer.full_clean()  # editable like any other: every $0 price says why


def test_the_install_keeps_routing_leads_and_appointments(install):
    webhook = make_webhook(distribution_strategy="priority")
    lead = make_lead(webhook_id=webhook.webhook_id, zip_code="94105")
    assert lead_distribute(lead=lead, strategy="priority").workspace_ids == [install["rooftop"].pk]
    forwarded = make_lead(webhook_id=install["forwarding_webhook"].webhook_id, zip_code="10001")
    assert lead_distribute(lead=forwarded).workspace_ids == [install["forwarded_to"].pk]
    appointment = appointment_intake(webhook=webhook, payload={
        "customer_name": "Ada Lovelace", "customer_phone": valid_phone(), "customer_zip": "94105",
        "service_type": "Solar", "scheduled_at": "2026-12-01T15:00:00-08:00",
    }).appointment
    assert appointment.matched_workspace == install["rooftop"]


def test_its_zero_price_offers_are_listed_with_their_reason_until_priced_or_paused(install, admin_client):
    rule, other, forwarding = install["rule"], install["other"], install["forwarding"]
    listed = {offer.pk: offer.zero_price_reason for offer in zero_price_offers()}
    leads_of_other = Offer.objects.get(name=f"leads, was routing rule #{other.pk}")
    assert listed == {
        Offer.objects.get(name=f"leads, was routing rule #{rule.pk}").pk: f"migrated from routing rule {rule.pk}",
        AppointmentRoutingRule.objects.get(pk=rule.pk).offer.pk: f"migrated from routing rule {rule.pk}",
        leads_of_other.pk: f"migrated from routing rule {other.pk}",
        Offer.objects.get(forwarding_rule=forwarding).pk: f"migrated from forwarding rule {forwarding.pk}",
    }  # the rule's appointment offer at $40 needs no reason
    page = admin_client.get(admin_url(Offer, "changelist")).content.decode()
    assert "4 live offer(s) sell at $0" in page and f"migrated from forwarding rule {forwarding.pk}" in page

    Offer.objects.filter(pk=leads_of_other.pk).update(price=Decimal("15.00"))
    Offer.objects.filter(forwarding_rule=forwarding).update(is_active=False)
    assert len(zero_price_offers()) == 2
