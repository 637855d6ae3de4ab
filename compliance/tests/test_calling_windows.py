"""Calling windows in the consumer's own time: when a consumer may be called (federal and state
rules, Sundays, holidays, rules by effective date, the ZIP's and the area code's states), and
deliveries to buyers that call consumers waiting in the outbox until the window opens. The clock
is always injected: an instant given to `call_opens_at`, or time-machine standing still."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from compliance.models import CallingWindow
from compliance.selectors import holiday_states_uncovered
from compliance.windows import call_opens_at, consumer_locale
from leadhub.testing import admin_url, make_lead
from leadhub.testing.api import workspace_with_key
from leads.gate import lead_event_send
from leads.models import LeadEvent
from suppression.models import ListKind, SuppressionList
from suppression.services import suppression_entry_add
from workspaces.delivery import _record, HttpResult, outbound_event_redeliver, outbox_waiting_release
from workspaces.models import DeliveryStatus, EventType, OutboundEvent

pytestmark = pytest.mark.django_db

NEW_YORK, HONOLULU = ZoneInfo("America/New_York"), ZoneInfo("Pacific/Honolulu")
MAINE_PHONE, HAWAII_PHONE = "+12075550134", "+18085550134"


def opens(at, **where):
    return call_opens_at(locale=consumer_locale(**where), at=at)


@pytest.fixture
def caller():
    workspace, client = workspace_with_key(outbound_webhook_url="https://buyer.example/hooks", webhook_active=True,
                                           calls_consumers=True, time_zone="America/Chicago")
    return workspace, client


def sold_event(lead, workspace):
    return lead_event_send(lead=lead, workspace=workspace, event_type=EventType.LEAD_SOLD)


def test_a_lead_in_hawaii_and_one_in_maine_posted_at_the_same_instant(caller):
    workspace, client = caller
    at = datetime(2027, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in Portland ME, 05:00 in Honolulu
    maine = make_lead(zip_code="04101", state="ME", phone=MAINE_PHONE)
    hawaii = make_lead(zip_code="96813", state="HI", phone=HAWAII_PHONE)
    with time_machine.travel(at, tick=False):
        to_maine, to_hawaii = sold_event(maine, workspace), sold_event(hawaii, workspace)
    assert to_maine.status == DeliveryStatus.PENDING and to_maine.next_attempt_at == at
    assert to_hawaii.status == DeliveryStatus.WAITING
    assert to_hawaii.not_before == to_hawaii.next_attempt_at == datetime(2027, 3, 2, 8, 0, tzinfo=HONOLULU)
    assert "Pacific/Honolulu" in to_hawaii.wait_reason and "2027-03-02 08:00 HST" in to_hawaii.wait_reason
    note = LeadEvent.objects.get(lead=hawaii, event_type=LeadEvent.DELIVERY_WAITING)
    assert note.workspace_id == workspace.pk and note.event_data["event_id"] == str(to_hawaii.pk)
    assert not LeadEvent.objects.filter(lead=maine, event_type=LeadEvent.DELIVERY_WAITING).exists()
    listed = {row["id"]: row for row in client.get("/api/v1/workspace/events/").json()["results"]}
    assert listed[str(to_hawaii.pk)]["status"] == "waiting"
    assert listed[str(to_hawaii.pk)]["not_before"] == "2027-03-02T18:00:00Z"
    assert listed[str(to_hawaii.pk)]["wait_reason"] == to_hawaii.wait_reason


def test_a_buyer_that_does_not_call_gets_it_at_once(caller):
    workspace, _client = caller
    workspace.calls_consumers = False
    workspace.save()
    with time_machine.travel(datetime(2027, 3, 2, 15, 0, tzinfo=UTC), tick=False):
        event = sold_event(make_lead(zip_code="96813", phone=HAWAII_PHONE), workspace)
    assert event.status == DeliveryStatus.PENDING and not event.calling_window


@pytest.mark.parametrize("day, utc_hour", [(13, 13), (14, 12)], ids=["before-dst-est", "after-dst-edt"])
def test_the_window_opens_at_the_right_utc_instant_on_both_sides_of_a_dst_change(day, utc_hour):
    # 2027-03-14 is the spring-forward Sunday: 08:00 New York is 13:00 UTC the day before, 12:00 UTC on it.
    midnight = datetime(2027, 3, day, 0, 0, tzinfo=NEW_YORK)
    instant, why = opens(midnight, zip_code="10001")
    assert instant == datetime(2027, 3, day, utc_hour, 0, tzinfo=UTC) and why


def test_the_fall_back_night_opens_at_08_local_too():
    instant, _why = opens(datetime(2027, 11, 7, 4, 30, tzinfo=UTC), zip_code="10001")  # 00:30 EDT, before 02:00
    assert instant == datetime(2027, 11, 7, 13, 0, tzinfo=UTC)  # 08:00 EST


def test_texas_calls_start_at_noon_on_sundays_and_at_nine_on_other_days():
    dallas = ZoneInfo("America/Chicago")
    sunday = datetime(2027, 3, 7, 10, 0, tzinfo=dallas)
    instant, why = opens(sunday, zip_code="75201")
    assert instant == datetime(2027, 3, 7, 12, 0, tzinfo=dallas) and "TX 12:00–21:00 on Sundays" in why
    saturday = datetime(2027, 3, 6, 10, 0, tzinfo=dallas)
    assert opens(saturday, zip_code="75201") == (saturday, "")


def test_no_sunday_calls_in_alabama():
    chicago = ZoneInfo("America/Chicago")
    instant, why = opens(datetime(2027, 3, 7, 10, 0, tzinfo=chicago), zip_code="35203")
    assert instant == datetime(2027, 3, 8, 8, 0, tzinfo=chicago) and "AL no calls on Sundays" in why


def test_a_state_holiday_closes_the_whole_day():
    denver = ZoneInfo("America/Denver")
    instant, why = opens(datetime(2027, 7, 24, 10, 0, tzinfo=denver), zip_code="84101")  # Pioneer Day, Utah
    assert instant == datetime(2027, 7, 25, 8, 0, tzinfo=denver) and "Pioneer Day" in why
    # The same Saturday in a state without it is an ordinary day.
    assert opens(datetime(2027, 7, 24, 10, 0, tzinfo=denver), zip_code="80202")[1] == ""


def test_a_zip_in_one_state_with_an_area_code_of_another_takes_both_states_rules():
    evening = datetime(2027, 3, 2, 20, 30, tzinfo=NEW_YORK)
    locale = consumer_locale(zip_code="10001", phone="+13055550134")
    assert locale.states == ("NY", "FL") and locale.zone == "America/New_York"
    instant, why = call_opens_at(locale=locale, at=evening)
    assert instant == datetime(2027, 3, 3, 8, 0, tzinfo=NEW_YORK) and "FL 08:00–20:00" in why
    assert opens(evening, zip_code="10001", phone="+12125550134") == (evening, "")


def test_without_a_zip_the_area_code_and_then_the_buyers_zone_place_the_consumer():
    assert consumer_locale(phone=HAWAII_PHONE).zone == "Pacific/Honolulu"
    assert consumer_locale(phone=HAWAII_PHONE).states == ("HI",)
    assert consumer_locale(fallback_zone="America/Denver") == consumer_locale(zip_code="", fallback_zone="America/Denver")
    assert consumer_locale(fallback_zone="America/Denver").zone == "America/Denver"


def test_a_rule_with_a_future_effective_date_is_ignored_until_it_takes_effect():
    for day in ("tue", "wed"):
        CallingWindow.objects.create(state="NY", day=day, opens=time(9), closes=time(20),
                                     effective_from=date(2028, 1, 1), source="a future statute")
    before = datetime(2027, 3, 2, 8, 30, tzinfo=NEW_YORK)  # a Tuesday before the rule
    assert opens(before, zip_code="10001") == (before, "")
    after = datetime(2028, 1, 4, 8, 30, tzinfo=NEW_YORK)  # a Tuesday after it
    instant, why = opens(after, zip_code="10001")
    assert instant == datetime(2028, 1, 4, 9, 0, tzinfo=NEW_YORK) and "a future statute" in why


def test_a_rule_no_longer_in_force_is_ignored():
    evening = datetime(2027, 3, 2, 20, 30, tzinfo=NEW_YORK)
    assert opens(evening, zip_code="33101")[1]  # Florida closes at 20:00
    for row in CallingWindow.objects.filter(state="FL"):
        row.effective_until = date(2027, 1, 1)
        row.save()  # saving a rule drops the table this process keeps
    assert opens(evening, zip_code="33101") == (evening, "")


def test_a_held_delivery_released_by_the_sweeper_then_refused_because_the_number_was_suppressed(caller):
    workspace, _client = caller
    at = datetime(2027, 3, 2, 15, 0, tzinfo=UTC)
    released_lead = make_lead(zip_code="96813", phone=HAWAII_PHONE)
    suppressed_lead = make_lead(zip_code="96813", phone="+18085550177")
    with time_machine.travel(at, tick=False):
        released, refused = sold_event(released_lead, workspace), sold_event(suppressed_lead, workspace)
        later = lead_event_send(lead=released_lead, workspace=workspace, event_type=EventType.LEAD_STATUS_CHANGED)
        suppression_entry_add(suppression_list=SuppressionList.objects.create(name="dnc", kind=ListKind.INTERNAL),
                              phone=suppressed_lead.phone, by="staff:ops")
    assert later.status == DeliveryStatus.WAITING and later.not_before == released.not_before  # behind it
    with time_machine.travel(at + timedelta(hours=2), tick=False):
        assert outbox_waiting_release() == 0  # not due yet: 08:00 HST is 18:00 UTC
    with time_machine.travel(datetime(2027, 3, 2, 18, 0, 1, tzinfo=UTC), tick=False):
        assert outbox_waiting_release() == 2
    for event in (released, refused, later):
        event.refresh_from_db()
    assert released.status == later.status == DeliveryStatus.PENDING and released.attempts == 0
    assert refused.status == DeliveryStatus.REFUSED and refused.attempts == 0 and "suppressed" in refused.wait_reason
    assert LeadEvent.objects.filter(lead=suppressed_lead, event_type=LeadEvent.DELIVERY_REFUSED).exists()
    workspace.refresh_from_db()
    assert workspace.webhook_failure_streak == 0


def test_a_retry_waits_for_the_window_and_send_again_keeps_the_hold(caller):
    workspace, _client = caller
    lead = make_lead(zip_code="04101", phone=MAINE_PHONE)
    evening = datetime(2027, 3, 2, 20, 58, tzinfo=NEW_YORK)
    with time_machine.travel(evening, tick=False):
        event = sold_event(lead, workspace)
        assert event.status == DeliveryStatus.PENDING
        OutboundEvent.objects.filter(pk=event.pk).update(attempts=4)  # its next retry is 6-10 minutes away
        _record(event.pk, url=event.target_url, result=HttpResult(503, "", "", 5))
    event.refresh_from_db()
    assert event.status == DeliveryStatus.WAITING  # the retry is asked again when due: after 21:00 it waits
    with time_machine.travel(event.next_attempt_at, tick=False):
        outbox_waiting_release()
    event.refresh_from_db()
    assert event.status == DeliveryStatus.WAITING and event.next_attempt_at == datetime(2027, 3, 3, 8, tzinfo=NEW_YORK)
    OutboundEvent.objects.filter(pk=event.pk).update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    event.refresh_from_db()
    with time_machine.travel(datetime(2027, 3, 2, 23, 0, tzinfo=NEW_YORK), tick=False):
        assert outbound_event_redeliver(event=event) == 1
    event.refresh_from_db()
    assert event.status == DeliveryStatus.WAITING and event.attempts == 0


def test_the_admin_warns_of_a_holiday_state_without_rows_for_the_next_60_days(client, admin_user):
    assert holiday_states_uncovered(today=date(2027, 5, 1)) == []
    assert [state for state, _last in holiday_states_uncovered(today=date(2029, 1, 1))] == [
        "AL", "LA", "MS", "PA", "RI", "UT"]
    CallingWindow.objects.filter(state="RI", holiday__year=2027).delete()
    with time_machine.travel(datetime(2027, 5, 10, 12, tzinfo=UTC), tick=False):
        client.force_login(admin_user)
        page = client.get(admin_url(CallingWindow, "changelist"))
    assert page.status_code == 200
    assert "RI bans calls on state holidays" in page.content.decode()
    assert "UT bans calls" not in page.content.decode()


def test_an_appointment_created_for_a_calling_buyer_waits_for_its_leads_window_and_is_released(caller):
    from appointments.services.forwarding import appointment_event_send
    from leadhub.testing import make_appointment

    workspace, _client = caller
    at = datetime(2027, 3, 2, 15, 0, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        appointment = make_appointment(lead=make_lead(zip_code="96813", phone=HAWAII_PHONE), matched_workspace=workspace)
        event = appointment_event_send(appointment, EventType.APPOINTMENT_CREATED, {"id": appointment.pk})
        updated = appointment_event_send(appointment, EventType.APPOINTMENT_UPDATED, {"id": appointment.pk})
    assert event.status == updated.status == DeliveryStatus.WAITING
    assert event.not_before == updated.not_before == datetime(2027, 3, 2, 18, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2027, 3, 2, 18, 0, 1, tzinfo=UTC), tick=False):
        assert outbox_waiting_release() == 2


def test_a_sale_whose_delivery_is_refused_when_due_is_credited_and_the_buyer_excluded(caller):
    """The buyer paid for a lead it never received: refused at release (suppressed for it while
    its delivery waited for the morning), the sale is credited as undelivered, as a delivery that
    finally failed is, and the lead never offered to that buyer again."""
    from decimal import Decimal

    from distribution.models import Sale
    from distribution.services import lead_distribute
    from leadhub.testing import make_lead_offer, make_webhook
    from ledger.models import Entry, EntryKind

    workspace, _client = caller
    webhook = make_webhook(distribution_strategy="priority")
    make_lead_offer(workspace, zip_codes=["96813"], price="30", webhook=webhook)
    lead = make_lead(zip_code="96813", phone=HAWAII_PHONE, webhook_id=webhook.webhook_id)
    at = datetime(2027, 3, 2, 15, 0, tzinfo=UTC)  # 05:00 in Honolulu
    with time_machine.travel(at, tick=False):
        lead_distribute(lead=lead, webhook=webhook)
        suppression_entry_add(suppression_list=SuppressionList.objects.create(name="dnc", kind=ListKind.INTERNAL),
                              phone=lead.phone, by="staff:ops")
    sale = Sale.objects.get(lead=lead, workspace=workspace)
    with time_machine.travel(datetime(2027, 3, 2, 18, 0, 1, tzinfo=UTC), tick=False):
        outbox_waiting_release()
    delivery = OutboundEvent.objects.get(workspace=workspace, subject_id=str(lead.pk), event_type=EventType.LEAD_SOLD)
    assert delivery.status == DeliveryStatus.REFUSED
    credit = Entry.objects.get(kind=EntryKind.UNDELIVERED, workspace_id=workspace.pk)
    assert (credit.amount, credit.reference) == (Decimal("-30.00"), f"undelivered:{sale.pk}")
    lead.refresh_from_db()
    assert workspace.pk in lead.excluded_buyers
