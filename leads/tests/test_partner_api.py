"""The partner lead API: list/filter/search, PATCH through the services, activities, timeline,
and referrals through the ingest service."""
from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.models import Contact
from leadhub.testing.api import result_ids, workspace_with_key
from leadhub.testing import (
    assert_error,
    backdate,
    make_access,
    make_appointment,
    make_contact,
    make_conversion,
    make_lead,
)
from leads.models import Lead, LeadPipelineStage, WorkspaceTracking
from leads.services.assignment import lead_assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return workspace_with_key()


def assigned_lead(workspace, **fields):
    contact = make_contact(**{k: fields.pop(k) for k in ("first_name", "last_name") if k in fields})
    return make_lead(contact, workspace=workspace, workspace_status="assigned", **fields)


# ---- list, filters, search -------------------------------------------------------------------


@pytest.mark.parametrize("form", ["(415) 867-5309", "415.867.5309", "+1 415 867 5309", "14158675309", "4158675309"])
def test_search_matches_a_phone_in_any_format(partner, form):
    workspace, client = partner
    lead = assigned_lead(workspace, phone="+14158675309")
    assigned_lead(workspace)
    assert result_ids(client.get("/api/v1/leads/", {"search": form})) == {str(lead.pk)}


def test_search_by_email_and_by_name(partner):
    workspace, client = partner
    ada = assigned_lead(workspace, first_name="Ada", last_name="Lovelace", email="ada@analytical.example")
    grace = assigned_lead(workspace, first_name="Grace", last_name="Hopper", email="grace@navy.example")
    assert result_ids(client.get("/api/v1/leads/", {"search": "GRACE@navy.example"})) == {str(grace.pk)}
    assert result_ids(client.get("/api/v1/leads/", {"search": "ada lovelace"})) == {str(ada.pk)}
    assert result_ids(client.get("/api/v1/leads/", {"search": "hopper"})) == {str(grace.pk)}


def test_field_filters(partner):
    workspace, client = partner
    solar_ca = assigned_lead(workspace, state="CA", zip_code="94105", status="contacted")
    hvac_ny = assigned_lead(workspace, lead_type="hvac", state="NY", zip_code="10001")
    assert result_ids(client.get("/api/v1/leads/", {"status": "contacted"})) == {str(solar_ca.pk)}
    assert result_ids(client.get("/api/v1/leads/", {"lead_type": "hvac"})) == {str(hvac_ny.pk)}
    assert result_ids(client.get("/api/v1/leads/", {"state": "ny"})) == {str(hvac_ny.pk)}
    assert result_ids(client.get("/api/v1/leads/", {"zip_code": "94105"})) == {str(solar_ca.pk)}


def test_date_ranges_and_updated_since(partner):
    workspace, client = partner
    now = timezone.now()
    old = backdate(assigned_lead(workspace), created_at=now - timedelta(days=10), updated_at=now - timedelta(days=9))
    new = assigned_lead(workspace)
    since = (now - timedelta(days=1)).isoformat()
    assert result_ids(client.get("/api/v1/leads/", {"updated_since": since})) == {str(new.pk)}
    assert result_ids(client.get("/api/v1/leads/", {"created_at__lte": since})) == {str(old.pk)}
    assert result_ids(client.get("/api/v1/leads/", {"created_at_after": since})) == {str(new.pk)}
    assert result_ids(client.get("/api/v1/leads/", {"updated_at_before": since})) == {str(old.pk)}


def test_bad_filter_value_is_400_naming_the_field(partner):
    workspace, client = partner
    assert_error(client.get("/api/v1/leads/", {"updated_since": "yesterday"}), 400, field="updated_since")
    assert_error(client.get("/api/v1/leads/", {"lead_type": "boats"}), 400, field="lead_type")
    assert_error(client.get("/api/v1/leads/", {"status": "bogus"}), 400, field="status")


def test_cursor_pagination_walks_every_lead_once(partner):
    workspace, client = partner
    ids = {str(assigned_lead(workspace).pk) for _ in range(7)}
    seen, url = [], "/api/v1/leads/?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [str(row["id"]) for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(ids) and len(seen) == 7


def test_detail_hides_internal_fields(partner):
    workspace, client = partner
    lead = assigned_lead(workspace, raw_payload={"secret": "x"}, external_id="A-5")
    body = client.get(f"/api/v1/leads/{lead.pk}/").json()
    assert body["id"] == lead.pk and body["contact_id"] == lead.contact_id
    assert body["external_id"] == "A-5"  # the sender's reference, beside our id
    assert "raw_payload" not in body and "webhook_id" not in body and "status_changed_by" not in body


# ---- PATCH -------------------------------------------------------------------------------------


def test_patch_status_writes_history_with_workspace_as_default_author(partner):
    workspace, client = partner
    lead = assigned_lead(workspace)
    response = client.patch(
        f"/api/v1/leads/{lead.pk}/", {"status": "qualified", "reason": "budget ok", "notes": "call back"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "qualified"
    history = lead.status_history.get()
    assert (history.old_status, history.new_status, history.changed_by) == ("new", "qualified", f"workspace:{workspace.pk}")
    assert (history.reason, history.notes) == ("budget ok", "call back")
    assert lead.events.filter(event_type="status_changed").exists()
    assert WorkspaceTracking.objects.filter(lead=lead, workspace=workspace, action="qualified").exists()


def test_patch_changed_by_is_the_partners_user_name_never_the_actor(partner):
    workspace, client = partner
    lead = assigned_lead(workspace)
    response = client.patch(
        f"/api/v1/leads/{lead.pk}/", {"status": "rejected", "changed_by": "mallory", "reason": "not a homeowner"},
        format="json",
    )
    assert response.status_code == 200, response.content
    actor = f"workspace:{workspace.pk}"
    history = lead.status_history.get()
    assert (history.changed_by, history.changed_by_name, history.new_status) == (actor, "mallory", "rejected")
    lead.refresh_from_db()
    assert lead.status_changed_by == actor
    assert lead.events.get(event_type="status_changed").event_data["changed_by"] == actor
    assert WorkspaceTracking.objects.get(lead=lead, action="rejected").performed_by == actor


def test_patch_changed_by_name_is_kept_and_a_different_changed_by_is_a_422(partner):
    workspace, client = partner
    lead = assigned_lead(workspace)
    url = f"/api/v1/leads/{lead.pk}/"
    clash = client.patch(url, {"status": "rejected", "changed_by": "rep-42", "changed_by_name": "Sam Rep"}, format="json")
    assert_error(clash, 422, field="changed_by")
    assert not lead.status_history.exists()
    assert client.patch(url, {"status": "rejected", "changed_by_name": "Sam Rep"}, format="json").status_code == 200
    history = lead.status_history.get()
    assert (history.changed_by, history.changed_by_name) == (f"workspace:{workspace.pk}", "Sam Rep")


def test_invalid_status_is_422_listing_allowed_values(partner):
    workspace, client = partner
    lead = assigned_lead(workspace)
    body = assert_error(client.patch(f"/api/v1/leads/{lead.pk}/", {"status": "won"}, format="json"), 422,
                        code="validation", field="status")
    assert set(body["allowed"]) == set(
        LeadPipelineStage.objects.filter(is_active=True).values_list("name", flat=True)
    )
    lead.refresh_from_db()
    assert lead.status == "new" and not lead.status_history.exists()


def test_patch_working_fields(partner):
    workspace, client = partner
    lead = assigned_lead(workspace)
    follow_up = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    response = client.patch(
        f"/api/v1/leads/{lead.pk}/",
        {
            "notes": "prefers mornings",
            "priority": 4,
            "assigned_to": "sam",
            "follow_up_date": follow_up.isoformat(),
            "contact_attempts": 3,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    lead.refresh_from_db()
    assert (lead.notes, lead.priority, lead.assigned_to, lead.contact_attempts) == ("prefers mornings", 4, "sam", 3)
    assert lead.follow_up_date == follow_up
    event = lead.events.get(event_type="updated")
    assert set(event.event_data["changes"]) == {"notes", "priority", "assigned_to", "follow_up_date", "contact_attempts"}
    assert WorkspaceTracking.objects.filter(lead=lead, action="updated").exists()


@pytest.mark.parametrize("response_value, action", [("accepted", "updated"), ("rejected", "rejected")])
def test_patch_workspace_status_accept_or_reject(partner, response_value, action):
    workspace, client = partner
    lead = assigned_lead(workspace)
    assert client.patch(f"/api/v1/leads/{lead.pk}/", {"workspace_status": response_value}, format="json").status_code == 200
    lead.refresh_from_db()
    assert lead.workspace_status == response_value
    assert WorkspaceTracking.objects.filter(lead=lead, workspace=workspace, action=action).exists()
    assert lead.events.filter(event_type=f"workspace_{response_value}").exists()


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"workspace_status": "converted"}, 422, "workspace_status"),
        ({"workspace_status": "assigned"}, 422, "workspace_status"),
        ({"priority": 9}, 422, "priority"),
        ({"contact_attempts": -1}, 422, "contact_attempts"),
        ({"email": "x@example.com"}, 400, "email"),  # not a field of the patch: malformed, not invalid
        ({"workspace": "someone-else"}, 400, "workspace"),
        ({"follow_up_date": "soon"}, 422, "follow_up_date"),
    ],
)
def test_bad_patch_is_refused_naming_the_field(partner, body, status, field):
    workspace, client = partner
    lead = assigned_lead(workspace)
    assert_error(client.patch(f"/api/v1/leads/{lead.pk}/", body, format="json"), status, field=field)
    assert Lead.objects.get(pk=lead.pk).updated_at == lead.updated_at


def test_patch_is_all_or_nothing(partner):
    workspace, client = partner
    lead = assigned_lead(workspace)
    response = client.patch(f"/api/v1/leads/{lead.pk}/", {"notes": "kept?", "status": "nope"}, format="json")
    assert response.status_code == 422
    assert Lead.objects.get(pk=lead.pk).notes == ""


# ---- activities and timeline ---------------------------------------------------------------------


def test_activities_post_and_list_and_calls_count_as_attempts(partner):
    workspace, client = partner
    lead = assigned_lead(workspace)
    url = f"/api/v1/leads/{lead.pk}/activities/"
    call = client.post(url, {"activity_type": "call", "title": "Intro call", "description": "voicemail"}, format="json")
    assert call.status_code == 201, call.content
    assert call.json()["created_by"] == f"workspace:{workspace.pk}"
    assert client.post(url, {"activity_type": "note"}, format="json").json()["title"] == "Note"
    lead.refresh_from_db()
    assert lead.contact_attempts == 1
    listed = client.get(url).json()["results"]
    assert [row["activity_type"] for row in listed] == ["note", "call"]


@pytest.mark.parametrize("body, status, field", [
    ({"activity_type": "status_change"}, 422, "activity_type"),
    ({}, 422, "activity_type"),
    ({"activity_type": "call", "id": 5}, 400, "id"),
])
def test_bad_activity_is_refused_naming_the_field(partner, body, status, field):
    workspace, client = partner
    lead = assigned_lead(workspace)
    assert_error(client.post(f"/api/v1/leads/{lead.pk}/activities/", body, format="json"), status, field=field)


def test_timeline_merges_everything_in_time_order(partner):
    workspace, client = partner
    lead = make_lead(zip_code="94105")
    lead_assign(lead=lead, workspace=workspace, by="ops")
    client.patch(f"/api/v1/leads/{lead.pk}/", {"status": "contacted"}, format="json")
    client.post(f"/api/v1/leads/{lead.pk}/activities/", {"activity_type": "call"}, format="json")
    make_appointment(lead=lead, matched_workspace=workspace)
    make_conversion(lead=lead, workspace=workspace, converted_at=timezone.now() + timedelta(minutes=1))
    items = client.get(f"/api/v1/leads/{lead.pk}/timeline/").json()["items"]
    kinds = [item["kind"] for item in items]
    assert {"event", "status_change", "activity", "appointment", "conversion"} == set(kinds)
    assert kinds[0] == "event" and items[0]["summary"] == "assigned"
    assert kinds[-1] == "conversion"
    assert [item["at"] for item in items] == sorted(item["at"] for item in items)


def timeline_items(client, lead):
    response = client.get(f"/api/v1/leads/{lead.pk}/timeline/")
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_timeline_lists_appointments_and_conversions_only_to_a_key_that_reads_them():
    """A `leads:read`-only key read appointment items it could not read through /appointments/."""
    workspace, client = workspace_with_key(scopes=["leads:read", "leads:write"])
    lead = assigned_lead(workspace)
    make_appointment(lead=lead, matched_workspace=workspace)
    make_conversion(lead=lead, workspace=workspace)
    client.post(f"/api/v1/leads/{lead.pk}/activities/", {"activity_type": "note"}, format="json")
    assert {item["kind"] for item in timeline_items(client, lead)} == {"event", "activity"}

    workspace.permissions = [*workspace.permissions, "appointments:read"]
    workspace.save(update_fields=["permissions"])
    assert {item["kind"] for item in timeline_items(client, lead)} == {"event", "activity", "appointment"}


def test_timeline_lists_only_the_holders_own_appointments_and_conversions():
    """Like its events: another holder's appointments and conversions, and an appointment routed
    to nobody (waiting, or no buyer found), are not the caller's."""
    mine, client = workspace_with_key()
    other, _ = workspace_with_key()
    lead = assigned_lead(mine)
    make_access(lead, other)
    own = make_appointment(lead=lead, matched_workspace=mine)
    make_appointment(lead=lead, matched_workspace=other)
    make_appointment(lead=lead)
    converted = make_conversion(lead=lead, workspace=mine)
    make_conversion(lead=lead, workspace=other)
    make_conversion(lead=lead)

    items = timeline_items(client, lead)

    assert [item["id"] for item in items if item["kind"] == "appointment"] == [str(own.pk)]
    assert [item["id"] for item in items if item["kind"] == "conversion"] == [str(converted.pk)]


def test_timeline_query_count_does_not_grow_with_history(partner, query_baseline):
    workspace, client = partner
    lead = assigned_lead(workspace)
    for _ in range(20):
        client.post(f"/api/v1/leads/{lead.pk}/activities/", {"activity_type": "email"}, format="json")
        make_appointment(lead=lead, matched_workspace=workspace)
    with query_baseline("partner-lead-timeline"):
        assert client.get(f"/api/v1/leads/{lead.pk}/timeline/").status_code == 200


# ---- referrals (POST /api/v1/leads/) ------------------------------------------------------------


def referral(**fields):
    body = {
        "lead_type": "solar",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "(212) 736-5000",
        "zip_code": "10001",
        "consent": {"value": True, "description": "ok"},
        "tcpa_compliance": True,
    }
    body.update(fields)
    return body


def test_referral_goes_through_ingest_and_stays_invisible_to_the_sender(partner):
    workspace, client = partner
    response = client.post("/api/v1/leads/", referral(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "success" and body["contact_status"] == "new"
    lead = Lead.objects.get(pk=body["lead_id"])
    assert lead.webhook_id == f"ws-{workspace.pk}-solar" and lead.phone == "+12127365000"
    assert lead.workspace_id is None
    assert Contact.objects.get(pk=body["contact_id"]).sent_from_workspace == workspace.pk
    actor = f"workspace:{workspace.pk}"
    assert WorkspaceTracking.objects.get(lead=lead, workspace=workspace, action="received").performed_by == actor
    assert lead.events.get(event_type="received").event_data["by"] == actor
    assert str(lead.pk) not in result_ids(client.get("/api/v1/leads/"))
    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 404
    again = client.post("/api/v1/leads/", referral(phone="212-736-5000"), format="json")
    assert again.json()["contact_status"] == "existing"


def test_referral_needs_a_lead_type_and_valid_fields(partner):
    workspace, client = partner
    assert_error(client.post("/api/v1/leads/", referral(lead_type=""), format="json"), 422, field="lead_type")
    bad = assert_error(client.post("/api/v1/leads/", referral(email="nope", phone="123"), format="json"), 422)
    assert {"email", "phone"} <= set(bad["errors"])
    assert not Lead.objects.exists()


def test_referral_replay_and_conflict(partner):
    workspace, client = partner
    first = client.post("/api/v1/leads/", referral(id=987654), format="json")
    assert first.status_code == 201 and first.json()["external_id"] == "987654"
    assert first.json()["lead_id"] != 987654
    replay = client.post("/api/v1/leads/", referral(external_id="987654", phone="212.736.5000"), format="json")
    assert replay.status_code == 200 and replay.json()["lead_id"] == first.json()["lead_id"]
    conflict = client.post("/api/v1/leads/", referral(id=987654, first_name="Eve"), format="json")
    assert_error(conflict, 409, field="first_name")


def test_referrals_stop_when_ops_deactivate_the_inbound_webhook(partner):
    from providers.models import WebhookConfig

    workspace, client = partner
    client.post("/api/v1/leads/", referral(), format="json")
    WebhookConfig.objects.filter(webhook_id=f"ws-{workspace.pk}-solar").update(is_active=False)
    response = client.post("/api/v1/leads/", referral(phone="(312) 555-0199".replace("555", "744")), format="json")
    assert response.status_code == 403


def test_a_huge_referral_id_is_a_reference_and_later_leads_still_get_ids():
    """A `leads:write` key once moved the id sequence to its limit with one referral."""
    _workspace, client = workspace_with_key(scopes=["leads:write"])
    huge = client.post("/api/v1/leads/", referral(lead_id=9223372036854775807), format="json")
    normal = client.post("/api/v1/leads/", referral(phone="(312) 744-0199"), format="json")

    assert huge.status_code == 201, huge.content
    assert normal.status_code == 201, normal.content
    assert huge.json()["external_id"] == "9223372036854775807"
    assert huge.json()["lead_id"] < normal.json()["lead_id"] < 10**12
