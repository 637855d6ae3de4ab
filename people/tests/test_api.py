"""GET /api/v1/contacts/: contacts reached through the caller's leads."""
import pytest

from leadhub.api.testing import result_ids, workspace_with_key
from leadhub.testing import make_contact, make_lead

pytestmark = pytest.mark.django_db


def test_contact_appears_once_whatever_its_number_of_leads():
    workspace, client = workspace_with_key()
    contact = make_contact(first_name="Katherine", last_name="Johnson", email="kj@nasa.example", zip_code="23666")
    for lead_type in ("solar", "hvac", "insurance"):
        make_lead(contact, lead_type=lead_type, workspace=workspace, workspace_status="assigned")
    rows = client.get("/api/v1/contacts/").json()["results"]
    assert [row["id"] for row in rows] == [contact.pk]
    assert len(rows[0]["leads"]) == 3 and {"id", "lead_type", "status", "workspace_status"} <= set(rows[0]["leads"][0])


@pytest.mark.parametrize("query", ["(415) 867-5309", "+1-415-867-5309", "kj@nasa.example", "katherine johnson"])
def test_contact_search(query):
    workspace, client = workspace_with_key()
    contact = make_contact(phone="+14158675309", first_name="Katherine", last_name="Johnson", email="kj@nasa.example")
    make_lead(contact, workspace=workspace, workspace_status="assigned")
    make_lead(make_contact(), workspace=workspace, workspace_status="assigned")
    assert result_ids(client.get("/api/v1/contacts/", {"search": query})) == {str(contact.pk)}


def test_contact_filters_and_bad_filter():
    workspace, client = workspace_with_key()
    ny = make_contact(state="NY", zip_code="10001")
    ca = make_contact(state="CA", zip_code="94105")
    for contact in (ny, ca):
        make_lead(contact, workspace=workspace, workspace_status="assigned")
    assert result_ids(client.get("/api/v1/contacts/", {"state": "ny"})) == {str(ny.pk)}
    assert result_ids(client.get("/api/v1/contacts/", {"zip_code": "94105"})) == {str(ca.pk)}
    response = client.get("/api/v1/contacts/", {"created_at__gte": "not-a-date"})
    assert response.status_code == 400 and "created_at__gte" in response.json()
