"""A source sees what became of its lead after the post's answer: a later sale, a return (with
its reason code), its payout and the chargeback — never the buyer nor the price."""
import json
from decimal import Decimal as D

import pytest

from distribution.hand import lead_sell_by_hand
from distribution.services import payout_chargeback
from leadhub.testing import make_lead, make_webhook, make_workspace
from ledger.models import EntryKind
from ledger.services import Draft, lead_dimensions, ledger_entries_record
from sources.tests.builders import keyed_provider_client

pytestmark = pytest.mark.django_db


def test_a_later_sale_and_a_return_with_their_money_and_never_the_buyer():
    provider, client = keyed_provider_client()
    webhook = make_webhook(payout_kind="fixed", payout_amount=D("4"), payout_on="sold")
    lead = make_lead(provider_id=provider.provider_id, webhook_id=webhook.webhook_id, external_id="acme-77",
                     zip_code="94105")
    held = make_lead(provider_id=provider.provider_id, webhook_id=webhook.webhook_id, holds=["consent"])
    url = f"/api/v1/provider/leads/{lead.pk}/"

    before = client.get(url).json()["disposition"]
    assert (before["accepted"], before["held"], before["sold"], before["returned"]) == (True, False, False, False)
    assert before["payout"] == {"amount": "0.00", "chargebacks": "0.00", "net": "0.00", "currency": "USD"}
    assert client.get(f"/api/v1/provider/leads/{held.pk}/").json()["disposition"]["hold_reasons"] == ["consent"]

    buyer = make_workspace(name="Sunny Buyer Co")
    lead_sell_by_hand(lead=lead, workspace=buyer, by="ops@example.com", price="37.25", reason="phoned in")
    ledger_entries_record(drafts=[Draft(kind=EntryKind.RETURN_CREDIT, amount=D("-37.25"), workspace_id=buyer.pk,
                                        reference=f"return:{lead.pk}", **lead_dimensions(lead))])
    payout_chargeback(lead=lead, by="ops@example.com", reason="returned: bad number")

    answer = client.get(url)
    body = answer.json()
    assert body["external_id"] == "acme-77"
    after = body["disposition"]
    assert (after["sold"], after["returned"]) == (True, True)
    assert "return_reason" in after and after["sold_at"]
    assert after["payout"] == {"amount": "4.00", "chargebacks": "-4.00", "net": "0.00", "currency": "USD"}
    text = json.dumps(body) + json.dumps(client.get("/api/v1/provider/leads/").json())
    for secret in (buyer.pk, buyer.name, "37.25", "37.2"):
        assert secret not in text

    listed = client.get("/api/v1/provider/leads/", {"disposition": "returned"}).json()["results"]
    assert [row["id"] for row in listed] == [lead.pk]
    assert [row["id"] for row in client.get("/api/v1/provider/leads/", {"disposition": "held"}).json()["results"]] == [
        held.pk]
    assert {row["id"] for row in client.get("/api/v1/provider/leads/", {"disposition": "sold"}).json()["results"]} == {
        lead.pk}
