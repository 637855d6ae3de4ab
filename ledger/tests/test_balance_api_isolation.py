"""GET /api/v1/workspace/balance/ (scope `billing:read`): the caller's own balance only, its
figures, and its queries against the baseline."""
from datetime import UTC, datetime
from decimal import Decimal

import time_machine

from leadhub.testing.api import IsolationSuite, workspace_with_key
from ledger.services import deposit_record
from workspaces.models import Scope

URL = "/api/v1/workspace/balance/"


class TestBalanceIsolation(IsolationSuite):
    """A singleton endpoint: no id in the URL, so isolation means "only ever your own"."""

    url_names = ("partner-workspace-balance",)

    def make_object(self, workspace):
        return workspace

    def test_the_balance_is_the_callers_own(self, tenants, query_baseline):
        workspace_a, client_a, workspace_b, client_b = tenants
        deposit_record(workspace=workspace_a, amount="70", reference="wire-a", by="staff:ops")
        workspace_b.billing_mode, workspace_b.credit_limit = "prepaid", Decimal("25.00")
        workspace_b.low_balance_threshold = Decimal("10.00")
        workspace_b.save()
        deposit_record(workspace=workspace_b, amount="5", reference="wire-b", by="staff:ops")
        client_b.get(URL)  # stamps last_activity_at outside the count
        at = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
        with time_machine.travel(at, tick=False), query_baseline("partner-workspace-balance"):
            response = client_b.get(f"{URL}?workspace={workspace_a.pk}")  # another's id is ignored for keys
        assert response.status_code == 200, response.content
        assert response.json() == {
            "billing_mode": "prepaid", "balance": "5.00", "credit_limit": "25.00", "available": "30.00",
            "low_balance_threshold": "10.00", "currency": "USD", "as_of": "2026-03-02T15:30:00Z",
        }
        assert client_a.get(URL).json()["balance"] == "70.00"

    def test_it_needs_billing_read(self, db):
        _workspace, client = workspace_with_key(scopes=[Scope.LEADS_READ])
        assert client.get(URL).status_code == 403
