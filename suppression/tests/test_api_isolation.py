"""Isolation of `/api/v1/suppressions/`: a workspace lists only its own opt-out reports."""
from leadhub.testing import valid_phone
from leadhub.testing.api import IsolationSuite
from suppression.services import opt_out_report


class TestOptOutIsolation(IsolationSuite):
    url_names = ("partner-suppression-list",)
    list_url = "/api/v1/suppressions/"

    def make_object(self, workspace):
        entry, _created = opt_out_report(workspace=workspace, phone=valid_phone(), reason="asked", by="test")
        return entry

    def test_a_report_goes_on_the_callers_own_list(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        phone = valid_phone()
        answer = client_b.post(f"{self.list_url}?workspace={workspace_a.pk}", {"phone": phone}, format="json")
        assert answer.status_code == 201, answer.content
        assert client_a.get(self.list_url).json()["results"] == []
        assert [row["phone"] for row in client_b.get(self.list_url).json()["results"]] == [phone]
