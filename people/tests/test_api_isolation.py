"""Tenant isolation of /api/v1/contacts/ (the shared IsolationSuite)."""
from contacts.models import Contact
from leadhub.testing.api import IsolationSuite
from leadhub.testing import make_contact, make_lead


class TestContactIsolation(IsolationSuite):
    url_names = ("partner-contact-list", "partner-contact-detail")
    list_url = "/api/v1/contacts/"
    detail_url = "/api/v1/contacts/{pk}/"
    filter_params = (
        lambda contact: {"search": "1" + contact.phone[2:]},
        lambda contact: {"search": contact.email},
        lambda contact: {"search": contact.last_name},
        lambda contact: {"zip_code": contact.zip_code, "state": contact.state},
        lambda contact: {"updated_at_after": "2000-01-01T00:00:00Z"},
    )

    def make_object(self, workspace):
        contact = make_contact(
            last_name=f"Turing{workspace.pk}", email=f"alan@{workspace.pk}.example.com", state="NY", zip_code="10001"
        )
        make_lead(contact, workspace=workspace, workspace_status="assigned")
        make_lead(contact, lead_type="hvac", workspace=workspace, workspace_status="assigned")
        return contact

    def snapshot(self, obj):
        contact = Contact.objects.get(pk=obj.pk)
        return {"first_name": contact.first_name, "email": contact.email, "updated_at": contact.updated_at}

    def test_shared_contact_shows_only_the_callers_leads(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        contact = make_contact()
        lead_a = make_lead(contact, workspace=workspace_a, workspace_status="assigned")
        lead_b = make_lead(contact, lead_type="hvac", workspace=workspace_b, workspace_status="assigned")
        make_lead(contact, lead_type="insurance")  # nobody's yet

        body_b = client_b.get(f"/api/v1/contacts/{contact.pk}/").json()
        assert [lead["id"] for lead in body_b["leads"]] == [lead_b.pk]
        listed = client_a.get("/api/v1/contacts/").json()["results"]
        assert [lead["id"] for lead in listed[0]["leads"]] == [lead_a.pk]
        assert "lifetime_value" not in body_b and "sent_from_workspace" not in body_b

    def test_contact_without_a_lead_of_the_caller_is_invisible(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        contact = make_contact()
        make_lead(contact)  # unassigned
        assert client_a.get(f"/api/v1/contacts/{contact.pk}/").status_code == 404
        assert client_a.get("/api/v1/contacts/").json()["results"] == []
