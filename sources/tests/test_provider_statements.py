"""`/api/v1/provider/statements/`: a source reads only its own statements (payouts,
chargebacks, net), never a buyer's, with its provider key."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from billing.models import Statement
from billing.periods import WEEK, period_starting
from billing.services import statements_close
from leadhub.testing.api import IsolationSuite
from ledger.models import EntryKind
from ledger.services import Draft, ledger_entries_record
from sources.tests.builders import keyed_provider_client

pytestmark = pytest.mark.django_db
FIRST_MONDAY = date(2020, 1, 6)


def closed_week(provider, payouts=("10", "5"), chargeback="-5"):
    """The provider's next week (after those closed) with `payouts` and a chargeback, closed."""
    weeks = Statement.objects.filter(party_kind="source", party_id=provider.provider_id, period_kind=WEEK).count()
    period = period_starting(WEEK, FIRST_MONDAY + timedelta(days=7 * weeks), provider.time_zone)
    drafts = [Draft(kind=EntryKind.PAYOUT, amount=Decimal(amount), provider_id=provider.provider_id,
                    webhook_id="wh-statement") for amount in payouts]
    drafts.append(Draft(kind=EntryKind.CHARGEBACK, amount=Decimal(chargeback), provider_id=provider.provider_id))
    ledger_entries_record(drafts=drafts, at=period.starts_at + timedelta(days=2))
    [statement] = statements_close(party_kind="source", party_id=provider.provider_id, period_kind=WEEK,
                                   at=period.ends_at)
    return statement


class TestProviderStatementIsolation(IsolationSuite):
    url_names = ("provider-statement-list", "provider-statement-detail")
    list_url = "/api/v1/provider/statements/"
    detail_url = "/api/v1/provider/statements/{pk}/"

    @pytest.fixture
    def tenants(self, db):
        provider_a, client_a = keyed_provider_client()
        provider_b, client_b = keyed_provider_client()
        return provider_a, client_a, provider_b, client_b

    def url(self, template, obj):
        return template.format(pk=obj.period)

    def make_object(self, provider):
        return closed_week(provider)

    def make_rows(self, provider, count):
        weeks = Statement.objects.filter(party_kind="source", party_id=provider.provider_id).count()
        periods = [period_starting(WEEK, FIRST_MONDAY + timedelta(days=7 * (weeks + n)), provider.time_zone)
                   for n in range(count)]
        Statement.objects.bulk_create([
            Statement(party_kind="source", party_id=provider.provider_id, period_kind=WEEK, period=p.label,
                      time_zone=provider.time_zone, starts_at=p.starts_at, ends_at=p.ends_at) for p in periods])


def test_a_source_statement_reads_its_payouts_chargebacks_and_net_with_its_lines():
    provider, client = keyed_provider_client()
    statement = closed_week(provider)
    body = client.get(f"/api/v1/provider/statements/{statement.period}/").json()
    assert (body["status"], body["payouts"], body["chargebacks"], body["net"], body["leads_accepted"]) == (
        "closed", "15.00", "-5.00", "10.00", 2)
    assert sorted((line["kind"], line["amount"]) for line in body["lines"]) == [
        ("chargeback", "-5.00"), ("payout", "10.00"), ("payout", "5.00")]
    assert [row["period"] for row in client.get("/api/v1/provider/statements/").json()["results"]] == [
        statement.period]
    assert client.get("/api/v1/provider/statements/2020-W40/").status_code == 404
