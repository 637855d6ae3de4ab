"""The held-lead path suite: every way a lead could reach a workspace, tried with a held lead,
for every hold reason (leads.holds.HOLD_REASONS: a new reason extends every path). Until the
release no workspace has a record of the lead, an event about it it can list, a sale of it, or a
partner read of it; after the release exactly what the path would have done happens, once."""
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from appointments.models import Appointment, ForwardStatus
from appointments.services.intake import appointment_intake
from distribution.models import Decision, DecisionResult, Sale
from distribution.services import lead_distribute_retry, leads_distribute_again, unsold_leads_retry
from leadhub.testing import (
    LONG_AGO,
    make_contact,
    make_keyed_provider,
    make_lead,
    make_lead_offer,
    make_webhook,
    provider_post,
    valid_phone,
)
from leadhub.testing.api import workspace_with_key
from leads.holds import HOLD_REASONS, lead_hold_place, lead_hold_release
from leads.models import DuplicateRule, Lead, LeadAccess
from providers.models import WebhookConfig
from workspaces.delivery import outbound_event_redeliver, outbox_waiting_release
from workspaces.models import DeliveryStatus, LeadForwardingRule, OutboundEvent
from workspaces.services import routing_rule_save

pytestmark = pytest.mark.django_db

BUYER_URL = "https://buyer.example/hooks"
COPY_URL = "https://copies.example/hooks"
# How a post makes ingest place each hold reason that ingest places (test_every_ingest_reason_has_a_post),
# on a webhook configured as HOLD_WEBHOOKS says, and what must be stored before such a post (`hold_ready`).
HOLD_POSTS = {"consent": {"tcpa_compliance": False},
              "evidence": {"xxTrustedFormCertUrl": "https://cert.trustedform.com/" + "c" * 40},
              "duplicate": {"email": "twice@example.com"}}
HOLD_WEBHOOKS = {"evidence": {"consent_evidence": "verified_before_sale"}}
POST = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "zip_code": "94105",
        "consent_value": True, "tcpa_compliance": True}


# Placed at ingest, with a walk of its own: releasing `suppressed` does not lift the suppression.
OWN_WALK = {"suppressed"}  # test_a_suppressed_lead_is_held_at_ingest_and_reaches_no_buyer_by_any_path_even_released


def test_every_ingest_reason_has_a_post():
    assert {code for code, reason in HOLD_REASONS.items() if reason.placed_at_ingest} == set(HOLD_POSTS) | OWN_WALK


def _an_earlier_lead_and_a_duplicate_rule():
    """A global default duplicate rule (every webhook, referrals' too) holding a post whose email
    an earlier lead had, and that lead."""
    DuplicateRule.objects.create(keys="email", match="any", scope="all", action="hold", window_seconds=86400)
    make_lead(email=HOLD_POSTS["duplicate"]["email"])


HOLD_SETUPS = {"duplicate": _an_earlier_lead_and_a_duplicate_rule}


def hold_ready(reason):
    """Store what a post needs for ingest to place the `reason` hold (nothing for most reasons)."""
    if reason in HOLD_SETUPS:
        HOLD_SETUPS[reason]()


@pytest.fixture
def world(db):
    webhook = make_webhook(distribution_strategy="priority")
    buyer, partner = workspace_with_key(outbound_webhook_url=BUYER_URL, webhook_active=True)
    make_lead_offer(buyer, zip_codes=["941*"], products=["solar"])  # leads
    routing_rule_save(workspace=buyer, zip_codes=["941*"], product_types=["solar"])  # appointments
    return {"webhook": webhook, "buyer": buyer, "partner": partner, "provider": make_keyed_provider()}


def webhook_holding(world, reason):
    """The world's webhook, configured so that its posts call for `reason`."""
    WebhookConfig.objects.filter(pk=world["webhook"].pk).update(**HOLD_WEBHOOKS.get(reason, {}))
    world["webhook"].refresh_from_db()


def held_lead(world, reason, **fields):
    lead = make_lead(make_contact(webhook_id=world["webhook"].webhook_id), zip_code="94105", holds=[reason],
                     external_id=f"ext-{valid_phone()[-6:]}", provider_id=world["provider"].provider_id, **fields)
    return lead


def post_lead(world, reason, body=None):
    body = {**POST, **HOLD_POSTS.get(reason, {}), "phone": valid_phone(), **(body or {})}
    response = provider_post(Client(), f"/api/v1/webhooks/{world['webhook'].webhook_id}/leads/",
                             json.dumps(body), provider=world["provider"])
    assert response.status_code == 201, response.content
    assert [hold["reason"] for hold in response.json()["disposition"]["holds"]] == [reason]
    return Lead.objects.get(pk=response.json()["lead_id"])


# A fixed time ahead of the test's clock (appointment_clock): appointments are booked for the next two years.
APPOINTMENT_AT = "2026-12-01T15:00:00Z"


def appointment_by(reference):
    def path(world, lead):
        value = {"lead_id": lead.pk, "lead_ids": [lead.pk], "lead_external_id": lead.external_id}[reference]
        appointment_intake(webhook=world["webhook"], provider=world["provider"],
                           payload={reference: value, "scheduled_at": APPOINTMENT_AT})
    return path


def by_partner_appointment(world, lead):
    answer = world["partner"].post("/api/v1/appointments/", {"lead_id": lead.pk,
                                                              "scheduled_at": APPOINTMENT_AT}, format="json")
    assert answer.status_code in (400, 404, 422), answer.content  # it cannot name a lead it does not hold


def admin_client_for_ops():
    from django.contrib.auth import get_user_model

    admin, _ = get_user_model().objects.get_or_create(username="ops", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(admin)
    return client


def by_admin_assign(world, lead):
    admin_client_for_ops().post(reverse("admin:leads_lead_changelist"), {
        "action": "assign_to_workspace", "_selected_action": [lead.pk], "post": "yes", "workspace": world["buyer"].pk,
    })


def by_staff_api_assign(world, lead):
    answer = admin_client_for_ops().post(f"/api/v1/leads/{lead.pk}/assign/", {"workspace_id": world["buyer"].pk,
                                                                              "price": "9"},
                                         content_type="application/json")
    assert answer.status_code == 409 and answer.json()["code"] == "lead_held", answer.content


def by_ops_appointment_route(world, lead):
    from appointments.services.routing import appointment_route
    from leads.gate import LeadHeld

    appointment_by("lead_id")(world, lead)
    appointment = Appointment.objects.filter(lead=lead).latest("pk")
    for workspace in (world["buyer"], None):  # a chosen buyer, or the rules again
        with pytest.raises(LeadHeld):
            appointment_route(appointment=appointment, workspace=workspace, by="staff:ops")


def by_send_again(world, lead):
    """An event of the lead sent before the hold was placed: sending it again is refused while held."""
    event = OutboundEvent.objects.create(workspace=world["buyer"], event_type="lead.assigned", data={},
                                         target_url=BUYER_URL, status=DeliveryStatus.FAILED, subject_type="lead",
                                         subject_id=str(lead.pk))
    with pytest.raises(Exception, match="held: release it first"):
        outbound_event_redeliver(event=event)
    event.delete()


def by_calling_window_release(world, lead):
    """A delivery that waited for the consumer's calling window comes due: the sweeper asks the
    gate again, and a held lead's waits for its release instead of leaving."""
    event = OutboundEvent.objects.create(workspace=world["buyer"], event_type="lead.sold", data={},
                                         target_url=BUYER_URL, status=DeliveryStatus.WAITING, calling_window=True,
                                         next_attempt_at=LONG_AGO, subject_type="lead", subject_id=str(lead.pk))
    assert outbox_waiting_release() == 0
    event.refresh_from_db()
    assert event.status == DeliveryStatus.HELD and event.attempts == 0
    event.delete()


def by_simulate(world, lead):
    from distribution.services import lead_simulate

    outcome = lead_simulate(lead=lead, strategy="priority")
    assert {c.verdict for c in outcome.candidates} == {f"{lead.hold_reasons}_hold"}


def by_forwarding_rule_to_url(world, lead):
    from distribution.services import lead_distribute_as_arrived

    lead_distribute_as_arrived(lead=lead)


PATHS = {
    "appointment lead_id": appointment_by("lead_id"),
    "appointment lead_ids": appointment_by("lead_ids"),
    "appointment lead_external_id": appointment_by("lead_external_id"),
    "partner appointment": by_partner_appointment,
    "distribute again": lambda world, lead: leads_distribute_again(leads=[lead]),
    "unsold retry": lambda world, lead: unsold_leads_retry(),
    "retry of a failed decision": lambda world, lead: lead_distribute_retry(lead_id=lead.pk, attempt=2),
    "admin assign": by_admin_assign,
    "staff API assign": by_staff_api_assign,
    "ops routes its appointment": by_ops_appointment_route,
    "send again": by_send_again,
    "calling window release": by_calling_window_release,
    "simulate": by_simulate,
    "forwarding rules": by_forwarding_rule_to_url,
}


def assert_nothing_reached(world, lead):
    assert not LeadAccess.objects.filter(lead=lead).exists()
    assert not Sale.objects.filter(lead=lead).exists()
    assert not OutboundEvent.objects.filter(subject_type="lead", subject_id=str(lead.pk)).exclude(
        status=DeliveryStatus.HELD).exists()
    assert not OutboundEvent.objects.filter(subject_type="appointment").exclude(status=DeliveryStatus.HELD).exists()
    assert not Appointment.objects.filter(matched_workspace__isnull=False).exists()
    assert world["partner"].get(f"/api/v1/leads/{lead.pk}/").status_code == 404
    assert world["partner"].get(f"/api/v1/leads/{lead.pk}/compliance/").status_code == 404
    assert world["partner"].get("/api/v1/appointments/").json()["results"] == []
    assert world["partner"].get("/api/v1/workspace/events/").json()["results"] == []


def assert_released_once(world, lead):
    lead.refresh_from_db()
    assert lead.workspace_id == world["buyer"].pk
    assert LeadAccess.objects.filter(lead=lead, workspace=world["buyer"], revoked_at__isnull=True).count() == 1
    assert Decision.objects.filter(lead=lead, result=DecisionResult.ASSIGNED).count() == 1
    assert OutboundEvent.objects.filter(subject_type="lead", subject_id=str(lead.pk),
                                        event_type="lead.assigned").count() == 1
    assert world["partner"].get(f"/api/v1/leads/{lead.pk}/").status_code == 200


@pytest.mark.parametrize("reason", HOLD_REASONS)
@pytest.mark.parametrize("path", PATHS)
def test_a_held_lead_reaches_no_workspace_by_any_path_until_released(appointment_clock, world, reason, path):
    LeadForwardingRule.objects.create(webhook_id=world["webhook"].webhook_id, target_url=COPY_URL,
                                      zip_codes=["941*"])
    lead = held_lead(world, reason)
    PATHS[path](world, lead)
    PATHS[path](world, lead)  # a retry or a second click changes nothing either
    assert_nothing_reached(world, lead)

    release = lead_hold_release(lead=lead, reason=reason, by="staff:ops", note="checked")
    assert release.released and not release.still_held
    assert f"sold to {world['buyer'].pk}" in release.summary
    assert_released_once(world, lead)
    assert OutboundEvent.objects.filter(target_url=COPY_URL, subject_id=str(lead.pk)).count() == 1
    appointments = Appointment.objects.filter(leads=lead)
    assert all(a.matched_workspace_id == world["buyer"].pk for a in appointments)
    assert OutboundEvent.objects.filter(subject_type="appointment", event_type="appointment.created").count() == len(
        appointments)
    assert appointments.exclude(forward_status=ForwardStatus.PENDING).count() == 0
    lead_hold_release(lead=lead, reason=reason, by="staff:ops", note="again")  # nothing more happens
    assert_released_once(world, lead)


DOORS = ["webhook", "referral", "import --distribute", "re-processing", "first-party form"]


def ingest_by(world, door, body, tmp_path, *, webhook_fields=None):
    """The lead `body` makes when it comes in by `door` (a referral's webhook made with `webhook_fields`)."""
    if door == "webhook":
        answer = provider_post(Client(), f"/api/v1/webhooks/{world['webhook'].webhook_id}/leads/", json.dumps(body),
                               provider=world["provider"])
        assert answer.status_code == 201, answer.content
        return Lead.objects.get(pk=answer.json()["lead_id"])
    if door == "first-party form":
        site = "https://www.example.com"
        WebhookConfig.objects.filter(pk=world["webhook"].pk).update(
            form_enabled=True, form_consent_text="I agree to be called.", form_allowed_origins=site,
            form_provider=world["provider"])
        consented = body.get("consent_value") and body.get("tcpa_compliance")
        data = {key: value for key, value in body.items() if key not in ("consent_value", "tcpa_compliance")}
        answer = Client().post(f"/api/v1/forms/{world['webhook'].webhook_id}/submit/",
                               {**data, "website": "", **({"consent": "on"} if consented else {})},
                               HTTP_ORIGIN=site, HTTP_ACCEPT="application/json")
        assert answer.status_code == 201, answer.content
        return Lead.objects.get(phone=body["phone"])
    if door == "re-processing":
        from providers.models import RejectedSubmission
        from providers.services.rejected import rejected_submission_reprocess

        refused = provider_post(Client(), f"/api/v1/webhooks/{world['webhook'].webhook_id}/leads/",
                                json.dumps({**body, "email": "ada@"}), provider=world["provider"])
        assert refused.status_code == 422, refused.content
        submission = rejected_submission_reprocess(submission=RejectedSubmission.objects.get(), payload=body)
        return Lead.objects.get(pk=submission.reprocessed_object_id)
    if door == "import --distribute":
        import csv

        from django.core.management import call_command

        with open(tmp_path / "leads.csv", "w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(body))
            writer.writeheader()
            writer.writerow(body)
        call_command("import_leads", str(tmp_path / "leads.csv"), "--webhook", world["webhook"].webhook_id,
                     "--provider", world["provider"].provider_id, "--distribute", stdout=io.StringIO())
        return Lead.objects.get(phone=body["phone"])
    referrer, client = workspace_with_key()
    make_webhook(f"ws-{referrer.pk}-solar", distribution_strategy="priority",  # its referrals are sold
                 **(webhook_fields or {}))
    answer = client.post("/api/v1/leads/", {**body, "lead_type": "solar"}, format="json")
    assert answer.status_code == 201, answer.content
    return Lead.objects.get(pk=answer.json()["lead_id"])


@pytest.mark.parametrize("reason", HOLD_POSTS)
@pytest.mark.parametrize("door", DOORS)
def test_a_lead_held_at_ingest_is_distributed_when_released(world, reason, door, tmp_path):
    webhook_holding(world, reason)
    hold_ready(reason)
    lead = ingest_by(world, door, {**POST, **HOLD_POSTS[reason], "phone": valid_phone()}, tmp_path,
                     webhook_fields=HOLD_WEBHOOKS.get(reason))
    assert lead.hold_reasons == reason
    assert_nothing_reached(world, lead)
    lead_hold_release(lead=lead, reason=reason, by="staff:ops", note="checked")
    assert_released_once(world, lead)


@pytest.mark.parametrize("door", DOORS)
def test_a_suppressed_lead_is_held_at_ingest_and_reaches_no_buyer_by_any_path_even_released(
        appointment_clock, world, door, tmp_path):
    """`suppressed` is placed by ingest from the lists (a list for every buyer, the webhook's
    `suppression_action` `hold`), not from the post alone; its release does not lift the
    suppression, so every path still finds the buyer refused."""
    from suppression.models import SuppressionList
    from suppression.services import suppression_entry_add

    phone = valid_phone()
    suppression_entry_add(suppression_list=SuppressionList.objects.create(name="do not contact", kind="internal"),
                          phone=phone, by="staff:ops")
    lead = ingest_by(world, door, {**POST, "phone": phone, "external_id": f"ext-{phone[-6:]}"}, tmp_path)
    assert lead.hold_reasons == "suppressed"
    for path in PATHS.values() if door == "webhook" else ():  # the paths do not depend on the door
        path(world, lead)
    assert_nothing_reached(world, lead)
    lead_hold_release(lead=lead, reason="suppressed", by="staff:ops", note="checked")
    leads_distribute_again(leads=[lead])
    assert_nothing_reached(world, lead)
    assert {row["verdict"] for row in Decision.objects.filter(lead=lead).latest("pk").candidates} == {"suppressed"}


@pytest.mark.parametrize("reason", HOLD_REASONS)
def test_a_hold_placed_on_a_delivered_lead_parks_its_new_events_until_released(world, reason):
    from leads.services.status import lead_status_change

    lead = make_lead(make_contact(webhook_id=world["webhook"].webhook_id), zip_code="94105")
    leads_distribute_again(leads=[lead])
    lead.refresh_from_db()
    assert lead.workspace_id == world["buyer"].pk
    lead_hold_place(lead=lead, reason=reason, by="staff:ops", message="disputed")
    lead_status_change(lead=lead, new_status="contacted", changed_by="staff:ops", holder=world["buyer"])
    changed = OutboundEvent.objects.get(subject_id=str(lead.pk), event_type="lead.status_changed")
    assert changed.status == DeliveryStatus.HELD
    assert world["partner"].get("/api/v1/workspace/events/").json()["results"] == [] or all(
        row["id"] != str(changed.pk) for row in world["partner"].get("/api/v1/workspace/events/").json()["results"])
    lead_hold_release(lead=lead, reason=reason, by="staff:ops", note="resolved")
    changed.refresh_from_db()
    assert changed.status == DeliveryStatus.PENDING


@pytest.mark.parametrize("reason", HOLD_POSTS)
def test_a_held_lead_fills_no_blank_of_a_contact_another_workspace_reads_until_released(world, reason):
    hold_ready(reason)
    phone = valid_phone()
    first = {**POST, "phone": phone}
    answer = provider_post(Client(), f"/api/v1/webhooks/{world['webhook'].webhook_id}/leads/", json.dumps(first),
                           provider=world["provider"])
    contact_id = answer.json()["contact_id"]
    assert Lead.objects.get(pk=answer.json()["lead_id"]).workspace_id == world["buyer"].pk

    webhook_holding(world, reason)
    held = post_lead(world, reason, body={"phone": phone, "address": "1 Held Street", "city": "Oakland"})
    seen = world["partner"].get(f"/api/v1/contacts/{contact_id}/").json()
    assert (seen["address"], seen["city"]) == ("", "")
    assert held.pk not in [row["id"] for row in seen["leads"]]

    lead_hold_release(lead=held, reason=reason, by="staff:ops", note="checked")
    seen = world["partner"].get(f"/api/v1/contacts/{contact_id}/").json()
    assert (seen["address"], seen["city"]) == ("1 Held Street", "Oakland")


@pytest.mark.django_db(transaction=True)
def test_placing_and_releasing_run_in_their_own_transactions():
    """As ops call them (no transaction around): each locks the lead in a transaction of its own."""
    webhook = make_webhook(distribution_strategy="priority")
    buyer, _client = workspace_with_key()
    make_lead_offer(buyer, zip_codes=["941*"], products=["solar"])
    lead = make_lead(make_contact(webhook_id=webhook.webhook_id), zip_code="94105")
    lead_hold_place(lead=lead, reason="consent", by="staff:ops", message="disputed")
    assert Lead.objects.get(pk=lead.pk).hold_reasons == "consent"
    release = lead_hold_release(lead=lead, reason="consent", by="staff:ops", note="confirmed")
    assert Lead.objects.get(pk=lead.pk).workspace_id == buyer.pk, release.summary


@pytest.mark.parametrize("reason", HOLD_REASONS)
def test_a_lead_offer_for_one_webhook_sends_a_held_lead_nowhere_until_released(reason):
    """A lead offer for one webhook's leads (what a forwarding rule to a workspace became): a held
    lead reaches it only when released, once."""
    webhook = make_webhook(distribution_strategy="priority")
    target, client = workspace_with_key(outbound_webhook_url=BUYER_URL, webhook_active=True)
    make_lead_offer(target, zip_codes=["941*"], webhook=webhook)
    lead = make_lead(make_contact(webhook_id=webhook.webhook_id), zip_code="94105", holds=[reason])
    leads_distribute_again(leads=[lead])
    assert not LeadAccess.objects.filter(lead=lead).exists()
    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 404

    lead_hold_release(lead=lead, reason=reason, by="staff:ops", note="checked")
    assert LeadAccess.objects.filter(lead=lead, workspace=target).count() == 1
    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 200
    assert OutboundEvent.objects.filter(subject_id=str(lead.pk), workspace=target, event_type="lead.assigned").count() == 1
