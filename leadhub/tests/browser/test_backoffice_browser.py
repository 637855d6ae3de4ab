"""The back-office flows of a day's work, in a real browser: allowed webhooks ticked (no JSON),
a status changed from the lead's own page, a rejected post corrected and re-processed, two
contacts sharing a phone merged and unmerged, and every changelist fitting a 1440 px screen."""
import json
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group

from contacts.models import Contact, ContactMerge
from leadhub.roles import OPERATIONS
from leadhub.testing import make_contact, make_lead, make_provider, make_webhook, make_workspace
from leads.models import Lead, LeadStatusHistory
from providers.services.rejected import rejected_submission_record

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def ops_page(live_server, context, django_user_model):
    user = django_user_model.objects.create_user("ops-staff", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=OPERATIONS))
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "ops-staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    return page


def test_configure_a_providers_allowed_webhooks_without_typing_json(live_server, ops_page):
    make_webhook("solar-main", name="Solar main")
    make_webhook("roof-main", name="Roof main")
    provider = make_provider("acme-leads", allowed_webhooks=None)
    page = ops_page

    page.goto(f"{live_server.url}/admin/providers/leadsourceprovider/{provider.pk}/change/")
    assert page.locator("textarea[name=allowed_webhooks]").count() == 0
    page.uncheck("input[name=every_webhook]")
    page.check("input[name=allowed_webhooks][value=solar-main]")
    page.click("input[name=_save]")

    page.wait_for_selector(".messagelist")
    assert "solar-main" in page.inner_text("#result_list")
    provider.refresh_from_db()
    assert provider.allowed_webhooks == ["solar-main"]


def test_change_a_status_from_the_lead_page(live_server, ops_page):
    lead = make_lead(status="contacted")
    page = ops_page

    page.goto(f"{live_server.url}/admin/leads/lead/{lead.pk}/change/")
    page.click("button.record-action[value=change_status]")
    assert page.input_value("#id_new_status") == "contacted"  # the current status is preselected
    page.select_option("#id_new_status", "qualified")
    page.fill("#id_reason", "Budget confirmed on the call")
    page.click("#action-form input[type=submit]")

    page.wait_for_url(re.compile(rf"/admin/leads/lead/{lead.pk}/change/$"))
    assert "to qualified" in page.inner_text(".messagelist")
    history = LeadStatusHistory.objects.get(lead=lead)
    assert (history.old_status, history.new_status) == ("contacted", "qualified")


def test_edit_and_reprocess_a_rejected_submission(live_server, ops_page):
    make_webhook("solar-main")
    body = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada(at)example.com", "phone": "(415) 816-1212",
            "consent": True, "tcpa_compliance": True}
    row = rejected_submission_record(
        webhook_id="solar-main", provider_id="", reason_code="validation_failed", reason="email: not valid.",
        http_status=400, body=json.dumps(body).encode(), content_type="application/json", request_id="req-1",
    )
    page = ops_page

    page.goto(f"{live_server.url}/admin/providers/rejectedsubmission/{row.pk}/change/")
    page.click("button.record-action[value=reprocess_edited]")
    assert "consent" in page.inner_text("#evidence")
    email = page.locator("input.kv-value[value='ada(at)example.com']")
    email.fill("ada@example.com")
    page.click("#action-form input[type=submit]")

    page.wait_for_selector(".messagelist")
    assert "lead #" in page.inner_text(".messagelist")
    page.click("a.created-link")
    page.wait_for_url(re.compile(r"/admin/leads/lead/\d+/change/$"))
    lead = Lead.objects.get()
    assert lead.email == "ada@example.com" and lead.consent_value is True
    row.refresh_from_db()
    assert json.loads(row.raw_body)["email"] == "ada(at)example.com"


def test_merge_two_contacts_sharing_a_phone_and_unmerge_them(live_server, ops_page):
    keep = make_contact(phone="+14158161212", webhook_id="wh-a", first_name="Ada", email="")
    other = make_contact(phone="+14158161212", webhook_id="wh-b", first_name="Ada", email="ada@example.com")
    moved = make_lead(other)
    page = ops_page

    page.goto(f"{live_server.url}/admin/contacts/contact/{keep.pk}/change/")
    assert f"#{other.pk}" in page.inner_text(".duplicates-by-phone")
    page.click("button.record-action[value=merge]")
    page.check(f"input[name=others][value='{other.pk}']")
    page.check(f"input[name=survivor][value='{keep.pk}']")
    page.click("#action-form input[type=submit]")

    page.wait_for_selector(".messagelist")
    assert f"Merged 1 contact(s) into #{keep.pk}" in page.inner_text(".messagelist")
    assert Lead.objects.get(pk=moved.pk).contact_id == keep.pk
    merge = ContactMerge.objects.get()

    page.goto(f"{live_server.url}/admin/contacts/contactmerge/{merge.pk}/change/")
    page.click("button.record-action[value=unmerge]")
    page.wait_for_selector(".messagelist")
    assert "Unmerged" in page.inner_text(".messagelist")
    assert Lead.objects.get(pk=moved.pk).contact_id == other.pk
    assert Contact.objects.get(pk=other.pk).merged_into_id is None
    assert Contact.objects.get(pk=keep.pk).email == ""


@pytest.mark.slow
def test_every_changelist_fits_1440_px(live_server, ops_page, tmp_path):
    workspace = make_workspace("acme-solar", name="Acme Solar")
    for _ in range(3):
        make_lead(workspace=workspace, first_name="Bartholomew-Maximilian", last_name="Featherstonehaugh-Smythe")
    page = ops_page
    page.set_viewport_size({"width": 1440, "height": 900})
    too_wide = []
    for model in admin.site._registry:
        opts = model._meta
        url = f"{live_server.url}/admin/{opts.app_label}/{opts.model_name}/"
        response = page.goto(url)
        if response.status == 403:
            continue  # not an Operations screen (users, groups, tokens)
        assert response.status == 200, url
        # The document must not scroll sideways, nor the results table inside its own scroll box
        # (that is how the admin hides cut columns).
        document, table, box = page.evaluate("""() => {
            const results = document.querySelector('#changelist .results');
            return [document.documentElement.scrollWidth, results ? results.scrollWidth : 0,
                    results ? results.clientWidth : 0];
        }""")
        if document > 1440 or table > box:
            page.screenshot(path=str(tmp_path / f"{opts.app_label}-{opts.model_name}.png"), full_page=True)
            too_wide.append(f"{opts.app_label}.{opts.model_name}: document {document}px, table {table}px in {box}px")
    assert not too_wide, f"wider than 1440 px (screenshots in {tmp_path}): {too_wide}"
