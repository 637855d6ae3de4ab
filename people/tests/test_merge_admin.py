"""Merging duplicates in the admin: candidates are listed, the merge action calls contact_merge."""
import pytest

from contacts.models import Contact
from leadhub.testing import admin_url, make_contact, make_lead

pytestmark = pytest.mark.django_db

CHANGELIST = admin_url(Contact, "changelist")


def listed(response):
    return {row.pk for row in response.context["cl"].result_list}


def test_candidates_share_a_phone_across_webhooks_or_an_email_in_any_case(admin_client):
    same_phone = [make_contact(webhook_id="wh-a", phone="+14152220101"), make_contact(webhook_id="wh-b", phone="+14152220101")]
    same_email = [make_contact(email="Ada@Example.com"), make_contact(email="ada@example.com")]
    make_contact(email="grace@example.com")
    make_contact(email="")
    make_contact(email="")
    merged_away = make_contact(webhook_id="wh-c", phone="+14152220199", merged_into=same_phone[0])

    response = admin_client.get(CHANGELIST, {"duplicates": "candidates"})
    page = admin_client.get(admin_url(same_email[0], "change", same_email[0].pk)).content.decode()

    assert listed(response) == {c.pk for c in same_phone + same_email}
    assert listed(admin_client.get(CHANGELIST, {"duplicates": "merged"})) == {merged_away.pk}
    assert f"#{same_email[1].pk} " in page


def test_merge_action_asks_which_to_keep_then_merges(admin_client):
    keep = make_contact(webhook_id="wh-a", phone="+14152220102")
    other = make_contact(webhook_id="wh-b", phone="+14152220102")
    lead = make_lead(other)
    selection = {"action": "merge", "_selected_action": [keep.pk, other.pk]}

    confirm = admin_client.post(CHANGELIST, selection)
    done = admin_client.post(CHANGELIST, {**selection, "post": "yes", "survivor": keep.pk}, follow=True)

    assert confirm.templates[0].name == "admin/contacts/contact/merge_confirmation.html"
    assert f"Merged 1 contact(s) into #{keep.pk}" in " ".join(str(m) for m in done.context["messages"])
    lead.refresh_from_db()
    other.refresh_from_db()
    assert (lead.contact_id, other.merged_into_id) == (keep.pk, keep.pk)


def test_merge_of_one_contact_without_candidates_says_so(admin_client):
    contact = make_contact()

    response = admin_client.post(CHANGELIST, {"action": "merge", "_selected_action": [contact.pk]}, follow=True)

    assert "has no merge candidates" in " ".join(str(m) for m in response.context["messages"])


def test_the_list_the_contact_page_and_the_merge_form_agree_on_name_and_zip(admin_client):
    ada = make_contact(first_name="Ada", last_name="Lovelace", zip_code="94110-1234")
    twin = make_contact(first_name=" ada", last_name="LOVELACE ", zip_code="94110")
    short_zip = make_contact(first_name="Ada", last_name="Lovelace", zip_code="941")
    make_contact(first_name="Ada", last_name="Lovelace", zip_code="")
    make_contact(first_name="Ada", last_name="Lovelace", zip_code="10001")

    listed_as_candidates = listed(admin_client.get(CHANGELIST, {"duplicates": "candidates"}))
    ada_page = admin_client.get(admin_url(ada, "change", ada.pk)).content.decode()
    short_page = admin_client.get(admin_url(short_zip, "change", short_zip.pk)).content.decode()
    confirm = admin_client.post(CHANGELIST, {"action": "merge", "_selected_action": [ada.pk, twin.pk]})

    assert listed_as_candidates == {ada.pk, twin.pk}
    assert f"#{twin.pk} " in ada_page.split('class="duplicates-by-name-zip"')[1].split("</div>")[0]
    assert "None found" in short_page
    assert f"name + ZIP with #{twin.pk}" in confirm.content.decode()
