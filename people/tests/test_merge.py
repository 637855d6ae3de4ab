"""contact_merge: a duplicate's rows move to the survivor, aggregates are recomputed, both sides get
a `merged` event, and the next lead for the duplicate's (webhook, phone) lands on the survivor."""
from decimal import Decimal

import pytest
from django.utils import timezone

from contacts.models import Contact, ContactEvent
from leadhub.testing import make_contact, make_contact_history, make_conversion, make_webhook, make_workspace
from leads.services.ingest import lead_ingest
from people.services import ContactMergeInvalid, contact_merge

pytestmark = pytest.mark.django_db

MOVED = ("leads", "appointments", "conversions", "workspace_tracking")


def counts(contact):
    return {accessor: getattr(contact, accessor).count() for accessor in MOVED}


def aggregates(contact):
    contact.refresh_from_db()
    return (contact.conversion_count, contact.lifetime_value, contact.last_conversion_id, contact.conversion_status)


def test_merge_moves_every_row_and_recomputes_the_survivors_aggregates():
    workspace = make_workspace()
    survivor = make_contact_history(make_contact(webhook_id="wh-a", phone="+14155550132"), workspace, "100.00")
    duplicate = make_contact_history(make_contact(webhook_id="wh-b", phone="+14155550132"), workspace, "250.50")
    s, d = survivor["contact"], duplicate["contact"]
    # The conversion service's aggregates; the duplicate's newest conversion will be the latest.
    Contact.objects.filter(pk=s.pk).update(conversion_count=1, lifetime_value=Decimal("100.00"))
    Contact.objects.filter(pk=d.pk).update(conversion_count=1, lifetime_value=Decimal("250.50"))
    voided = make_conversion(contact=d, workspace=workspace, conversion_value="999.00", voided_at=timezone.now())
    survivor["conversion"].converted_at = timezone.now() - timezone.timedelta(days=2)
    survivor["conversion"].save()
    workspace.refresh_from_db()
    totals_before = (workspace.total_conversions, workspace.total_revenue)
    before = {key: counts(s)[key] + counts(d)[key] for key in MOVED}
    events_before = s.events.count() + d.events.count()

    merged = contact_merge(survivor=s, duplicates=[d], by="staff:ops")

    assert counts(merged) == before
    assert counts(d) == dict.fromkeys(MOVED, 0)
    assert voided.events.model.objects.filter(conversion__contact=merged).count() == 2  # events follow their rows
    assert aggregates(merged) == (2, Decimal("350.50"), str(duplicate["conversion"].pk), "converted")
    assert aggregates(d) == (0, Decimal("0.00"), "", "pending")
    d.refresh_from_db()
    assert d.merged_into_id == merged.pk
    merged_events = ContactEvent.objects.filter(event_type=ContactEvent.MERGED)
    assert merged_events.get(contact=merged).event_data["merged_contact_id"] == d.pk
    assert merged_events.get(contact=merged).event_data["moved"]["leads"] == 2
    assert merged_events.get(contact=d).event_data == {"merged_into": merged.pk, "by": "staff:ops"}
    assert s.events.count() + d.events.count() == events_before + 2
    workspace.refresh_from_db()
    assert (workspace.total_conversions, workspace.total_revenue) == totals_before


def test_merge_fills_blank_survivor_fields_and_never_overwrites():
    survivor = make_contact(email="", city="Oakland", webhook_id="wh-a")
    duplicate = make_contact(email="ada@example.com", city="Berkeley", zip_code="94704", webhook_id="wh-b")

    merged = contact_merge(survivor=survivor, duplicates=[duplicate], by="ops")

    assert (merged.email, merged.city, merged.zip_code) == ("ada@example.com", "Oakland", "94704")


def test_merge_fills_a_blank_survivor_name_like_ingest_does():
    survivor = make_contact(first_name="", last_name="", webhook_id="wh-a")
    duplicate = make_contact(first_name="Ada", last_name="Lovelace", webhook_id="wh-b")

    merged = contact_merge(survivor=survivor, duplicates=[duplicate], by="ops")

    assert (merged.first_name, merged.last_name) == ("Ada", "Lovelace")


def test_next_lead_for_a_merged_away_webhook_and_phone_lands_on_the_survivor():
    webhook = make_webhook()
    payload = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "(415) 222-0132",
               "consent_value": True, "tcpa_compliance": True}
    first = lead_ingest(webhook=webhook, payload=payload)
    survivor = make_contact(webhook_id="wh-other", phone=first.contact.phone)
    contact_merge(survivor=survivor, duplicates=[first.contact], by="ops")

    second = lead_ingest(webhook=webhook, payload={**payload, "zip_code": "94110"})

    assert second.contact.pk == survivor.pk and second.contact_status == "existing"
    assert second.lead.contact_id == survivor.pk
    assert Contact.objects.filter(phone=first.contact.phone).count() == 2  # no new contact row
    survivor.refresh_from_db()
    assert survivor.zip_code == "94110"


def test_merging_into_a_survivor_repoints_earlier_duplicates_so_ingest_needs_one_hop():
    a, b, c = (make_contact(webhook_id=f"wh-{n}", phone="+14152220199") for n in "abc")
    contact_merge(survivor=b, duplicates=[a], by="ops")

    contact_merge(survivor=c, duplicates=[b], by="ops")

    assert set(Contact.objects.filter(merged_into=c).values_list("pk", flat=True)) == {a.pk, b.pk}


@pytest.mark.parametrize("case", ["self", "none", "merged_survivor", "merged_duplicate", "no_by"])
def test_invalid_merges_are_refused_and_change_nothing(case):
    survivor, duplicate = make_contact(webhook_id="wh-a"), make_contact(webhook_id="wh-b")
    gone = make_contact(webhook_id="wh-c")
    contact_merge(survivor=duplicate if case == "merged_duplicate" else survivor, duplicates=[gone], by="ops")
    args = {
        "self": {"survivor": survivor, "duplicates": [survivor]},
        "none": {"survivor": survivor, "duplicates": []},
        "merged_survivor": {"survivor": gone, "duplicates": [duplicate]},
        "merged_duplicate": {"survivor": survivor, "duplicates": [gone]},
        "no_by": {"survivor": survivor, "duplicates": [duplicate], "by": " "},
    }[case]
    events_before = ContactEvent.objects.count()

    with pytest.raises(ContactMergeInvalid) as refused:
        contact_merge(**{"by": "ops", **args})

    assert set(refused.value.errors) <= {"survivor", "duplicates", "by"}
    assert ContactEvent.objects.count() == events_before
    assert Contact.objects.filter(merged_into__isnull=False).count() == 1


def test_purging_a_survivor_also_purges_the_duplicates_merged_into_it():
    from people.services import contact_purge

    survivor = make_contact_history(make_contact(webhook_id="wh-a", phone="+14152220177"))["contact"]
    duplicate = make_contact(webhook_id="wh-b", phone="+14152220178", email="same@example.com")
    contact_merge(survivor=survivor, duplicates=[duplicate], by="ops")

    record = contact_purge(contact=survivor, reason="DSR-9", by="ops")

    assert not Contact.objects.filter(pk__in=[survivor.pk, duplicate.pk]).exists()
    assert record.deleted_counts["contacts"] == 2
    assert not ContactEvent.objects.filter(contact_id__in=[survivor.pk, duplicate.pk]).exists()
