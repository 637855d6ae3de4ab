"""Person search is one rule: a term that finds a person in one admin search box or partner API
`?search=` finds the same person in every other (contacts, leads, appointments, rejected posts)."""
import pytest
from django.urls import reverse

from appointments.models import Appointment
from contacts.models import Contact
from leadhub.testing.api import result_ids, workspace_with_key
from leadhub.search import PERSON_SEARCH_FIELDS, person_search_q
from leadhub.testing import make_appointment, make_contact, make_lead
from leads.models import Lead
from providers.models import RejectedSubmission

pytestmark = pytest.mark.django_db

PHONE = "+14152220199"
PHONE_TERMS = ["(415) 222-0199", "415.222.0199", "+1 415 222 0199", "1-415-222-0199", "4152220199"]
OTHER_TERMS = ["grace@navy.example", "GRACE@NAVY", "navy.example", "grace hopper", "Hopper", "hop", "GRACE"]


def a_person(workspace, *, phone, first_name, last_name, email):
    contact = make_contact(phone=phone, first_name=first_name, last_name=last_name, email=email)
    lead = make_lead(contact, email=email, workspace=workspace, workspace_status="assigned")
    appointment = make_appointment(
        contact, lead, matched_workspace=workspace, customer_phone=phone, customer_email=email,
        customer_name=f"{first_name} {last_name}",
    )
    return contact, lead, appointment


@pytest.fixture
def people():
    workspace, client = workspace_with_key()
    grace = a_person(workspace, phone=PHONE, first_name="Grace", last_name="Hopper", email="grace@navy.example")
    a_person(workspace, phone="+14152220198", first_name="Ada", last_name="Lovelace", email="ada@example.com")
    return client, grace


def admin_listed(admin_client, model, term):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = admin_client.get(url, {"q": term})
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


@pytest.mark.parametrize("term", PHONE_TERMS + OTHER_TERMS)
def test_a_term_finds_the_same_person_in_every_admin_search_and_api_filter(admin_client, people, term):
    client, (contact, lead, appointment) = people

    assert admin_listed(admin_client, Contact, term) == {contact.pk}
    assert admin_listed(admin_client, Lead, term) == {lead.pk}
    assert admin_listed(admin_client, Appointment, term) == {appointment.pk}
    assert result_ids(client.get("/api/v1/contacts/", {"search": term})) == {str(contact.pk)}
    assert result_ids(client.get("/api/v1/leads/", {"search": term})) == {str(lead.pk)}
    assert result_ids(client.get("/api/v1/appointments/", {"search": term})) == {str(appointment.pk)}


@pytest.mark.parametrize("term", PHONE_TERMS)
def test_a_phone_in_any_format_finds_the_persons_rejected_posts(admin_client, term):
    post = RejectedSubmission.objects.create(
        webhook_id="wh-x", reason_code="invalid", reason="bad", http_status=400, phone_normalized=PHONE
    )
    RejectedSubmission.objects.create(
        webhook_id="wh-x", reason_code="invalid", reason="bad", http_status=400, phone_normalized="+14152220198"
    )
    assert admin_listed(admin_client, RejectedSubmission, term) == {post.pk}


def test_a_phone_term_is_one_exact_lookup_and_a_blank_term_matches_everyone():
    assert person_search_q("(415) 222-0199", **PERSON_SEARCH_FIELDS) == person_search_q(PHONE, phone="phone")
    assert person_search_q("  ", **PERSON_SEARCH_FIELDS).children == []
