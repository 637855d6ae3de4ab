"""The outbox with real Celery worker processes and a real Redis broker.

Each test starts its own redis-server on a free port (never the shared one: one test stops it)
and points this process's Celery app at it; workers are `celery -A leadhub worker` subprocesses
on the same test database, so rows are committed (`transaction=True`) for them to see.
"""
import logging
import os

import pytest
from django.db import connection, transaction

from leadhub.testing import WebhookReceiver, make_workspace
from leadhub.testing.procs import REDIS_SERVER, CeleryWorkers, PrivateRedis, celery_broker, database_url, wait_for
from workspaces.delivery import outbox_emit
from workspaces.models import DeliveryAttempt, DeliveryStatus, EventType, OutboundEvent

pytestmark = [
    pytest.mark.postgres_only,  # the worker process must reach the test database
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (CI always does)"),
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary to start a private broker"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def broker():
    server = PrivateRedis()
    server.start()
    with celery_broker(server.url):
        yield server
    server.stop()


@pytest.fixture
def workers(transactional_db, broker, tmp_path):
    """Start `celery worker` subprocesses (solo pool: the task runs in the process we may kill).
    Requests transactional_db so workers are gone before the test database is flushed."""
    pool = CeleryWorkers(tmp_path, env={
        "DATABASE_URL": database_url(connection.settings_dict),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": broker.url,
        "CACHE_KEY_PREFIX": f"h7w{broker.port}",
        "OUTBOUND_WEBHOOK_TIMEOUT_SECONDS": "5",
        "OUTBOUND_WEBHOOK_CLAIM_SECONDS": "2",
        "OUTBOX_SWEEP_SECONDS": "1",
        "OUTBOX_REENQUEUE_SECONDS": "1",
    })

    def start(*, beat=False):
        return pool.start(name="h7test", beat=beat)

    yield start
    pool.stop_all()


def emit_committed(workspace):
    with transaction.atomic():
        return outbox_emit(workspace=workspace, event_type=EventType.LEAD_ASSIGNED, data={"lead_id": 1}, contact_id=1)


def status_of(event):
    return OutboundEvent.objects.get(pk=event.pk).status


def test_a_real_worker_delivers_the_event_enqueued_at_commit(workers):
    with WebhookReceiver([500, 200]) as receiver:
        workspace = make_workspace(outbound_webhook_url=receiver.url, webhook_active=True)
        worker = workers()
        event = emit_committed(workspace)
        # The worker's record of the 500, not the receiver's copy of the POST: the row is written
        # after the answer, and a "due now" set before it would be overwritten by the retry's time.
        wait_for(lambda: DeliveryAttempt.objects.filter(event=event).exists(), what="the first attempt recorded",
                 logs=[worker.log])
        assert status_of(event) == DeliveryStatus.PENDING  # 500: retry scheduled, not re-sent at once
        OutboundEvent.objects.filter(pk=event.pk).update(next_attempt_at=event.created_at)  # due now
        from workspaces.tasks import deliver_event

        deliver_event.delay(str(event.pk))
        wait_for(lambda: status_of(event) == DeliveryStatus.DELIVERED, what="delivery", logs=[worker.log])
    assert receiver.event_ids == [str(event.pk)] * 2
    assert list(DeliveryAttempt.objects.filter(event=event).order_by("created_at").values_list("outcome", flat=True)) == [
        "retry", "delivered"
    ]


def test_an_event_written_while_the_broker_is_down_is_sent_by_the_sweeper_once_it_is_back(
    workers, broker, caplog
):
    with WebhookReceiver([200]) as receiver:
        workspace = make_workspace(outbound_webhook_url=receiver.url, webhook_active=True)
        broker.stop()
        with caplog.at_level(logging.ERROR, logger="workspaces.delivery"):
            event = emit_committed(workspace)  # the causing request still succeeds
        assert "could not enqueue" in caplog.text
        row = OutboundEvent.objects.get(pk=event.pk)
        assert (row.status, row.enqueued_at, row.attempts) == (DeliveryStatus.PENDING, None, 0)

        broker.start()
        worker = workers(beat=True)
        wait_for(lambda: status_of(event) == DeliveryStatus.DELIVERED, what="the sweeper's delivery", logs=[worker.log])
    assert receiver.event_ids == [str(event.pk)]


def test_a_worker_killed_mid_send_does_not_lose_the_event(workers):
    with WebhookReceiver([200], hold=True) as receiver:
        workspace = make_workspace(outbound_webhook_url=receiver.url, webhook_active=True)
        doomed = workers()
        event = emit_committed(workspace)
        assert receiver.arrived.wait(40), doomed.log.read_text()[-3000:]
        doomed.kill()  # SIGKILL while the POST is in flight: no ack, no attempt recorded
        doomed.wait()
        receiver.release()
        row = OutboundEvent.objects.get(pk=event.pk)
        assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
        assert not DeliveryAttempt.objects.filter(event=event).exists()

        survivor = workers(beat=True)
        wait_for(lambda: status_of(event) == DeliveryStatus.DELIVERED, what="re-delivery", logs=[survivor.log])
    # At-least-once: the receiver saw the id twice and dedupes on it.
    assert receiver.event_ids == [str(event.pk)] * 2 and len(set(receiver.event_ids)) == 1
    assert OutboundEvent.objects.get(pk=event.pk).attempts == 2
