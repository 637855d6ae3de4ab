"""Ingest hands a new lead to distribution through one registered distributor, and the webhook
answer's `sold`/`price` is what that distributor returns: a second one cannot replace it."""
import pytest
from django.core.exceptions import ImproperlyConfigured

from distribution.receivers import distribute_accepted_lead, replayed_lead_price
from leads.handoff import Disposition, lead_distributor, lead_distributor_register


def test_distribution_is_the_one_distributor():
    distributor = lead_distributor()
    assert (distributor.accepted, distributor.replayed) == (distribute_accepted_lead, replayed_lead_price)


def test_a_second_distributor_is_refused_rather_than_replacing_the_answer():
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        lead_distributor_register(accepted=lambda **kwargs: Disposition(sold=True),
                                  replayed=lambda **kwargs: Disposition(), wanted_by=lambda **kwargs: None)
    assert lead_distributor().accepted is distribute_accepted_lead
