"""Consent evidence verified with its issuers, through a local fake verifier speaking the
documented shapes (TrustedForm API v4, Jornaya authenticate): only once an offer wants the lead,
at most once per certificate, the answer stored on the lead; a `verified_before_sale` lead is
released by the verifier, or stays held saying why."""
import base64
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client

from distribution.models import Decision, DecisionResult
from leadhub.testing import make_keyed_provider, make_lead_offer, make_webhook, provider_post, valid_phone
from leadhub.testing.api import workspace_with_key
from leads.holds import lead_hold_release
from leads.models import ConsentEvidence, Lead, LeadHold
from leads.services.evidence import consent_evidence_request, consent_evidence_verify, held_lead_evidence_check
from people.services import contact_purge

pytestmark = pytest.mark.django_db

CERT_ID = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c"
CERT = f"https://cert.trustedform.com/{CERT_ID}"
TOKEN = "0A1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D"
AT = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
RETAINED = {"outcome": "success", "reason": None,
            "match_lead": {"result": {"success": True, "email_match": True, "phone_match": True}},
            "retain": {"results": {"expires_at": "2031-03-02T15:30:00Z", "previously_retained": False,
                                   "masked_cert_url": f"https://cert.trustedform.com/{CERT_ID[:8]}..."}},
            "verify": {"result": {"success": True, "language_approved": True, "form_submitted": True,
                                  "one_to_one": True}}}
AUTHENTIC = {"authenticate": {"authentic": 1, "token": TOKEN}}
HANG = "hang"  # the verifier never answers: the caller's timeout ends the call


class FakeVerifier:
    """TrustedForm (`POST /trustedform/<certificate id>`) and Jornaya (`GET /jornaya/Authenticate`)
    on a real local socket. `answers[kind]` is a JSON object, an HTTP status, or HANG."""

    def __init__(self):
        self.answers = {"trustedform": RETAINED, "jornaya": AUTHENTIC}
        self.requests = []
        self._done = threading.Event()

    def __enter__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, kind):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append({"kind": kind, "method": self.command, "path": self.path,
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": json.loads(body) if body else None})
                answer = fake.answers[kind]
                if answer == HANG:
                    fake._done.wait(10)
                    return
                status, payload = (answer, b"{}") if isinstance(answer, int) else (200, json.dumps(answer).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self):
                self._answer("trustedform")

            def do_GET(self):
                self._answer("jornaya")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def verifier(settings):
    settings.CONSENT_VERIFIER_TRUSTEDFORM_API_KEY = "tf-key"
    settings.CONSENT_VERIFIER_JORNAYA_ACCOUNT_CODE = "lac-7"
    settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = 0.3
    with FakeVerifier() as fake:
        settings.CONSENT_VERIFIER_TRUSTEDFORM_URL = f"{fake.url}/trustedform"
        settings.CONSENT_VERIFIER_JORNAYA_URL = f"{fake.url}/jornaya/Authenticate"
        yield fake


@pytest.fixture
def market(db):
    buyer, partner = workspace_with_key(name="Sunny Roofs LLC")
    make_lead_offer(buyer, zip_codes=["941*"], products=["solar"])
    return {"buyer": buyer, "partner": partner, "provider": make_keyed_provider()}


def post(market, webhook, **fields):
    body = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": valid_phone(),
            "zip_code": "94105", "consent_value": True, "tcpa_compliance": True, **fields}
    response = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/", json.dumps(body),
                             provider=market["provider"])
    assert response.status_code == 201, response.content
    return Lead.objects.get(pk=response.json()["lead_id"])


def sold_lead(market, **evidence):
    """A `capture` lead a buyer took: its evidence is claimed for verification with the sale."""
    lead = post(market, make_webhook(distribution_strategy="priority"), **evidence)
    assert lead.workspace_id == market["buyer"].pk
    return lead


def test_a_sold_leads_certificate_is_retained_once_and_the_answer_stored(verifier, market):
    lead = sold_lead(market, xxTrustedFormCertUrl=CERT)
    (row,) = ConsentEvidence.objects.filter(lead=lead)
    assert (row.kind, row.value, row.outcome, row.requested_at) == ("trustedform", CERT, "pending", None)

    with time_machine.travel(AT, tick=False):
        consent_evidence_verify(evidence_id=row.pk, advertiser_name="Sunny Roofs LLC")
    consent_evidence_verify(evidence_id=row.pk, advertiser_name="Sunny Roofs LLC")  # a retried task

    row.refresh_from_db()
    assert (row.outcome, row.checked_at, row.expires_at) == ("success", AT, datetime(2031, 3, 2, 15, 30, tzinfo=UTC))
    assert (row.phone_match, row.email_match, row.one_to_one, row.raw_answer) == (True, True, True, RETAINED)
    (sent,) = verifier.requests
    assert (sent["method"], sent["path"]) == ("POST", f"/trustedform/{CERT_ID}")
    assert sent["headers"]["api-version"] == "4.0"
    assert sent["headers"]["authorization"] == "Basic " + base64.b64encode(b"X:tf-key").decode()
    assert sent["body"] == {"match_lead": {"email": "ada@example.com", "phone": lead.phone[2:]},
                            "retain": {"reference": str(lead.pk), "vendor": market["provider"].provider_id},
                            "verify": {"advertiser_name": "Sunny Roofs LLC"}}


@pytest.mark.parametrize("answer, outcome, reason", [
    ({"outcome": "failure", "reason": "certificate expired"}, "failure", "certificate expired"),
    ({**RETAINED, "verify": {"result": {"success": False, "one_to_one": False}}}, "failure",
     "One-to-one consent not granted to Sunny Roofs LLC."),
    ({**RETAINED, "match_lead": {"result": {"success": False, "email_match": False, "phone_match": True}}},
     "failure", "The lead's email and phone do not match the certificate."),
    ({"outcome": "error", "reason": "certificate not found"}, "error", "certificate not found"),
    (500, "error", "Verifier answered HTTP 500."),
    (HANG, "error", "Verifier not reached: timeout after 0.3 s."),
])
def test_a_certificate_that_fails_or_errs_is_stored_so(verifier, market, answer, outcome, reason):
    verifier.answers["trustedform"] = answer
    lead = sold_lead(market, trustedform_cert_url=CERT)

    row = consent_evidence_verify(evidence_id=ConsentEvidence.objects.get(lead=lead).pk,
                                  advertiser_name="Sunny Roofs LLC")

    assert (row.outcome, row.reason) == (outcome, reason)
    assert row.checked_at is not None and len(verifier.requests) == 1
    consent_evidence_verify(evidence_id=row.pk)  # never retained twice, an error neither
    assert len(verifier.requests) == 1


@pytest.mark.parametrize("authentic, outcome", [(1, "success"), (0, "failure")])
def test_a_jornaya_token_is_authenticated(verifier, market, authentic, outcome):
    verifier.answers["jornaya"] = {"authenticate": {"authentic": authentic, "token": TOKEN}}
    lead = sold_lead(market, universal_leadid=TOKEN)

    row = consent_evidence_verify(evidence_id=ConsentEvidence.objects.get(lead=lead).pk)

    assert row.outcome == outcome
    (sent,) = verifier.requests
    assert (sent["method"], urlsplit(sent["path"]).path) == ("GET", "/jornaya/Authenticate")
    assert parse_qs(urlsplit(sent["path"]).query) == {"lac": ["lac-7"], "id": [TOKEN]}


def test_a_certificate_verified_for_one_lead_is_not_retained_again_for_another(verifier, market):
    first, second = sold_lead(market, xxTrustedFormCertUrl=CERT), sold_lead(market, xxTrustedFormCertUrl=CERT)
    consent_evidence_verify(evidence_id=ConsentEvidence.objects.get(lead=first).pk)

    row = consent_evidence_verify(evidence_id=ConsentEvidence.objects.get(lead=second).pk)

    assert len(verifier.requests) == 1
    assert row.outcome == "success" and row.reason == f"As verified for lead #{first.pk}."
    assert consent_evidence_request(lead=second, advertiser_name="Another buyer") == []  # asked once per lead


def test_no_verifier_call_for_a_lead_no_offer_wanted(verifier, market):
    unwanted = {"zip_code": "10001", "xxTrustedFormCertUrl": CERT, "universal_leadid": TOKEN}
    captured = post(market, make_webhook(distribution_strategy="priority"), **unwanted)
    held = post(market, make_webhook(distribution_strategy="priority", consent_evidence="verified_before_sale"),
                **unwanted)

    assert held_lead_evidence_check(lead_id=held.pk) == []
    assert captured.workspace_id is None and held.hold_reasons == "evidence"
    assert not ConsentEvidence.objects.exists() and verifier.requests == []


def test_invalid_evidence_and_an_unconfigured_verifier_are_not_verified(verifier, market, settings):
    settings.CONSENT_VERIFIER_JORNAYA_ACCOUNT_CODE = ""
    lead = sold_lead(market, xxTrustedFormCertUrl="https://cert.trustedform.com/short", universal_leadid=TOKEN)

    assert not ConsentEvidence.objects.filter(lead=lead).exists()


def test_a_verified_before_sale_lead_is_released_by_the_verifier_and_sold(verifier, market):
    webhook = make_webhook(distribution_strategy="priority", consent_evidence="verified_before_sale")
    lead = post(market, webhook, xxTrustedFormCertUrl=CERT, universal_leadid=TOKEN)
    assert (lead.hold_reasons, lead.workspace_id) == ("evidence", None)

    rows = held_lead_evidence_check(lead_id=lead.pk)  # the distributor's dry run: Sunny Roofs would take it
    assert sorted(row.kind for row in rows) == ["jornaya", "trustedform"]
    assert not Decision.objects.filter(lead=lead, result=DecisionResult.ASSIGNED).exists()
    for row in rows:
        consent_evidence_verify(evidence_id=row.pk, advertiser_name="Sunny Roofs LLC")

    lead.refresh_from_db()
    assert (lead.hold_reasons, lead.workspace_id) == ("", market["buyer"].pk)
    hold = LeadHold.objects.get(lead=lead)
    assert (hold.released_by, hold.release_note) == ("verifier", "Jornaya LeadiD verified; TrustedForm certificate verified.")
    assert [request["body"]["verify"] for request in verifier.requests if request["kind"] == "trustedform"] == [
        {"advertiser_name": "Sunny Roofs LLC"}]
    assert market["partner"].get(f"/api/v1/leads/{lead.pk}/").json()["trustedform_cert_url"] == CERT


def test_a_failed_verification_keeps_the_lead_held_saying_why(verifier, market):
    verifier.answers["trustedform"] = {"outcome": "failure", "reason": "certificate expired"}
    webhook = make_webhook(distribution_strategy="priority", consent_evidence="verified_before_sale")
    lead = post(market, webhook, xxTrustedFormCertUrl=CERT)

    (row,) = held_lead_evidence_check(lead_id=lead.pk)
    consent_evidence_verify(evidence_id=row.pk)

    lead.refresh_from_db()
    assert (lead.hold_reasons, lead.workspace_id) == ("evidence", None)
    assert LeadHold.objects.get(lead=lead).message == (
        "Held: consent evidence not verified. TrustedForm certificate: failed (certificate expired).")


def test_the_lead_page_shows_the_verification_and_purge_removes_it(verifier, market, admin_client):
    lead = sold_lead(market, xxTrustedFormCertUrl=CERT)
    consent_evidence_verify(evidence_id=ConsentEvidence.objects.get(lead=lead).pk)

    page = admin_client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    assert "consent evidence verification" in page.lower() and CERT in page and "Verified" in page

    record = contact_purge(contact=lead.contact, reason="DSR-77", by="ops")
    assert record.deleted_counts["consent_evidence"] == 1
    assert not ConsentEvidence.objects.exists() and not Lead.objects.filter(pk=lead.pk).exists()


def test_archiving_a_leads_events_keeps_its_evidence(verifier, market, tmp_path):
    from datetime import timedelta

    from analytics.archiving import events_archive

    lead = sold_lead(market, xxTrustedFormCertUrl=CERT)
    consent_evidence_verify(evidence_id=ConsentEvidence.objects.get(lead=lead).pk)

    events_archive(older_than=timedelta(days=-1), archive_dir=tmp_path)  # everything up to a day ahead

    lead.refresh_from_db()
    assert not lead.events.exists()  # its events went to the archive; its evidence stays with it
    assert lead.trustedform_cert_url == CERT and ConsentEvidence.objects.get(lead=lead).outcome == "success"


def test_a_lead_left_held_for_its_evidence_alone_is_checked_after_commit(market, django_capture_on_commit_callbacks):
    """Ingest, and the release of its other holds, hand the check to a task after commit: no post
    or release waits on the dry run or a verifier."""
    webhook = make_webhook(distribution_strategy="priority", consent_evidence="verified_before_sale")
    with django_capture_on_commit_callbacks() as at_ingest:
        lead = post(market, webhook, xxTrustedFormCertUrl=CERT)
    held_also_for_consent = post(market, webhook, xxTrustedFormCertUrl=CERT, tcpa_compliance=False)
    with django_capture_on_commit_callbacks() as at_release:
        lead_hold_release(lead=held_also_for_consent, reason="consent", by="staff:ops", note="called back")

    checks = [(callback.func.__name__, callback.args) for callback in at_ingest + at_release
              if getattr(callback, "args", ())[:1] == ("check_held_lead_evidence",)]
    assert checks == [("_run_task", ("check_held_lead_evidence", lead.pk)),
                      ("_run_task", ("check_held_lead_evidence", held_also_for_consent.pk))]
