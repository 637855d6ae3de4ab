"""Lead forwarding rules: matching, modes, consent hold, loop guard, CSV load, delivery. A rule
sends copies to external URLs only; leads go to a workspace through its lead offers."""
import json

import pytest
from django.core.exceptions import ValidationError

from distribution.models import Offer
from leadhub.testing import WebhookReceiver, make_lead_offer, make_webhook, make_workspace, valid_phone
from leads.services.ingest import lead_ingest
from providers.signatures import verify
from workspaces.delivery import outbox_deliver
from workspaces.forwarding import (
    ZipCsvInvalid,
    forwarding_rule_zips_load,
    forwarding_rules_matching,
    zip_entries_from_csv,
)
from workspaces.models import (
    DeliveryStatus,
    EventType,
    ForwardingMode,
    LeadForwardingConfig,
    LeadForwardingRule,
    OutboundEvent,
)

pytestmark = pytest.mark.django_db


def make_rule(webhook, **fields):
    if "target_workspace" not in fields:
        fields.setdefault("target_url", "https://partner.example/leads")
    rule = LeadForwardingRule(webhook_id=webhook.webhook_id, **fields)
    rule.full_clean()
    rule.save()
    return rule


def ingest(webhook, **fields):
    payload = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": valid_phone(),
        "consent_value": True,
        "tcpa_compliance": True,
        "zip_code": "90210",
        "state": "CA",
        "productid": "Roof-Solar",
    }
    payload.update(fields)
    return lead_ingest(webhook=webhook, payload=payload).lead


def forwarded(lead):
    return list(
        OutboundEvent.objects.filter(subject_type="lead", subject_id=str(lead.pk), event_type=EventType.LEAD_FORWARDED)
        .order_by("created_at")
    )


@pytest.mark.parametrize(
    "zip_codes, zip_code, matches",
    [
        (["90210"], "90210", True),
        (["90210"], "90211", False),
        (["90200-90299"], "90250", True),
        (["90200-90299"], "90300", False),
        (["902*"], "90299", True),
        (["902*"], "90310", False),
        (["*"], "10001", True),
        ([], "10001", True),
        (["90210"], "90210-1234", True),
        (["90210"], "", False),
        (["*"], "", True),
    ],
)
def test_zip_entries_exact_range_prefix_and_any(zip_codes, zip_code, matches):
    webhook = make_webhook()
    make_rule(webhook, zip_codes=zip_codes)
    found = forwarding_rules_matching(webhook_id=webhook.webhook_id, products=["solar"], zip_code=zip_code, state="CA")
    assert bool(found) is matches


def test_product_and_state_match_case_insensitively_and_priority_orders_rules():
    webhook = make_webhook()
    low = make_rule(webhook, priority=1, product_types=["roof-solar"], states=["ca"])
    high = make_rule(webhook, priority=5, product_types=["*"], states=["*"])
    oldest_tie = make_rule(webhook, priority=5, product_types=["HVAC"], states=["CA"])
    make_rule(webhook, priority=9, product_types=["insurance"])  # wrong product
    make_rule(webhook, priority=9, states=["NY"])  # wrong state
    make_rule(make_webhook(), priority=9)  # another webhook's rule
    found = forwarding_rules_matching(
        webhook_id=webhook.webhook_id, products=["Roof-Solar", "", "hvac"], zip_code="90210", state="CA"
    )
    assert found == [high, oldest_tie, low]


def test_first_match_forwards_to_the_first_rule_and_falls_back_when_it_finally_fails():
    webhook = make_webhook()
    with WebhookReceiver([(400, "we do not want it", 0)]) as first_receiver, WebhookReceiver([200]) as second_receiver:
        first = make_rule(webhook, priority=5, target_url=first_receiver.url)
        second = make_rule(webhook, priority=1, target_url=second_receiver.url)
        lead = ingest(webhook, lead_id="V-1001")
        (event,) = forwarded(lead)
        assert (event.forwarding_rule, event.fallback_rule_ids, event.workspace) == (first, [second.pk], None)
        assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.FAILED
        failed, fallback = forwarded(lead)
        assert fallback.forwarding_rule == second and fallback.fallback_rule_ids == []
        assert outbox_deliver(event_id=fallback.pk).status == DeliveryStatus.DELIVERED

    (request,) = second_receiver.requests
    verify(second.signing_secret, request["headers"]["X-Leadhub-Signature"], request["body"])  # rule's own secret
    envelope = json.loads(request["body"])
    assert envelope["type"] == "lead.forwarded" and envelope["data"]["lead_id"] == lead.pk
    assert envelope["data"]["external_id"] == "V-1001"  # the sender's reference, never our id
    assert envelope["data"]["zip_code"] == "90210" and "raw_payload" not in envelope["data"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.failed_count, first.forwarded_count, first.last_failed_at is not None) == (1, 0, True)
    assert (second.forwarded_count, second.failed_count, second.last_delivered_at is not None) == (1, 0, True)


def test_all_matches_queues_one_event_per_matching_rule():
    webhook = make_webhook()
    LeadForwardingConfig.objects.create(webhook_id=webhook.webhook_id, mode=ForwardingMode.ALL_MATCHES)
    rules = [make_rule(webhook, priority=p) for p in (3, 2, 1)]
    make_rule(webhook, zip_codes=["10001"])
    events = forwarded(ingest(webhook))
    assert sorted(e.forwarding_rule_id for e in events) == sorted(r.pk for r in rules)
    assert all(e.fallback_rule_ids == [] for e in events)


def test_switched_off_webhook_forwarding_and_consent_held_leads_are_never_forwarded():
    webhook = make_webhook()
    make_rule(webhook)
    assert forwarded(ingest(webhook, consent_value=False)) == []
    LeadForwardingConfig.objects.create(webhook_id=webhook.webhook_id, is_enabled=False)
    assert forwarded(ingest(webhook)) == []


def test_a_lead_offer_for_one_webhook_takes_its_leads_as_lead_assigned_signed_with_the_buyers_secret():
    webhook = make_webhook(distribution_strategy="priority")
    with WebhookReceiver([200]) as receiver:
        workspace = make_workspace(outbound_webhook_url=receiver.url, webhook_active=True)
        offer = make_lead_offer(workspace, webhook=webhook, states=["CA"])
        lead = ingest(webhook)
        lead.refresh_from_db()
        assert lead.workspace == workspace
        assert lead.decisions.get().offer_ids == [offer.pk]
        assert forwarded(lead) == []
        (event,) = OutboundEvent.objects.filter(subject_id=str(lead.pk), event_type=EventType.LEAD_ASSIGNED)
        assert event.workspace == workspace
        outbox_deliver(event_id=event.pk)
        assert ingest(make_webhook()).workspace_id is None  # another webhook's leads are not its to take
    (request,) = receiver.requests
    verify(workspace.webhook_secret, request["headers"]["X-Leadhub-Signature"], request["body"])


def test_a_rule_to_a_workspace_makes_no_offer_sets_no_strategy_and_sends_no_lead():
    webhook = make_webhook()
    workspace = make_workspace()
    make_rule(webhook, target_workspace=workspace)  # a direct target for the webhook's appointments only
    LeadForwardingConfig.objects.create(webhook_id=webhook.webhook_id, mode=ForwardingMode.ALL_MATCHES)
    webhook.refresh_from_db()
    assert not Offer.objects.filter(workspace=workspace).exists()
    assert webhook.distribution_strategy == ""
    lead = ingest(webhook)
    assert lead.workspace_id is None and forwarded(lead) == []


def test_a_workspace_without_webhook_still_buys_and_external_rules_still_get_their_copy():
    # The workspace (no outbound URL: it reads its leads through the API) takes the lead by its
    # offer; the external rule's copy is sent after that decision.
    webhook = make_webhook(distribution_strategy="priority")
    buyer = make_workspace()
    make_lead_offer(buyer, webhook=webhook, priority=5)
    external = make_rule(webhook, priority=1)
    lead = ingest(webhook)
    (event,) = forwarded(lead)
    assert event.forwarding_rule == external
    lead.refresh_from_db()
    assert lead.workspace == buyer


def test_the_data_migration_turns_workspace_rules_into_offers(monkeypatch):
    from importlib import import_module

    from django.apps import apps  # today's models: later migrations added NOT NULL columns the 0003 state lacks

    migration = import_module("distribution.migrations.0003_offers_from_forwarding_rules")
    # providers 0014 then moves its first_match to priority, which today's webhook table alone accepts
    monkeypatch.setitem(migration.MODE_STRATEGY, "first-match", "priority")
    webhook = make_webhook()
    workspace = make_workspace()
    rule = make_rule(webhook, target_workspace=workspace, product_types=["Roof-Solar"], states=["*"])
    make_rule(webhook)  # an external URL: stays a rule
    migration.forwarding_rules_to_offers(apps, None)
    rule.refresh_from_db()
    offer = rule.offer
    assert (offer.workspace, offer.products, offer.states, offer.kind) == (workspace, ["Roof-Solar"], [], "lead")
    assert offer.created_at == rule.created_at
    assert set(offer.where_rows.values_list("bucket", flat=True)) == {"*"}
    assert list(offer.product_rows.values_list("product", flat=True)) == [
        "roof-solar"
    ]
    webhook.refresh_from_db()
    assert webhook.distribution_strategy == "priority"
    lead = ingest(webhook)
    lead.refresh_from_db()
    assert lead.workspace == workspace  # matched by its productid, as the rule was


def test_rule_validation_refuses_loops_bad_zips_and_two_targets(settings):
    settings.ALLOWED_HOSTS = ["leads.example.com"]
    webhook = make_webhook()
    with pytest.raises(ValidationError) as refused:
        make_rule(webhook, target_url="https://leads.example.com/api/v1/webhooks/other/leads/")
    assert "own ingest URL" in str(refused.value.message_dict["target_url"])
    with pytest.raises(ValidationError) as refused:
        make_rule(webhook, zip_codes=["9021", "90299-90200"], states=["California"])
    assert set(refused.value.message_dict) == {"zip_codes", "states"}
    with pytest.raises(ValidationError) as refused:
        make_rule(webhook, target_workspace=make_workspace(), target_url="https://partner.example/x")
    assert "target_url" in refused.value.message_dict


def test_zip_entries_load_from_csv_with_header_ranges_and_prefixes():
    rule = make_rule(make_webhook(), zip_codes=["10001"])
    text = "zip,notes\n90210,Beverly Hills\n90300-90399\n\n941*, 90210\n"
    with pytest.raises(ZipCsvInvalid):
        zip_entries_from_csv(text)  # "Beverly Hills" is not a ZIP entry
    text = "zip\n90210\n90300-90399\n941*,90210\n"
    assert zip_entries_from_csv(text) == ["90210", "90300-90399", "941*"]
    forwarding_rule_zips_load(rule=rule, csv_text=text, replace=False)
    assert rule.zip_codes == ["10001", "90210", "90300-90399", "941*"]
    forwarding_rule_zips_load(rule=rule, csv_text="73301\n")
    rule.refresh_from_db()
    assert rule.zip_codes == ["73301"]
    with pytest.raises(ZipCsvInvalid) as refused:
        zip_entries_from_csv("zip\n12\n")
    assert "row 2" in refused.value.errors["zip_csv"][0]


def test_a_forwarded_lead_leaves_the_trail_an_appointment_forward_does():
    from leads.models import LeadEvent, WorkspaceTracking

    webhook = make_webhook(distribution_strategy="all_matches")
    LeadForwardingConfig.objects.create(webhook_id=webhook.webhook_id, mode=ForwardingMode.ALL_MATCHES)
    with WebhookReceiver([200, 200, 200]) as receiver:
        hook = dict(outbound_webhook_url=receiver.url, webhook_active=True)
        buyer, second = make_workspace(**hook), make_workspace(**hook)
        make_lead_offer(buyer, webhook=webhook, priority=5)
        make_lead_offer(second, webhook=webhook, priority=3)  # all matches: a copy to the second buyer
        external = make_rule(webhook, target_url=receiver.url)
        lead = ingest(webhook)
        copies = forwarded(lead)
        assert {(e.workspace_id, e.forwarding_rule_id) for e in copies} == {(second.pk, None), (None, external.pk)}
        assert not LeadEvent.objects.filter(lead=lead, event_type="forwarded").exists()  # queued is not sent
        for event in copies:
            outbox_deliver(event_id=event.pk)
    trail = LeadEvent.objects.filter(lead=lead, event_type="forwarded")
    assert {(e.event_data.get("workspace_id"), e.event_data.get("forwarding_rule_id")) for e in trail} == {
        (second.pk, None), (None, external.pk)
    }
    assert all("target_url" not in e.event_data for e in trail)
    sent = WorkspaceTracking.objects.filter(lead=lead, workspace=second, action="sent").get()
    assert sent.metadata["event_id"] in {str(e.pk) for e in copies}
