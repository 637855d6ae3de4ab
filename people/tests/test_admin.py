"""Contacts admin: pages render, phone search, read-only audit tables, protected deletes and the
"Purge (data request)" action end to end."""
import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission

from contacts.models import Contact, ContactEvent, ContactPurge
from leadhub.search import phone_from_search
from leadhub.testing import (
    admin_change_form_data,
    admin_url,
    assert_admin_pages_render,
    assert_admin_read_only,
    make_contact,
    make_contact_history,
    make_lead,
)
from people.services import contact_purge

CHANGELIST = admin_url(Contact, "changelist")


def listed(response):
    return [row.pk for row in response.context["cl"].result_list]


def offered_actions(response):
    form = response.context["action_form"]
    return set(dict(form.fields["action"].choices)) if form else set()


@pytest.mark.django_db
def test_contact_admin_pages_render_with_related_rows(admin_client):
    contact = make_contact_history()["contact"]

    assert_admin_pages_render(admin_client, contact)
    page = admin_client.get(admin_url(contact, "change", contact.pk)).content.decode()
    assert f"?contact__id__exact={contact.pk}" in page
    assert "leads (2)" in page


@pytest.mark.django_db
def test_contact_audit_tables_render_and_are_read_only(admin_client):
    contact = make_contact_history()["contact"]
    event = ContactEvent.objects.get(contact=contact)
    purge = contact_purge(contact=make_contact(), reason="data request", by="ops")

    for row in (event, purge):
        assert_admin_pages_render(admin_client, row)
        assert_admin_read_only(admin_client, row)


@pytest.mark.django_db
def test_contacts_are_not_added_by_hand(admin_client):
    assert admin_client.get(admin_url(Contact, "add")).status_code == 403


@pytest.mark.django_db
def test_contact_page_lists_only_the_latest_leads(admin_client):
    contact = make_contact()
    leads = [make_lead(contact) for _ in range(23)]

    response = admin_client.get(admin_url(contact, "change", contact.pk))

    lead_inline = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is type(leads[0]))
    shown = [form.instance.pk for form in lead_inline.formset.forms]
    assert shown == [lead.pk for lead in reversed(leads)][:20]


@pytest.mark.django_db
def test_contact_change_saves_alongside_read_only_inlines(admin_client):
    contact = make_contact_history()["contact"]
    data = admin_change_form_data(admin_client.get(admin_url(contact, "change", contact.pk)), contact)
    data.update(first_name="Augusta", custom_metadata="{}")

    response = admin_client.post(admin_url(contact, "change", contact.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    contact.refresh_from_db()
    assert contact.first_name == "Augusta"
    assert contact.leads.count() == 2


@pytest.mark.parametrize(
    "typed, normalised",
    [
        ("(415) 555-0123", "+14155550123"),
        ("415.555.0123", "+14155550123"),
        ("1 415 555 0123", "+14155550123"),
        ("+1-415-555-0123", "+14155550123"),
        ("4155550123", "+14155550123"),
        ("555-0123", None),
        ("44 20 7946 0958 12", None),
        ("ada4155550123@example.com", None),
    ],
)
def test_phone_from_search(typed, normalised):
    assert phone_from_search(typed) == normalised


@pytest.mark.django_db
def test_search_finds_a_contact_by_phone_typed_in_any_format(admin_client):
    wanted = make_contact(phone="+14152220123")
    make_contact(phone="+14152220124")

    for typed in ("(415) 222-0123", "415.222.0123", "+1 415 222 0123"):
        response = admin_client.get(CHANGELIST, {"q": typed})
        assert listed(response) == [wanted.pk], typed


@pytest.mark.django_db
def test_search_by_id_email_and_name(admin_client):
    grace = make_contact(first_name="Grace", last_name="Hopper", email="grace@navy.example")
    make_contact(first_name="Ada", last_name="Lovelace", email="ada@example.com")

    for term in (str(grace.pk), "GRACE@navy.example", "hop"):
        assert listed(admin_client.get(CHANGELIST, {"q": term})) == [grace.pk], term


@pytest.mark.django_db
def test_deleting_a_contact_with_leads_in_the_admin_is_refused(admin_client):
    contact = make_lead().contact

    page = admin_client.get(admin_url(contact, "delete", contact.pk))
    posted = admin_client.post(admin_url(contact, "delete", contact.pk), {"post": "yes"})
    bulk = admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [contact.pk], "post": "yes"}
    )

    assert page.status_code == 200 and page.context["protected"]
    assert posted.status_code == 200 and posted.context["protected"]
    assert bulk.status_code == 302  # no bulk delete at all: purge is the audited way
    assert Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.django_db
def test_a_contact_without_related_rows_can_still_be_deleted(admin_client):
    contact = make_contact()

    response = admin_client.post(admin_url(contact, "delete", contact.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.django_db
def test_purge_action_asks_for_a_reason_then_purges(admin_client):
    purged = make_contact_history()
    kept = make_contact_history(workspace=purged["workspace"])
    selection = {"action": "purge", "_selected_action": [purged["contact"].pk]}
    assert "purge" in offered_actions(admin_client.get(CHANGELIST))

    confirm = admin_client.post(CHANGELIST, selection)
    assert confirm.status_code == 200
    assert confirm.templates[0].name == "admin/contacts/contact/purge_confirmation.html"
    assert Contact.objects.filter(pk=purged["contact"].pk).exists()

    done = admin_client.post(CHANGELIST, {**selection, "post": "yes", "reason": "DSR-55"}, follow=True)

    assert done.status_code == 200
    assert not Contact.objects.filter(pk=purged["contact"].pk).exists()
    assert Contact.objects.filter(pk=kept["contact"].pk).exists()
    record = ContactPurge.objects.get()
    assert (record.contact_id, record.reason, record.performed_by) == (purged["contact"].pk, "DSR-55", "staff:admin")
    assert any("leads: 2" in str(message) for message in done.context["messages"])


@pytest.mark.django_db
def test_purge_action_without_a_reason_purges_nothing(admin_client):
    contact = make_contact_history()["contact"]

    response = admin_client.post(
        CHANGELIST, {"action": "purge", "_selected_action": [contact.pk], "post": "yes", "reason": "  "}
    )

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert not ContactPurge.objects.exists()


@pytest.mark.django_db
def test_purge_action_needs_delete_permission(client, django_user_model):
    staff = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label="contacts", codename__in=["view_contact", "change_contact"])
    )
    client.force_login(staff)
    contact = make_contact()

    changelist = client.get(CHANGELIST)
    client.post(CHANGELIST, {"action": "purge", "_selected_action": [contact.pk], "post": "yes", "reason": "x"})

    assert changelist.status_code == 200
    assert "purge" not in offered_actions(changelist)
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert not ContactPurge.objects.exists()


def test_every_contacts_model_is_in_the_admin():
    assert set(apps.get_app_config("contacts").get_models()) <= set(admin.site._registry)
