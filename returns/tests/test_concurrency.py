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
