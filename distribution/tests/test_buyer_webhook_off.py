"""A buyer with an outbound URL whose webhook is switched off gets no leads (`buyer_webhook_off`),
and the workspace and offer admin pages say so in words next to the switch: ops who switch a
webhook off see what it costs the buyer."""
import pytest
from django.utils import timezone

from distribution.services import lead_distribute
from leadhub.testing import admin_url, make_lead, make_lead_offer, make_webhook, make_workspace
from leads.models import Lead

pytestmark = pytest.mark.django_db
OFF = "Gets no leads"


@pytest.mark.parametrize("switch", [{"webhook_active": False}, {"webhook_active": True, "disabled": True}])
def test_a_buyer_whose_webhook_is_switched_off_gets_no_leads_and_its_pages_say_so(admin_client, switch):
    buyer = make_workspace(outbound_webhook_url="https://buyer.example/hook", webhook_active=switch["webhook_active"],
                           webhook_disabled_at=timezone.now() if switch.get("disabled") else None)
    offer = make_lead_offer(buyer, products=["solar"], price="20")
    webhook = make_webhook(distribution_strategy="priority")
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)

    decision = lead_distribute(lead=lead, webhook=webhook)

    assert decision.refused == {"buyer_webhook_off": 1} and Lead.objects.get(pk=lead.pk).workspace_id is None
    for page in (admin_url(buyer, "change", buyer.pk), admin_url(offer, "change", offer.pk)):
        assert OFF in admin_client.get(page).content.decode()


@pytest.mark.parametrize("url, words", [("https://buyer.example/hook", "delivered to its outbound webhook"),
                                        ("", "through the API")])
def test_a_buyer_that_takes_leads_is_told_how_they_reach_it(admin_client, url, words):
    buyer = make_workspace(outbound_webhook_url=url, webhook_active=bool(url))
    offer = make_lead_offer(buyer, products=["solar"], price="20")
    for page in (admin_url(buyer, "change", buyer.pk), admin_url(offer, "change", offer.pk)):
        content = admin_client.get(page).content.decode()
        assert words in content and OFF not in content
