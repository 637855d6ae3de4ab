"""The lead page as ops work it: buttons for the list actions on the record itself (status with the
current status preselected, assign, release hold, add activity), readable lists, the held queue's
reasons, and no bulk delete."""
import pytest
from django.contrib.auth.models import Permission

from leadhub.testing import admin_url, make_lead, make_workspace
from leads.models import LeadActivity, LeadStatusHistory

pytestmark = pytest.mark.django_db


def action_url(lead, action):
    return f"/admin/leads/lead/{lead.pk}/action/{action}/"


def test_the_lead_page_has_a_button_for_each_action(admin_client):
    held = make_lead(held_for_consent=True)
    page = admin_client.get(admin_url(held, "change", held.pk)).content.decode()

    for action in ("change_status", "assign_to_workspace", "release_hold", "add_activity"):
        assert f'action="{action_url(held, action)}"' in page
    assert 'class="timeline-link"' in page
    not_held = make_lead()
    assert action_url(not_held, "release_hold") not in admin_client.get(
        admin_url(not_held, "change", not_held.pk)).content.decode()


def test_change_status_from_the_record_defaults_to_the_current_status(admin_client):
    lead = make_lead(status="contacted")

    page = admin_client.post(action_url(lead, "change_status")).content.decode()
    assert '<option value="contacted" selected>' in page

    response = admin_client.post(action_url(lead, "change_status"), {
        "post": "yes", "action": "change_status", "new_status": "qualified", "reason": "Budget confirmed"})

    assert response.status_code == 302 and response.url == admin_url(lead, "change", lead.pk)
    history = LeadStatusHistory.objects.get(lead=lead)
    assert (history.old_status, history.new_status, history.reason) == ("contacted", "qualified", "Budget confirmed")


def test_assign_and_add_activity_from_the_record(admin_client):
    lead = make_lead()
    workspace = make_workspace("acme", name="Acme Solar")

    admin_client.post(action_url(lead, "assign_to_workspace"), {"post": "yes", "workspace": workspace.pk, "price": "10"})
    admin_client.post(action_url(lead, "add_activity"),
                      {"post": "yes", "activity_type": "call", "title": "", "description": "Left a voicemail"})

    lead.refresh_from_db()
    assert lead.workspace_id == "acme" and lead.contact_attempts == 1
    activity = LeadActivity.objects.get(lead=lead)
    assert (activity.activity_type, activity.title, activity.description) == ("call", "Call", "Left a voicemail")
    assert activity.created_by == "staff:admin"


def test_a_record_action_needs_post_and_the_permission(admin_client, client, django_user_model):
    lead = make_lead()
    assert admin_client.get(action_url(lead, "change_status")).status_code == 405
    viewer = django_user_model.objects.create_user("viewer", password="pw-not-used-1", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(viewer)
    assert client.post(action_url(lead, "change_status")).status_code == 403


def test_the_list_is_readable(admin_client):
    workspace = make_workspace("acme", name="Acme Solar")
    make_lead(phone="+14158161212", first_name="Ada", last_name="Lovelace", workspace=workspace)

    page = admin_client.get(admin_url(workspace.leads.model, "changelist")).content.decode()

    assert "(415) 816-1212" in page and "Ada Lovelace" in page
    assert f'href="/admin/workspaces/workspace/{workspace.pk}/change/">Acme Solar</a>' in page
    assert 'value="delete_selected"' not in page


def test_the_held_queue_says_why_each_lead_is_held(admin_client):
    make_lead(held_for_consent=True, consent_value=True, tcpa_compliance=False)
    make_lead(held_for_consent=True, consent_value=False, tcpa_compliance=False)

    page = admin_client.get("/admin/leads/lead/", {"held_for_consent__exact": "1"}).content.decode()

    assert "Held because" in page
    assert "no TCPA compliance" in page and "no consent, no TCPA compliance" in page
