"""The leads back-office: search, timeline, status change with a reason, consent release, CSV
export, the follow-ups queue, and changelists whose query count does not grow with the rows."""
import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.models import Contact, ContactMerge
from leadhub import paginator
from leadhub.testing import admin_url, make_appointment, make_contact, make_contact_history, make_lead, make_workspace
from leads.models import Lead, LeadEvent, LeadStatusHistory

pytestmark = pytest.mark.django_db

CHANGELIST = admin_url(Lead, "changelist")


def listed(response):
    return [row.pk for row in response.context["cl"].result_list]


def messages_of(response):
    return " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize("typed", ["(415) 555-0132", "415-555-0132", "4155550132", "+1 415.555.0132"])
def test_lead_and_contact_search_normalise_a_phone_typed_in_any_format(admin_client, typed):
    lead = make_lead(make_contact(phone="+14155550132"))
    make_lead(make_contact(phone="+14155550133"))

    assert listed(admin_client.get(CHANGELIST, {"q": typed})) == [lead.pk]
    assert listed(admin_client.get(admin_url(Contact, "changelist"), {"q": typed})) == [lead.contact_id]


def test_a_name_finds_the_lead_by_first_last_or_both(admin_client):
    ada = make_lead(first_name="Ada", last_name="Lovelace")
    make_lead(first_name="Grace", last_name="Hopper", email="grace@navy.example")
    make_lead(first_name="Ada", last_name="Byron")

    assert listed(admin_client.get(CHANGELIST, {"q": "Ada Lovelace"})) == [ada.pk]
    assert listed(admin_client.get(CHANGELIST, {"q": "lovel"})) == [ada.pk]
    assert len(listed(admin_client.get(CHANGELIST, {"q": "ada"}))) == 2


def test_a_lead_id_finds_the_lead_and_its_contact(admin_client):
    lead = make_lead()
    make_lead()

    assert listed(admin_client.get(CHANGELIST, {"q": str(lead.pk)})) == [lead.pk]
    assert lead.contact_id in listed(admin_client.get(admin_url(Contact, "changelist"), {"q": str(lead.pk)}))


def test_timeline_shows_history_consent_and_the_pretty_payload(admin_client):
    lead = make_lead(
        consent_description="I agree to be called", consent_value=True, tcpa_compliance=True,
        ip_address="203.0.113.9", user_agent="Mozilla/5.0 test", raw_payload={"zip": "94110", "a": 1},
    )
    lead.events.create(event_type="received", event_data={"webhook_id": lead.webhook_id})
    lead.status_history.create(old_status="new", new_status="contacted", changed_by="ops", reason="called back")

    page = admin_client.get(admin_url(lead, "change", lead.pk))
    timeline = admin_client.get(admin_url(lead, "timeline", lead.pk))

    assert admin_url(lead, "timeline", lead.pk) in page.content.decode()
    html = timeline.content.decode()
    assert timeline.status_code == 200
    assert [item["kind"] for item in timeline.context["items"]] == ["event", "status_change"]
    for shown in ("I agree to be called", "203.0.113.9", "Mozilla/5.0 test", "called back", "new → contacted"):
        assert shown in html
    assert '{\n  &quot;a&quot;: 1,\n  &quot;zip&quot;: &quot;94110&quot;\n}' in html


def test_change_status_asks_for_a_reason_then_writes_history_through_the_service(admin_client):
    leads = [make_lead(), make_lead()]
    selection = {"action": "change_status", "_selected_action": [lead.pk for lead in leads]}

    confirm = admin_client.post(CHANGELIST, selection)
    missing_reason = admin_client.post(CHANGELIST, {**selection, "post": "yes", "new_status": "contacted"})
    done = admin_client.post(
        CHANGELIST, {**selection, "post": "yes", "new_status": "contacted", "reason": "Spoke to them"}, follow=True
    )

    assert confirm.status_code == 200 and "new_status" in confirm.context["form"].fields
    assert "reason" in missing_reason.context["form"].errors
    assert "Changed the status of 2 lead(s) to contacted" in messages_of(done)
    history = LeadStatusHistory.objects.filter(lead__in=leads)
    assert sorted(history.values_list("lead_id", "new_status", "reason", "changed_by")) == [
        (lead.pk, "contacted", "Spoke to them", "staff:admin") for lead in leads
    ]
    assert LeadEvent.objects.filter(lead__in=leads, event_type="status_changed").count() == 2


def test_change_status_refuses_a_status_that_is_not_an_active_stage(admin_client):
    lead = make_lead()
    response = admin_client.post(
        CHANGELIST,
        {"action": "change_status", "_selected_action": [lead.pk], "post": "yes", "new_status": "bogus", "reason": "x"},
    )
    assert "new_status" in response.context["form"].errors
    lead.refresh_from_db()
    assert lead.status == "new"


def test_release_hold_clears_it_records_who_and_why_and_says_what_became_of_the_lead(admin_client):
    held, free = make_lead(held_for_consent=True), make_lead()
    queue = admin_client.get(CHANGELIST, {"held_for_consent__exact": "1"})
    assert listed(queue) == [held.pk]
    page = admin_client.post(CHANGELIST, {"action": "release_hold", "_selected_action": [held.pk, free.pk]})
    assert page.context["form"].initial == {"hold": "consent"}

    unexplained = admin_client.post(CHANGELIST, {"action": "release_hold", "_selected_action": [held.pk],
                                                 "post": "yes", "hold": "consent", "reason": " "})
    assert unexplained.context["form"].errors["reason"]
    done = admin_client.post(
        CHANGELIST,
        {"action": "release_hold", "_selected_action": [held.pk, free.pk], "post": "yes", "hold": "consent",
         "reason": "Verbal consent"},
        follow=True,
    )

    assert messages_of(done) == f"Lead #{held.pk}: consent hold released, no hold left; distribution: forwarding " \
                                "copies queued (the webhook distributes nothing)."
    held.refresh_from_db()
    assert (held.held_for_consent, held.hold_reasons) == (False, "")
    event = LeadEvent.objects.get(lead=held, event_type="hold_released")
    assert (event.event_data["by"], event.event_data["reason"], event.event_data["note"]) == (
        "staff:admin", "consent", "Verbal consent")
    hold = held.holds.get()
    assert (hold.released_by, hold.release_note) == ("staff:admin", "Verbal consent")
    assert not LeadEvent.objects.filter(lead=free).exists()


def test_export_selected_to_csv_neutralises_formulas_but_keeps_phones(admin_client):
    lead = make_lead(first_name="=HYPERLINK(1)", last_name="Plain")
    make_lead()

    response = admin_client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [lead.pk]})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["id"], row["first_name"], row["phone"]) for row in rows] == [
        (str(lead.pk), "'=HYPERLINK(1)", lead.phone)
    ]


def test_follow_ups_lists_my_due_leads_and_appointments_oldest_first(admin_client):
    now = timezone.now()
    older = make_lead(assigned_to="admin", follow_up_date=now - timedelta(days=3))
    newer = make_lead(assigned_to="admin", follow_up_date=now - timedelta(hours=1))
    make_lead(assigned_to="admin", follow_up_date=now + timedelta(days=3))  # not due yet
    make_lead(assigned_to="someone-else", follow_up_date=now - timedelta(days=5))
    appointment = make_appointment(assigned_to="admin", next_action="call back", next_action_date=now - timedelta(days=1))
    make_appointment(assigned_to="someone-else", next_action_date=now - timedelta(days=1))

    page = admin_client.get(f"{CHANGELIST}follow-ups/")

    assert page.status_code == 200
    assert [lead.pk for lead in page.context["leads"]] == [older.pk, newer.pk]
    assert [a.pk for a in page.context["appointments"]] == [appointment.pk]
    assert "call back" in page.content.decode()


def test_contact_and_lead_pages_show_every_related_kind(admin_client):
    history = make_contact_history()
    contact = history["contact"]

    page = admin_client.get(admin_url(contact, "change", contact.pk))

    inline_models = {inline.opts.model for inline in page.context["inline_admin_formsets"]}
    assert inline_models == {
        Lead, type(history["appointment"]), type(history["conversion"]), type(contact.events.first()), ContactMerge
    }


@pytest.mark.parametrize("model", [Lead, Contact])
def test_changelist_query_count_does_not_grow_with_the_rows(admin_client, model, query_baseline):
    """The same baseline as leadhub/tests/test_query_counts.py's three contacts, at one and at sixteen."""
    def costs_the_baseline():
        with query_baseline(f"admin-{model._meta.model_name}-changelist", app=model._meta.app_label):
            assert admin_client.get(admin_url(model, "changelist")).status_code == 200

    make_contact_history()
    costs_the_baseline()
    for _ in range(15):
        make_contact_history(workspace=make_workspace())
    costs_the_baseline()


@pytest.mark.postgres_only
def test_unfiltered_changelist_uses_the_planner_estimate_and_filtered_counts_exactly(admin_client, monkeypatch):
    for _ in range(3):
        make_lead(status="contacted")
    make_lead()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads")
    monkeypatch.setattr(paginator, "EXACT_BELOW", 0)

    with CaptureQueriesContext(connection) as captured:
        unfiltered = admin_client.get(CHANGELIST)
    unfiltered_sql = [query["sql"] for query in captured]  # the next request resets the log
    filtered = admin_client.get(CHANGELIST, {"status": "contacted"})

    counting = [sql for sql in unfiltered_sql if "COUNT(" in sql.upper() and '"leads"' in sql]
    assert len(counting) == 1 and "reltuples" in counting[0]
    assert unfiltered.context["cl"].result_count == 4  # ANALYZE of a small table is exact
    assert filtered.context["cl"].result_count == 3


def test_ops_place_a_hold_with_the_reason_and_the_held_filter_lists_it(admin_client):
    lead, other = make_lead(), make_lead()
    done = admin_client.post(CHANGELIST, {"action": "place_hold", "_selected_action": [lead.pk], "post": "yes",
                                          "hold": "consent", "reason": "The consumer disputes the consent"},
                             follow=True)
    assert messages_of(done) == "Held 1 lead(s) for consent."
    lead.refresh_from_db()
    assert (lead.hold_reasons, lead.held_for_consent) == ("consent", True)
    hold = lead.holds.get()
    assert (hold.placed_by, hold.message) == ("staff:admin", "The consumer disputes the consent")
    assert listed(admin_client.get(CHANGELIST, {"held": "any"})) == [lead.pk]
    assert listed(admin_client.get(CHANGELIST, {"held": "consent"})) == [lead.pk]
    assert listed(admin_client.get(CHANGELIST, {"held": "no"})) == [other.pk]
