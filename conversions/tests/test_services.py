"""Recording, changing and voiding conversions: every aggregate moves with the rows, exactly."""
from datetime import date, datetime, timedelta
from datetime import UTC
from decimal import Decimal

import pytest
from django.utils import timezone

from contacts.models import Contact
from conversions.models import Conversion, ConversionEvent, CurrencyRate
from conversions.selectors import contact_aggregate_drift, workspace_aggregate_drift
from conversions.services.changes import conversion_update, conversion_void
from conversions.services.common import (
    ConversionInvalid,
    ConversionVoided,
    ConvertedAtOutOfRange,
    IdempotencyConflict,
    LeadNotHeld,
    RateMissing,
)
from conversions.services.create import canonical_json, conversion_create
from leadhub.testing import make_contact, make_past_contact, make_past_lead, make_workspace
from leads.models import Lead, WorkspaceTracking
from leads.services.assignment import lead_assign
from people.services import contact_purge
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)


def assigned_lead(workspace, contact=None):
    return make_past_lead(contact, workspace=workspace, workspace_status="assigned")


def record(workspace, *, lead=None, contact=None, value="100.00", **fields):
    fields.setdefault("conversion_type", "sale")
    fields.setdefault("created_by", workspace.pk)
    return conversion_create(workspace=workspace, lead=lead, contact=contact, conversion_value=value, **fields).conversion


def assert_no_drift():
    assert list(contact_aggregate_drift().values_list("pk", flat=True)) == []
    assert list(workspace_aggregate_drift().values_list("pk", flat=True)) == []


def test_create_applies_the_conversion_to_contact_lead_workspace_and_audit_trail():
    workspace = make_workspace()
    lead = assigned_lead(workspace)
    conversion = record(workspace, lead=lead, value="1234.50", converted_by="rep@acme", converted_at=DAY,
                        custom_data={"order": "A-1"})

    contact = Contact.objects.get(pk=lead.contact_id)
    assert (contact.conversion_count, contact.lifetime_value) == (1, Decimal("1234.50"))
    assert contact.last_conversion_id == str(conversion.pk)
    assert (contact.conversion_status, contact.converted_timestamp) == ("converted", DAY)
    assert (contact.converted_by, contact.converted_from_workspace) == ("rep@acme", workspace.pk)

    lead.refresh_from_db()
    assert (lead.status, lead.workspace_status, lead.conversion_id) == ("converted", "converted", str(conversion.pk))
    assert lead.conversion_metadata["conversion_value"] == "1234.50"
    history = lead.status_history.get()
    assert (history.old_status, history.new_status, history.workspace_id) == ("new", "converted", workspace.pk)

    workspace.refresh_from_db()
    assert (workspace.total_conversions, workspace.total_revenue) == (1, Decimal("1234.50"))
    tracking = WorkspaceTracking.objects.get(lead=lead)  # one row: `converted`, no extra `updated`
    assert (tracking.action, tracking.workspace_id, tracking.metadata["conversion_id"]) == (
        "converted", workspace.pk, str(conversion.pk)
    )
    event = conversion.events.get()
    assert (event.event_type, event.created_by, event.event_data["conversion_value"]) == ("created", workspace.pk, "1234.50")
    assert (conversion.currency, conversion.original_currency, conversion.original_value) == ("USD", "USD", Decimal("1234.50"))
    assert_no_drift()


def test_contact_only_conversion_and_latest_is_by_converted_at():
    workspace = make_workspace()
    contact = make_past_contact()
    recent = record(workspace, contact=contact, value="10.00", converted_at=DAY)
    backdated = record(workspace, contact=contact, value="5.00", converted_at=DAY - timedelta(days=30))

    contact.refresh_from_db()
    assert (contact.conversion_count, contact.lifetime_value) == (2, Decimal("15.00"))
    assert contact.last_conversion_id == str(recent.pk) != str(backdated.pk)
    assert backdated.lead_id is None
    assert_no_drift()


def test_money_is_decimal_exact():
    workspace = make_workspace()
    contact = make_past_contact()
    for _ in range(3):
        record(workspace, contact=contact, value="0.10")
    contact.refresh_from_db()
    workspace.refresh_from_db()
    assert contact.lifetime_value == Decimal("0.30") == workspace.total_revenue


def test_non_usd_is_valued_at_the_rate_of_its_day_and_keeps_what_was_reported():
    workspace = make_workspace()
    contact = make_past_contact()
    CurrencyRate.objects.create(currency="EUR", date=date(2026, 3, 14), usd_rate=Decimal("1.08500000"))
    CurrencyRate.objects.create(currency="EUR", date=date(2026, 3, 15), usd_rate=Decimal("2"))
    conversion = record(workspace, contact=contact, value="200.01", currency="EUR", converted_at=DAY)

    assert (conversion.conversion_value, conversion.currency) == (Decimal("217.01"), "USD")  # 217.01085 rounded
    assert (conversion.original_value, conversion.original_currency, conversion.exchange_rate) == (
        Decimal("200.01"), "EUR", Decimal("1.085")
    )
    contact.refresh_from_db()
    assert contact.lifetime_value == Decimal("217.01")
    assert_no_drift()


def test_non_usd_without_a_rate_on_or_before_its_day_is_refused_naming_currency_and_writes_nothing():
    workspace = make_workspace()
    lead = assigned_lead(workspace)
    CurrencyRate.objects.create(currency="EUR", date=date(2026, 3, 15), usd_rate=Decimal("1.1"))

    with pytest.raises(RateMissing) as caught:
        record(workspace, lead=lead, currency="EUR", converted_at=DAY)

    assert "EUR on or before 2026-03-14" in caught.value.errors["currency"][0]
    assert not Conversion.objects.exists()
    lead.refresh_from_db()
    assert (lead.status, lead.conversion_id) == ("new", "")
    workspace.refresh_from_db()
    assert workspace.total_conversions == 0


def test_a_rate_holds_from_its_date_until_the_next_rate():
    workspace = make_workspace()
    CurrencyRate.objects.create(currency="EUR", date=date(2026, 3, 1), usd_rate=Decimal("1.1"))
    CurrencyRate.objects.create(currency="EUR", date=date(2026, 3, 20), usd_rate=Decimal("1.3"))
    rates = [
        record(workspace, contact=make_past_contact(), currency="EUR",
               converted_at=DAY + timedelta(days=days)).exchange_rate
        for days in (0, 6, 11)
    ]
    assert rates == [Decimal("1.1"), Decimal("1.3"), Decimal("1.3")]


def test_converted_at_before_the_lead_or_ahead_of_the_clock_is_refused_naming_it():
    workspace = make_workspace()
    lead = assigned_lead(workspace)
    for converted_at in (lead.created_at - timedelta(seconds=1), timezone.now() + timedelta(minutes=6)):
        with pytest.raises(ConvertedAtOutOfRange) as caught:
            record(workspace, lead=lead, converted_at=converted_at)
        assert list(caught.value.errors) == ["converted_at"]
    contact = make_contact()
    with pytest.raises(ConvertedAtOutOfRange):
        record(workspace, contact=contact, converted_at=contact.created_at - timedelta(seconds=1))
    assert not Conversion.objects.exists()
    assert record(workspace, lead=lead, converted_at=timezone.now() + timedelta(minutes=4)).lead == lead


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"conversion_type": "refund"}, "conversion_type"),
        ({"value": "-1.00"}, "conversion_value"),
        ({"value": "1.005"}, "conversion_value"),
        ({"value": "lots"}, "conversion_value"),
        ({"currency": "usd"}, "currency"),
        ({"custom_data": ["not", "an", "object"]}, "custom_data"),
    ],
)
def test_invalid_input_names_the_field(fields, field):
    workspace = make_workspace()
    with pytest.raises(ConversionInvalid) as caught:
        record(workspace, contact=make_past_contact(), **fields)
    assert field in caught.value.errors
    assert not Conversion.objects.exists()


def test_lead_must_belong_to_the_contact_and_be_assigned_to_the_workspace():
    workspace = make_workspace()
    lead = assigned_lead(workspace)
    with pytest.raises(ConversionInvalid) as caught:
        record(workspace, lead=lead, contact=make_past_contact())
    assert "does not belong" in caught.value.errors["lead_id"][0]
    with pytest.raises(ConversionInvalid) as caught:
        record(make_workspace(), lead=lead)
    assert "has not reached" in caught.value.errors["lead_id"][0]
    with pytest.raises(ConversionInvalid) as caught:
        record(workspace)
    assert "contact_id" in caught.value.errors
    assert not Conversion.objects.exists()


def test_update_moves_aggregates_by_the_difference_and_logs_old_and_new():
    workspace = make_workspace()
    lead = assigned_lead(workspace)
    conversion = record(workspace, lead=lead, value="100.00")
    record(workspace, contact=lead.contact, value="50.00")

    conversion_update(conversion=conversion, workspace=None, by="ops", conversion_value="80.25", conversion_type="contract",
                      custom_data={"po": 7})

    contact = Contact.objects.get(pk=lead.contact_id)
    workspace.refresh_from_db()
    assert contact.lifetime_value == Decimal("130.25") == workspace.total_revenue
    assert contact.conversion_count == 2 == workspace.total_conversions
    events = {e.event_type: e.event_data for e in conversion.events.exclude(event_type="created")}
    assert events["value_update"]["old"]["conversion_value"] == "100.00"
    assert events["value_update"]["new"]["conversion_value"] == "80.25"
    assert events["status_change"] == {"field": "conversion_type", "old": "sale", "new": "contract"}
    assert events["custom_data_update"] == {"field": "custom_data", "old": {}, "new": {"po": 7}}
    lead.refresh_from_db()
    assert lead.conversion_metadata["conversion_value"] == "80.25"
    assert_no_drift()


def test_update_of_a_foreign_currency_value_uses_the_conversions_own_rate():
    workspace = make_workspace()
    rate = CurrencyRate.objects.create(currency="GBP", date=DAY.date(), usd_rate=Decimal("1.25"))
    conversion = record(workspace, contact=make_past_contact(), value="100.00", currency="GBP", converted_at=DAY)
    rate.usd_rate = Decimal("9")  # a later correction of the table does not revalue recorded rows
    rate.save()

    conversion = conversion_update(conversion=conversion, workspace=None, by="ops", conversion_value="200.00")

    assert (conversion.original_value, conversion.conversion_value) == (Decimal("200.00"), Decimal("250.00"))
    workspace.refresh_from_db()
    assert workspace.total_revenue == Decimal("250.00")


def test_update_without_changes_writes_nothing():
    workspace = make_workspace()
    conversion = record(workspace, contact=make_past_contact(), value="10.00")
    conversion_update(conversion=conversion, workspace=None, by="ops", conversion_value="10", conversion_type="sale",
                      custom_data={})
    assert list(conversion.events.values_list("event_type", flat=True)) == ["created"]


def test_void_reverses_everything_and_falls_back_to_the_previous_conversion():
    workspace = make_workspace()
    lead = assigned_lead(workspace)
    first = record(workspace, lead=lead, value="40.00", converted_at=DAY - timedelta(days=1), converted_by="a")
    second = record(workspace, lead=lead, value="60.00", converted_at=DAY, converted_by="b")

    conversion_void(conversion=second, workspace=None, by="ops:1", reason="duplicate report")

    second.refresh_from_db()
    assert second.voided_at and (second.voided_by, second.void_reason) == ("ops:1", "duplicate report")
    assert second.events.filter(event_type="voided", event_data__reason="duplicate report").exists()
    contact = Contact.objects.get(pk=lead.contact_id)
    assert (contact.conversion_count, contact.lifetime_value) == (1, Decimal("40.00"))
    assert (contact.last_conversion_id, contact.converted_by) == (str(first.pk), "a")
    lead.refresh_from_db()
    assert lead.conversion_id == str(first.pk) and lead.status == "converted"
    workspace.refresh_from_db()
    assert (workspace.total_conversions, workspace.total_revenue) == (1, Decimal("40.00"))
    assert WorkspaceTracking.objects.filter(action="updated", metadata__change="voided").count() == 1

    conversion_void(conversion=first, workspace=None, by="ops:1", reason="refunded")
    contact.refresh_from_db()
    assert (contact.conversion_count, contact.lifetime_value, contact.conversion_status) == (0, Decimal("0"), "pending")
    assert (contact.last_conversion_id, contact.converted_timestamp) == ("", None)
    assert Lead.objects.get(pk=lead.pk).conversion_id == ""
    assert_no_drift()


def test_void_on_drifted_totals_floors_them_at_zero_and_repair_puts_them_right():
    workspace = make_workspace()
    lead = assigned_lead(workspace)
    conversion = record(workspace, lead=lead, value="40.00")
    Workspace.objects.filter(pk=workspace.pk).update(total_conversions=0, total_revenue=Decimal("10.00"))
    Contact.objects.filter(pk=lead.contact_id).update(conversion_count=0)

    conversion_void(conversion=conversion, workspace=None, by="ops:1", reason="refunded")

    workspace.refresh_from_db()
    assert (workspace.total_conversions, workspace.total_revenue) == (0, Decimal("0.00"))
    assert Contact.objects.get(pk=lead.contact_id).conversion_count == 0
    assert_no_drift()


def test_a_voided_conversion_cannot_be_voided_again_or_changed():
    workspace = make_workspace()
    conversion = record(workspace, contact=make_past_contact(), value="10.00")
    conversion_void(conversion=conversion, workspace=None, by="ops", reason="test")
    with pytest.raises(ConversionVoided):
        conversion_void(conversion=conversion, workspace=None, by="ops", reason="again")
    with pytest.raises(ConversionVoided):
        conversion_update(conversion=conversion, workspace=None, by="ops", conversion_value="99.00")
    workspace.refresh_from_db()
    assert (workspace.total_conversions, workspace.total_revenue) == (0, Decimal("0"))


def test_a_workspace_changes_its_conversion_only_while_it_holds_the_lead_and_ops_always():
    workspace, other = make_workspace(), make_workspace()
    lead = assigned_lead(workspace)
    conversion = record(workspace, lead=lead, value="10.00")
    conversion_update(conversion=conversion, workspace=workspace, by="w", conversion_value="12.00")
    with pytest.raises(LeadNotHeld):
        conversion_void(conversion=conversion, workspace=other, by="o", reason="not mine")  # never its conversion
    lead_assign(lead=lead, workspace=other, by="ops")

    with pytest.raises(LeadNotHeld):
        conversion_update(conversion=conversion, workspace=workspace, by="w", conversion_value="0.00")
    with pytest.raises(LeadNotHeld):
        conversion_void(conversion=conversion, workspace=workspace, by="w", reason="lost it")
    assert Contact.objects.get(pk=lead.contact_id).lifetime_value == Decimal("12.00")
    conversion_void(conversion=conversion, workspace=None, by="ops", reason="checked")
    assert Contact.objects.get(pk=lead.contact_id).lifetime_value == Decimal("0.00")


def test_void_needs_a_reason():
    workspace = make_workspace()
    conversion = record(workspace, contact=make_past_contact())
    with pytest.raises(ConversionInvalid) as caught:
        conversion_void(conversion=conversion, workspace=None, by="ops", reason="  ")
    assert "reason" in caught.value.errors
    assert Conversion.objects.get(pk=conversion.pk).voided_at is None


def test_idempotency_key_replays_the_same_request_and_refuses_another():
    workspace = make_workspace()
    contact = make_past_contact()
    kwargs = {"workspace": workspace, "contact": contact, "conversion_type": "sale", "created_by": "x",
              "idempotency_key": "order-1"}
    first = conversion_create(conversion_value="10.00", **kwargs)
    again = conversion_create(conversion_value="10", **kwargs)  # same amount, spelled differently

    assert (first.created, again.created) == (True, False)
    assert again.conversion.pk == first.conversion.pk
    workspace.refresh_from_db()
    assert (workspace.total_conversions, workspace.total_revenue) == (1, Decimal("10.00"))
    with pytest.raises(IdempotencyConflict):
        conversion_create(conversion_value="11.00", **kwargs)
    assert Conversion.objects.count() == 1 and ConversionEvent.objects.count() == 1


def test_idempotency_keys_are_per_workspace():
    contact = make_past_contact()
    ours, theirs = make_workspace(), make_workspace()
    kwargs = {"contact": contact, "conversion_type": "sale", "conversion_value": "1.00", "created_by": "x",
              "idempotency_key": "same"}
    a = conversion_create(workspace=ours, **kwargs)
    b = conversion_create(workspace=theirs, **kwargs)
    assert a.created and b.created and a.conversion.pk != b.conversion.pk


def test_refused_request_does_not_burn_its_idempotency_key():
    workspace = make_workspace()
    kwargs = {"workspace": workspace, "contact": make_past_contact(), "conversion_type": "sale",
              "conversion_value": "5.00",
              "currency": "EUR", "converted_at": DAY, "created_by": "x", "idempotency_key": "k"}
    with pytest.raises(RateMissing):
        conversion_create(**kwargs)
    CurrencyRate.objects.create(currency="EUR", date=DAY.date(), usd_rate=Decimal("1.1"))
    assert conversion_create(**kwargs).created


def test_purging_a_contact_after_a_void_keeps_workspace_totals_true():
    workspace = make_workspace()
    keep = record(workspace, contact=make_past_contact(), value="7.00")
    contact = make_past_contact()
    voided = record(workspace, contact=contact, value="30.00")
    record(workspace, contact=contact, value="20.00")
    conversion_void(conversion=voided, workspace=None, by="ops", reason="wrong")

    contact_purge(contact=contact, reason="data request", by="ops")

    workspace = Workspace.objects.get(pk=workspace.pk)
    assert (workspace.total_conversions, workspace.total_revenue) == (1, keep.conversion_value)
    assert_no_drift()


def test_each_service_emits_its_event_through_the_outbox_in_the_same_transaction():
    from workspaces.models import OutboundEvent

    workspace = make_workspace(outbound_webhook_url="https://partner.example.com/hooks", webhook_active=True)
    lead = assigned_lead(workspace)
    conversion = record(workspace, lead=lead, value="10.00")
    conversion_update(conversion=conversion, workspace=None, by="ops", conversion_value="12.00")
    conversion_void(conversion=conversion, workspace=None, by="ops", reason="refund")

    events = list(OutboundEvent.objects.filter(subject_type="conversion").order_by("created_at"))
    assert [e.event_type for e in events] == ["conversion.created", "conversion.updated", "conversion.voided"]
    assert {(e.workspace_id, e.contact_id, e.subject_id, e.status) for e in events} == {
        (workspace.pk, lead.contact_id, str(conversion.pk), "pending")
    }
    created, updated, voided = (e.data for e in events)
    assert (created["id"], created["conversion_value"], created["lead_id"]) == (str(conversion.pk), "10.00", lead.pk)
    assert updated["changes"]["conversion_value"]["old"]["conversion_value"] == "10.00"
    assert updated["changes"]["conversion_value"]["new"]["conversion_value"] == "12.00"
    assert (voided["void_reason"], voided["voided_at"] is not None) == ("refund", True)


def test_a_refused_conversion_leaves_no_event_behind():
    from workspaces.models import OutboundEvent

    workspace = make_workspace(outbound_webhook_url="https://partner.example.com/hooks", webhook_active=True)
    with pytest.raises(RateMissing):
        record(workspace, contact=make_past_contact(), currency="JPY", converted_at=DAY)
    assert not OutboundEvent.objects.filter(subject_type="conversion").exists()


def test_a_key_whose_conversion_was_purged_is_not_replayed_nor_reused():
    workspace = make_workspace()
    contact = make_past_contact()
    kwargs = {"workspace": workspace, "contact": contact, "conversion_type": "sale", "conversion_value": "5.00",
              "created_by": "x", "idempotency_key": "order-9"}
    conversion_create(**kwargs)
    contact_purge(contact=contact, reason="data request", by="ops")

    with pytest.raises(IdempotencyConflict, match="purge"):
        conversion_create(**kwargs)
    assert not Conversion.objects.exists()


def test_canonical_json_ignores_key_order():
    assert canonical_json({"a": 1, "b": {"y": 2, "x": 1}}) == canonical_json({"b": {"x": 1, "y": 2}, "a": 1})
    assert canonical_json({"a": 1}) != canonical_json({"a": "1"})

