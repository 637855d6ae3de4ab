"""Duplicate rules at intake (leads.intake_duplicates): all/any, each scope, window edges, each
action through the webhook, the global default, and the lookup's index."""
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from leadhub.testing import make_keyed_provider, make_webhook, provider_post, run_at_once, valid_phone
from leadhub.testing.api import workspace_with_key
from leads.intake_duplicates import _keys_compared, duplicate_lookup
from leads.models import DuplicateRule, Lead, LeadEvent
from leads.selectors import lead_timeline
from leads.services.ingest import IngestDuplicate, lead_ingest
from providers.models import RejectedSubmission

pytestmark = pytest.mark.django_db

DAY = 86400


def post_body(**fields):
    return {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": valid_phone(),
            "zip_code": "94105", "consent_value": True, "tcpa_compliance": True, **fields}


def rule(webhook=None, keys="phone", action="reject", **fields):
    made = DuplicateRule(webhook=webhook, keys=keys, action=action, window_seconds=fields.pop("window_seconds", DAY),
                         **fields)
    made.full_clean()
    made.save()
    return made


def ingest(webhook, provider=None, **fields):
    return lead_ingest(webhook=webhook, payload=post_body(**fields), provider=provider)


def is_duplicate(webhook, **fields) -> bool:
    try:
        ingest(webhook, **fields)
    except IngestDuplicate:
        return True
    return False


def test_any_matches_on_either_key_and_all_only_on_every_key_of_one_lead():
    any_webhook, all_webhook = make_webhook(), make_webhook()
    rule(any_webhook, keys="phone, email+last_name", match="any")
    rule(all_webhook, keys="phone, email", match="all")
    for webhook in (any_webhook, all_webhook):
        ingest(webhook, phone="+14155550101", email="Grace@Example.com", last_name="Hopper")

    assert is_duplicate(any_webhook, phone="+14155550101")
    assert is_duplicate(any_webhook, email="grace@example.com", last_name="HOPPER")  # case does not matter
    assert not is_duplicate(any_webhook, email="grace@example.com", last_name="Lovelace")
    assert not is_duplicate(all_webhook, phone="+14155550101")
    assert not is_duplicate(all_webhook, email="grace@example.com")
    assert is_duplicate(all_webhook, phone="(415) 555-0101", email="grace@example.com")


def test_phone_plus_zip_compares_the_five_digit_zip():
    webhook = make_webhook()
    rule(webhook, keys="phone+zip")
    ingest(webhook, phone="+14155550102", zip_code="94105-1234")
    assert not is_duplicate(webhook, phone="+14155550102", zip_code="94110")
    assert is_duplicate(webhook, phone="+14155550102", zip_code="94105")


@pytest.mark.parametrize("scope, other_webhook_same_type, other_type", [
    ("webhook", False, False), ("lead_type", True, False), ("all", True, True),
])
def test_each_scope_reaches_exactly_its_leads(scope, other_webhook_same_type, other_type):
    webhook, same_type, hvac = make_webhook(), make_webhook(), make_webhook(lead_type="hvac")
    for each in (webhook, same_type, hvac):
        rule(each, scope=scope)
    ingest(same_type, phone="+14155550103")
    ingest(hvac, phone="+14155550104", lead_type="hvac")
    ingest(webhook, phone="+14155550105")

    assert is_duplicate(webhook, phone="+14155550105")
    assert is_duplicate(webhook, phone="+14155550103") is other_webhook_same_type
    assert is_duplicate(webhook, phone="+14155550104") is other_type


def test_the_window_counts_an_earlier_lead_exactly_its_length_old_and_not_a_moment_older(frozen_clock):
    webhook = make_webhook()
    rule(webhook, window_seconds=60)
    ingest(webhook, phone="+14155550106")
    frozen_clock.shift(timedelta(seconds=60))
    assert is_duplicate(webhook, phone="+14155550106")
    frozen_clock.shift(timedelta(microseconds=1))
    assert not is_duplicate(webhook, phone="+14155550106")


@pytest.mark.parametrize("window, fine", [(59, False), (60, True), (365 * DAY, True), (365 * DAY + 1, False)])
def test_the_window_is_60_seconds_to_365_days(window, fine):
    made = DuplicateRule(keys="phone", action="hold", window_seconds=window)
    if fine:
        made.full_clean()
    else:
        with pytest.raises(ValidationError) as refused:
            made.full_clean()
        assert "window_seconds" in refused.value.message_dict


@pytest.mark.parametrize("keys, says", [
    ("phone, Email + Last_Name", None),
    ("", "Name at least one key"),
    ("phone, fax", "'fax': fax is not a comparable field"),
    ("zip+last_name", "'zip+last_name' needs phone or email"),
    ("phone+phone", "names a field twice"),
])
def test_keys_are_checked_with_a_message_naming_the_key(keys, says):
    made = DuplicateRule(keys=keys, action="hold", window_seconds=DAY)
    if says is None:
        made.full_clean()
        assert made.keys == "phone, email+last_name"
        return
    with pytest.raises(ValidationError) as refused:
        made.full_clean()
    assert any(says in message for message in refused.value.message_dict["keys"]), refused.value.message_dict


def test_a_webhook_with_rules_of_its_own_ignores_the_global_default():
    own, plain = make_webhook(), make_webhook()
    rule(None, keys="email", scope="all")  # global
    rule(own, keys="phone", action="hold")
    ingest(plain, email="twice@example.com")
    assert is_duplicate(plain, email="twice@example.com")
    assert not is_duplicate(own, email="twice@example.com")


def test_a_rejected_duplicate_is_a_409_kept_as_a_rejected_submission_naming_its_own_earlier_lead_only():
    webhook, sender, other = make_webhook(), make_keyed_provider(), make_keyed_provider()
    made = rule(webhook, window_seconds=30 * DAY)
    url, phone = f"/api/v1/webhooks/{webhook.webhook_id}/leads/", valid_phone()
    first = provider_post(Client(), url, json.dumps(post_body(phone=phone)), provider=sender).json()

    again = provider_post(Client(), url, json.dumps(post_body(phone=phone)), provider=sender)
    assert again.status_code == 409, again.content
    body = again.json()
    assert (body["outcome"], body["code"], body["lead_id"]) == ("failure", "duplicate", None)
    assert body["disposition"] == {"duplicate_of": {"rule": made.pk, "field": "phone", "window": 30 * DAY,
                                                    "action": "reject", "lead_id": first["lead_id"]}}
    assert body["errors"] == {"phone": [body["reason"]]}
    assert "within 30 days" in body["reason"]
    stored = RejectedSubmission.objects.get(request_id=body["request_id"])
    assert (stored.reason_code, stored.http_status) == ("duplicate", 409)
    assert f"earlier lead #{first['lead_id']}" in stored.reason

    by_other = provider_post(Client(), url, json.dumps(post_body(phone=phone)), provider=other).json()
    assert by_other["disposition"]["duplicate_of"]["lead_id"] is None
    assert Lead.objects.filter(phone=phone).count() == 1


def test_a_held_duplicate_is_accepted_held_and_its_match_is_on_the_timeline_for_ops_only():
    webhook, provider = make_webhook(), make_keyed_provider()
    made = rule(webhook, keys="email", action="hold")
    url = f"/api/v1/webhooks/{webhook.webhook_id}/leads/"
    first = provider_post(Client(), url, json.dumps(post_body(email="held@example.com")), provider=provider).json()
    body = {**post_body(email="HELD@example.com"), "external_id": "r-1"}
    answer = provider_post(Client(), url, json.dumps(body), provider=provider)

    assert answer.status_code == 201, answer.content
    disposition = answer.json()["disposition"]
    assert [hold["reason"] for hold in disposition["holds"]] == ["duplicate"]
    assert disposition["duplicate_of"] == {"rule": made.pk, "field": "email", "window": DAY, "action": "hold",
                                           "lead_id": first["lead_id"]}
    lead = Lead.objects.get(pk=answer.json()["lead_id"])
    assert lead.hold_reasons == "duplicate"
    replay = provider_post(Client(), url, json.dumps(body), provider=provider)
    assert replay.status_code == 200 and replay.json()["disposition"] == disposition

    ops = [item for item in lead_timeline(lead=lead, workspace=None) if item["summary"] == "duplicate_matched"]
    assert [(item["data"]["earlier_lead_id"], item["data"]["field"]) for item in ops] == [(first["lead_id"], "email")]
    partner, _client = workspace_with_key()
    assert LeadEvent.objects.filter(lead=lead, event_type="duplicate_matched", workspace=None).exists()
    assert all(item["summary"] != "duplicate_matched" for item in lead_timeline(lead=lead, workspace=partner))


def test_the_strongest_action_wins_and_an_unmatched_post_has_no_duplicate_of():
    webhook = make_webhook()
    rule(webhook, keys="email", action="accept_no_payout")
    rule(webhook, keys="phone", action="hold")
    first = ingest(webhook, phone="+14155550107", email="strong@example.com")
    assert first.duplicate_of is None
    second = ingest(webhook, phone="+14155550107", email="strong@example.com")
    assert second.duplicate_of["action"] == "hold"
    assert (second.lead.hold_reasons, second.lead.payout_withheld) == ("duplicate", "")
    third = ingest(webhook, email="strong@example.com")
    assert third.duplicate_of["action"] == "accept_no_payout" and third.lead.payout_withheld.startswith("Duplicate")


@pytest.fixture
def many_leads(db):
    """5,000 leads made by the benchmarks' loader (a year of them, ten per phone), ANALYZEd: the
    planner chooses as it would on a real table, not an empty one."""
    from bench.loader import leads_grow

    leads_grow(5_000, lead_columns={"workspace_id": "NULL", "workspace_status": "''", "zip_code": "'94105'"})


@pytest.mark.postgres_only
@pytest.mark.parametrize("keys, match, index", [
    ("phone", "any", "leads_phone_created_idx"),
    ("email+last_name", "any", "leads_email_created_idx"),
    ("phone, email", "any", "leads_phone_created_idx"),
    ("phone, email", "any", "leads_email_created_idx"),
    ("phone+zip", "all", "leads_phone_created_idx"),
])
def test_the_lookup_reads_the_index(many_leads, keys, match, index):
    """The plan of a rule's one query names the index of its key's field, whatever the scope."""
    from django.utils import timezone

    from bench.loader import WEBHOOK_ID, email_of, phone_of

    webhook = make_webhook(WEBHOOK_ID)  # the webhook of all 5,000: its own scope narrows nothing
    values = {"phone": phone_of(42), "email": email_of(420).upper(), "last_name": "Bench420", "zip_code": "94105",
              "lead_type": "solar"}
    for scope in ("webhook", "lead_type", "all"):
        made = rule(webhook, keys=keys, match=match, scope=scope, window_seconds=365 * DAY)
        query = duplicate_lookup(made, _keys_compared(made, values), webhook=webhook, values=values,
                                 now=timezone.now())
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert index in plan, plan
        assert query.first() is not None  # and it finds the loader's lead


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_identical_posts_under_reject_accept_exactly_one():
    """Separate connections, committed transactions: the rule's lock makes the 49 others see the
    first lead and be refused, none lost to a race."""
    webhook, provider = make_webhook(), make_keyed_provider()
    rule(webhook, keys="phone, email", scope="all")
    body = post_body(phone=valid_phone(), email="race@example.com")

    results, errors = run_at_once(50, lambda i: lead_ingest(webhook=webhook, payload=dict(body), provider=provider))

    accepted = [result for result in results if result is not None]
    assert len(accepted) == 1
    assert len(errors) == 49 and all(isinstance(error, IngestDuplicate) for error in errors), errors[:3]
    assert {error.fields["disposition"]["duplicate_of"]["lead_id"] for error in errors} == {accepted[0].lead.pk}
    assert Lead.objects.filter(webhook_id=webhook.webhook_id).count() == 1


def test_ops_edit_a_webhooks_rules_on_its_page_with_messages_naming_what_is_wrong(admin_client):
    from leadhub.testing import admin_change_form_data, admin_url

    webhook = make_webhook()
    page = admin_client.get(admin_url(webhook, "change", webhook.pk))
    data = admin_change_form_data(page, webhook)
    prefix = next(inline.formset.prefix for inline in page.context["inline_admin_formsets"]
                  if inline.formset.model is DuplicateRule)
    data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-keys": "phone, fax", f"{prefix}-0-match": "any",
                 f"{prefix}-0-window_seconds": "30", f"{prefix}-0-scope": "webhook", f"{prefix}-0-action": "hold",
                 f"{prefix}-0-is_active": "on"})
    refused = admin_client.post(admin_url(webhook, "change", webhook.pk), data)
    assert refused.status_code == 200
    page_text = refused.content.decode()
    assert "fax is not a comparable field" in page_text and "greater than or equal to 60" in page_text

    data.update({f"{prefix}-0-keys": "Phone, email+last_name", f"{prefix}-0-window_seconds": "86400"})
    assert admin_client.post(admin_url(webhook, "change", webhook.pk), data).status_code == 302
    saved = DuplicateRule.objects.get(webhook=webhook)
    assert (saved.keys, saved.action) == ("phone, email+last_name", "hold")
    assert admin_client.get(admin_url(DuplicateRule, "changelist") + "?applies_to=webhook").status_code == 200
