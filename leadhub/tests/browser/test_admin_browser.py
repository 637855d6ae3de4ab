"""The back-office as staff use it, in a real browser: log in, find a caller by a phone typed the
way they said it, read a lead's timeline, bulk-assign, change a status with a reason, open the
dashboard, and a read-only analyst who gets no change buttons."""
import re

import pytest
from django.contrib.auth.models import Group

from leadhub.roles import OPERATIONS, READ_ONLY_ANALYST
from leadhub.testing import make_contact, make_lead, make_workspace
from leads.models import LeadStatusHistory, WorkspaceTracking

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def login(live_server, context, django_user_model):
    """A page logged in through the admin's login form as a staff member of `group`."""
    def as_member(group):
        username = f"{group.split()[0].lower()}-staff"
        user = django_user_model.objects.create_user(username, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#user-tools")
        return page

    return as_member


def select_rows(page, leads):
    for lead in leads:
        page.check(f"input.action-select[value='{lead.pk}']")


def run_action(page, action):
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


@pytest.mark.slow
def test_log_in_and_find_a_contact_by_a_phone_typed_any_way(live_server, login):
    wanted = make_contact(phone="+14155550132", first_name="Grace", last_name="Hopper")
    make_contact(phone="+14155550133")
    page = login(OPERATIONS)

    page.goto(f"{live_server.url}/admin/contacts/contact/")
    page.fill("#searchbar", "(415) 555-0132")
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r"[?&]q="))

    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "(415) 555-0132" in rows.first.inner_text()
    rows.first.locator("a", has_text="Grace").first.click()
    assert f"/admin/contacts/contact/{wanted.pk}/change/" in page.url


def test_open_a_leads_timeline(live_server, login):
    lead = make_lead(
        consent_description="I agree to receive calls", consent_value=True, tcpa_compliance=True,
        ip_address="198.51.100.7", raw_payload={"first_name": "Ada", "zip": "94110"},
    )
    lead.events.create(event_type="received", event_data={"webhook_id": lead.webhook_id})
    lead.status_history.create(old_status="new", new_status="contacted", changed_by="ops", reason="called")
    page = login(OPERATIONS)

    page.goto(f"{live_server.url}/admin/leads/lead/{lead.pk}/change/")
    page.click("a.timeline-link")

    page.wait_for_url(re.compile(r"/timeline/$"))
    assert page.locator("#timeline > table > tbody > tr").count() == 2
    assert "new → contacted" in page.inner_text("#timeline")
    assert "I agree to receive calls" in page.inner_text("#consent")
    assert "198.51.100.7" in page.inner_text("#consent")
    assert '"zip": "94110"' in page.inner_text("#raw-payload")


def test_bulk_assign_two_leads_and_see_the_tracking_rows(live_server, login):
    leads = [make_lead(), make_lead()]
    make_lead()
    workspace = make_workspace("acme-solar", name="Acme Solar")
    page = login(OPERATIONS)

    page.goto(f"{live_server.url}/admin/leads/lead/")
    select_rows(page, leads)
    run_action(page, "assign_to_workspace")
    page.wait_for_selector("select[name=workspace]")
    page.select_option("select[name=workspace]", workspace.pk)
    page.fill("input[name=price]", "15")
    page.click("input[type=submit][value^='Assign and sell 2']")

    assert "Assigned 2 lead(s) to Acme Solar (acme-solar), sold for 30.00 in all." in page.inner_text(".messagelist")
    page.goto(f"{live_server.url}/admin/leads/workspacetracking/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert all(re.search(r"sent", rows.nth(i).inner_text(), re.I) for i in range(2))
    assert WorkspaceTracking.objects.filter(workspace=workspace, action="sent").count() == 2


def test_change_a_status_with_a_reason(live_server, login):
    lead = make_lead()
    page = login(OPERATIONS)

    page.goto(f"{live_server.url}/admin/leads/lead/")
    select_rows(page, [lead])
    run_action(page, "change_status")
    page.select_option("#id_new_status", "qualified")
    page.fill("#id_reason", "Budget confirmed on the call")
    page.click("#action-form input[type=submit]")

    assert "to qualified" in page.inner_text(".messagelist")
    page.goto(f"{live_server.url}/admin/leads/lead/{lead.pk}/change/")
    assert "Budget confirmed on the call" in page.inner_text("body")
    history = LeadStatusHistory.objects.get(lead=lead)
    assert (history.old_status, history.new_status, history.reason) == ("new", "qualified", "Budget confirmed on the call")


def test_open_the_dashboard_and_see_its_charts(live_server, login):
    make_lead()
    page = login(OPERATIONS)

    page.goto(f"{live_server.url}/admin/")
    page.click("#analytics-dashboard-link a >> nth=0")

    page.wait_for_selector(".dashboard-chart")
    assert page.locator(".dashboard-chart").count() >= 3
    assert page.locator(".dashboard-chart svg").count() >= 1


def test_a_read_only_analyst_sees_no_change_buttons(live_server, login):
    lead = make_lead()
    page = login(READ_ONLY_ANALYST)

    page.goto(f"{live_server.url}/admin/leads/lead/")
    actions = page.locator("select[name=action] option").all_inner_texts()
    page.goto(f"{live_server.url}/admin/leads/lead/{lead.pk}/change/")

    assert [a for a in actions if not a.startswith("-")] == ["Export selected to CSV"]
    assert page.locator("input[name=_save]").count() == 0
    assert page.locator("a.deletelink").count() == 0
    assert page.locator("a.timeline-link").count() == 1
    page.goto(f"{live_server.url}/admin/contacts/contact/{lead.contact_id}/change/")
    assert page.locator("input[name=_save]").count() == 0
