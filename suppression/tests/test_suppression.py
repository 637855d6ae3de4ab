"""Every suppression path: ingest refuses or holds (per webhook), a buyer the lists apply to is
refused by the engine and by the gate (DNC for callers only, an opt-out for its reporter or, when
it bought the number, for all), holders of a lead suppressed after its sale hear
`lead.suppressed`, a purge keeps the digest, and the partner API's reports."""
import json

import pytest
from django.test import Client

from distribution.models import Decision, Sale
from distribution.services import leads_distribute_again
from leadhub.testing import (
    assert_error,
    assert_webhook_error,
    make_contact,
    make_keyed_provider,
    make_lead,
    make_lead_offer,
    make_webhook,
    provider_post,
    valid_phone,
)
from leadhub.testing.api import workspace_with_key
from leads.gate import LeadSuppressedFor
from leads.holds import lead_hold_release
from leads.models import Lead, LeadAccess
from leads.services.assignment import lead_assign
from people.services import contact_purge
from providers.models import RejectedSubmission
from suppression.keys import phone_key, suppression_digest
from suppression.models import ListKind, SuppressionEntry, SuppressionList
from suppression.selectors import suppressed_workspaces
from suppression.services import opt_out_report, suppression_entry_add
from workspaces.models import OutboundEvent, Scope

pytestmark = pytest.mark.django_db

POST = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "zip_code": "94105",
        "consent_value": True, "tcpa_compliance": True}


@pytest.fixture
def world(db):
    webhook = make_webhook(distribution_strategy="priority")
    buyer, partner = workspace_with_key(outbound_webhook_url="https://buyer.example/hooks", webhook_active=True)
    make_lead_offer(buyer, zip_codes=["941*"], products=["solar"], priority=10)
    return {"webhook": webhook, "buyer": buyer, "partner": partner, "provider": make_keyed_provider()}


def second_buyer(world, **fields):
    other, client = workspace_with_key(**fields)
    make_lead_offer(other, zip_codes=["941*"], products=["solar"], priority=1)
    return other, client


def post(world, phone, **body):
    return provider_post(Client(), f"/api/v1/webhooks/{world['webhook'].webhook_id}/leads/",
                         json.dumps({**POST, "phone": phone, **body}), provider=world["provider"])


def on_list(kind, phone, name=None):
    suppression_list = SuppressionList.objects.create(name=name or f"{kind} list", kind=kind)
    suppression_entry_add(suppression_list=suppression_list, phone=phone, by="staff:ops")
    return suppression_list


def sold_lead(world, phone):
    answer = post(world, phone)
    assert answer.status_code == 201, answer.content
    lead = Lead.objects.get(pk=answer.json()["lead_id"])
    assert lead.workspace_id == world["buyer"].pk
    return lead


def verdicts(lead):
    return {row["workspace_id"]: row["verdict"] for row in Decision.objects.filter(lead=lead).latest("pk").candidates}


def test_refuse_answers_a_failure_coded_suppressed_naming_no_list_and_keeps_the_post(world):
    world["webhook"].suppression_action = "refuse"
    world["webhook"].save()
    phone = valid_phone()
    on_list(ListKind.INTERNAL, phone, name="Secret Internal Register")
    body = assert_webhook_error(post(world, phone), 422, code="suppressed")
    assert "Secret" not in json.dumps(body) and "internal" not in json.dumps(body).lower()
    assert RejectedSubmission.objects.get().reason_code == "suppressed"
    assert not Lead.objects.exists()


def test_hold_accepts_the_lead_held_and_no_buyer_gets_it_even_after_a_release(world):
    assert world["webhook"].suppression_action == "hold"  # the default
    phone = valid_phone()
    on_list(ListKind.INTERNAL, phone)
    answer = post(world, phone)
    assert answer.status_code == 201, answer.content
    assert [hold["reason"] for hold in answer.json()["disposition"]["holds"]] == ["suppressed"]
    lead = Lead.objects.get(pk=answer.json()["lead_id"])
    assert lead.hold_reasons == "suppressed" and not LeadAccess.objects.filter(lead=lead).exists()

    lead_hold_release(lead=lead, reason="suppressed", by="staff:ops", note="asked to")
    assert not LeadAccess.objects.filter(lead=lead).exists() and not Sale.objects.filter(lead=lead).exists()
    assert verdicts(lead) == {world["buyer"].pk: "suppressed"}


def test_a_post_of_an_unlisted_number_is_sold_as_before(world):
    on_list(ListKind.INTERNAL, valid_phone())
    sold_lead(world, valid_phone())


def test_a_registry_list_stops_buyers_that_call_only(world):
    world["buyer"].calls_consumers = True
    world["buyer"].save()
    emailer, _client = second_buyer(world)
    phone = valid_phone()
    on_list(ListKind.DNC, phone)
    answer = post(world, phone)
    assert answer.status_code == 201 and answer.json()["disposition"]["holds"] == [], answer.content
    lead = Lead.objects.get(pk=answer.json()["lead_id"])
    assert lead.workspace_id == emailer.pk
    assert verdicts(lead) == {world["buyer"].pk: "suppressed", emailer.pk: "eligible"}


def test_an_opt_out_stops_its_reporter_only_unless_it_bought_the_number(world):
    other, _client = second_buyer(world)
    unbought = valid_phone()
    answer = world["partner"].post("/api/v1/suppressions/", {"phone": unbought, "reason": "asked"}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["phone"] == unbought and answer.json()["reason"] == "asked"
    lead = Lead.objects.get(pk=post(world, unbought).json()["lead_id"])
    assert lead.workspace_id == other.pk and lead.hold_reasons == ""
    assert verdicts(lead)[world["buyer"].pk] == "suppressed"

    bought = valid_phone()
    sold_lead(world, bought)
    entry, created = opt_out_report(workspace=world["buyer"], phone=bought, by="ws")
    assert created and entry.applies_to_all
    assert suppressed_workspaces(phone=bought, workspaces=[world["buyer"], other]) == {world["buyer"].pk, other.pk}
    assert post(world, bought).json()["disposition"]["holds"][0]["reason"] == "suppressed"


def test_a_number_suppressed_after_its_sale_raises_lead_suppressed_to_each_holder_it_applies_to(world):
    lead = sold_lead(world, valid_phone())
    registry = on_list(ListKind.DNC, lead.phone, name="registry")  # the buyer does not call: not for it
    assert not OutboundEvent.objects.filter(event_type="lead.suppressed").exists()
    internal = on_list(ListKind.INTERNAL, lead.phone)
    suppression_entry_add(suppression_list=internal, phone=lead.phone, by="staff:ops")  # again: nothing new
    event = OutboundEvent.objects.get(event_type="lead.suppressed")
    assert (event.workspace_id, event.subject_id, event.data["suppressed"]) == (world["buyer"].pk, str(lead.pk), "phone")
    assert registry.entries.count() == 1


def test_an_email_suppressed_after_its_sale_reaches_the_holder_whatever_its_case(world):
    """A lead keeps its email as posted; a list keeps it lower-cased (the digest's form): they
    still meet, as they do in the engine and the gate."""
    answer = post(world, valid_phone(), email="Ada.Lovelace@Example.com")
    lead = Lead.objects.get(pk=answer.json()["lead_id"])
    assert lead.workspace_id == world["buyer"].pk
    suppression_list = SuppressionList.objects.create(name="internal", kind=ListKind.INTERNAL)
    suppression_entry_add(suppression_list=suppression_list, email="ada.lovelace@example.com", by="staff:ops")
    event = OutboundEvent.objects.get(event_type="lead.suppressed")
    assert (event.workspace_id, event.subject_id, event.data["suppressed"]) == (world["buyer"].pk, str(lead.pk), "email")


def test_purging_the_person_keeps_the_digest_so_the_opt_out_never_becomes_sellable(world):
    lead = sold_lead(world, valid_phone())
    entry, _created = opt_out_report(workspace=world["buyer"], phone=lead.phone, reason="call me never", by="ws")
    contact_purge(contact=lead.contact, reason="data-deletion request", by="staff:ops")
    entry.refresh_from_db()
    assert (entry.value, entry.reason, entry.digest) == ("", "", suppression_digest(phone_key(lead.phone)))
    assert entry.purged_at is not None and entry.applies_to_all
    assert post(world, lead.phone).json()["disposition"]["holds"][0]["reason"] == "suppressed"
    assert world["partner"].get("/api/v1/suppressions/").json()["results"][0]["phone"] == ""


def test_the_gate_refuses_every_other_path_to_a_suppressed_buyer(world):
    from django.contrib.auth import get_user_model

    lead = make_lead(make_contact(webhook_id=world["webhook"].webhook_id), zip_code="94105")
    opt_out_report(workspace=world["buyer"], phone=lead.phone, by="ws")
    staff = get_user_model().objects.create(username="ops", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    answer = client.post(f"/api/v1/leads/{lead.pk}/assign/", {"workspace_id": world["buyer"].pk, "price": "9"},
                         content_type="application/json")
    assert_error(answer, 409, code="suppressed")
    with pytest.raises(LeadSuppressedFor):
        lead_assign(lead=lead, workspace=world["buyer"], by="staff:ops")
    leads_distribute_again(leads=[lead])
    assert not LeadAccess.objects.filter(lead=lead).exists()


def test_an_opt_out_report_needs_its_scope_one_valid_value_and_known_fields(world):
    _reader, reader_client = workspace_with_key(scopes=[Scope.SUPPRESSIONS_READ])
    assert_error(reader_client.post("/api/v1/suppressions/", {"phone": valid_phone()}, format="json"), 403)
    client = world["partner"]
    assert_error(client.post("/api/v1/suppressions/", {"phone": "12"}, format="json"), 422, field="phone")
    assert_error(client.post("/api/v1/suppressions/", {"email": "nobody"}, format="json"), 422, field="email")
    assert_error(client.post("/api/v1/suppressions/", {"phone": valid_phone(), "email": "a@b.co"}, format="json"), 422)
    assert_error(client.post("/api/v1/suppressions/", {"number": valid_phone()}, format="json"), 400, field="number")
    first = client.post("/api/v1/suppressions/", {"email": "Ada@Example.com"}, format="json")
    again = client.post("/api/v1/suppressions/", {"email": "ada@example.com"}, format="json")
    assert (first.status_code, again.status_code, again.json()["id"]) == (201, 200, first.json()["id"])
    assert SuppressionEntry.objects.get().value == "ada@example.com"
