"""The outbox after its queue lost tasks: the next sweep queues them again, not OUTBOX_REENQUEUE_SECONDS later.

A private redis-server is the Celery broker (this process publishes to it for real; no worker
runs, the tests read the queue). Two ways a task goes missing while its row still says it is
queued: Redis restarts without persistence (its queue is empty), or a worker takes the task while
its database is down (the task fails and is acknowledged, gone). Sending an event twice is
harmless: the delivery claims the row, so a second task finds nothing due
(test_delivery.py::test_a_claimed_event_is_not_sent_twice).
"""
import base64
import json
import threading

import pytest
import redis
from django.db import OperationalError, connection

from leadhub.testing import make_workspace
from leadhub.testing.procs import REDIS_SERVER, PrivateRedis, celery_broker, free_port
from workspaces.delivery import outbox_emit, outbox_sweep
from workspaces.models import EventType
from workspaces.tasks import deliver_event

pytestmark = [
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary for a private broker"),
    pytest.mark.django_db,
]

QUEUE = "celery"  # Celery's default queue: a Redis list of the waiting task messages


@pytest.fixture
def broker():
    server = PrivateRedis()
    server.start()
    try:
        with celery_broker(server.url):
            yield server
    finally:
        server.stop()


def queued(broker) -> list[str]:
    """Event ids of the delivery tasks waiting in the broker's queue, oldest first."""
    messages = [json.loads(raw) for raw in reversed(redis.Redis(port=broker.port).lrange(QUEUE, 0, -1))]
    return [json.loads(base64.b64decode(message["body"]))[0][0] for message in messages
            if message["headers"]["task"] == deliver_event.name]


def emit_committed(django_capture_on_commit_callbacks):
    workspace = make_workspace(outbound_webhook_url="https://partner.example/hook", webhook_active=True)
    with django_capture_on_commit_callbacks(execute=True):  # the task is published on commit
        return outbox_emit(workspace=workspace, event_type=EventType.LEAD_ASSIGNED, data={"lead_id": 1}, contact_id=1)


def run_as_a_worker_without_its_database(task, *args):
    """Run `task` as a worker whose database is down does: in a thread of its own, whose
    connection (only that thread's) goes to a port nothing listens on, or on SQLite to a file that
    cannot be opened. Returns what it raised."""
    raised = []
    down = {"HOST": "127.0.0.1", "PORT": str(free_port())} if connection.vendor == "postgresql" else {
        "NAME": "/nonexistent/leadhub-down.sqlite3"}

    def worker():
        connection.settings_dict = {**connection.settings_dict, **down}
        try:
            task(*args)
        except Exception as exc:
            raised.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(30)
    return raised


def test_tasks_lost_in_a_redis_restart_are_queued_again_by_the_next_sweep(broker, django_capture_on_commit_callbacks):
    outbox_sweep()  # the broker as the sweeper knows it
    event = emit_committed(django_capture_on_commit_callbacks)
    assert queued(broker) == [str(event.pk)]
    assert outbox_sweep() == 0  # its task is waiting

    broker.stop()
    broker.start()  # no persistence: the queue is gone, the row still says queued a moment ago
    assert queued(broker) == []

    assert outbox_sweep() == 1
    assert queued(broker) == [str(event.pk)]
    assert outbox_sweep() == 0  # once: the sweeper knows this broker now


def test_a_task_a_worker_took_while_its_database_was_down_is_queued_again_by_the_next_sweep(
    broker, django_capture_on_commit_callbacks
):
    outbox_sweep()
    event = emit_committed(django_capture_on_commit_callbacks)
    redis.Redis(port=broker.port).delete(QUEUE)  # a worker took the task ...

    (raised,) = run_as_a_worker_without_its_database(deliver_event, str(event.pk))  # ... and failed: acknowledged

    assert isinstance(raised, OperationalError)
    assert outbox_sweep() == 1
    assert queued(broker) == [str(event.pk)]
    assert outbox_sweep() == 0
