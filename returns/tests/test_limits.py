"""A buyer returns a lead inside the limits its offer sets: the return window counts from the
delivery to that buyer (a delivery held until morning starts it when sent; no outbound URL: the
sale), and the return cap per billing period is a count or a percentage of the leads bought."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from leadhub.testing import make_webhook, make_workspace
from returns.models import Return, ReturnState
from returns.services import ReturnRefused, return_request
from workspaces.delivery import HttpResult, _record, outbox_waiting_release
from workspaces.models import DeliveryStatus, OutboundEvent

from .helpers import reason, sell

pytestmark = pytest.mark.django_db

EVENING = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)


def refused(sale, at, code, field):
    with pytest.raises(ReturnRefused) as caught:
        return_request(sale=sale, reason="other", by="workspace:x", at=at)
    assert (caught.value.code, list(caught.value.errors)) == (code, [field])
    return str(caught.value)


def test_without_an_outbound_url_the_window_counts_from_the_sale():
    reason()
    _lead, [inside] = sell(at=EVENING)
    _lead, [outside] = sell(at=EVENING)
    assert return_request(sale=inside, reason="other", by="b", at=EVENING + timedelta(hours=72)).state == "requested"
    words = refused(outside, EVENING + timedelta(hours=72, seconds=1), "return_window_closed", "return_window_hours")
    assert "72 hours" in words


def test_a_delivery_held_until_morning_starts_the_clock_when_sent():
    """Sold at 23:00 in San Francisco to a buyer that calls consumers, its event waits in the
    outbox for the consumer's calling window (08:00 PDT); the 72 hours run from its delivery after
    the sweeper released it. While the event still waits, the clock has not started."""
    reason()
    buyer = make_workspace(outbound_webhook_url="https://buyer.example/hook", webhook_active=True,
                           calls_consumers=True)
    night = datetime(2026, 3, 11, 6, 0, tzinfo=UTC)  # 23:00 PDT
    morning = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)  # 08:00 PDT
    with time_machine.travel(night, tick=False):
        late, edge = (sell(buyers=[buyer], at=night)[1][0] for _ in range(2))
    events = OutboundEvent.objects.filter(workspace=buyer, event_type="lead.sold")
    assert {(event.status, event.not_before) for event in events} == {(DeliveryStatus.WAITING, morning)}
    with time_machine.travel(morning + timedelta(minutes=5), tick=False):
        outbox_waiting_release()
    for sale in (late, edge):
        event = events.get(subject_id=str(sale.lead_id))
        assert event.status == DeliveryStatus.PENDING and event.attempts == 0  # released, not yet sent
        with time_machine.travel(morning + timedelta(minutes=6), tick=False):
            _record(event.pk, url=event.target_url, result=HttpResult(200, "", "", 5))
    sent = morning + timedelta(minutes=6)
    with time_machine.travel(night + timedelta(days=1), tick=False):
        waiting = sell(buyers=[buyer], at=night + timedelta(days=1))[1][0]  # the next night's: never released
    past_the_sale_window = night + timedelta(days=1, hours=80)
    assert return_request(sale=edge, reason="other", by="b", at=sent + timedelta(hours=72)).state == "requested"
    refused(late, sent + timedelta(hours=72, seconds=1), "return_window_closed", "return_window_hours")
    assert return_request(sale=waiting, reason="other", by="b", at=past_the_sale_window).window_started_at \
        == past_the_sale_window  # still waiting to be sent: the window is open
    assert Return.objects.get(sale=edge).window_started_at == sent


def test_the_window_is_the_offers():
    reason()
    _lead, [sale] = sell(at=EVENING, return_window_hours=2)
    refused(sale, EVENING + timedelta(hours=2, minutes=1), "return_window_closed", "return_window_hours")


def test_a_return_cap_by_count_per_billing_period():
    reason()
    buyer, webhook = make_workspace(), make_webhook(distribution_strategy="priority")
    first, second = (sell(buyers=[buyer], webhook=webhook, at=EVENING, return_cap_count=1)[1][0] for _ in range(2))
    return_request(sale=first, reason="other", by="b", at=EVENING + timedelta(hours=1))
    words = refused(second, EVENING + timedelta(hours=1), "return_cap_reached", "return_cap_count")
    assert "1 return(s) per billing period" in words


def test_a_return_cap_by_percentage_of_the_leads_bought_in_the_period():
    reason()
    buyer, webhook = make_workspace(), make_webhook(distribution_strategy="priority")
    sales = [sell(buyers=[buyer], webhook=webhook, at=EVENING, return_cap_percent="50")[1][0] for _ in range(2)]
    return_request(sale=sales[0], reason="other", by="b", at=EVENING + timedelta(hours=1))  # 1 of 2: 50 %
    words = refused(sales[1], EVENING + timedelta(hours=1), "return_cap_reached", "return_cap_percent")
    assert "1 of 2 returned" in words


def test_a_rejected_return_leaves_room_and_the_next_month_starts_again():
    from returns.services import return_reject

    reason()
    buyer, webhook = make_workspace(), make_webhook(distribution_strategy="priority")
    first, second = (sell(buyers=[buyer], webhook=webhook, at=EVENING, return_cap_count=1)[1][0] for _ in range(2))
    return_reject(ret=return_request(sale=first, reason="other", by="b", at=EVENING), by="staff:ops",
                  reason="the phone works")
    assert return_request(sale=second, reason="other", by="b", at=EVENING).state == ReturnState.REQUESTED
    assert Return.objects.filter(sale=first).get().state == ReturnState.REJECTED
