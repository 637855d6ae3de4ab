"""An appointment's time, one rule at every door: not in the past and at most two years ahead
(appointments.intake.scheduled_at_problem), refused naming `scheduled_at`; and a time already
stored at the calendar's edge still edits and clash-checks without leaving the calendar."""
from datetime import UTC, datetime, timedelta

import pytest
from appointments.intake import latest_scheduled_at, scheduled_at_problem
from appointments.models import Appointment
from leadhub.testing import (
    admin_change_form_data,
    admin_url,
    assert_error,
    assert_webhook_error,
    make_appointment,
    make_contact,
    make_lead,
    make_webhook,
    provider_post,
    unique_id,
    valid_phone,
)
from leadhub.testing.api import workspace_with_key
from providers.models import RejectedSubmission
from providers.services.rejected import rejected_submission_reprocess

# The clock stands at BEFORE_FIXED_APPOINTMENTS (2026-11-02 12:00 UTC): two years ahead is 2028-11-02 12:00.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("appointment_clock")]

TOO_FAR = {"year-9999": "9999-12-31T23:59:59Z", "two-years-and-a-minute": "2028-11-02T12:01:00Z"}
ASSIGNEE = "rep-7"  # the overlap check works out the booking's end: a time at the edge left the calendar there


def webhook_body(scheduled_at):
    return {"customer_phone": valid_phone(), "customer_name": "Ada Lovelace", "scheduled_at": scheduled_at,
            "assigned_to": ASSIGNEE}


def refused_for_being_too_far(messages):
    assert any("two years ahead" in message for message in messages), messages


@pytest.mark.parametrize("scheduled_at", TOO_FAR.values(), ids=TOO_FAR.keys())
def test_a_time_more_than_two_years_ahead_is_refused_naming_scheduled_at_at_every_door(
        client, admin_client, provider, scheduled_at):
    webhook = make_webhook(unique_id("wh"))
    path = f"/api/v1/webhooks/{webhook.webhook_id}/appointments/"
    response = provider_post(client, path, webhook_body(scheduled_at), provider=provider)
    refused_for_being_too_far(assert_webhook_error(response, 422, code="validation", field="scheduled_at")
                              ["errors"]["scheduled_at"])
    stored = RejectedSubmission.objects.get(request_id=response.json()["request_id"])
    assert rejected_submission_reprocess(submission=stored).reprocess_error.startswith("validation:")
    assert "scheduled_at" in RejectedSubmission.objects.get(pk=stored.pk).reprocess_error

    webhook.test_mode = True
    webhook.save(update_fields=["test_mode"])
    response = provider_post(client, path, webhook_body(scheduled_at), provider=provider)
    assert_webhook_error(response, 422, code="validation", field="scheduled_at")

    workspace, partner = workspace_with_key()
    lead = make_lead(workspace=workspace)
    response = partner.post("/api/v1/appointments/", {"lead_id": lead.pk, "scheduled_at": scheduled_at,
                                                      "assigned_to": ASSIGNEE}, format="json")
    refused_for_being_too_far(assert_error(response, 422, code="validation", field="scheduled_at")
                              ["errors"]["scheduled_at"])
    booked = make_appointment(lead=lead, matched_workspace=workspace, scheduled_at=datetime(2026, 12, 1, tzinfo=UTC),
                              assigned_to=ASSIGNEE)
    response = partner.patch(f"/api/v1/appointments/{booked.pk}/", {"scheduled_at": scheduled_at}, format="json")
    assert_error(response, 422, code="validation", field="scheduled_at")

    day, time = scheduled_at[:10], scheduled_at[11:19]
    page = admin_client.post(admin_url(Appointment, "add"), {
        "contact": make_contact().pk, "scheduled_at_0": day, "scheduled_at_1": time, "duration_minutes": 60,
        "appointment_type": "consultation", "location_type": "home", "assigned_to": ASSIGNEE,
        "lead_links-TOTAL_FORMS": 0, "lead_links-INITIAL_FORMS": 0, "events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0,
    })
    assert page.status_code == 200
    refused_for_being_too_far(page.context["adminform"].form.errors["scheduled_at"])
    change = admin_url(booked, "change", booked.pk)
    page = admin_client.post(change, {**admin_change_form_data(admin_client.get(change), booked),
                                      "scheduled_at_0": day, "scheduled_at_1": time})
    assert page.status_code == 200
    refused_for_being_too_far(page.context["adminform"].form.errors["scheduled_at"])
    page = admin_client.post(f"/admin/appointments/appointment/{booked.pk}/action/reschedule/", {
        "post": "yes", "scheduled_at_0": day, "scheduled_at_1": time, "reason": "Asked for later"}, follow=True)
    refused_for_being_too_far([str(message) for message in page.context["messages"]])

    booked.refresh_from_db()
    assert booked.scheduled_at == datetime(2026, 12, 1, tzinfo=UTC) and booked.status == "scheduled"
    assert list(Appointment.objects.all()) == [booked]


def test_two_years_ahead_less_a_minute_is_still_booked(client, provider):
    webhook = make_webhook(unique_id("wh"))
    response = provider_post(client, f"/api/v1/webhooks/{webhook.webhook_id}/appointments/",
                             webhook_body("2028-11-02T11:59:00Z"), provider=provider)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("edge", [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)],
                         ids=["year-1", "year-9999"])
def test_an_appointment_stored_at_the_calendar_edge_still_edits_and_clash_checks(edge):
    """Rows written before the rule (or by hand) keep their time: giving one a rep or a longer
    slot runs the clash check, whose window starts a day before and ends after the booking."""
    workspace, partner = workspace_with_key()
    lead = make_lead(workspace=workspace)
    stored = make_appointment(lead=lead, matched_workspace=workspace, scheduled_at=edge, duration_minutes=24 * 60)
    neighbour = make_appointment(lead=lead, matched_workspace=workspace, scheduled_at=edge, assigned_to=ASSIGNEE)
    response = partner.patch(f"/api/v1/appointments/{stored.pk}/", {"assigned_to": ASSIGNEE}, format="json")
    assert response.status_code == 200, response.content
    assert [warning["appointment_ids"] for warning in response.json()["warnings"]] == [[neighbour.pk]]
    response = partner.patch(f"/api/v1/appointments/{neighbour.pk}/", {"duration_minutes": 24 * 60}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["scheduled_at"] == edge.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(("now", "latest"), [
    (datetime(2026, 11, 2, 12, tzinfo=UTC), datetime(2028, 11, 2, 12, tzinfo=UTC)),
    (datetime(2028, 2, 29, 12, tzinfo=UTC), datetime(2030, 2, 28, 12, tzinfo=UTC)),  # no 29 February then
])
def test_the_latest_time_is_two_calendar_years_ahead(now, latest):
    assert latest_scheduled_at(now) == latest
    assert scheduled_at_problem(latest, now=now) is None
    assert "two years ahead" in scheduled_at_problem(latest + timedelta(seconds=1), now=now)
