"""The admin shows any stored time in any ops zone (OPS_TIME_ZONE): a time at the calendar's edge
(year 1, year 9999; stored before a door refused it, or by a path that does not) whose local
time would leave the calendar shows in UTC, saying so, and every page holding it still renders."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from appointments.models import AppointmentStatus
from leadhub.testing import admin_change_form_data, admin_url, backdate, make_appointment, make_lead, make_workspace
from providers.models import RejectedSubmission
from workspaces.delivery import outbox_emit

pytestmark = pytest.mark.django_db

FIRST = datetime(1, 1, 1, tzinfo=UTC)  # in America/Los_Angeles: year 0
LAST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)  # in Pacific/Kiritimati (UTC+14): year 10000
ZONES = ["America/Los_Angeles", "Pacific/Kiritimati"]


@pytest.fixture
def edge_rows():
    """A lead, its contact and appointments holding edge times in the columns each page shows."""
    workspace = make_workspace(outbound_webhook_url="https://partner.example/hooks/leadhub", webhook_active=True)
    lead = make_lead(workspace=workspace, follow_up_date=FIRST)
    first = make_appointment(lead=lead, matched_workspace=workspace, scheduled_at=FIRST, next_action_date=LAST)
    last = make_appointment(lead=lead, matched_workspace=workspace, scheduled_at=LAST, next_action_date=FIRST)
    event = outbox_emit(workspace=workspace, event_type="lead.assigned", data={"lead_id": lead.pk},
                        contact_id=lead.contact_id, subject_type="lead", subject_id=lead.pk)
    rejected = RejectedSubmission.objects.create(webhook_id="wh-edge", reason_code="validation", http_status=422)
    return {"lead": lead, "contact": lead.contact, "first": first, "last": last,
            "event": backdate(event, created_at=LAST), "rejected": backdate(rejected, created_at=FIRST)}


# A hand-typed date lookup (`?scheduled_at__gte=9999-12-31`) has no zone: Django warns, and reads
# it in the current zone.
@pytest.mark.filterwarnings("ignore:DateTimeField Appointment.scheduled_at received a naive datetime")
@pytest.mark.parametrize("zone", ZONES)
def test_every_page_showing_an_edge_time_renders_in_any_ops_zone(settings, admin_client, edge_rows, zone):
    settings.OPS_TIME_ZONE = zone
    rows = edge_rows
    pages = [admin_url(rows["first"], "changelist"), admin_url(rows["lead"], "changelist"),
             admin_url(rows["contact"], "changelist"), admin_url(rows["event"], "changelist"),
             admin_url(rows["rejected"], "changelist")]
    pages += [admin_url(rows[name], "change", rows[name].pk) for name in ("first", "last", "lead", "contact", "event",
                                                                         "rejected")]
    # The date filter's links and the date hierarchy's drill-down, at the edges too.
    pages += [f"{admin_url(rows['first'], 'changelist')}?scheduled_at__gte=9999-12-31&scheduled_at__lt=9999-12-31",
              f"{admin_url(rows['event'], 'changelist')}?created_at__year=9999",
              f"{admin_url(rows['event'], 'changelist')}?created_at__year=9999&created_at__month=12",
              f"{admin_url(rows['rejected'], 'changelist')}?created_at__year=1&created_at__month=1&created_at__day=1"]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code in (200, 302), (page, response.status_code)
    shown = admin_client.get(admin_url(rows["first"], "changelist")).content.decode()
    edge = "0001-01-01 00:00 UTC" if zone == "America/Los_Angeles" else "9999-12-31 23:59 UTC"
    assert edge in shown


# A time typed in the ops zone whose UTC time is off the calendar: 0001-01-01 00:00 in Tokyo
# (UTC+9:19 then) is in year 0 in UTC, 9999-12-31 23:00 in Los Angeles in year 10000.
TYPED_OFF_THE_CALENDAR = {"Asia/Tokyo": ("0001-01-01", "00:00:00"), "America/Los_Angeles": ("9999-12-31", "23:00:00")}


@pytest.mark.parametrize("zone", TYPED_OFF_THE_CALENDAR)
def test_a_time_typed_in_the_admin_whose_utc_time_leaves_the_calendar_is_refused_naming_it(settings, admin_client,
                                                                                          zone):
    """PostgreSQL would keep it (as 1 BC or year 10000) and no driver reads the row back; SQLite's
    driver cannot even write it: every admin form's time, and the action forms', refuse it."""
    settings.OPS_TIME_ZONE = zone
    day, time = TYPED_OFF_THE_CALENDAR[zone]
    lead = make_lead()
    change = admin_url(lead, "change", lead.pk)
    page = admin_client.post(change, {**admin_change_form_data(admin_client.get(change), lead),
                                      "follow_up_date_0": day, "follow_up_date_1": time})
    assert page.status_code == 200 and "follow_up_date" in page.context["adminform"].form.errors
    appointment = make_appointment(status=AppointmentStatus.CONFIRMED)
    page = admin_client.post(f"/admin/appointments/appointment/{appointment.pk}/action/complete/", {
        "post": "yes", "outcome": "proposal_sent", "next_action_date_0": day, "next_action_date_1": time})
    assert page.status_code == 200 and "next_action_date" in page.context["form"].errors
    lead.refresh_from_db()
    appointment.refresh_from_db()
    assert lead.follow_up_date is None and appointment.status == AppointmentStatus.CONFIRMED


def test_an_edge_time_leaves_the_zone_only_where_its_local_time_would_leave_the_calendar():
    from leadhub.times import CalendarSafeZone

    zone = CalendarSafeZone("Pacific/Kiritimati")
    assert LAST.astimezone(zone) == LAST and LAST.astimezone(zone).tzname() == "UTC"
    near = LAST - timedelta(days=1)
    assert near.astimezone(zone).utcoffset() == timedelta(hours=14) and near.astimezone(zone) == near
    los_angeles = CalendarSafeZone("America/Los_Angeles")
    assert FIRST.astimezone(los_angeles).tzname() == "UTC"
    # Everywhere else it is the zone itself, daylight saving included.
    for moment in (datetime(2026, 3, 8, 9, 59, tzinfo=UTC), datetime(2026, 3, 8, 10, 0, tzinfo=UTC),
                   datetime(2026, 11, 1, 8, 30, tzinfo=UTC), datetime(2026, 11, 1, 9, 30, tzinfo=UTC)):
        local = moment.astimezone(los_angeles)
        plain = moment.astimezone(ZoneInfo("America/Los_Angeles"))
        assert (local.replace(tzinfo=None), local.utcoffset(), local.fold) == (
            plain.replace(tzinfo=None), plain.utcoffset(), plain.fold)
