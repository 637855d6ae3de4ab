"""Call frequency: where the consumer's state limits calls on one subject per 24 hours (Florida,
Oklahoma, Maryland: three), a lead is sold to at most that many buyers that call consumers within
the window, whatever the strategy sells; the decision names the rule. Buyers that do not call are
not counted."""
import json
from datetime import datetime, UTC

import pytest
import time_machine
from django.test import Client

from distribution.models import Decision, Sale
from leadhub.testing import make_keyed_provider, make_lead_offer, make_webhook, make_workspace, provider_post
from leads.models import Lead

pytestmark = pytest.mark.django_db

AT = datetime(2027, 3, 2, 16, 0, tzinfo=UTC)  # 11:00 in Miami and in Portland, Maine


def post_lead(webhook, provider, zip_code, phone):
    body = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "zip_code": zip_code,
            "phone": phone, "consent_value": True, "tcpa_compliance": True}
    answer = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/", json.dumps(body),
                           provider=provider)
    assert answer.status_code == 201, answer.content
    return Lead.objects.get(pk=answer.json()["lead_id"])


@pytest.fixture
def market():
    webhook = make_webhook(distribution_strategy="multisell", multisell_buyers=6)
    callers = [make_workspace(calls_consumers=True) for _ in range(5)]
    mailer = make_workspace()
    for n, buyer in enumerate([*callers, mailer]):
        make_lead_offer(buyer, products=["solar"], price=str(10 + n))
    return webhook, callers, mailer, make_keyed_provider()


def test_a_florida_lead_under_multisell_to_five_calling_buyers_is_sold_to_three(market):
    webhook, callers, mailer, provider = market
    with time_machine.travel(AT, tick=False):
        lead = post_lead(webhook, provider, "33101", "+13055550142")
    sold = set(Sale.objects.filter(lead=lead).values_list("workspace_id", flat=True))
    assert len(sold & {c.pk for c in callers}) == 3 and mailer.pk in sold
    rows = {row["workspace_id"]: row for row in Decision.objects.filter(lead=lead).latest("pk").candidates}
    refused = [row for row in rows.values() if row["verdict"] == "call_frequency:FL"]
    assert len(refused) == 2 and {row["workspace_id"] for row in refused}.isdisjoint(sold)
    assert refused[0]["rule"] == {"state": "FL", "max_calls": 3, "hours": 24, "sold_to_calling_buyers": 0,
                                  "source": "Fla. Stat. 501.616(6); SB 1120"}
    # The highest-paying callers keep their places (multisell sells by price).
    assert sold & {c.pk for c in callers} == {c.pk for c in callers[2:]}


def test_a_lead_from_a_state_without_a_limit_goes_to_all_five(market):
    webhook, callers, mailer, provider = market
    with time_machine.travel(AT, tick=False):
        lead = post_lead(webhook, provider, "04101", "+12075550142")
    assert Sale.objects.filter(lead=lead).count() == 6


def test_a_hand_sale_to_a_fourth_calling_buyer_within_the_window_is_refused_naming_the_rule(market):
    """Ops overrule what a buyer's offer would refuse by typing a price, never a state's law: a hand
    sale to a buyer that calls consumers is refused once the lead's calling buyers reach the limit;
    a buyer that does not call still buys it."""
    from distribution.hand import HandSaleRefused, lead_sell_by_hand

    webhook, callers, mailer, provider = market
    with time_machine.travel(AT, tick=False):
        lead = post_lead(webhook, provider, "33101", "+13055550142")
        unsold_caller = next(c for c in callers if not Sale.objects.filter(lead=lead, workspace=c).exists())
        with pytest.raises(HandSaleRefused) as refused:
            lead_sell_by_hand(lead=lead, workspace=unsold_caller, by="staff:ops", price="50")
        assert "FL" in refused.value.reason and "3" in refused.value.reason
        assert refused.value.errors == {"workspace": [refused.value.reason]}
        late_mailer = make_workspace()
        assert lead_sell_by_hand(lead=lead, workspace=late_mailer, by="staff:ops", price="5").workspace_id \
            == late_mailer.pk
    assert not Sale.objects.filter(lead=lead, workspace=unsold_caller).exists()
