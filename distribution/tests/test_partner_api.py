"""What a buyer sees of what it buys: its offers' prices, adjustments, caps with this window's
usage and duplicate window (`/api/v1/offers/`), and its sales (`/api/v1/workspace/sales/`)."""
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from drf_spectacular.generators import SchemaGenerator

from distribution.models import Cap, Offer, OfferPriceAdjustment, Sale
from distribution.services import lead_distribute
from leadhub.testing import assert_error, make_lead
from leadhub.testing.api import workspace_with_key

pytestmark = pytest.mark.django_db

D = Decimal
SALES = "/api/v1/workspace/sales/"
# 01:30 on a Tuesday in New York is still Monday in Los Angeles: the day windows differ.
NOW = datetime(2026, 3, 3, 6, 30, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def sold(workspace, **offer_fields):
    """A lead sold to `workspace` through distribution, by a new offer of it that outranks the others."""
    offer_fields.setdefault("priority", Offer.objects.count() + 1)
    offer = Offer.objects.create(workspace=workspace, products=["solar"], **offer_fields)
    lead = make_lead(zip_code="94105", state="CA")
    decision = lead_distribute(lead=lead, strategy="priority")
    assert decision.workspace_ids == [workspace.pk]
    return offer, Sale.objects.get(lead=lead)


def test_an_offer_shows_its_prices_adjustments_and_duplicate_window():
    workspace, client = workspace_with_key()
    offer = Offer.objects.create(workspace=workspace, price=D("12.5"), appointment_price=D("75"),
                                 exclusive_price=D("30"), duplicate_days=30)
    OfferPriceAdjustment.objects.create(offer=offer, column="state", op="eq", value="CA", amount=D("-2.25"))
    row = client.get(f"/api/v1/offers/{offer.pk}/").json()
    assert {k: row[k] for k in ("price", "appointment_price", "exclusive_price", "duplicate_days")} == {
        "price": "12.50", "appointment_price": "75.00", "exclusive_price": "30.00", "duplicate_days": 30}
    assert row["price_adjustments"] == [{"column": "state", "op": "eq", "value": "CA", "amount": "-2.25"}]
    assert row["caps"] == []


def test_an_offer_never_sold_exclusively_says_null():
    workspace, client = workspace_with_key()
    Offer.objects.create(workspace=workspace)
    row = client.get("/api/v1/offers/").json()["results"][0]
    assert (row["exclusive_price"], row["duplicate_days"], row["price"]) == (None, None, "0.00")


def test_a_sale_shows_in_its_caps_usage_of_this_window_in_the_buyers_zone(clock):
    workspace, client = workspace_with_key(time_zone="America/Los_Angeles")
    offer, sale = sold(workspace, price=D("15"))
    own = Cap.objects.create(workspace=workspace, offer=offer, window="day", maximum=D("3"))
    spend = Cap.objects.create(workspace=workspace, window="month", measure="spend", maximum=D("500"))
    before = {c["id"]: c["used"] for c in client.get(f"/api/v1/offers/{offer.pk}/").json()["caps"]}
    assert before == {own.pk: "0.00", spend.pk: "0.00"}  # the first sale came before the caps
    lead = make_lead(zip_code="94105", state="CA")
    assert lead_distribute(lead=lead, strategy="priority").workspace_ids == [workspace.pk]
    caps = client.get("/api/v1/offers/").json()["results"][0]["caps"]
    assert caps == [
        {"id": own.pk, "scope": "offer", "window": "day", "measure": "count", "maximum": "3.00",
         "window_start": "2026-03-02T08:00:00Z", "used": "1.00"},
        {"id": spend.pk, "scope": "buyer", "window": "month", "measure": "spend", "maximum": "500.00",
         "window_start": "2026-03-01T08:00:00Z", "used": "15.00"},
    ]


def test_a_past_windows_usage_is_not_this_windows(clock):
    workspace, client = workspace_with_key(time_zone="America/New_York")
    offer = Offer.objects.create(workspace=workspace, products=["solar"])
    cap = Cap.objects.create(workspace=workspace, offer=offer, window="hour", maximum=D("9"))
    lead_distribute(lead=make_lead(zip_code="94105"), strategy="priority")
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert client.get("/api/v1/offers/").json()["results"][0]["caps"][0]["used"] == "0.00"
    assert client.get("/api/v1/offers/").json()["results"][0]["caps"][0]["used"] == "1.00"
    assert cap.usage.count() == 1


def test_pausing_answers_the_offer_with_its_caps():
    workspace, client = workspace_with_key()
    offer = Offer.objects.create(workspace=workspace)
    Cap.objects.create(workspace=workspace, offer=offer, window="day", maximum=D("2"))
    body = client.post(f"/api/v1/offers/{offer.pk}/pause/").json()
    assert (body["is_paused"], [c["used"] for c in body["caps"]]) == (True, ["0.00"])


def test_a_buyer_cap_shows_on_every_offer_of_its_buyer_only():
    workspace, client = workspace_with_key()
    other, _ = workspace_with_key()
    Offer.objects.create(workspace=workspace)
    Offer.objects.create(workspace=workspace)
    cap = Cap.objects.create(workspace=workspace, window="week", maximum=D("3"))
    Cap.objects.create(workspace=other, window="week", maximum=D("7"))
    rows = client.get("/api/v1/offers/").json()["results"]
    assert [[c["id"] for c in row["caps"]] for row in rows] == [[cap.pk], [cap.pk]]


# --- sales ---------------------------------------------------------------------------------------


def test_a_sale_lists_what_was_bought(clock):
    workspace, client = workspace_with_key()
    offer, sale = sold(workspace, price=D("12.5"))
    assert client.get(SALES).json()["results"] == [{
        "id": sale.pk, "subject": "lead", "workspace_id": workspace.pk, "lead_id": sale.lead_id,
        "appointment_id": None, "offer_id": offer.pk, "price": "12.50", "exclusive": False,
        "sold_at": "2026-03-03T06:30:00Z",
    }]


def test_sales_are_newest_first_and_paged_by_cursor(clock):
    workspace, client = workspace_with_key()
    sales = []
    for minutes in (0, 10, 20):
        with time_machine.travel(NOW + timedelta(minutes=minutes), tick=False):
            sales.append(sold(workspace)[1])
    first = client.get(SALES, {"page_size": 2}).json()
    assert [row["id"] for row in first["results"]] == [sales[2].pk, sales[1].pk]
    rest = client.get(SALES, {"page_size": 2, "cursor": first["next_cursor"]}).json()
    assert ([row["id"] for row in rest["results"]], rest["next_cursor"]) == ([sales[0].pk], None)


def test_sales_filter_by_time_of_sale(clock):
    workspace, client = workspace_with_key()
    old = sold(workspace)[1]
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        new = sold(workspace)[1]
    since = (NOW + timedelta(days=1)).isoformat()
    assert [r["id"] for r in client.get(SALES, {"sold_at_after": since}).json()["results"]] == [new.pk]
    assert [r["id"] for r in client.get(SALES, {"sold_at_before": since}).json()["results"]] == [old.pk]
    assert [r["id"] for r in client.get(SALES, {"sold_at__lte": since}).json()["results"]] == [old.pk]


def test_staff_read_every_buyers_sales_or_one_buyers(admin_client):
    mine, client = workspace_with_key()
    theirs, _ = workspace_with_key()
    own, other = sold(mine)[1], sold(theirs)[1]
    assert [r["id"] for r in client.get(SALES).json()["results"]] == [own.pk]
    assert [r["id"] for r in client.get(SALES, {"workspace": theirs.pk}).json()["results"]] == []  # never theirs
    assert {r["id"] for r in admin_client.get(SALES).json()["results"]} >= {own.pk, other.pk}
    assert [r["id"] for r in admin_client.get(SALES, {"workspace": theirs.pk}).json()["results"]] == [other.pk]


@pytest.mark.parametrize("param", ["sold_at_after", "sold_at__gte"])
def test_a_bad_date_filter_is_a_400_naming_it(param):
    _, client = workspace_with_key()
    body = assert_error(client.get(SALES, {param: "last tuesday"}), 400, code="invalid_request")
    assert list(body["errors"]) == [param.removesuffix("_after")]


def test_an_unknown_sales_filter_is_a_400_naming_it():
    _, client = workspace_with_key()
    assert_error(client.get(SALES, {"sold_after": "2026-01-01"}), 400, code="invalid_request", field="sold_after")


def test_sales_need_the_leads_read_scope():
    _, client = workspace_with_key(scopes=["offers:write"])
    assert assert_error(client.get(SALES), 403)["missing_scope"] == "leads:read"


def test_the_schema_documents_prices_caps_and_sales():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    sales = schema["paths"]["/api/v1/workspace/sales/"]["get"]
    assert sales["tags"] == ["sales"]
    assert {"sold_at_after", "sold_at_before", "cursor"} <= {p["name"] for p in sales["parameters"]}
    offer = schema["components"]["schemas"]["Offer"]["properties"]
    assert {"price", "appointment_price", "exclusive_price", "price_adjustments", "caps", "duplicate_days"} <= set(offer)
    cap = schema["components"]["schemas"]["OfferCap"]["properties"]
    assert cap["scope"]["allOf"] == [{"$ref": "#/components/schemas/CapScopeEnum"}]
