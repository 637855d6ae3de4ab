"""The clock at the instants where a test that reads the wall clock goes wrong.

A test that takes `frozen_clock` runs once at each instant of EDGES with time standing still:
`time.time`, `datetime.now` and so Django's `timezone.now` answer that instant for the whole
test, so a run that would cross midnight, a Monday, the 1st or a rate-limit window start cannot
pass a cap or a limit halfway. `time.monotonic` is left alone: socket timeouts, lock waits and
`wait_for` deadlines still run on real time. `shift()` moves the clock on when a test means to
cross the edge.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

CLOCK_ZONE = "America/Chicago"  # the buyers' zone of the edge tests; the process is in it too
_ZONE = ZoneInfo(CLOCK_ZONE)

EDGES = {
    # The last tenth of a second of a Sunday: the next instant opens a day and a week.
    "sunday-2359": datetime(2026, 3, 29, 23, 59, 59, 900_000, tzinfo=_ZONE),
    # The last of a month: the next instant opens a day and a month (1 April is a Wednesday).
    "march-31-2359": datetime(2026, 3, 31, 23, 59, 59, 900_000, tzinfo=_ZONE),
    # The US spring-forward night: the next instant is 03:00, the 02:00 hour never exists.
    "dst-spring-forward": datetime(2026, 3, 8, 1, 59, 59, 900_000, tzinfo=_ZONE),
}


@dataclass
class FrozenClock:
    edge: str
    at: datetime
    traveller: time_machine.Traveller

    def shift(self, delta: timedelta):
        self.traveller.shift(delta)
        self.at += delta


@pytest.fixture(params=list(EDGES))
def frozen_clock(request):
    at = EDGES[request.param]
    with time_machine.travel(at, tick=False) as traveller:
        yield FrozenClock(edge=request.param, at=at, traveller=traveller)


# An instant before every fixed appointment time the tests post (2026-12-01 and later, in the
# future then), so an appointment test does not start failing the day its fixed time passes.
BEFORE_FIXED_APPOINTMENTS = datetime(2026, 11, 2, 12, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def appointment_clock():
    """The clock at BEFORE_FIXED_APPOINTMENTS, running on from there: tests that post fixed
    appointment times take it (appointments in the past are refused)."""
    with time_machine.travel(BEFORE_FIXED_APPOINTMENTS, tick=True) as traveller:
        yield traveller


# Half a minute into a minute and into a quarter-hour: no window edge anywhere near.
MID_WINDOW = datetime(2026, 3, 3, 10, 7, 30, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def still_clock():
    """Time standing still at MID_WINDOW, for a test that counts within one window (a rate limit,
    a minute's merged refusals) and is about no edge: one run, where `frozen_clock` makes three."""
    with time_machine.travel(MID_WINDOW, tick=False) as traveller:
        yield traveller
