"""The unsold queue: listed in the admin with "distribute again" (one or many), and retried
automatically for webhooks that ask for it when a schedule opens or a cap resets, up to a
maximum lead age."""
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from distribution.models import Cap, Decision, Offer, UnsoldLead
from distribution.selectors import unsold_leads
from distribution.services import lead_distribute, unsold_leads_retry
from leadhub.testing import admin_url, backdate, make_lead, make_webhook, make_workspace
from leads.models import Lead

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


@pytest.fixture
def ops(client):
    client.force_login(get_user_model().objects.create_superuser("ops-unsold", "ops@example.com", "x"))
    return client


def test_the_queue_lists_unsold_leads_and_distributes_again_one_or_many(ops):
    webhook = make_webhook(distribution_strategy="priority")
    leads = [make_lead(zip_code="94105", webhook_id=webhook.webhook_id) for _ in range(3)]
    for lead in leads:
        lead_distribute(lead=lead, webhook=webhook)  # no offer yet: unsold
    make_lead(zip_code="94105")  # never distributed: not in the queue
    assert set(unsold_leads()) == set(UnsoldLead.objects.filter(pk__in=[lead.pk for lead in leads]))
    page = ops.get(admin_url(UnsoldLead, "changelist"))
    assert page.status_code == 200 and all(f">{lead.pk}<" in page.content.decode() for lead in leads)

    buyer = make_workspace()
    Offer.objects.create(workspace=buyer, products=["solar"], price=Decimal("12"))
    response = ops.post(admin_url(UnsoldLead, "changelist"), {
        "action": "distribute_again", "_selected_action": [leads[0].pk, leads[1].pk]}, follow=True)
    assert "Distributed again: 2 sold, 0 still unsold" in response.content.decode()
    assert set(Lead.objects.filter(workspace=buyer).values_list("pk", flat=True)) == {leads[0].pk, leads[1].pk}
    assert list(unsold_leads()) == [UnsoldLead.objects.get(pk=leads[2].pk)]


def test_unsold_leads_are_retried_when_a_cap_resets_and_not_past_their_age():
    webhook = make_webhook(distribution_strategy="priority", retry_unsold=True, retry_unsold_max_age_hours=24)
    quiet = make_webhook(distribution_strategy="priority")  # retry not asked for
    buyer = make_workspace(time_zone="America/Chicago")
    offer = Offer.objects.create(workspace=buyer, products=["solar"], price=Decimal("5"))
    Cap.objects.create(workspace=buyer, offer=offer, window="hour", maximum=1)
    at = datetime(2026, 7, 1, 15, 10, tzinfo=UTC)
    first, capped, old, other = (make_lead(zip_code="94105", webhook_id=w.webhook_id)
                                 for w in (webhook, webhook, webhook, quiet))
    for lead in (first, capped, old, other):
        lead_distribute(lead=lead, webhook=None, at=at)
    assert Lead.objects.get(pk=first.pk).workspace_id == buyer.pk
    assert Decision.objects.filter(lead=capped).get().refused == {"cap:offer:hour": 1}
    for lead in (capped, other):
        backdate(lead, created_at=at)
    backdate(old, created_at=at - timedelta(hours=30))
    for decision in Decision.objects.all():
        backdate(decision, created_at=at)

    assert unsold_leads_retry(now=at + timedelta(minutes=20)) == {"sold": 0, "unsold": 0, "skipped": 0}  # same hour
    assert unsold_leads_retry(now=at + timedelta(minutes=55)) == {"sold": 1, "unsold": 0, "skipped": 0}
    assert Lead.objects.get(pk=capped.pk).workspace_id == buyer.pk
    assert Lead.objects.get(pk=old.pk).workspace_id is None and Lead.objects.get(pk=other.pk).workspace_id is None


def test_unsold_leads_are_retried_when_a_schedule_opens():
    webhook = make_webhook(distribution_strategy="priority", retry_unsold=True)
    buyer = make_workspace()
    Offer.objects.create(workspace=buyer, products=["solar"], schedule={"wed": [["09:00", "17:00"]]})
    at = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # a Wednesday, before opening
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    lead_distribute(lead=lead, webhook=webhook, at=at)
    backdate(lead, created_at=at)
    backdate(Decision.objects.get(), created_at=at)
    assert unsold_leads_retry(now=at + timedelta(minutes=30))["sold"] == 0
    assert unsold_leads_retry(now=at + timedelta(hours=1, minutes=5))["sold"] == 1


def test_a_lead_a_prepaid_buyer_could_not_afford_is_retried_once_its_funds_cover_it():
    from ledger.services import deposit_record

    webhook = make_webhook(distribution_strategy="priority", retry_unsold=True)
    buyer = make_workspace(billing_mode="prepaid")
    deposit_record(workspace=buyer, amount=Decimal("5.00"), reference="wire-1", by="staff:ops")
    Offer.objects.create(workspace=buyer, products=["solar"], price=Decimal("10"))
    at = datetime(2026, 7, 1, 15, 0, tzinfo=UTC)
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    assert lead_distribute(lead=lead, webhook=webhook, at=at).refused == {"funds": 1}
    backdate(lead, created_at=at)
    backdate(Decision.objects.get(), created_at=at)
    assert unsold_leads_retry(now=at + timedelta(minutes=5))["sold"] == 0  # still $5 of a $10 price
    deposit_record(workspace=buyer, amount=Decimal("4.99"), reference="wire-2", by="staff:ops")
    assert unsold_leads_retry(now=at + timedelta(minutes=10))["sold"] == 0  # a cent short
    deposit_record(workspace=buyer, amount=Decimal("0.01"), reference="wire-3", by="staff:ops")
    assert unsold_leads_retry(now=at + timedelta(minutes=15)) == {"sold": 1, "unsold": 0, "skipped": 0}
    assert Lead.objects.get(pk=lead.pk).workspace_id == buyer.pk
