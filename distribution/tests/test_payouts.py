"""A source's payout: when it is booked (`payout_on`: on acceptance, a held lead at its release;
or with the first sale, which a share always means), what the webhook answer says of it (null
without terms, "0.00" while nothing is booked, a replay the same), and its chargeback."""
from decimal import Decimal

import pytest
from django.core.management import call_command

from distribution.models import Offer, Sale
from distribution.services import lead_distribute, payout_chargeback
from leadhub.testing import (
    admin_change_form_data, make_keyed_provider, make_webhook, make_workspace, provider_post, run_at_once,
)
from leads.holds import lead_hold_release
from leads.models import Lead
from ledger.models import Entry, EntryKind, Side
from ledger.selectors import ledger_figures
from ledger.verify import ledger_verify
from providers.models import WebhookConfig

pytestmark = pytest.mark.django_db

D = Decimal
PAYLOAD = {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com", "phone": "(415) 867-5309",
           "zip_code": "94105", "consent_value": "true", "tcpa_compliance": "yes"}
HELD = {**PAYLOAD, "consent_value": "false"}
FIXED = {"payout_kind": "fixed", "payout_amount": D("5")}


def offer(price="10"):
    return Offer.objects.create(workspace=make_workspace(), products=["solar"], price=D(price))


def post(client, webhook, payload=PAYLOAD, provider=None):
    response = provider_post(client, f"/api/v1/webhooks/{webhook.webhook_id}/leads/", payload,
                             provider=provider or make_keyed_provider())
    assert response.status_code in (200, 201), response.content
    return response.json()["disposition"]


def payouts(lead):
    return list(Entry.objects.filter(lead_id=lead.pk, kind=EntryKind.PAYOUT).values_list("amount", flat=True))


@pytest.mark.parametrize("payout_on", ["accepted", "sold"])
def test_a_held_lead_books_no_payout_until_its_release_then_exactly_one(client, payout_on):
    offer("10")
    webhook = make_webhook(distribution_strategy="priority", payout_on=payout_on, **FIXED)
    disposition = post(client, webhook, HELD)
    assert (disposition["sold"], disposition["price"]) == (False, "0.00")
    lead = Lead.objects.get()
    assert payouts(lead) == []
    lead_distribute(lead=lead, webhook=webhook)  # ops distribute it again while held: still nothing
    assert payouts(lead) == []

    release = lead_hold_release(lead=lead, reason="consent", by="staff:ops", note="consent checked")
    assert release.released
    assert payouts(lead) == [D("5.00")]
    lead_hold_release(lead=lead, reason="consent", by="staff:ops", note="again")
    lead_distribute(lead=Lead.objects.get(), webhook=webhook)
    assert payouts(lead) == [D("5.00")]
    assert ledger_verify() == []


def test_under_accepted_a_released_lead_nobody_buys_is_paid_at_release():
    webhook = make_webhook(distribution_strategy="priority", payout_on="accepted", **FIXED)
    lead = Lead.objects.get(pk=_held_lead(webhook).pk)
    assert payouts(lead) == []
    lead_hold_release(lead=lead, reason="consent", by="staff:ops", note="consent checked")
    assert Lead.objects.get().workspace_id is None and payouts(lead) == [D("5.00")]


def _held_lead(webhook):
    from leads.services.ingest import lead_ingest

    return lead_ingest(webhook=webhook, payload=HELD).lead


def test_payout_on_sold_books_nothing_for_a_lead_nobody_bought_then_pays_with_the_first_sale(client):
    webhook = make_webhook(distribution_strategy="priority", payout_on="sold", **FIXED)
    disposition = post(client, webhook)
    assert (disposition["sold"], disposition["price"]) == (False, "0.00")
    lead = Lead.objects.get()
    assert not Entry.objects.filter(lead_id=lead.pk).exists()

    offer("10")
    decision = lead_distribute(lead=lead, webhook=webhook)
    assert decision.payout == D("5.00") and payouts(lead) == [D("5.00")]


@pytest.mark.parametrize(("terms", "payload", "price"), [
    ({}, PAYLOAD, None),
    ({}, HELD, None),
    ({**FIXED, "payout_on": "accepted"}, PAYLOAD, "5.00"),
    ({**FIXED, "payout_on": "accepted"}, HELD, "0.00"),
    ({**FIXED, "payout_on": "sold"}, PAYLOAD, "0.00"),
    ({"payout_kind": "share", "payout_share": D("40")}, PAYLOAD, "0.00"),
])
def test_the_answer_is_the_payout_booked_for_this_post(client, terms, payload, price):
    """Nobody buys here: null without terms, "0.00" while terms exist and nothing is booked; a
    replay of the post answers the same."""
    webhook = make_webhook(distribution_strategy="priority", **terms)
    provider = make_keyed_provider()
    sent = {**payload, "external_id": "ref-1"}
    assert post(client, webhook, sent, provider)["price"] == price
    assert post(client, webhook, sent, provider)["price"] == price
    booked = payouts(Lead.objects.get())
    assert booked == ([D(price)] if price not in (None, "0.00") else [])


def test_a_replay_echoes_the_original_price(client):
    offer("40")
    webhook = make_webhook(distribution_strategy="priority", payout_kind="share", payout_share=D("25"))
    provider = make_keyed_provider()
    sent = {**PAYLOAD, "external_id": "ref-7"}
    first = post(client, webhook, sent, provider)
    assert (first["sold"], first["price"]) == (True, "10.00")
    again = post(client, webhook, sent, provider)
    assert (again["sold"], again["price"]) == (True, "10.00")


def test_a_share_payout_always_means_sold(client):
    webhook = make_webhook(distribution_strategy="priority", payout_kind="share", payout_share=D("50"),
                           payout_on="accepted")
    assert webhook.payout_booked_on == "sold"
    disposition = post(client, webhook, HELD)
    lead = Lead.objects.get()
    assert disposition["price"] == "0.00"
    lead_hold_release(lead=lead, reason="consent", by="staff:ops", note="consent checked")  # nobody buys
    assert payouts(lead) == []
    offer("30")
    assert lead_distribute(lead=lead, webhook=webhook).payout == D("15.00")
    assert payouts(lead) == [D("15.00")]


def test_the_admin_saves_a_share_payout_as_paid_on_sale(admin_client):
    webhook = make_webhook(distribution_strategy="priority")
    response = admin_client.get(f"/admin/providers/webhookconfig/{webhook.pk}/change/")
    form = response.context["adminform"].form
    data = {**admin_change_form_data(response, webhook),  # the inlines' management forms (duplicate rules)
            **{name: form[name].value() for name in form.fields if form[name].value() is not None}}
    data.update(payout_kind="share", payout_share="30", payout_on="accepted")
    response = admin_client.post(f"/admin/providers/webhookconfig/{webhook.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    webhook = WebhookConfig.objects.get(pk=webhook.pk)
    assert (webhook.payout_kind, webhook.payout_on) == ("share", "sold")


def test_a_chargeback_takes_a_sources_payout_back_once_on_the_source_side(client):
    offer("10")
    webhook = make_webhook(distribution_strategy="priority", payout_on="accepted", **FIXED)
    provider = make_keyed_provider()
    post(client, webhook, provider=provider)
    lead = Lead.objects.get()
    assert ledger_figures(by="provider")[provider.provider_id]["payouts"] == D("5.00")

    entry = payout_chargeback(lead=lead, by="staff:ops", reason="the source's lead was a fake")
    assert (entry.kind, entry.side, entry.amount, entry.provider_id, entry.webhook_id) == (
        EntryKind.CHARGEBACK, Side.SOURCE, D("-5.00"), provider.provider_id, webhook.webhook_id)
    assert "the source's lead was a fake" in entry.note and "staff:ops" in entry.note
    assert payout_chargeback(lead=lead, by="staff:ops", reason="twice") is None
    assert Entry.objects.filter(kind=EntryKind.CHARGEBACK).count() == 1
    figures = ledger_figures(by="provider")[provider.provider_id]
    assert (figures["sales"], figures["payouts"], figures["margin"]) == (D("10.00"), D("0.00"), D("10.00"))
    assert ledger_figures(by="webhook")[webhook.webhook_id]["payouts"] == D("0.00")
    assert ledger_verify() == []
    call_command("verify_ledger")


def test_a_lead_without_a_payout_has_nothing_to_charge_back(client):
    webhook = make_webhook(distribution_strategy="priority", payout_on="sold", **FIXED)
    post(client, webhook)
    assert payout_chargeback(lead=Lead.objects.get(), by="staff:ops", reason="no sale") is None
    assert not Entry.objects.exists()


def test_ops_take_back_a_payout_from_the_sales_admin_saying_why(client, admin_client):
    offer("10")
    webhook = make_webhook(distribution_strategy="priority", payout_on="sold", **FIXED)
    post(client, webhook)
    sale = Sale.objects.get()
    url = "/admin/distribution/sale/"
    asked = admin_client.post(url, {"action": "payouts_charge_back", "_selected_action": [sale.pk]})
    assert asked.status_code == 200 and "Say why" in asked.content.decode()
    data = {"action": "payouts_charge_back", "_selected_action": [sale.pk], "post": "yes"}
    assert admin_client.post(url, {**data, "reason": ""}).status_code == 200  # asked again: a reason is needed
    assert not Entry.objects.filter(kind=EntryKind.CHARGEBACK).exists()
    assert admin_client.post(url, {**data, "reason": "returned by the buyer as fake"}).status_code == 302
    chargeback = Entry.objects.get(kind=EntryKind.CHARGEBACK)
    assert (chargeback.amount, chargeback.side, chargeback.lead_id) == (D("-5.00"), Side.SOURCE, sale.lead_id)
    assert "returned by the buyer as fake" in chargeback.note


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_release_racing_distributions_books_one_payout_and_racing_chargebacks_one_chargeback():
    """Concurrent connections: the release and ops' "distribute again" all find the payout due;
    its unique reference books it once. Ten chargebacks at once book one."""
    webhook = make_webhook(distribution_strategy="priority", payout_on="accepted", **FIXED)
    lead = _held_lead(webhook)

    def work(i):
        if i == 0:
            return lead_hold_release(lead=lead, reason="consent", by="staff:ops", note="consent checked")
        return lead_distribute(lead=Lead.objects.get(pk=lead.pk), webhook=webhook)

    _results, errors = run_at_once(8, work)
    assert errors == []
    assert payouts(lead) == [D("5.00")]

    _results, errors = run_at_once(10, lambda i: payout_chargeback(lead=lead, by="staff:ops", reason=f"race {i}"))
    assert errors == []
    assert Entry.objects.filter(kind=EntryKind.CHARGEBACK).count() == 1
    assert ledger_figures(by="webhook")[webhook.webhook_id]["payouts"] == D("0.00")
    assert ledger_verify() == []
