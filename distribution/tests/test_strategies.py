"""Strategies are one registry owned by distribution (distribution.strategies): a strategy is
added by one registration, which the webhook's field, the admin forms, the engine, appointment
routing and the simulation all follow; a strategy lacking a part is refused at registration."""
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from distribution.forms import DistributeAgainForm, SimulateForm
from distribution.models import Offer
from distribution.services import lead_distribute, lead_simulate
from distribution.strategies import (
    PRIORITY,
    STRATEGIES,
    Strategy,
    strategy_choices,
    strategy_register,
)
from leadhub.testing import make_lead, make_webhook, make_workspace
from providers.admin import WebhookConfigForm
from providers.models import STRATEGY_CHOICES, WebhookConfig


@pytest.fixture
def last_first():
    """A strategy registered for one test: the last eligible offer of the waterfall wins."""
    strategy = strategy_register(Strategy(
        "last_first", "Last first", lambda eligible, **_: eligible[-1:], shared=False,
        rotation=lambda eligible: list(eligible),
    ))
    yield strategy
    del STRATEGIES[strategy.name], STRATEGY_CHOICES[strategy.name]


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_registered_strategy_has_every_part(name):
    strategy = STRATEGIES[name]
    assert callable(strategy.choose) and callable(strategy.rotation)
    assert isinstance(strategy.shared, bool) and strategy.label and strategy.name == name
    assert strategy_register(strategy) is strategy  # the registration's own check passes it


@pytest.mark.parametrize("part", ["choose", "rotation", "shared", "label"])
def test_a_strategy_lacking_a_part_is_refused_when_registered(part):
    whole = STRATEGIES[PRIORITY]
    with pytest.raises(ImproperlyConfigured, match=part):
        strategy_register(replace(whole, name="broken", **{part: None}))
    assert "broken" not in STRATEGIES and "broken" not in STRATEGY_CHOICES


def test_the_webhook_field_and_the_admin_forms_offer_exactly_the_registered_strategies():
    registered = strategy_choices()
    assert list(WebhookConfig._meta.get_field("distribution_strategy").choices) == registered
    assert list(DistributeAgainForm().fields["strategy"].choices) == registered
    assert list(SimulateForm().fields["strategy"].choices)[1:] == registered


@pytest.mark.django_db
def test_one_registration_adds_a_strategy_everywhere(last_first):
    first = Offer.objects.create(workspace=make_workspace(), products=["solar"], priority=2, price=Decimal("5"))
    last = Offer.objects.create(workspace=make_workspace(), products=["solar"], priority=1, price=Decimal("5"))
    form = WebhookConfigForm(data={"webhook_id": "wh-last", "name": "x", "lead_type": "solar", "rate_limit": 100,
                                   "rate_window": 60, "multisell_buyers": 3, "payout_amount": "0",
                                   "payout_share": "0", "payout_on": "accepted", "retry_unsold_max_age_hours": 24,
                                   "distribution_strategy": "last_first"})
    assert "distribution_strategy" not in form.errors
    assert SimulateForm(data={"lead_id": make_lead().pk, "strategy": "last_first"}).is_valid()

    lead = make_lead(webhook_id=make_webhook(distribution_strategy="last_first").webhook_id)
    simulation = lead_simulate(lead=lead)
    assert [c.offer for c in simulation.winners] == [last]
    assert [c.offer for c in simulation.rotation] == [first, last]
    decision = lead_distribute(lead=lead)
    assert (decision.strategy, decision.workspace_ids) == ("last_first", [last.workspace_id])
