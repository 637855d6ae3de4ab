"""Two requests to return one sale at the same instant make one return (PostgreSQL, real
connections): the second is refused, and one credit is booked when it is approved."""
import pytest

from returns.models import Return
from returns.services import ReturnRefused, return_approve, return_request
from leadhub.testing import run_at_once

from .helpers import money, reason, sell

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_concurrent_requests_for_one_sale_make_one_return():
    reason()
    lead, [sale] = sell()
    results, errors = run_at_once(4, lambda i: return_request(sale=sale, reason="other", by=f"workspace:{i}"))
    assert [type(e) for e in errors] == [ReturnRefused] * 3
    assert {e.code for e in errors} == {"already_returned"}
    assert Return.objects.filter(sale=sale).count() == 1
    return_approve(ret=Return.objects.get(sale=sale), by="staff:ops")
    assert [row[0] for row in money(lead)] == ["return_credit", "sale"]


def test_approving_a_return_locks_the_return_row_and_not_its_buyer():
    """While a return is being approved the buyer's other writes go on: any row that points at the
    workspace (a sale, an outbox event) checks its key with FOR KEY SHARE at commit, so a lock on
    the workspace row itself would queue them behind the approval and deadlock against the
    balance row a concurrent sale holds."""
    from django.db import connections

    from returns.signals import return_approved

    reason()
    lead, [sale] = sell()
    ret = return_request(sale=sale, reason="other", by="buyer")
    refused = []

    def another_connection(i):
        with connections["default"].cursor() as cursor:
            cursor.execute("BEGIN")
            try:
                cursor.execute("SELECT 1 FROM workspaces WHERE id = %s FOR KEY SHARE NOWAIT", [sale.workspace_id])
            except Exception as exc:  # noqa: BLE001 the lock refusal is what is measured
                refused.append(exc)
            finally:
                cursor.execute("ROLLBACK")

    def while_approving(**kwargs):
        _, errors = run_at_once(1, another_connection)
        assert errors == []

    return_approved.connect(while_approving, dispatch_uid="test.while_approving")
    try:
        return_approve(ret=ret, by="staff:ops")
    finally:
        return_approved.disconnect(dispatch_uid="test.while_approving")
    assert refused == []
