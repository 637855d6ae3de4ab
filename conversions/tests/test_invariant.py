"""The aggregate invariant, under random and concurrent create / update / void sequences.

For every contact and workspace: stored count and value == COUNT / SUM over its non-void
conversions. Checked two ways: against an independent in-memory model of the operations, and
with the same drift queries `verify_aggregates` uses.
"""
import contextlib
import threading
from datetime import datetime
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from contacts.models import Contact
from conversions.models import Conversion, ConversionType, CurrencyRate
from conversions.selectors import contact_aggregate_drift, workspace_aggregate_drift
from conversions.services.changes import conversion_update, conversion_void
from conversions.services.common import ConversionVoided
from conversions.services.create import conversion_create
from leadhub.testing import make_lead, make_past_contact, make_past_lead, make_workspace
from workspaces.models import Workspace

DAY = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
EUR_RATE = Decimal("1.23456789")

# At most MONEY_MAX in USD once valued at EUR_RATE (larger amounts are refused: test_money_limits).
amounts = st.decimals(min_value=0, max_value=8 * 10**6, places=2, allow_nan=False, allow_infinity=False)
creates = st.tuples(
    st.just("create"), st.integers(0, 2), st.integers(0, 1), amounts, st.sampled_from(["USD", "EUR"]), st.booleans()
)
updates = st.tuples(st.just("update"), st.integers(0, 40), amounts, st.sampled_from(ConversionType.values))
voids = st.tuples(st.just("void"), st.integers(0, 40))
operations = st.lists(st.one_of(creates, updates, voids), max_size=20)


def to_usd(amount, currency):
    rate = EUR_RATE if currency == "EUR" else Decimal("1")
    return (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def assert_no_drift():
    assert list(contact_aggregate_drift().values_list("pk", flat=True)) == []
    assert list(workspace_aggregate_drift().values_list("pk", flat=True)) == []


@pytest.mark.slow
class TestInvariantUnderRandomSequences(TestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ops=operations)
    def test_stored_aggregates_equal_the_rows(self, ops):
        CurrencyRate.objects.create(currency="EUR", date=DAY.date(), usd_rate=EUR_RATE)
        workspaces = [make_workspace(), make_workspace()]
        contacts = [make_past_contact() for _ in range(3)]
        leads = {
            (c, w): make_past_lead(contacts[c], workspace=workspaces[w], workspace_status="assigned")
            for c in range(3)
            for w in range(2)
        }
        model = []  # [conversion, contact index, workspace index, usd value, currency, voided]

        for op in ops:
            if op[0] == "create":
                _, c, w, amount, currency, with_lead = op
                conversion = conversion_create(
                    workspace=workspaces[w],
                    contact=None if with_lead else contacts[c],
                    lead=leads[(c, w)] if with_lead else None,
                    conversion_type="sale",
                    conversion_value=amount,
                    currency=currency,
                    converted_at=DAY,
                    created_by="hypothesis",
                ).conversion
                model.append([conversion, c, w, to_usd(amount, currency), currency, False])
            elif model:
                row = model[op[1] % len(model)]
                if row[5]:
                    with pytest.raises(ConversionVoided):
                        conversion_void(conversion=row[0], workspace=None, by="h", reason="again")
                    continue
                if op[0] == "update":
                    conversion_update(conversion=row[0], workspace=None, by="h", conversion_value=op[2], conversion_type=op[3])
                    row[3] = to_usd(op[2], row[4])
                else:
                    conversion_void(conversion=row[0], workspace=None, by="h", reason="random")
                    row[5] = True

        for c, contact in enumerate(contacts):
            counted = [r[3] for r in model if r[1] == c and not r[5]]
            contact = Contact.objects.get(pk=contact.pk)
            assert (contact.conversion_count, contact.lifetime_value) == (len(counted), sum(counted, Decimal("0")))
            assert contact.conversion_status == ("converted" if counted else "pending")
        for w, workspace in enumerate(workspaces):
            counted = [r[3] for r in model if r[2] == w and not r[5]]
            workspace = Workspace.objects.get(pk=workspace.pk)
            assert (workspace.total_conversions, workspace.total_revenue) == (len(counted), sum(counted, Decimal("0")))
        assert Conversion.objects.filter(voided_at__isnull=False).count() == sum(1 for r in model if r[5])
        assert_no_drift()


def run_concurrently(jobs):
    """Start every job at once, each thread on its own database connection."""
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        try:
            barrier.wait(timeout=30)
            job()
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_conversions_for_one_contact():
    workspace = make_workspace()
    lead = make_lead(workspace=workspace, workspace_status="assigned")
    values = [Decimal(f"{i}.{i:02d}") for i in range(1, 21)]

    run_concurrently(
        [
            lambda value=value: conversion_create(
                workspace=workspace, lead=lead, conversion_type="sale", conversion_value=value, created_by="t"
            )
            for value in values
        ]
    )

    contact = Contact.objects.get(pk=lead.contact_id)
    workspace.refresh_from_db()
    assert (contact.conversion_count, contact.lifetime_value) == (20, sum(values))
    assert (workspace.total_conversions, workspace.total_revenue) == (20, sum(values))
    assert lead.status_history.filter(new_status="converted").count() == 1
    assert_no_drift()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    new_values=st.lists(amounts, min_size=6, max_size=6),
    fresh_values=st.lists(amounts, min_size=8, max_size=8),
    actions=st.lists(st.sampled_from(["update", "void", "both"]), min_size=6, max_size=6),
)
def test_concurrent_random_creates_updates_and_voids_keep_the_invariant(new_values, fresh_values, actions):
    workspace = make_workspace()
    lead = make_lead(workspace=workspace, workspace_status="assigned")
    existing = [
        conversion_create(
            workspace=workspace, lead=lead, conversion_type="sale", conversion_value="10.00", created_by="t"
        ).conversion
        for _ in range(6)
    ]
    jobs = [
        lambda value=value: conversion_create(
            workspace=workspace, lead=lead, conversion_type="proposal", conversion_value=value, created_by="t"
        )
        for value in fresh_values
    ]
    for conversion, value, action in zip(existing, new_values, actions, strict=False):
        if action in ("update", "both"):
            jobs.append(lambda c=conversion, v=value: _update_unless_voided(c, v))
        if action in ("void", "both"):
            jobs.append(lambda c=conversion: conversion_void(conversion=c, workspace=None, by="t", reason="race"))

    run_concurrently(jobs)

    voided = sum(action != "update" for action in actions)
    contact = Contact.objects.get(pk=lead.contact_id)
    assert contact.conversion_count == 6 + 8 - voided
    assert_no_drift()


def _update_unless_voided(conversion, value):
    # The void of the same conversion winning the race is a legitimate outcome.
    with contextlib.suppress(ConversionVoided):
        conversion_update(conversion=conversion, workspace=None, by="t", conversion_value=value)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_idempotency_key_record_one_conversion():
    workspace = make_workspace()
    lead = make_lead(workspace=workspace, workspace_status="assigned")
    results = []

    def send():
        results.append(
            conversion_create(
                workspace=workspace, lead=lead, conversion_type="sale", conversion_value="42.00", created_by="t",
                idempotency_key="retry-storm",
            )
        )

    run_concurrently([send] * 10)

    assert len({result.conversion.pk for result in results}) == 1
    assert sorted(result.created for result in results) == [False] * 9 + [True]
    workspace.refresh_from_db()
    assert (workspace.total_conversions, workspace.total_revenue) == (1, Decimal("42.00"))
