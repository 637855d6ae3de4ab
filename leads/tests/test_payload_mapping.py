"""Sources post what they already post: a webhook's field and value mapping on every door a lead
comes in by, and nothing sent is lost without the answer saying so (unknown fields, query-string
fields, objects under a field, refused methods, control characters)."""
import csv
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadhub.testing import (
    assert_webhook_error,
    make_mapping,
    make_webhook,
    provider_post,
    unique_id,
    valid_phone,
)
from leads.models import Lead
from providers.models import RejectedSubmission
from providers.services.rejected import rejected_submission_reprocess
from providers.signatures import sign

pytestmark = pytest.mark.django_db

# What a source moving from another platform posts: its own names and values.
THEIR_POST = {"First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com",
              "Primary_Phone": "(415) 555-0132", "TCPA_Consent": "Yes", "Own_Rent": "Own", "roof_shade": "light",
              "tcpa_compliance": True}
THEIR_MAPPING = {"fields": {"Primary_Phone": "phone", "TCPA_Consent": "consent_value", "roof_shade": "shade_coverage",
                            "Own_Rent": "property_type"},
                 "values": {"consent_value": {"Yes": "true", "No": "false"}, "property_type": {"Own": "owner"}}}


def lead_body(**fields):
    return {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": valid_phone(),
            "consent": {"value": True}, "tcpa_compliance": True, **fields}


def post(client, webhook, provider, body, *, path="", **options):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return provider_post(client, f"/api/v1/webhooks/{webhook.webhook_id}/leads/{path}", data, provider=provider,
                         **options)


def mapped(webhook):
    make_mapping(webhook, **THEIR_MAPPING)
    return webhook


def assert_their_lead(lead):
    assert (lead.phone, lead.consent_value, lead.property_type, lead.shade_coverage) == (
        "+14155550132", True, "owner", "light")


# --- the mapping, on every door ------------------------------------------------------------------

def test_a_mapped_webhook_reads_the_sources_own_names_and_values(client, webhook, provider):
    response = post(client, mapped(webhook), provider, THEIR_POST)

    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert_their_lead(lead)
    assert lead.raw_payload == THEIR_POST  # kept as sent
    assert response.json()["disposition"]["unknown_fields"] == []


def test_without_the_mapping_the_same_post_is_refused_naming_the_fields(client, webhook, provider):
    assert_webhook_error(post(client, webhook, provider, THEIR_POST), 422, code="validation", field="phone")
    assert "Primary_Phone" in json.loads(RejectedSubmission.objects.get().raw_body)


def test_a_replay_is_judged_through_the_mapping(client, webhook, provider):
    mapped(webhook)
    first = post(client, webhook, provider, {**THEIR_POST, "id": "A-1"})
    again = post(client, webhook, provider, {**THEIR_POST, "id": "A-1"})

    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json()["lead_id"] == first.json()["lead_id"]


def test_re_processing_reads_the_mapping_added_after_the_refusal(client, webhook, provider):
    assert post(client, webhook, provider, THEIR_POST).status_code == 422
    mapped(webhook)

    submission = rejected_submission_reprocess(submission=RejectedSubmission.objects.get())

    assert submission.reprocess_error == ""
    assert_their_lead(Lead.objects.get(pk=submission.reprocessed_object_id))


def test_the_csv_import_reads_the_mapping(tmp_path, webhook, provider):
    path = tmp_path / "leads.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(THEIR_POST)
        writer.writerow(["True" if value is True else value for value in THEIR_POST.values()])
    out = io.StringIO()

    call_command("import_leads", str(path), "--webhook", mapped(webhook).webhook_id, "--provider",
                 provider.provider_id, stdout=out)

    assert "1 created" in out.getvalue()
    assert_their_lead(Lead.objects.get())


def test_test_mode_checks_the_mapped_post(client, provider):
    webhook = make_webhook(unique_id("wh"), test_mode=True)
    assert post(client, webhook, provider, THEIR_POST).status_code == 422
    mapped(webhook)
    assert post(client, webhook, provider, THEIR_POST).status_code == 200


def test_a_mapped_field_and_its_own_name_sent_with_two_values_is_refused(client, webhook, provider):
    make_mapping(webhook, fields={"Primary_Phone": "phone"})
    body = lead_body(Primary_Phone="(415) 555-0132", phone="(212) 555-0199")

    assert_webhook_error(post(client, webhook, provider, body), 422, code="validation", field="phone")


def test_the_post_reads_its_mapping_with_the_webhook_however_many_rows(client, provider):
    def queries(rows):
        webhook = make_webhook(unique_id("wh"))
        make_mapping(webhook, fields={f"Source_{n}": "city" for n in range(rows - 1)} | {"Primary_Phone": "phone"},
                     values={"property_type": {f"v{n}": "owner" for n in range(rows)}})
        with CaptureQueriesContext(connection) as captured:
            body = {name: value for name, value in lead_body().items() if name != "phone"}
            response = post(client, webhook, provider, {**body, "Primary_Phone": valid_phone()})
        assert response.status_code == 201, response.content
        return len(captured)

    queries(1)  # the provider's first post of the minute also marks it used
    assert queries(1) == queries(30)


# --- unknown fields ----------------------------------------------------------------------------

def test_unknown_fields_are_listed_with_the_field_they_likely_meant(client, webhook, provider):
    response = post(client, webhook, provider, lead_body(zip_cod="94105", sate="CA", favourite_colour="blue",
                                                         utm={"source": "fb", "term": "solar"}))

    assert response.status_code == 201, response.content
    assert response.json()["disposition"]["unknown_fields"] == [
        {"field": "zip_cod", "did_you_mean": "zip_code"},
        {"field": "sate", "did_you_mean": "state"},
        {"field": "favourite_colour", "did_you_mean": None},
        {"field": "utm.term", "did_you_mean": None},
    ]
    assert response.json()["disposition"]["ignored_fields"] == []  # another vertical's fields only


def test_a_strict_webhook_refuses_unknown_fields_naming_them(client, provider):
    webhook = make_webhook(unique_id("wh"), strict=True)

    body = assert_webhook_error(post(client, webhook, provider, lead_body(zip_cod="94105")), 422, code="validation",
                                field="zip_cod")

    assert "zip_code" in body["errors"]["zip_cod"][0]
    assert RejectedSubmission.objects.get().reason_code == "validation"
    assert post(client, webhook, provider, lead_body(zip_code="94105")).status_code == 201


# --- query-string fields -------------------------------------------------------------------------

def test_query_fields_join_the_body_on_an_unsigned_webhook_the_body_winning(client, webhook, provider):
    response = post(client, webhook, provider, lead_body(utm_campaign="from-body"),
                    path="?utm_source=google&utmCampaign=from-query")

    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert (lead.utm_source, lead.utm_campaign) == ("google", "from-body")


def test_a_signed_webhook_refuses_query_fields_naming_them(client, provider):
    webhook = make_webhook(unique_id("wh"), secret_key="s3cret")
    data = json.dumps(lead_body())

    response = post(client, webhook, provider, data, path="?utm_source=google",
                    headers={"X-Leadhub-Signature": sign("s3cret", data.encode())})

    assert_webhook_error(response, 400, code="query_fields_not_signed", field="utm_source")
    assert not Lead.objects.exists()


def test_a_refused_posts_query_fields_are_re_processed_with_it(client, webhook, provider):
    assert post(client, webhook, provider, THEIR_POST, path="?utm_source=google").status_code == 422
    submission = RejectedSubmission.objects.get()
    assert submission.query_string == "utm_source=google"
    mapped(webhook)

    done = rejected_submission_reprocess(submission=submission)

    assert Lead.objects.get(pk=done.reprocessed_object_id).utm_source == "google"


# --- objects under a field -----------------------------------------------------------------------

@pytest.mark.parametrize("field", ["zip_code", "state", "consent_value", "monthly_electric_bill", "roof_age", "phone"])
def test_an_object_under_a_scalar_field_is_refused_naming_it(client, webhook, provider, field):
    response = post(client, webhook, provider, {**lead_body(), field: {"value": "1"}})

    assert_webhook_error(response, 422, code="validation", field=field)


def test_the_consent_and_utm_objects_are_still_flattened(client, webhook, provider):
    response = post(client, webhook, provider, lead_body(utm={"source": "fb"}))

    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert (lead.consent_value, lead.utm_source) == (True, "fb")


# --- refused methods and Accept ------------------------------------------------------------------

@pytest.mark.parametrize(("method", "accept", "status", "code"), [
    ("get", "", 405, "method_not_allowed"),
    ("put", "", 405, "method_not_allowed"),
    ("post", "application/xml", 406, "not_acceptable"),
])
def test_a_refused_method_or_accept_gets_the_webhook_error_body_and_is_kept(client, webhook, provider, method, accept,
                                                                            status, code):
    headers = {"X-Provider-Id": provider.provider_id, **({"Accept": accept} if accept else {})}
    url = f"/api/v1/webhooks/{webhook.webhook_id}/leads/"
    if method == "get":
        response = client.get(url, headers=headers)
    else:
        response = getattr(client, method)(url, data=json.dumps(lead_body()), content_type="application/json",
                                           headers=headers)

    body = assert_webhook_error(response, status, code=code)
    assert (body["lead_id"], body["disposition"]) == (None, None)
    kept = RejectedSubmission.objects.get()
    assert (kept.http_status, kept.reason_code, kept.webhook_id, kept.endpoint) == (status, code, webhook.webhook_id,
                                                                                    "lead")
    if status == 405:
        assert "POST" in response["Allow"]


def test_an_accept_that_allows_json_is_answered(client, webhook, provider):
    response = post(client, webhook, provider, lead_body(), headers={"Accept": "text/html, application/json;q=0.9"})
    assert response.status_code == 201, response.content


# --- control characters --------------------------------------------------------------------------

def test_raw_tabs_and_line_breaks_in_json_texts_are_accepted_cleaned_and_listed(client, webhook, provider):
    raw = json.dumps(lead_body(address="1 Market St@NL@Apt 4", city="San@TAB@Francisco"))
    raw = raw.replace("@NL@", "\n").replace("@TAB@", "\t")
    assert "\n" in raw and "\t" in raw  # raw control characters, as form tools send them

    response = post(client, webhook, provider, raw)

    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert (lead.address, lead.city) == ("1 Market St Apt 4", "San Francisco")
    assert [item["field"] for item in response.json()["disposition"]["cleaned_fields"]] == ["address", "city"]
