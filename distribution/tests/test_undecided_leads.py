"""No stored lead is orphaned: a lead its post stored for a distributing webhook but that no
distribution decided on (the database went away between the lead's transaction and its
distribution, the process died there) is found by the sweeper and distributed, a replay of it
distributes it, and distribution never raises out of the provider's request."""
import json
import uuid
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from distribution.models import Decision, DecisionResult, Offer, OfferPriceAdjustment
from distribution.services import UNDECIDED_GRACE, leads_undecided_distribute
from leadhub.models import MONEY_MAX
from leadhub.testing import make_keyed_provider, make_webhook, make_workspace, provider_post, valid_phone
from leadhub.testing.procs import reconnect
from leads.models import Lead
from leads.services.ingest import lead_ingest
from leads import handoff
from leads.handoff import Disposition
from ledger.models import Entry, EntryKind

D = Decimal
PAYLOAD = {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com", "zip_code": "94105",
           "consent_value": "true", "tcpa_compliance": "yes"}


def payload(**fields):
    return {**PAYLOAD, "phone": valid_phone(), **fields}


def post(client, webhook, provider, body):
    return provider_post(client, f"/api/v1/webhooks/{webhook.webhook_id}/leads/", body, provider=provider)


def selling_webhook(**fields):
    Offer.objects.create(workspace=make_workspace(), products=["solar"], price=D("40"))
    return make_webhook(f"wh-undecided-{uuid.uuid4().hex[:8]}", distribution_strategy="priority",
                        payout_kind="fixed", payout_amount=D("5"), **fields)


@contextmanager
def process_dies_before_distribution():
    """The post's process dies after the lead's transaction committed and before distribution
    ran: the distributor's handoff of a new lead does nothing meanwhile."""
    distributor = handoff.lead_distributor()
    handoff._distributor[0] = replace(distributor, accepted=lambda **kwargs: Disposition())
    try:
        yield
    finally:
        handoff._distributor[0] = distributor


def sweep_after(lead, seconds):
    return leads_undecided_distribute(now=lead.created_at + timedelta(seconds=seconds))


@pytest.mark.django_db
def test_the_sweeper_distributes_a_stored_lead_no_distribution_decided_on():
    webhook = selling_webhook()
    with process_dies_before_distribution():
        lead = lead_ingest(webhook=webhook, payload=payload()).lead
    assert not Decision.objects.filter(lead=lead).exists()

    assert sweep_after(lead, UNDECIDED_GRACE.total_seconds() - 1) == {"sold": 0, "unsold": 0, "skipped": 0}
    assert sweep_after(lead, UNDECIDED_GRACE.total_seconds() + 1) == {"sold": 1, "unsold": 0, "skipped": 0}

    lead.refresh_from_db()
    assert lead.workspace_id is not None
    assert Decision.objects.get(lead=lead).result == DecisionResult.ASSIGNED
    assert Entry.objects.filter(lead_id=lead.pk, kind=EntryKind.PAYOUT).values_list("amount", flat=True).get() == 5
    assert sweep_after(lead, 3600) == {"sold": 0, "unsold": 0, "skipped": 0}  # decided: left alone


@pytest.mark.django_db
def test_the_sweeper_leaves_alone_what_was_never_to_be_distributed_now():
    webhook = selling_webhook()
    quiet = make_webhook(f"wh-quiet-{uuid.uuid4().hex[:8]}")  # blank strategy: does not distribute
    with process_dies_before_distribution():
        held = lead_ingest(webhook=webhook, payload=payload(consent_value="false")).lead  # distributes at release
        not_distributing = lead_ingest(webhook=quiet, payload=payload()).lead
    imported = lead_ingest(webhook=webhook, payload=payload(), distribute=False).lead  # import_leads without --distribute
    unsold = lead_ingest(webhook=make_webhook(f"wh-none-{uuid.uuid4().hex[:8]}", distribution_strategy="priority",
                                              lead_type="hvac"), payload=payload()).lead  # decided: no offer
    assert Decision.objects.get(lead=unsold).result == DecisionResult.UNSOLD

    assert sweep_after(imported, 3600) == {"sold": 0, "unsold": 0, "skipped": 0}

    for lead in (held, not_distributing, imported):
        assert not Decision.objects.filter(lead=lead).exists(), lead
    assert Decision.objects.filter(lead=unsold).count() == 1
    assert Lead.objects.filter(workspace__isnull=False).count() == 0


@pytest.mark.django_db
def test_a_replay_of_a_lead_without_a_decision_distributes_it_and_answers_what_it_booked(client):
    webhook, provider = selling_webhook(), make_keyed_provider()
    sent = payload(external_id="ref-undecided-1")
    with process_dies_before_distribution():
        assert post(client, webhook, provider, sent).status_code == 201

    replay = post(client, webhook, provider, sent)

    assert replay.status_code == 200, replay.content
    assert (replay.json()["disposition"]["sold"], replay.json()["disposition"]["price"]) == (True, "5.00")
    assert Decision.objects.get(lead=Lead.objects.get()).result == DecisionResult.ASSIGNED
    again = post(client, webhook, provider, sent)  # decided now: a plain replay
    assert (again.json()["disposition"]["sold"], again.json()["disposition"]["price"]) == (True, "5.00")
    assert Decision.objects.count() == 1


@pytest.mark.django_db
def test_a_price_past_the_money_limit_fails_the_decision_not_the_post(client, django_capture_on_commit_callbacks):
    offer = Offer.objects.create(workspace=make_workspace(), products=["solar"], price=MONEY_MAX)
    OfferPriceAdjustment.objects.create(offer=offer, column="zip_code", op="eq", value="94105", amount=D("1"))
    webhook, provider = make_webhook(distribution_strategy="priority"), make_keyed_provider()

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = post(client, webhook, provider, payload())

    assert response.status_code == 201, response.content
    assert response.json()["disposition"]["sold"] is False
    decision = Decision.objects.get()  # one attempt: a permanent error is not retried
    assert decision.result == DecisionResult.FAILED
    assert "At most 10,000,000.00" in decision.error
    assert queued == []
    assert Lead.objects.get().workspace_id is None
    assert not Entry.objects.exists()


# --- the database cut with a real TCP proxy (as leadhub/tests/test_faults_postgres.py) --------------



def post_cut_at_distribution(client, proxy, body):
    """Post a lead; the database goes away as its distribution starts (the lead's own transaction
    has committed) and stays away until the answer is sent: not even a failed decision is written."""
    webhook, provider = selling_webhook(), make_keyed_provider()
    proxy.refuse()  # the open connection keeps working; a new one is refused
    proxy.cut_on(b"lock_timeout")  # distribution's first statement
    try:
        response = post(client, webhook, provider, body)
    finally:
        proxy.refuse(False)
    assert proxy.cuts == 1
    reconnect()
    return webhook, provider, response


@pytest.mark.postgres_only  # the proxy fronts a PostgreSQL server
def test_a_lead_stored_as_the_database_went_away_is_distributed_by_the_sweeper(client, proxied_database):
    _webhook, _provider, response = post_cut_at_distribution(client, proxied_database, payload())

    assert response.status_code == 201, response.content  # stored: the post is taken, not 503
    assert json.loads(response.content)["disposition"]["sold"] is False
    lead = Lead.objects.get()
    assert not Decision.objects.filter(lead=lead).exists()  # not even a failed one: the database was gone

    assert sweep_after(lead, UNDECIDED_GRACE.total_seconds() + 1)["sold"] == 1
    lead.refresh_from_db()
    assert lead.workspace_id is not None
    assert Decision.objects.get(lead=lead).result == DecisionResult.ASSIGNED


@pytest.mark.postgres_only
def test_a_replay_after_the_database_went_away_distributes_the_lead(client, proxied_database):
    sent = payload(external_id="ref-cut-1")
    webhook, provider, response = post_cut_at_distribution(client, proxied_database, sent)
    assert response.status_code == 201, response.content

    replay = post(client, webhook, provider, sent)

    assert replay.status_code == 200, replay.content
    assert (replay.json()["disposition"]["sold"], replay.json()["disposition"]["price"]) == (True, "5.00")
    assert Decision.objects.get(lead=Lead.objects.get()).result == DecisionResult.ASSIGNED
