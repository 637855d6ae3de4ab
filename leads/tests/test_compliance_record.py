"""A lead's compliance record (leads.compliance_record): the admin page for ops, printable, and
`GET /api/v1/leads/{id}/compliance/` for the buyers that hold the lead, their own part only."""
import html
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from distribution.models import Sale
from leadhub.receiver import WebhookReceiver
from leadhub.testing import make_access, make_keyed_provider, make_lead, make_lead_offer, make_webhook, provider_post
from leadhub.testing.api import workspace_with_key
from leads.holds import lead_hold_release
from leads.models import DuplicateRule, Lead
from leads.services.evidence import consent_evidence_verify, held_lead_evidence_check
from leads.tests.test_evidence_verification import CERT, FakeVerifier
from workspaces.delivery import outbox_deliver
from workspaces.models import OutboundEvent

pytestmark = pytest.mark.django_db

CONSENT_TEXT = "I agree that Sunny Roofs LLC may call me about solar, also by autodialer."


@pytest.fixture
def verifier(settings):
    settings.CONSENT_VERIFIER_TRUSTEDFORM_API_KEY = "tf-key"
    settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = 2
    with FakeVerifier() as fake:
        settings.CONSENT_VERIFIER_TRUSTEDFORM_URL = f"{fake.url}/trustedform"
        yield fake


@pytest.fixture
def receiver():
    with WebhookReceiver([200]) as running:
        yield running


@pytest.fixture
def journey(verifier, receiver):
    """A lead through every kind of check: consent not given (a consent hold), a TrustedForm
    certificate on a `verified_before_sale` webhook (an evidence hold, then verified), the
    suppression check (clear), a duplicate rule matching an earlier lead (a duplicate hold); ops
    release consent and duplicate, the verifier the evidence; the buyer buys it and its `lead.sold`
    is delivered."""
    DuplicateRule.objects.create(keys="email", match="any", scope="all", action="hold", window_seconds=86400)
    earlier = make_lead(email="twice@example.com")
    buyer, buyer_client = workspace_with_key(name="Sunny Roofs LLC", outbound_webhook_url=receiver.url,
                                             webhook_active=True)
    make_lead_offer(buyer, zip_codes=["941*"], products=["solar"], price="42.00")
    webhook = make_webhook(distribution_strategy="priority", consent_evidence="verified_before_sale")
    body = {"first_name": "Ada", "last_name": "Lovelace", "email": "twice@example.com", "phone": "4155550142",
            "zip_code": "94105", "consent_description": CONSENT_TEXT, "consent_value": True,
            "tcpa_compliance": False, "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0 (Consumer Browser)",
            "xxTrustedFormCertUrl": CERT}
    response = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/", json.dumps(body),
                             provider=make_keyed_provider())
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert sorted(lead.hold_reasons.split(",")) == ["consent", "duplicate", "evidence"]

    lead_hold_release(lead=lead, reason="consent", by="staff:ops", note="Consent confirmed on a recorded call")
    lead_hold_release(lead=lead, reason="duplicate", by="staff:ops", note="A different household")
    (evidence,) = held_lead_evidence_check(lead_id=lead.pk)
    consent_evidence_verify(evidence_id=evidence.pk, advertiser_name="Sunny Roofs LLC")
    lead.refresh_from_db()
    assert (lead.hold_reasons, lead.workspace_id) == ("", buyer.pk)
    sold = OutboundEvent.objects.get(workspace=buyer, event_type="lead.sold")
    assert outbox_deliver(event_id=sold.pk).status == "delivered"
    assigned = OutboundEvent.objects.get(workspace=buyer, event_type="lead.assigned")  # its task not run
    return {"lead": lead, "earlier": earlier, "buyer": buyer, "buyer_client": buyer_client, "event": sold,
            "assigned_at": assigned.next_attempt_at.isoformat().replace("+00:00", "Z")}


def page_text(response) -> str:
    assert response.status_code == 200, response.content
    spaced = re.sub(r">\s*<", "> <", response.content.decode())  # a cell's text apart from the next one's
    return re.sub(r"\s+", " ", html.unescape(strip_tags(spaced)))


def test_the_record_page_tells_every_check_hold_sale_and_delivery(journey, admin_client):
    lead, buyer, event = journey["lead"], journey["buyer"], journey["event"]
    change = admin_client.get(reverse("admin:leads_lead_change", args=[lead.pk])).content.decode()
    url = reverse("admin:leads_lead_compliance", args=[lead.pk])
    assert f'href="{url}"' in change  # reachable from the lead's page

    response = admin_client.get(url)
    page, text = response.content.decode(), page_text(response)
    assert "@media print" in page
    titles = ["Consent as posted", "The consumer's identity", "Consent evidence and its verification",
              "Suppression and duplicate checks", "Holds", "Workspaces it reached", "Sales",
              "Deliveries (what was sent, and when)", "Distribution decisions"]
    assert [title for title in titles if title in text] == titles
    assert [text.index(title) for title in titles] == sorted(text.index(title) for title in titles)
    # Consent and identity as posted.
    assert f"Consent description {CONSENT_TEXT}" in text
    assert "Consent value yes Tcpa compliance no" in text
    assert "Ip address 203.0.113.7 User agent Mozilla/5.0 (Consumer Browser)" in text
    # The evidence and what its verifier said.
    assert f"Kind trustedform Value {CERT} Form valid Verification success" in text
    assert "Phone match yes Email match yes One to one yes" in text
    # Each check with its result.
    assert "Check suppression (ingest: lists for every buyer)" in text and "Result clear" in text
    assert "Check duplicate rules (ingest)" in text and "Result hold" in text
    assert f"earlier_lead_id {journey['earlier'].pk}" in text  # ops see the full match
    # Every hold, placed and released, with why.
    for reason, note in (("consent", "Consent confirmed on a recorded call"), ("duplicate", "A different household"),
                         ("evidence", "TrustedForm certificate verified.")):
        assert re.search(rf"Reason {reason} .*?Release note {re.escape(note)}", text), reason
    assert text.count("Released by staff:ops") == 2 and "Released by verifier" in text
    # The workspace, its sale and what was sent, delivered.
    assert f"Workspace id {buyer.pk} How sold" in text
    sale = Sale.objects.get(lead=lead)
    assert f"Workspace id {buyer.pk} Subject lead Offer id {sale.offer_id} Price 42.00" in text
    assert f"Event id {event.pk} Event type lead.sold Workspace id {buyer.pk}" in text
    assert "Status delivered Waiting —" in text
    assert "[0].outcome delivered [0].status_code 200" in text
    assert "Result unsold Strategy priority Workspace ids — Refused consent_hold 1" in text  # held at ingest
    assert "Result assigned Strategy priority" in text


def test_a_buyer_reads_its_own_part_and_a_workspace_without_the_lead_gets_404(journey):
    lead, buyer = journey["lead"], journey["buyer"]
    other, other_client = workspace_with_key()
    assert other_client.get(f"/api/v1/leads/{lead.pk}/compliance/").status_code == 404
    forwarded, forwarded_client = workspace_with_key()
    make_access(lead, forwarded, how="forwarded")

    mine = journey["buyer_client"].get(f"/api/v1/leads/{lead.pk}/compliance/").json()
    sections = {section["key"]: section["entries"] for section in mine["sections"]}
    assert list(sections) == ["consent", "identity", "evidence", "checks", "holds", "workspaces", "sales",
                              "deliveries", "returns"]  # no distribution decisions: they name other buyers
    assert sections["consent"][0]["consent_description"] == CONSENT_TEXT
    assert sections["identity"] == [{"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0 (Consumer Browser)"}]
    assert sections["evidence"][0]["verification"] == "success"
    assert [(check["check"], check["result"]) for check in sections["checks"]] == [
        ("suppression (ingest: lists for every buyer)", "clear"), ("duplicate rules (ingest)", "hold")]
    assert "match" not in sections["checks"][1] and "rules" not in sections["checks"][1]
    assert sorted(hold["reason"] for hold in sections["holds"]) == ["consent", "duplicate", "evidence"]
    assert all("release_note" not in hold and "placed_by" not in hold for hold in sections["holds"])
    assert [row["workspace_id"] for row in sections["workspaces"]] == [buyer.pk]
    assert [(sale["workspace_id"], sale["price"]) for sale in sections["sales"]] == [(buyer.pk, "42.00")]
    assert [(d["event_type"], d["status"], d["waiting"]) for d in sections["deliveries"]] == [
        ("lead.assigned", "pending", {"reason": "queued", "until": journey["assigned_at"]}),
        ("lead.sold", "delivered", None)]
    assert "source_ip" not in json.dumps(mine) and forwarded.pk not in json.dumps(mine)

    theirs = forwarded_client.get(f"/api/v1/leads/{lead.pk}/compliance/").json()
    parts = {section["key"]: section["entries"] for section in theirs["sections"]}
    assert [row["workspace_id"] for row in parts["workspaces"]] == [forwarded.pk]
    assert parts["sales"] == [] and parts["deliveries"] == []
    assert buyer.pk not in json.dumps(theirs)


def test_ingest_records_a_check_that_found_nothing(db):
    DuplicateRule.objects.create(keys="phone", match="any", scope="all", action="reject", window_seconds=86400)
    webhook = make_webhook()
    body = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "4155550143",
            "zip_code": "94105", "consent_value": True, "tcpa_compliance": True}
    response = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/", json.dumps(body),
                             provider=make_keyed_provider())
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    checks = lead.events.get(event_type="received").event_data["checks"]
    rule = DuplicateRule.objects.get()
    assert checks == {"suppression": {"result": "clear"}, "duplicate": {"rules": [rule.pk], "result": "no_match"}}
