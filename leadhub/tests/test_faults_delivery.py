"""Faults on the delivery side, with a real Celery worker on a private Redis broker.

- A partner endpoint that hangs: the attempt ends at OUTBOUND_WEBHOOK_TIMEOUT_SECONDS and is
  recorded as a retry, and another workspace's event is not held up behind it, because the worker
  runs several deliveries at once (prefork, concurrency 2; production runs the default, one per
  CPU, see deploy/Procfile).
- A worker killed with SIGKILL mid-delivery: covered by
  workspaces/tests/test_delivery_worker.py::test_a_worker_killed_mid_send_does_not_lose_the_event
  (the event is delivered once a worker is back).
"""
import os

import pytest
from django.db import connection, transaction

from leadhub.testing import WebhookReceiver, make_workspace
from leadhub.testing.procs import REDIS_SERVER, CeleryWorkers, PrivateRedis, celery_broker, database_url, wait_for
from workspaces.delivery import outbox_emit
from workspaces.models import AttemptOutcome, DeliveryAttempt, DeliveryStatus, EventType, OutboundEvent

pytestmark = [
    pytest.mark.postgres_only,  # the worker process must reach the test database
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (CI always does)"),
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary to start a private broker"),
    pytest.mark.django_db(transaction=True),
]

TIMEOUT_SECONDS = 6


@pytest.fixture
def worker(transactional_db, tmp_path):
    server = PrivateRedis()
    server.start()
    workers = CeleryWorkers(tmp_path, env={
        "DATABASE_URL": database_url(connection.settings_dict),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": server.url,
        "CACHE_KEY_PREFIX": f"faults{server.port}",
        "OUTBOUND_WEBHOOK_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
    })
    try:
        with celery_broker(server.url):
            yield workers.start(name="faults-delivery", pool="prefork", concurrency=2)
    finally:
        workers.stop_all()
        server.stop()


def emit_committed(workspace):
    with transaction.atomic():
        return outbox_emit(workspace=workspace, event_type=EventType.LEAD_ASSIGNED, data={"lead_id": 1}, contact_id=1)


@pytest.mark.slow
def test_a_hanging_partner_times_out_and_does_not_delay_other_workspaces(worker):
    with WebhookReceiver([200], hold=True) as hanging, WebhookReceiver([200]) as fast:
        slow_workspace = make_workspace(outbound_webhook_url=hanging.url, webhook_active=True)
        fast_workspace = make_workspace(outbound_webhook_url=fast.url, webhook_active=True)
        stuck = emit_committed(slow_workspace)
        assert hanging.arrived.wait(40), worker.log.read_text()[-3000:]
        sent = emit_committed(fast_workspace)
        wait_for(
            lambda: OutboundEvent.objects.get(pk=sent.pk).status == DeliveryStatus.DELIVERED,
            timeout=TIMEOUT_SECONDS * 3, what="the other workspace's delivery", logs=[worker.log],
        )
        # Delivered while the first partner still hangs: its attempt, written when the timeout
        # frees the slot, is not there yet.
        assert not DeliveryAttempt.objects.filter(event=stuck).exists()

        # The hanging attempt ends at the timeout as a retry; the partner never answered.
        wait_for(lambda: DeliveryAttempt.objects.filter(event=stuck).exists(), timeout=TIMEOUT_SECONDS * 3,
                 what="the timed-out attempt", logs=[worker.log])
        attempt = DeliveryAttempt.objects.get(event=stuck)
        assert (attempt.outcome, attempt.status_code) == (AttemptOutcome.RETRY, None)
        assert attempt.error == f"timeout after {float(TIMEOUT_SECONDS)} s"
        assert TIMEOUT_SECONDS * 1000 <= attempt.latency_ms < (TIMEOUT_SECONDS + 3) * 1000
        row = OutboundEvent.objects.get(pk=stuck.pk)
        assert row.status == DeliveryStatus.PENDING and row.next_attempt_at > attempt.created_at
    assert fast.event_ids == [str(sent.pk)]
