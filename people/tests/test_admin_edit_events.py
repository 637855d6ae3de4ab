"""Editing a lead or a contact in the admin leaves the same `updated` event a partner's PATCH
does: the changed fields with old and new values, and who changed them."""
from decimal import Decimal

import pytest

from contacts.models import ContactEvent
from contacts.services import CONTACT_OPS_FIELDS
from leadhub.testing import admin_change_form_data, admin_url, make_contact_history
from leads.models import Lead, LeadEvent
from leads.services.working import LEAD_OPS_FIELDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    return make_contact_history()


def post_change(admin_client, obj, **changes):
    data = admin_change_form_data(admin_client.get(admin_url(obj, "change", obj.pk)), obj)
    data.update(changes)
    response = admin_client.post(admin_url(obj, "change", obj.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def test_editing_a_lead_in_the_admin_writes_an_updated_event_with_the_changed_fields(admin_client, history):
    lead = history["leads"][0]
    LeadEvent.objects.filter(lead=lead).delete()

    post_change(admin_client, lead, first_name="Augusta", notes="called back", revenue_potential="1500.00")

    lead.refresh_from_db()
    assert (lead.first_name, lead.notes, lead.revenue_potential) == ("Augusta", "called back", Decimal("1500.00"))
    (event,) = LeadEvent.objects.filter(lead=lead)
    assert event.event_type == "updated"
    assert event.event_data == {
        "changes": {"first_name": ["Ada", "Augusta"], "notes": ["", "called back"], "revenue_potential": [None, "1500.00"]},
        "by": "staff:admin",
    }


def test_editing_a_contact_in_the_admin_writes_an_updated_contact_event(admin_client, history):
    contact = history["contact"]
    ContactEvent.objects.filter(contact=contact).delete()

    post_change(admin_client, contact, last_name="King", city="London",
                **{"custom_metadata-key-0": "source", "custom_metadata-value-0": "call"})

    contact.refresh_from_db()
    assert (contact.last_name, contact.city, contact.custom_metadata) == ("King", "London", {"source": "call"})
    (event,) = ContactEvent.objects.filter(contact=contact)
    assert event.event_type == "updated"
    assert event.event_data == {
        "changed_fields": ["city", "custom_metadata", "last_name"],
        "changes": {"last_name": ["Lovelace", "King"], "city": ["", "London"], "custom_metadata": [{}, {"source": "call"}]},
        "by": "staff:admin",
    }


def test_saving_without_a_change_writes_no_event(admin_client, history):
    lead, contact = history["leads"][0], history["contact"]
    events_before = LeadEvent.objects.count(), ContactEvent.objects.count()

    post_change(admin_client, lead)
    post_change(admin_client, contact, custom_metadata="{}")

    assert (LeadEvent.objects.count(), ContactEvent.objects.count()) == events_before


def test_the_admin_forms_edit_exactly_what_the_services_accept(admin_client, history):
    """A field the form offers that the service refuses would fail the save; one the service
    accepts that the form hides is a correction ops cannot make."""
    for obj, accepted in ((history["leads"][0], LEAD_OPS_FIELDS), (history["contact"], CONTACT_OPS_FIELDS)):
        form = admin_client.get(admin_url(obj, "change", obj.pk)).context["adminform"].form
        assert set(form.fields) == set(accepted), type(obj).__name__


def test_the_partner_patch_goes_through_the_same_service(history):
    from leads.services.working import lead_patch

    lead = history["leads"][0]
    lead_patch(lead=lead, changed_by=f"workspace:{history['workspace'].pk}", workspace=history["workspace"],
               priority=2)
    event = Lead.objects.get(pk=lead.pk).events.get(event_type="updated")
    assert event.event_data["changes"] == {"priority": [lead.priority, 2]}
