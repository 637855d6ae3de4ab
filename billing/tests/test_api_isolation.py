"""`/api/v1/workspace/statements/`: a workspace reads only its own statements, closed or running,
with `billing:read`; a period it has no statement for is a 404 like another's."""
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from billing.models import Statement
from billing.periods import WEEK, period_of, period_starting
from billing.services import statements_close
from leadhub.testing import assert_error
from leadhub.testing.api import IsolationSuite, workspace_with_key
from ledger.models import EntryKind
from ledger.services import Draft, ledger_entries_record

pytestmark = pytest.mark.django_db
FIRST_MONDAY = date(2020, 1, 6)


def closed_week(workspace, amounts=("-10", "-5")):
    """The workspace's next week (after the ones it has closed) with deposits of `amounts`, closed."""
    weeks = Statement.objects.filter(party_id=workspace.pk, period_kind=WEEK).count()
    period = period_starting(WEEK, FIRST_MONDAY + timedelta(days=7 * weeks), workspace.time_zone)
    ledger_entries_record(drafts=[Draft(kind=EntryKind.DEPOSIT, amount=Decimal(amount), workspace_id=workspace.pk)
                                  for amount in amounts], at=period.starts_at + timedelta(days=2))
    [statement] = statements_close(party_kind="buyer", party_id=workspace.pk, period_kind=WEEK, at=period.ends_at)
    return statement


class TestStatementIsolation(IsolationSuite):
    url_names = ("partner-workspace-statements", "partner-workspace-statement-detail")
    list_url = "/api/v1/workspace/statements/"
    detail_url = "/api/v1/workspace/statements/{pk}/"

    def url(self, template, obj):
        return template.format(pk=obj.period)

    def make_object(self, workspace):
        return closed_week(workspace)

    def make_rows(self, workspace, count):
        """Volume for the baselines: `count` weeks' snapshots in one INSERT (the close is tested
        above; what is measured here is reading them)."""
        weeks = Statement.objects.filter(party_id=workspace.pk, period_kind=WEEK).count()
        periods = [period_starting(WEEK, FIRST_MONDAY + timedelta(days=7 * (weeks + n)), workspace.time_zone)
                   for n in range(count)]
        Statement.objects.bulk_create([
            Statement(party_kind="buyer", party_id=workspace.pk, period_kind=WEEK, period=p.label,
                      time_zone=workspace.time_zone, starts_at=p.starts_at, ends_at=p.ends_at) for p in periods])


def test_a_statement_reads_with_its_lines_and_the_running_period_reads_open():
    workspace, client = workspace_with_key(scopes=["billing:read"])
    statement = closed_week(workspace, amounts=("-30",))
    body = client.get(f"/api/v1/workspace/statements/{statement.period}/").json()
    assert (body["period"], body["status"], body["deposits"], body["net"], body["entry_count"]) == (
        "2020-W02", "closed", "-30.00", "-30.00", 1)
    assert [(line["kind"], line["amount"]) for line in body["lines"]] == [("deposit", "-30.00")]
    listed = client.get("/api/v1/workspace/statements/").json()["results"]
    assert [row["period"] for row in listed] == ["2020-W02"]
    now = datetime(2026, 6, 17, 12, tzinfo=UTC)  # mid-week and mid-month: the running periods stay put
    week, month = (period_of(kind, now, workspace.time_zone).label for kind in ("week", "month"))
    with time_machine.travel(now, tick=False):
        running_week = client.get(f"/api/v1/workspace/statements/{week}/").json()
        # No month of the workspace was closed yet: the deposit waits on the running month.
        running_month = client.get(f"/api/v1/workspace/statements/{month}/").json()
    assert (running_week["status"], running_week["closed_at"], running_week["id"]) == ("open", None, None)
    assert running_week["lines"] == [] and running_week["net"] == "0.00"  # the deposit is on the closed week
    assert [line["amount"] for line in running_month["lines"]] == ["-30.00"] and running_month["status"] == "open"
    for missing in ("2020-W03", "2019-12", "nope", "2020-W99", "2020-W02%00"):
        assert_error(client.get(f"/api/v1/workspace/statements/{missing}/"), 404, code="not_found")


def test_statements_need_the_billing_read_scope():
    workspace, client = workspace_with_key(scopes=["leads:read"])
    response = client.get("/api/v1/workspace/statements/")
    assert response.status_code == 403 and "billing:read" in response.content.decode()
    assert client.get("/api/v1/workspace/statements/2026-W01/").status_code == 403
