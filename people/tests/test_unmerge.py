"""Safe merges: candidates grouped by what matched, the confirmation says what the records share
and refuses records sharing nothing unless overridden, and a merge's manifest lets ops undo it
(exactly what it moved and filled) within the window, unless a moved lead was converted since."""
from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.models import Contact, ContactMerge
from conversions.services.create import conversion_create
from leadhub.testing import admin_url, make_contact, make_lead, make_workspace
from leads.models import Lead
from people.services import ContactUnmergeRefused, contact_merge, contact_unmerge

pytestmark = pytest.mark.django_db

CHANGELIST = admin_url(Contact, "changelist")


def messages_of(response):
    return " ".join(str(m) for m in response.context["messages"])


def test_candidates_are_grouped_by_what_matched(admin_client):
    me = make_contact(phone="+14158161212", email="ada@example.com", first_name="Ada", last_name="Lovelace",
                      zip_code="94110", webhook_id="wh-a")
    by_phone = make_contact(phone="+14158161212", webhook_id="wh-b", email="", first_name="A", last_name="L")
    by_email = make_contact(phone="+14158161213", email="ADA@example.com", first_name="X", last_name="Y")
    by_name = make_contact(phone="+14158161214", email="", first_name="ada", last_name="lovelace", zip_code="94110")

    page = admin_client.get(admin_url(me, "change", me.pk)).content.decode()

    phone_group = page.split('class="duplicates-by-phone"')[1].split("</div>")[0]
    email_group = page.split('class="duplicates-by-email"')[1].split("</div>")[0]
    name_group = page.split('class="duplicates-by-name-zip"')[1].split("</div>")[0]
    assert f"#{by_phone.pk} " in phone_group and f"#{by_email.pk} " not in phone_group
    assert f"#{by_email.pk} " in email_group
    assert f"#{by_name.pk} " in name_group
    assert f'action="/admin/contacts/contact/{me.pk}/action/merge/"' in page
    assert f'action="/admin/contacts/contact/{me.pk}/action/purge/"' in page


def test_merge_from_the_contact_page_offers_its_candidates(admin_client):
    me = make_contact(phone="+14158161212", webhook_id="wh-a")
    twin = make_contact(phone="+14158161212", webhook_id="wh-b")
    url = f"/admin/contacts/contact/{me.pk}/action/merge/"

    page = admin_client.post(url).content.decode()
    assert f'name="others" value="{twin.pk}"' in page and "phone" in page

    response = admin_client.post(url, {"post": "yes", "others": [twin.pk], "survivor": me.pk})

    assert response.status_code == 302
    twin.refresh_from_db()
    assert twin.merged_into_id == me.pk


def test_records_sharing_nothing_are_refused_unless_overridden(admin_client):
    a = make_contact(phone="+14158161212", email="a@example.com")
    b = make_contact(phone="+14158161299", email="b@example.com")
    selection = {"action": "merge", "_selected_action": [a.pk, b.pk]}

    page = admin_client.post(CHANGELIST, selection).content.decode()
    assert "nothing with the others" in page
    refused = admin_client.post(CHANGELIST, {**selection, "post": "yes", "survivor": a.pk})
    assert refused.status_code == 200 and f"#{a.pk}, #{b.pk} share(s) no phone, email or name + ZIP" in \
        refused.content.decode()
    assert not Contact.objects.filter(merged_into__isnull=False).exists()

    admin_client.post(CHANGELIST, {**selection, "post": "yes", "survivor": a.pk, "override": "on"})
    assert Contact.objects.get(pk=b.pk).merged_into_id == a.pk


def test_the_confirmation_says_what_they_share(admin_client):
    a = make_contact(phone="+14158161212", webhook_id="wh-a", email="ada@example.com")
    b = make_contact(phone="+14158161212", webhook_id="wh-b", email="ADA@example.com")

    page = admin_client.post(CHANGELIST, {"action": "merge", "_selected_action": [a.pk, b.pk]}).content.decode()

    assert f"phone and email with #{b.pk}" in page and "(415) 816-1212" in page


def test_unmerge_restores_exactly_what_the_merge_moved(admin_client):
    workspace = make_workspace()
    keep = make_contact(phone="+14158161212", webhook_id="wh-a", email="", city="")
    other = make_contact(phone="+14158161212", webhook_id="wh-b", email="ada@example.com", city="Oakland")
    kept_lead, moved_lead = make_lead(keep), make_lead(other, workspace=workspace)
    moved_conversion = conversion_create(workspace=workspace, contact=other, lead=moved_lead, conversion_type="sale",
                                         conversion_value="250.00", created_by="t").conversion
    contact_merge(survivor=keep, duplicates=[other], by="ops")
    keep.refresh_from_db()
    assert (keep.email, keep.city, keep.conversion_count) == ("ada@example.com", "Oakland", 1)
    merge = ContactMerge.objects.get()
    assert merge.moved["leads"] == [moved_lead.pk] and merge.filled == {"email": "ada@example.com", "city": "Oakland"}
    later_lead = make_lead(keep)  # arrived after the merge: stays with the kept contact

    page = admin_client.get(admin_url(merge, "change", merge.pk)).content.decode()
    assert f'action="/admin/contacts/contactmerge/{merge.pk}/action/unmerge/"' in page
    response = admin_client.post(f"/admin/contacts/contactmerge/{merge.pk}/action/unmerge/", follow=True)

    assert "Unmerged" in messages_of(response)
    keep.refresh_from_db()
    other.refresh_from_db()
    assert other.merged_into_id is None
    assert (keep.email, keep.city, keep.conversion_count, keep.lifetime_value) == ("", "", 0, 0)
    assert (other.conversion_count, other.lifetime_value) == (1, moved_conversion.conversion_value)
    assert set(Lead.objects.filter(contact=keep).values_list("pk", flat=True)) == {kept_lead.pk, later_lead.pk}
    assert list(Lead.objects.filter(contact=other).values_list("pk", flat=True)) == [moved_lead.pk]
    moved_conversion.refresh_from_db()
    assert moved_conversion.contact_id == other.pk
    with pytest.raises(ContactUnmergeRefused, match="already undone"):
        contact_unmerge(merge=merge, by="ops")


def test_unmerge_is_refused_when_a_moved_lead_was_converted_since():
    keep = make_contact(phone="+14158161212", webhook_id="wh-a")
    other = make_contact(phone="+14158161212", webhook_id="wh-b")
    workspace = make_workspace()
    moved_lead = make_lead(other, workspace=workspace)
    contact_merge(survivor=keep, duplicates=[other], by="ops")
    moved_lead.refresh_from_db()
    conversion_create(workspace=workspace, contact=keep, lead=moved_lead, conversion_type="sale",
                      conversion_value="10.00", created_by="t")

    with pytest.raises(ContactUnmergeRefused, match=f"#{moved_lead.pk} moved by this merge have been converted since"):
        contact_unmerge(merge=ContactMerge.objects.get(), by="ops")
    assert Contact.objects.get(pk=other.pk).merged_into_id == keep.pk


def test_unmerge_is_refused_after_the_window(settings):
    keep = make_contact(phone="+14158161212", webhook_id="wh-a")
    other = make_contact(phone="+14158161212", webhook_id="wh-b")
    contact_merge(survivor=keep, duplicates=[other], by="ops")
    merge = ContactMerge.objects.get()
    ContactMerge.objects.filter(pk=merge.pk).update(created_at=timezone.now() - timedelta(days=31))

    with pytest.raises(ContactUnmergeRefused, match="30 days"):
        contact_unmerge(merge=merge, by="ops")
