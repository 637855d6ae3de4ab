"""The clock's edges, checked rather than assumed: at each instant of `frozen_clock` (a Sunday's,
31 March's and the spring-forward night's last tenth of a second in the buyer's zone) a cap
full before the edge stays full until the buyer's own window ends, and only then has room. The
tests that used to depend on when they ran (caps, backoff, login locks, per-minute rows) take
the same fixture, so they run at these instants too."""
from datetime import UTC, timedelta
from decimal import Decimal

import pytest

from distribution.models import Cap, Offer
from distribution.services import lead_distribute
from leadhub.testing import make_lead, make_workspace
from leadhub.testing.clock import CLOCK_ZONE

pytestmark = pytest.mark.django_db

# Which of the buyer's windows the tenth of a second after each edge opens.
OPENS = {
    "sunday-2359": {"hour", "day", "week"},
    "march-31-2359": {"hour", "day", "month"},
    "dst-spring-forward": {"hour"},  # 01:59:59.9 then 03:00: a new hour, the same day
}


@pytest.mark.parametrize("window", ["hour", "day", "week", "month"])
def test_a_full_cap_has_room_again_exactly_when_the_buyers_window_turns(frozen_clock, window):
    buyer = make_workspace(time_zone=CLOCK_ZONE)
    capped = Offer.objects.create(workspace=buyer, products=["solar"], price=Decimal("10"), priority=5)
    fallback = Offer.objects.create(workspace=make_workspace(), products=["solar"], price=Decimal("1"), priority=1)
    Cap.objects.create(workspace=buyer, offer=capped, window=window, maximum=1)

    def winner():
        return lead_distribute(lead=make_lead(zip_code="94105"), strategy="priority").offer_ids[0]

    assert [winner(), winner()] == [capped.pk, fallback.pk]
    frozen_clock.shift(timedelta(milliseconds=50))  # still before the edge
    assert winner() == fallback.pk
    frozen_clock.shift(timedelta(milliseconds=100))  # past it
    assert winner() == (capped.pk if window in OPENS[frozen_clock.edge] else fallback.pk)


def test_the_edges_are_where_they_say():
    from leadhub.testing.clock import EDGES

    after = {name: (at.astimezone(UTC) + timedelta(seconds=0.1)).astimezone(at.tzinfo) for name, at in EDGES.items()}
    assert after["sunday-2359"].strftime("%a %H:%M:%S.%f") == "Mon 00:00:00.000000"
    assert after["march-31-2359"].strftime("%d %b %H:%M:%S.%f") == "01 Apr 00:00:00.000000"
    spring = after["dst-spring-forward"]
    assert spring.strftime("%H:%M:%S.%f") == "03:00:00.000000" and spring.utcoffset() == timedelta(hours=-5)
