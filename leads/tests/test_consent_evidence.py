"""The consumer's identity and consent evidence a post carries: the consumer's IP and user agent
(the posting server's go to source_*), a TrustedForm certificate and a Jornaya LeadiD token, each
by every alias and in every malformed form, under each of the webhook's `consent_evidence` modes."""
import json

import pytest

from leadhub.testing import make_lead, make_webhook, provider_post, valid_phone
from leadhub.testing.api import workspace_with_key
from leads.events import lead_event_data
from leads.ingest import clean_lead
from leads.models import Lead
from providers.models import RejectedSubmission

pytestmark = pytest.mark.django_db

CERT_ID = "2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c"  # 40 characters
CERT = f"https://cert.trustedform.com/{CERT_ID}"
TOKEN = "1A2B3C4D-5E6F-7A8B-9C0D-1E2F3A4B5C6D"
BODY = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "consent_value": True,
        "tcpa_compliance": True, "zip_code": "94105"}


def post(webhook, provider, client, **fields):
    body = {**BODY, "phone": valid_phone(), **fields}
    return provider_post(client, f"/api/v1/webhooks/{webhook.webhook_id}/leads/", json.dumps(body),
                         provider=provider, headers={"User-Agent": "acme-sender/2.1"}, REMOTE_ADDR="198.51.100.7")


def cleaned(**fields):
    return clean_lead({**BODY, "phone": valid_phone(), **fields}, lead_type="solar")


# --- the consumer's identity ---------------------------------------------------------------------

@pytest.mark.parametrize("ip_key, agent_key", [
    ("ip_address", "user_agent"), ("ip", "useragent"), ("consumer_ip", "UserAgent"), ("IP_Address", "USER_AGENT"),
    ("IP", "userAgent"), ("ConsumerIP", "user-agent"),
])
def test_the_consumers_ip_and_agent_come_from_the_post_and_the_servers_go_to_source(
        client, webhook, provider, ip_key, agent_key):
    response = post(webhook, provider, client, **{ip_key: " 203.0.113.7 ", agent_key: "Mozilla/5.0 (iPhone)"})

    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert (lead.ip_address, lead.user_agent) == ("203.0.113.7", "Mozilla/5.0 (iPhone)")
    assert (lead.source_ip, lead.source_user_agent) == ("198.51.100.7", "acme-sender/2.1")
    assert response.json()["disposition"]["dropped_fields"] == []


def test_an_ipv6_address_is_stored_in_its_short_form():
    assert cleaned(ip="2001:0db8:0000:0000:0000:0000:0000:0001").values["ip_address"] == "2001:db8::1"


def test_a_malformed_ip_is_dropped_and_listed_in_the_answer(client, webhook, provider):
    response = post(webhook, provider, client, ip="203.0.113", useragent="Mozilla/5.0")

    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert (lead.ip_address, lead.user_agent, lead.source_ip) == ("", "Mozilla/5.0", "198.51.100.7")
    assert lead.raw_payload["ip"] == "203.0.113"  # nothing lost
    assert response.json()["disposition"]["dropped_fields"] == [
        {"field": "ip_address", "reason": "'203.0.113' is not an IPv4 or IPv6 address."}]


def test_a_malformed_ip_is_refused_where_the_webhook_requires_evidence(client, provider):
    webhook = make_webhook(consent_evidence="require")

    response = post(webhook, provider, client, ip="not-an-ip", xxTrustedFormCertUrl=CERT)

    assert response.status_code == 422
    assert (response.json()["code"], list(response.json()["errors"])) == ("validation", ["ip_address"])
    # Kept for ops as a compliance refusal (the compliance KPI counts it); the sender is told `validation`.
    assert RejectedSubmission.objects.get(webhook_id=webhook.webhook_id).reason_code == "evidence_invalid"


def test_a_post_with_other_errors_too_is_kept_as_a_validation_refusal(client, provider):
    webhook = make_webhook(consent_evidence="require")

    response = post(webhook, provider, client, ip="not-an-ip", xxTrustedFormCertUrl=CERT, zip_code="nope")

    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == ["ip_address", "zip_code"]
    assert RejectedSubmission.objects.get(webhook_id=webhook.webhook_id).reason_code == "validation"


def test_buyers_see_the_consumers_values_and_evidence_never_the_sources(webhook, provider, client):
    buyer, partner = workspace_with_key()
    lead = make_lead(workspace=buyer, ip_address="203.0.113.7", user_agent="Mozilla/5.0", source_ip="198.51.100.7",
                     source_user_agent="acme-sender/2.1", trustedform_cert_url=CERT, jornaya_leadid=TOKEN)

    seen = partner.get(f"/api/v1/leads/{lead.pk}/").json()
    sent = lead_event_data(lead)  # every lead.* event and forwarding copy

    for shown in (seen, sent):
        assert (shown["ip_address"], shown["user_agent"]) == ("203.0.113.7", "Mozilla/5.0")
        assert (shown["trustedform_cert_url"], shown["jornaya_leadid"]) == (CERT, TOKEN)
        assert "source_ip" not in shown and "source_user_agent" not in shown
        assert "198.51.100.7" not in json.dumps(shown, default=str)


def test_a_referral_keeps_the_partners_connection_as_source(webhook):
    _referrer, client = workspace_with_key()
    make_webhook(f"ws-{_referrer.pk}-solar")
    answer = client.post("/api/v1/leads/", {**BODY, "phone": valid_phone(), "lead_type": "solar",
                                            "consumer_ip": "203.0.113.7"}, format="json",
                         REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT="partner-crm/1")

    assert answer.status_code == 201, answer.content
    lead = Lead.objects.get(pk=answer.json()["lead_id"])
    assert (lead.ip_address, lead.source_ip, lead.source_user_agent) == ("203.0.113.7", "198.51.100.9", "partner-crm/1")


# --- consent evidence -------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["xxTrustedFormCertUrl", "xxTrustedFormToken", "trusted_form_cert_url",
                                 "trustedform_cert_url", "trustedform_url", "XXTRUSTEDFORMCERTURL",
                                 "TrustedFormUrl"])
def test_every_trustedform_alias_is_the_certificate(key):
    assert cleaned(**{key: CERT}).values["trustedform_cert_url"] == CERT


@pytest.mark.parametrize("key", ["universal_leadid", "leadid_token", "jornaya_leadid", "jornaya_lead_id",
                                 "JornayaLeadId", "Universal_LeadID", "LEADID_TOKEN"])
def test_every_jornaya_alias_is_the_token(key):
    assert cleaned(**{key: TOKEN}).values["jornaya_leadid"] == TOKEN


# (sent, stored, why it is not of its form or None)
CERTIFICATES = [
    (f"http://cert.trustedform.com/{CERT_ID}", CERT, None),
    (f"{CERT}/", CERT, None),
    (f"{CERT}, https://cert.trustedform.com/{'a' * 40}", CERT, None),
    (f"HTTPS://Cert.TrustedForm.com/{CERT_ID}", CERT, None),
    (f"https://cert.trustedform.com/{'b' * 80}", f"https://cert.trustedform.com/{'b' * 80}", None),
    ("https://cert.trustedform.com/0.AbC-12_x", "https://cert.trustedform.com/0.AbC-12_x", None),  # Meta lead ads
    (f"https://cert.trustedform.com/{CERT_ID[:39]}", f"https://cert.trustedform.com/{CERT_ID[:39]}", "40 or 80"),
    (f"https://cert.trustedform.com/{CERT_ID}!", f"https://cert.trustedform.com/{CERT_ID}!", "40 or 80"),
    (f"https://evil.example/{CERT_ID}", f"https://evil.example/{CERT_ID}", "certificate host"),
    (f"https://cert.staging.trustedform.com/{CERT_ID}", f"https://cert.staging.trustedform.com/{CERT_ID}", "staging"),
    (CERT_ID, CERT_ID, "Not a TrustedForm certificate URL"),
    (f"ftp://cert.trustedform.com/{CERT_ID}", f"ftp://cert.trustedform.com/{CERT_ID}", "Not a TrustedForm"),
]
TOKENS = [
    (TOKEN.lower(), TOKEN, None),
    (f" {TOKEN} ", TOKEN, None),
    (TOKEN[:-1], TOKEN[:-1], "36-character GUID"),
    (TOKEN.replace("-", ""), TOKEN.replace("-", ""), "36-character GUID"),
    (TOKEN[:-1] + "G", TOKEN[:-1] + "G", "36-character GUID"),
]
FORMS = [("xxTrustedFormCertUrl", "trustedform_cert_url", *case) for case in CERTIFICATES] + [
    ("universal_leadid", "jornaya_leadid", *case) for case in TOKENS]


@pytest.mark.parametrize("key, column, sent, stored, problem", FORMS)
def test_each_form_is_normalised_or_kept_and_marked_invalid_under_capture(key, column, sent, stored, problem):
    result = cleaned(**{key: sent})

    assert not result.errors
    assert result.values[column] == stored
    if problem is None:
        assert column not in result.invalid and "evidence_invalid" not in result.values
    else:
        assert problem in result.invalid[column]
        assert result.values["evidence_invalid"] == result.invalid


@pytest.mark.parametrize("key, column, sent, stored, problem", [form for form in FORMS if form[-1]])
def test_each_malformed_form_is_refused_naming_the_field_under_require(client, provider, key, column, sent, stored,
                                                                      problem):
    webhook = make_webhook(consent_evidence="require")
    evidence = {"universal_leadid": TOKEN} if column == "trustedform_cert_url" else {"xxTrustedFormCertUrl": CERT}

    response = post(webhook, provider, client, **{key: sent}, **evidence)

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation" and list(response.json()["errors"]) == [column]
    assert problem in response.json()["errors"][column][0]
    assert not Lead.objects.filter(webhook_id=webhook.webhook_id).exists()
    assert RejectedSubmission.objects.get(webhook_id=webhook.webhook_id).reason_code == "evidence_invalid"


def test_a_malformed_certificate_is_kept_marked_invalid_and_listed_under_capture(client, webhook, provider):
    response = post(webhook, provider, client, xxTrustedFormCertUrl="https://cert.trustedform.com/short",
                    jornaya_leadid=TOKEN)

    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert (lead.trustedform_cert_url, lead.jornaya_leadid) == ("https://cert.trustedform.com/short", TOKEN)
    assert list(lead.evidence_invalid) == ["trustedform_cert_url"]
    (listed,) = response.json()["disposition"]["invalid_evidence"]
    assert listed["field"] == "trustedform_cert_url" and "40 or 80" in listed["reason"]
    assert lead.hold_reasons == ""  # capture holds nothing


@pytest.mark.parametrize("evidence", [{}, {"trustedform_cert_url": " "}])
def test_a_require_webhook_refuses_a_post_without_evidence_and_keeps_it(client, provider, evidence):
    webhook = make_webhook(consent_evidence="require")

    response = post(webhook, provider, client, **evidence)

    assert response.status_code == 422, response.content
    body = response.json()
    assert (body["outcome"], body["code"]) == ("failure", "consent_evidence_missing")
    assert sorted(body["errors"]) == ["jornaya_leadid", "trustedform_cert_url"]
    stored = RejectedSubmission.objects.get(webhook_id=webhook.webhook_id)
    assert (stored.reason_code, stored.http_status) == ("consent_evidence_missing", 422)


@pytest.mark.parametrize("evidence", [{"xxTrustedFormCertUrl": CERT}, {"leadid_token": TOKEN}])
def test_a_require_webhook_accepts_either_piece_of_evidence(client, provider, evidence):
    webhook = make_webhook(consent_evidence="require")

    response = post(webhook, provider, client, **evidence)

    assert response.status_code == 201, response.content
    assert response.json()["disposition"]["holds"] == []


@pytest.mark.parametrize("evidence, message", [
    ({"xxTrustedFormCertUrl": CERT}, "Held until its consent evidence is verified."),
    ({}, "Held for consent evidence: none of its form was sent, so there is nothing to verify."),
    ({"leadid_token": "not-a-token"}, "Held for consent evidence: none of its form was sent, so there is nothing to verify."),
])
def test_a_verified_before_sale_webhook_accepts_and_holds_the_lead(client, provider, evidence, message):
    webhook = make_webhook(consent_evidence="verified_before_sale")

    response = post(webhook, provider, client, **evidence)

    assert response.status_code == 201, response.content
    assert response.json()["disposition"]["holds"] == [{"reason": "evidence", "message": message}]
    assert Lead.objects.get(pk=response.json()["lead_id"]).hold_reasons == "evidence"


def test_a_test_mode_webhook_checks_the_evidence_it_requires(client, provider):
    webhook = make_webhook(consent_evidence="require", test_mode=True)

    response = post(webhook, provider, client)

    assert response.status_code == 422 and response.json()["code"] == "consent_evidence_missing"
