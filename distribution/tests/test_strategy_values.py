"""One meaning per strategy value: a blank strategy means "this webhook does not distribute"
everywhere (ops' "distribute again" asks which strategy to use for such a lead, never falls back
to `priority`), and `first_match`, which decided exactly as `priority`, is gone (its webhooks
were moved to `priority` by a data migration)."""
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection

from distribution.forms import SimulateForm
from distribution.models import Decision, Offer, UnsoldLead
from distribution.services import lead_distribute, leads_distribute_again
from leadhub.errors import ServiceRefusal
from leadhub.testing import admin_url, make_lead, make_webhook, make_workspace
from leads.models import Lead
from providers.admin import WebhookConfigForm
from distribution.strategies import STRATEGIES
from providers.models import WebhookConfig

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(client):
    client.force_login(get_user_model().objects.create_superuser("ops-strategy", "ops@example.com", "x"))
    return client


@pytest.fixture
def offers():
    """A waterfall's first offer and the best price: `priority` and `highest_price` disagree."""
    first = Offer.objects.create(workspace=make_workspace(), products=["solar"], priority=2, price=Decimal("5"))
    best = Offer.objects.create(workspace=make_workspace(), products=["solar"], priority=1, price=Decimal("9"))
    return first, best


def test_a_lead_of_a_webhook_without_a_strategy_is_not_distributed_unless_one_is_given(offers):
    lead = make_lead(webhook_id=make_webhook().webhook_id)
    assert lead_distribute(lead=lead) is None  # its webhook's strategy, which is none
    assert Lead.objects.get(pk=lead.pk).workspace_id is None and not Decision.objects.exists()
    decision = lead_distribute(lead=lead, strategy="highest_price")
    assert (decision.strategy, decision.workspace_ids) == ("highest_price", [offers[1].workspace_id])


def test_distribute_again_refuses_a_lead_whose_webhook_distributes_nothing_until_ops_name_a_strategy(offers):
    first, best = offers
    silent = make_lead(webhook_id=make_webhook().webhook_id)
    waterfall = make_lead(webhook_id=make_webhook(distribution_strategy="priority").webhook_id)
    with pytest.raises(ServiceRefusal) as refused:
        leads_distribute_again(leads=[waterfall, silent])
    assert set(refused.value.errors) == {"strategy"} and f"#{silent.pk}" in refused.value.reason
    assert not Decision.objects.exists(), "nothing distributed: the whole batch is refused"
    with pytest.raises(ServiceRefusal) as refused:
        leads_distribute_again(leads=[silent], strategy="first_match")
    assert set(refused.value.errors) == {"strategy"} and not Decision.objects.exists()

    assert leads_distribute_again(leads=[waterfall, silent], strategy="highest_price") == {
        "sold": 2, "unsold": 0, "skipped": 0}
    assert Lead.objects.get(pk=silent.pk).workspace_id == best.workspace_id  # the strategy ops chose
    assert Lead.objects.get(pk=waterfall.pk).workspace_id == first.workspace_id  # its webhook's own
    assert Decision.objects.get(lead=waterfall).strategy == "priority"


def test_the_distribute_again_action_asks_for_a_strategy_when_a_selected_leads_webhook_has_none(ops, offers):
    silent = make_lead(webhook_id=make_webhook().webhook_id)
    url = admin_url(UnsoldLead, "changelist")
    selection = {"action": "distribute_again", "_selected_action": [silent.pk]}
    # queued (decided on) before its webhook stopped distributing
    Decision.objects.create(lead=silent, webhook_id=silent.webhook_id, strategy="priority", result="unsold")
    page = ops.post(url, selection)
    body = page.content.decode()
    assert page.status_code == 200 and 'name="strategy"' in body and "does not distribute" in body
    assert 'value="first_match"' not in body and 'value="highest_price"' in body
    assert Lead.objects.get(pk=silent.pk).workspace_id is None

    refused = ops.post(url, {**selection, "post": "yes", "strategy": "first_match"})
    assert "first_match is not one of the available choices" in refused.content.decode()
    done = ops.post(url, {**selection, "post": "yes", "strategy": "highest_price"}, follow=True)
    assert "Distributed again: 1 sold" in done.content.decode()
    assert Lead.objects.get(pk=silent.pk).workspace_id == offers[1].workspace_id


def test_first_match_is_no_strategy_any_more():
    assert "first_match" not in STRATEGIES
    form = WebhookConfigForm(data={"webhook_id": "wh-fm", "name": "x", "lead_type": "solar",
                                   "distribution_strategy": "first_match"})
    assert "distribution_strategy" in form.errors
    simulate = SimulateForm(data={"lead_id": make_lead().pk, "strategy": "first_match"})
    assert "strategy" in simulate.errors
    with pytest.raises(ValidationError) as refused:
        WebhookConfig(webhook_id="wh-fm", name="x", lead_type="solar", distribution_strategy="first_match").full_clean()
    assert "distribution_strategy" in refused.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_moves_first_match_webhooks_to_priority():
    from django.db.migrations.executor import MigrationExecutor

    before = ("providers", "0013_webhook_payout_on")  # then forward through 0014_first_match_is_priority
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO webhook_configs (webhook_id, name, description, lead_type, is_active, secret_key, "
                "rate_limit, rate_window, total_leads, distribution_strategy, multisell_buyers, payout_kind, "
                "payout_amount, payout_share, payout_on, retry_unsold, retry_unsold_max_age_hours, test_mode, "
                "deleted_reason, deleted_by, created_at, updated_at) VALUES ('wh-first', 'first', '', 'solar', "
                "%s, '', 100, 60, 0, 'first_match', 3, '', 0, 0, 'accepted', %s, 24, %s, '', '', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", [True, False, False])
    finally:  # every app back at its latest migration: the tests after this one need the whole schema
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert WebhookConfig.objects.get(webhook_id="wh-first").distribution_strategy == "priority"
