"""A forwarding rule's copy of a lead goes out once per (rule, lead), ever: ingest, the release of
a hold, ops' "distribute again", the unsold retry and a failed first-match delivery's fallback may
each ask for it again, and the rule gets no second copy (a unique `lead_copies` row, claimed in
the transaction that queues the copy)."""
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from distribution.models import Cap, Decision, Offer, UnsoldLead
from distribution.services import lead_distribute, lead_distribute_as_arrived, leads_distribute_again, unsold_leads_retry
from leadhub.testing import WebhookReceiver, admin_url, backdate, make_lead, make_webhook, make_workspace, run_at_once
from leads.holds import lead_hold_place, lead_hold_release
from leads.models import Lead
from workspaces.delivery import outbox_deliver
from workspaces.models import DeliveryStatus, ForwardingMode, LeadCopy, LeadForwardingConfig, LeadForwardingRule, OutboundEvent

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
AT = datetime(2026, 7, 1, 15, 10, tzinfo=UTC)


def rule(webhook, priority, url="https://partner.example/leads"):
    return LeadForwardingRule.objects.create(webhook_id=webhook.webhook_id, priority=priority, target_url=url)


def copies(lead):
    """The rule ids the lead's copies went to, one entry per copy queued."""
    return sorted(OutboundEvent.objects.filter(subject_type="lead", subject_id=str(lead.pk), forwarding_rule__isnull=False)
                  .values_list("forwarding_rule_id", flat=True))


@pytest.fixture
def ops(client):
    client.force_login(get_user_model().objects.create_superuser("ops-copies", "ops@example.com", "x"))
    return client


@pytest.mark.parametrize("mode", [ForwardingMode.FIRST_MATCH, ForwardingMode.ALL_MATCHES])
def test_distribute_again_and_the_unsold_retry_send_each_rule_its_copy_once(ops, mode):
    webhook = make_webhook(distribution_strategy="priority", retry_unsold=True)
    LeadForwardingConfig.objects.create(webhook_id=webhook.webhook_id, mode=mode)
    first, second = rule(webhook, 2), rule(webhook, 1)
    once = [first.pk] if mode == ForwardingMode.FIRST_MATCH else sorted([first.pk, second.pk])
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    lead_distribute(lead=lead, webhook=webhook, at=AT)  # as ingest asks: no offer yet, unsold
    assert copies(lead) == once

    for _ in range(2):  # ops press "distribute again" twice; nothing buys it yet
        page = ops.post(admin_url(UnsoldLead, "changelist"), {"action": "distribute_again",
                                                               "_selected_action": [lead.pk]}, follow=True)
        assert "0 sold, 1 still unsold" in page.content.decode()
    buyer = make_workspace(time_zone="UTC")
    offer = Offer.objects.create(workspace=buyer, products=["solar"], price=Decimal("5"))
    Cap.objects.create(workspace=buyer, offer=offer, window="hour", maximum=1)
    lead_distribute(lead=make_lead(zip_code="94105", webhook_id=webhook.webhook_id), webhook=webhook, at=AT)
    assert leads_distribute_again(leads=[lead], at=AT) == {"sold": 0, "unsold": 1, "skipped": 0}  # the cap is full
    backdate(lead, created_at=AT)
    for decision in Decision.objects.all():
        backdate(decision, created_at=AT)
    assert unsold_leads_retry(now=AT + timedelta(minutes=55))["sold"] == 1  # the hour turned: sold
    assert Lead.objects.get(pk=lead.pk).workspace_id == buyer.pk
    leads_distribute_again(leads=[lead], at=AT + timedelta(minutes=56))  # a buyer holds it: skipped

    assert copies(lead) == once
    assert sorted(LeadCopy.objects.filter(lead_id=lead.pk).values_list("forwarding_rule_id", flat=True)) == once


def test_releasing_a_hold_again_and_again_sends_the_copy_once():
    webhook = make_webhook(distribution_strategy="priority")
    external = rule(webhook, 1)
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id, holds=["consent"])
    leads_distribute_again(leads=[lead])
    assert copies(lead) == []  # held: nothing leaves
    lead_hold_release(lead=lead, reason="consent", by="staff:ops", note="confirmed")
    assert copies(lead) == [external.pk]
    for _ in range(2):
        lead_hold_place(lead=lead, reason="consent", by="staff:ops", message="disputed again")
        lead_hold_release(lead=lead, reason="consent", by="staff:ops", note="confirmed again")
    assert copies(lead) == [external.pk]


def test_a_webhook_that_only_forwards_sends_its_copy_once_however_often_the_lead_is_released_or_retried():
    webhook = make_webhook()  # no strategy: it distributes nothing, its rules still get copies
    external = rule(webhook, 1)
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    for _ in range(3):
        lead_distribute_as_arrived(lead=lead)
    assert copies(lead) == [external.pk]


def test_a_first_match_fallback_goes_to_the_next_rule_once_and_distributing_again_sends_nothing_more():
    webhook = make_webhook(distribution_strategy="priority")
    with WebhookReceiver([(400, "no", 0)]) as refusing:
        first, second = rule(webhook, 5, refusing.url), rule(webhook, 1)
        lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
        lead_distribute(lead=lead, webhook=webhook)
        (event,) = OutboundEvent.objects.filter(forwarding_rule=first)
        assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.FAILED  # falls back to the second rule
    assert copies(lead) == sorted([first.pk, second.pk])
    leads_distribute_again(leads=[lead])
    assert copies(lead) == sorted([first.pk, second.pk])


def test_the_database_refuses_a_second_copy_record_of_a_rule_and_lead():
    external = rule(make_webhook(), 1)
    LeadCopy.objects.create(forwarding_rule=external, lead_id=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadCopy.objects.create(forwarding_rule=external, lead_id=7)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_releases_and_retries_send_one_copy_per_rule():
    webhook = make_webhook()
    LeadForwardingConfig.objects.create(webhook_id=webhook.webhook_id, mode=ForwardingMode.ALL_MATCHES)
    rules = [rule(webhook, p) for p in (2, 1)]
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    _results, errors = run_at_once(6, lambda i: lead_distribute_as_arrived(lead=lead))
    assert errors == []
    assert copies(lead) == sorted(r.pk for r in rules)


def test_the_migration_records_the_copies_sent_before_it():
    from importlib import import_module

    from django.apps import apps

    external = rule(make_webhook(), 1)
    for _ in range(2):
        OutboundEvent.objects.create(event_type="lead.forwarded", target_url=external.target_url,
                                     forwarding_rule=external, subject_type="lead", subject_id="41")
    import_module("workspaces.migrations.0016_lead_copies").copies_already_sent(apps, None)
    assert list(LeadCopy.objects.values_list("forwarding_rule_id", "lead_id")) == [(external.pk, 41)]
