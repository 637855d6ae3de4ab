"""POST / GET / PATCH / void on /api/v1/conversions/: scopes, validation, idempotency, errors."""
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from contacts.models import Contact
from conversions.models import Conversion, CurrencyRate
from leadhub.testing.api import workspace_with_key
from leadhub.roles import OPERATIONS
from leadhub.testing import assert_error, make_contact, make_lead, make_lead_offer, make_past_lead
from leads.models import LeadPipelineStage
from leads.services.assignment import lead_assign
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db
URL = "/api/v1/conversions/"


@pytest.fixture
def partner():
    workspace, client = workspace_with_key()
    lead = make_past_lead(workspace=workspace, workspace_status="assigned")
    return workspace, client, lead


def post(client, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, body, format="json", **headers)


def test_record_by_lead_returns_the_conversion_and_moves_the_totals(partner):
    workspace, client, lead = partner
    response = post(client, {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "1500.00",
                             "converted_by": "rep-7", "custom_data": {"invoice": "I-9"}})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["contact_id"], body["lead_id"], body["workspace_id"]) == (lead.contact_id, lead.pk, workspace.pk)
    assert (body["conversion_value"], body["currency"], body["converted_by"]) == ("1500.00", "USD", "rep-7")
    assert body["custom_data"] == {"invoice": "I-9"} and body["voided_at"] is None
    workspace.refresh_from_db()
    assert (workspace.total_conversions, workspace.total_revenue) == (1, Decimal("1500.00"))
    lead.refresh_from_db()
    assert (lead.status, lead.conversion_id) == ("converted", body["id"])


def test_record_by_contact_alone_when_the_caller_holds_one_of_its_leads(partner):
    workspace, client, lead = partner
    response = post(client, {"contact_id": lead.contact_id, "conversion_type": "qualified", "conversion_value": "0"})
    assert response.status_code == 201, response.content
    assert response.json()["lead_id"] is None
    assert response.json()["converted_by"] == f"workspace:{workspace.pk}"  # default: who called
    assert Contact.objects.get(pk=lead.contact_id).conversion_count == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"conversion_type": "sale", "conversion_value": "1.00"}, "contact_id"),
        ({"conversion_type": "refund", "conversion_value": "1.00"}, "conversion_type"),
        ({"conversion_type": "sale", "conversion_value": "-1"}, "conversion_value"),
        ({"conversion_type": "sale", "conversion_value": "1.001"}, "conversion_value"),
        ({"conversion_type": "sale"}, "conversion_value"),
        ({"conversion_type": "sale", "conversion_value": "1", "currency": "euro"}, "currency"),
        ({"conversion_type": "sale", "conversion_value": "1", "custom_data": [1]}, "custom_data"),
        ({"conversion_type": "sale", "conversion_value": "1", "converted_at": "yesterday"}, "converted_at"),
        ({"conversion_type": "sale", "conversion_value": "1", "workspace_id": "other"}, "workspace_id"),
    ],
)
def test_bad_input_is_refused_naming_the_field(partner, body, field):
    workspace, client, lead = partner
    if field != "contact_id":
        body = {"lead_id": lead.pk, **body}
    status = 400 if field == "workspace_id" else 422  # an unknown field is malformed; the rest invalid values
    assert_error(post(client, body), status, field=field)
    assert not Conversion.objects.exists()


def test_lead_of_another_contact_is_a_422_naming_lead_id(partner):
    workspace, client, lead = partner
    other = make_lead(make_contact(), workspace=workspace, workspace_status="assigned")
    response = post(client, {"lead_id": lead.pk, "contact_id": other.contact_id, "conversion_type": "sale",
                             "conversion_value": "1"})
    assert_error(response, 422, field="lead_id")


def test_unassigned_lead_or_unknown_contact_is_a_404_naming_the_field(partner):
    workspace, client, lead = partner
    stranger = make_lead(make_contact())
    response = post(client, {"lead_id": stranger.pk, "conversion_type": "sale", "conversion_value": "1"})
    assert_error(response, 404, field="lead_id")
    response = post(client, {"contact_id": stranger.contact_id, "conversion_type": "sale", "conversion_value": "1"})
    assert_error(response, 404, field="contact_id")


def test_foreign_currency_needs_a_rate_in_force_on_its_day_else_422_naming_currency(partner):
    workspace, client, lead = partner
    body = {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "100.00", "currency": "EUR",
            "converted_at": "2026-02-01T23:30:00-05:00"}  # 2026-02-02 in UTC

    CurrencyRate.objects.create(currency="EUR", date=date(2026, 2, 3), usd_rate=Decimal("1.5"))
    response = post(client, body)
    assert "EUR on or before 2026-02-02" in assert_error(response, 422, field="currency")["errors"]["currency"][0]

    CurrencyRate.objects.create(currency="EUR", date=date(2026, 1, 20), usd_rate=Decimal("1.1"))
    response = post(client, body)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["conversion_value"], body["currency"]) == ("110.00", "USD")
    original = (body["original_value"], body["original_currency"], Decimal(body["exchange_rate"]))
    assert original == ("100.00", "EUR", Decimal("1.1"))


@pytest.mark.parametrize("converted_at", ["2020-01-01T00:00:00Z", "2031-01-01T00:00:00Z"])
def test_converted_at_before_the_lead_or_in_the_future_is_422_naming_it(partner, converted_at):
    workspace, client, lead = partner
    response = post(client, {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "1",
                             "converted_at": converted_at})
    assert list(assert_error(response, 422, field="converted_at")["errors"]) == ["converted_at"]
    assert not Conversion.objects.exists()


def test_idempotency_key_replay_returns_the_original_with_200(partner):
    workspace, client, lead = partner
    body = {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "99.00"}
    first = post(client, body, key="order-42")
    replay = post(client, {**body, "conversion_value": "99"}, key="order-42")

    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Conversion.objects.count() == 1
    workspace.refresh_from_db()
    assert workspace.total_revenue == Decimal("99.00")


def test_idempotency_key_with_another_body_is_a_409(partner):
    workspace, client, lead = partner
    body = {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "99.00"}
    assert post(client, body, key="order-42").status_code == 201
    response = post(client, {**body, "conversion_value": "100.00"}, key="order-42")
    assert_error(response, 409, code="conflict", field="Idempotency-Key")
    assert Conversion.objects.count() == 1


def test_idempotency_keys_are_per_workspace(partner):
    workspace, client, lead = partner
    other, other_client = workspace_with_key()
    other_lead = make_lead(make_contact(), workspace=other, workspace_status="assigned")
    assert post(client, {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "1"}, key="k").status_code == 201
    response = post(other_client, {"lead_id": other_lead.pk, "conversion_type": "sale", "conversion_value": "2"}, key="k")
    assert response.status_code == 201


def test_unusable_idempotency_key_is_a_400_naming_the_header(partner):
    workspace, client, lead = partner
    response = post(client, {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "1"}, key="x" * 256)
    assert_error(response, 400, field="Idempotency-Key")


def test_patch_changes_value_type_and_custom_data(partner):
    workspace, client, lead = partner
    conversion_id = post(client, {"lead_id": lead.pk, "conversion_type": "proposal", "conversion_value": "10.00"}).json()["id"]
    response = client.patch(f"{URL}{conversion_id}/", {"conversion_value": "25.50", "conversion_type": "contract",
                                                        "custom_data": {"signed": True}}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["conversion_value"], response.json()["conversion_type"]) == ("25.50", "contract")
    workspace.refresh_from_db()
    assert workspace.total_revenue == Decimal("25.50")
    kinds = set(Conversion.objects.get(pk=conversion_id).events.values_list("event_type", flat=True))
    assert kinds == {"created", "value_update", "status_change", "custom_data_update"}


@pytest.mark.parametrize("body, status, field", [({}, 422, "non_field_errors"), ({"currency": "EUR"}, 400, "currency"),
                                                 ({"conversion_value": "-5"}, 422, "conversion_value")])
def test_patch_refuses_bad_or_unknown_fields_by_name(partner, body, status, field):
    workspace, client, lead = partner
    conversion_id = post(client, {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "10.00"}).json()["id"]
    assert_error(client.patch(f"{URL}{conversion_id}/", body, format="json"), status, field=field)


def test_void_reverses_the_totals_and_a_second_void_or_patch_is_a_409(partner):
    workspace, client, lead = partner
    conversion_id = post(client, {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "10.00"}).json()["id"]
    assert_error(client.post(f"{URL}{conversion_id}/void/", {}, format="json"), 422, field="reason")

    response = client.post(f"{URL}{conversion_id}/void/", {"reason": "customer cancelled"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["voided_at"] and response.json()["void_reason"] == "customer cancelled"
    assert response.json()["voided_by"] == f"workspace:{workspace.pk}"
    workspace.refresh_from_db()
    assert (workspace.total_conversions, workspace.total_revenue) == (0, Decimal("0"))

    assert_error(client.post(f"{URL}{conversion_id}/void/", {"reason": "again"}, format="json"), 409, code="conflict")
    assert_error(client.patch(f"{URL}{conversion_id}/", {"conversion_value": "1"}, format="json"), 409, code="conflict")


def test_a_workspace_that_lost_the_lead_can_no_longer_change_or_void_its_conversion(partner, admin_client):
    """Reassigned away, A still moved the contact's aggregates by PATCH and void of its old conversion."""
    workspace, client, lead = partner
    conversion_id = post(client, {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "10.00"}).json()["id"]
    lead_assign(lead=lead, workspace=workspace_with_key()[0], by="staff:ops")

    body = assert_error(client.patch(f"{URL}{conversion_id}/", {"conversion_value": "9000"}, format="json"), 409,
                        code="lead_not_held", field="lead_id")
    assert str(lead.pk) in body["message"]
    assert_error(client.post(f"{URL}{conversion_id}/void/", {"reason": "gone"}, format="json"), 409,
                 code="lead_not_held", field="lead_id")
    assert client.get(f"{URL}{conversion_id}/").status_code == 200  # its own record, still readable
    contact = Contact.objects.get(pk=lead.contact_id)
    assert (contact.conversion_count, contact.lifetime_value) == (1, Decimal("10.00"))

    response = admin_client.post(f"{URL}{conversion_id}/void/", {"reason": "ops check"}, content_type="application/json")
    assert response.status_code == 200, response.content  # ops still may
    assert Contact.objects.get(pk=lead.contact_id).conversion_count == 0


def test_a_contact_only_conversion_changes_while_the_workspace_holds_a_lead_of_the_contact(partner):
    workspace, client, lead = partner
    conversion_id = post(client, {"contact_id": lead.contact_id, "conversion_type": "sale",
                                  "conversion_value": "10.00"}).json()["id"]
    assert client.patch(f"{URL}{conversion_id}/", {"conversion_value": "11.00"}, format="json").status_code == 200
    lead_assign(lead=lead, workspace=workspace_with_key()[0], by="staff:ops")

    assert_error(client.patch(f"{URL}{conversion_id}/", {"conversion_value": "9000"}, format="json"), 409,
                 code="lead_not_held", field="contact_id")
    assert Contact.objects.get(pk=lead.contact_id).lifetime_value == Decimal("11.00")


def test_list_filters(partner):
    workspace, client, lead = partner
    sale = post(client, {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "1",
                         "converted_at": "2026-01-10T00:00:00Z"}).json()["id"]
    other_lead = make_past_lead(workspace=workspace, workspace_status="assigned")
    contract = post(client, {"lead_id": other_lead.pk, "conversion_type": "contract", "conversion_value": "2",
                             "converted_at": "2026-03-10T00:00:00Z"}).json()["id"]
    client.post(f"{URL}{contract}/void/", {"reason": "x"}, format="json")

    def ids(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [contract, sale]  # newest first
    assert ids(conversion_type="sale") == [sale]
    assert ids(converted_at_after="2026-02-01T00:00:00Z") == [contract]
    assert ids(converted_at_before="2026-02-01T00:00:00Z") == [sale]
    assert ids(lead_id=other_lead.pk) == [contract]
    assert ids(contact_id=lead.contact_id) == [sale]
    assert ids(voided="true") == [contract]
    assert ids(voided="false") == [sale]
    assert_error(client.get(URL, {"conversion_type": "refund"}), 400, field="conversion_type")


@pytest.mark.parametrize(
    "scopes, method, path, expected",
    [
        (["conversions:read"], "post", "", 403),
        (["conversions:write"], "get", "", 403),
        (["conversions:read"], "get", "", 200),
    ],
)
def test_scopes(scopes, method, path, expected):
    workspace, client = workspace_with_key(scopes=scopes)
    response = getattr(client, method)(URL + path, {}, format="json")
    if expected == 403:
        assert assert_error(response, 403, code="permission_denied")["missing_scope"] in (
            "conversions:read", "conversions:write"
        )
    else:
        assert response.status_code == expected


def test_void_and_patch_need_the_write_scope(partner):
    workspace, client, lead = partner
    conversion_id = post(client, {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "1"}).json()["id"]
    Workspace.objects.filter(pk=workspace.pk).update(permissions=["conversions:read"])
    assert client.post(f"{URL}{conversion_id}/void/", {"reason": "x"}, format="json").status_code == 403
    assert client.patch(f"{URL}{conversion_id}/", {"conversion_value": "2"}, format="json").status_code == 403
    assert client.get(f"{URL}{conversion_id}/").status_code == 200


def test_staff_record_for_a_named_workspace(admin_client, partner):
    workspace, client, lead = partner
    body = {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "3.00"}
    response = admin_client.post(URL, body, content_type="application/json")
    assert_error(response, 400, field="workspace")
    response = admin_client.post(f"{URL}?workspace={workspace.pk}", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Conversion.objects.get().workspace_id == workspace.pk



def test_each_service_refusal_keeps_its_status_code_and_body(still_clock, partner, django_user_model):
    workspace, client, lead = partner
    sale = {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "10.00"}
    conversion_id = post(client, sale, key="k-1").json()["id"]
    assert client.post(f"{URL}{conversion_id}/void/", {"reason": "cancelled"}, format="json").status_code == 200
    assert post(client, sale).status_code == 201  # converted again, for ops to move back
    ops = django_user_model.objects.create_user("ops-ann", password="x", is_staff=True)
    ops.groups.add(Group.objects.get(name=OPERATIONS))
    staff = APIClient()
    staff.force_login(ops)
    stages = list(LeadPipelineStage.objects.filter(is_active=True).values_list("name", flat=True))
    closed, buyer = workspace_with_key()[0], workspace_with_key()[0]
    Workspace.objects.filter(pk=closed.pk).update(is_active=False)
    offer = make_lead_offer(workspace, zip_codes=["94105"], zero_price_reason="")
    assert client.post(f"/api/v1/offers/{offer.pk}/pause/").status_code == 200
    rate = "No USD rate for EUR on or before 2026-03-03; ops add it in the admin's currency rates."
    future = "2031-01-01T00:00:00+00:00 is in the future; send a time up to 2026-03-03T10:12:30+00:00."
    reused = (f"Idempotency-Key 'k-1' was already used (with a different body, for conversion {conversion_id}); "
              "send a new key.")
    expected = [
        (422, "unprocessable", "conversion_value", "At most 10,000,000.00 is accepted."),
        (422, "unprocessable", "currency", rate),
        (422, "unprocessable", "converted_at", future),
        (409, "conflict", "Idempotency-Key", reused),
        (409, "conflict", None, f"Conversion {conversion_id} was already voided at 2026-03-03T10:07:30+00:00."),
        (422, "validation", "contact_id", "Give contact_id or lead_id."),
        (422, "validation", "status", f"'won' is not an active pipeline stage. Allowed: {', '.join(stages)}."),
        (422, "validation", "reason", f"Lead {lead.pk} has an active conversion: say why it leaves 'converted'."),
        (422, "validation", "workspace", f"Workspace '{closed.pk}' is inactive."),
        (422, "validation", "reason", "A sale at 0 needs a reason."),
        (422, "validation", "outbound_webhook_url", "Set an outbound webhook URL before sending events again."),
        (422, "validation", "outbound_webhook_url", "Required when webhook_active is true."),
        (422, "validation", "zero_price_reason",
         "This offer's price is 0 and no zero_price_reason says why: ops must price it first."),
    ]
    extras = {6: {"allowed": stages}}

    answers = [
        post(client, {**sale, "conversion_value": "99999999999.00"}),
        post(client, {**sale, "currency": "EUR"}),
        post(client, {**sale, "converted_at": "2031-01-01T00:00:00Z"}),
        post(client, {**sale, "conversion_value": "11.00"}, key="k-1"),
        client.post(f"{URL}{conversion_id}/void/", {"reason": "again"}, format="json"),
        post(client, {"conversion_type": "sale", "conversion_value": "1.00"}),
        client.patch(f"/api/v1/leads/{lead.pk}/", {"status": "won"}, format="json"),
        staff.patch(f"/api/v1/leads/{lead.pk}/", {"status": "contacted"}, format="json"),
        staff.post(f"/api/v1/leads/{lead.pk}/assign/", {"workspace_id": closed.pk, "price": "5"}, format="json"),
        staff.post(f"/api/v1/leads/{lead.pk}/assign/", {"workspace_id": buyer.pk, "price": "0"}, format="json"),
        client.post("/api/v1/workspace/webhook/redeliver/", {}, format="json"),
        client.post("/api/v1/workspace/webhook/", {"webhook_active": True}, format="json"),
        client.post(f"/api/v1/offers/{offer.pk}/resume/"),
    ]

    assert [(r.status_code, {k: v for k, v in r.json().items() if k != "request_id"}) for r in answers] == [
        (status, {"code": code, "message": f"{field}: {message}" if field else message,
                  "errors": {field: [message]} if field else {}, **extras.get(index, {})})
        for index, (status, code, field, message) in enumerate(expected)
    ]
