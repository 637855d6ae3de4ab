import csv
import io
import re

import pytest
from django.contrib.auth import get_user_model

from analytics.charts import bar_chart, line_chart

pytestmark = pytest.mark.django_db
RANGE = {"date_from": "2025-04-01", "date_to": "2025-04-03"}


@pytest.fixture
def staff(client):
    client.force_login(get_user_model().objects.create_user("ops", password="x", is_staff=True, is_superuser=True))
    return client


def test_dashboard_renders_every_chart_for_staff(kpi_data, staff):
    response = staff.get("/admin/dashboard/", RANGE)

    assert response.status_code == 200
    html = response.content.decode()
    # leads per day, funnel, providers ×2, workspace revenue
    assert html.count("<svg xmlns=\"http://www.w3.org/2000/svg\" width=") == 5
    assert "download CSV" in html and "/admin/dashboard/states.csv?date_from=2025-04-01" in html
    assert ">Contacted<" in html and ">CA<" in html and ">94105<" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing loaded from another host


def test_dashboard_is_refused_to_non_staff_and_anonymous(client):
    assert client.get("/admin/dashboard/").status_code == 302  # to the admin login
    client.force_login(get_user_model().objects.create_user("clerk", password="x"))
    response = client.get("/admin/dashboard/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get("/admin/dashboard/states.csv").status_code == 302


def test_admin_index_links_the_dashboard(staff):
    response = staff.get("/admin/")
    assert response.status_code == 200
    assert 'href="/admin/dashboard/"' in response.content.decode()


def test_bad_range_is_explained_not_a_500(staff):
    response = staff.get("/admin/dashboard/", {"date_from": "2025-04-05", "date_to": "2025-04-01"})
    assert response.status_code == 400
    assert "Must not be after" in response.content.decode()
    assert staff.get("/admin/dashboard/funnel.csv", {"date_to": "yesterday"}).status_code == 400


def test_csv_download_per_chart(kpi_data, staff):
    response = staff.get("/admin/dashboard/providers-by-revenue.csv", RANGE)

    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["provider_id", "leads", "converted_leads", "conversion_rate", "revenue"]
    assert rows[1][:5] == ["p1", "2", "2", "100.0", "1100.00"]
    daily = list(csv.reader(io.StringIO(staff.get("/admin/dashboard/leads-per-day.csv", RANGE).content.decode())))
    assert daily == [["date", "solar", "hvac", "insurance"], ["2025-04-01", "2", "0", "0"],
                     ["2025-04-02", "0", "2", "0"], ["2025-04-03", "0", "0", "1"]]
    assert staff.get("/admin/dashboard/nope.csv", RANGE).status_code == 404


def test_csv_neutralises_spreadsheet_formulas(kpi_data, staff):
    from leads.models import Lead

    Lead.objects.filter(zip_code="10001").update(zip_code="=1+1")
    body = staff.get("/admin/dashboard/zips.csv", RANGE).content.decode()
    assert "'=1+1" in body


def test_charts_escape_labels_and_handle_empty_data():
    svg = bar_chart([("<script>x</script>", 3), ("b", 0)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "No data" in bar_chart([])
    assert "No data" in line_chart(["2025-04-01"], {"Solar": [0]})
    assert svg.count("<rect") == 2


def test_dashboard_tables_have_worded_headers_and_readable_values(kpi_data, staff):
    html = staff.get("/admin/dashboard/", RANGE).content.decode()

    assert ">Conversion rate<" in html and ">ZIP code<" in html and ">Converted leads<" in html
    assert ">conversion_rate<" not in html and ">converted_leads<" not in html
    assert ">$1,100.00<" in html  # CA revenue
    assert re.search(r">\d+\.\d%<", html)
    csv_header = staff.get("/admin/dashboard/states.csv", RANGE).content.decode().splitlines()[0]
    assert csv_header == "state,leads,converted_leads,conversion_rate,revenue"  # the CSV keeps column names
