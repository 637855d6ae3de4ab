"""The outbox with real Celery worker processes and a real Redis broker.

Each test starts its own redis-server on a free port (never the shared one: one test stops it)
and points this process's Celery app at it; workers are `celery -A leadhub worker` subprocesses
on the same test database, so rows are committed (`transaction=True`) for them to see.
"""
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction

from leadhub.celery import app as celery_app
from leadhub.testing import WebhookReceiver, make_workspace
from workspaces.delivery import outbox_emit
from workspaces.models import DeliveryAttempt, DeliveryStatus, EventType, OutboundEvent

REDIS_SERVER = shutil.which("redis-server")

pytestmark = [
    pytest.mark.postgres_only,  # the worker process must reach the test database
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (CI always does)"),
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary to start a private broker"),
    pytest.mark.django_db(transaction=True),
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _reset_celery_connections():
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def celery_broker(url):
    """This process's Celery app publishes to `url` (and really publishes, not eagerly)."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    _reset_celery_connections()
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = url, False
    try:
        yield
    finally:
        _reset_celery_connections()
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved


@pytest.fixture
def broker():
    server = PrivateRedis()
    server.start()
    with celery_broker(server.url):
        yield server
    server.stop()


def worker_database_url():
    params = connection.settings_dict
    auth = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    return f"postgres://{auth}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{params['NAME']}"


@pytest.fixture
def workers(transactional_db, broker, tmp_path):
    """Start `celery worker` subprocesses (solo pool: the task runs in the process we may kill).
    Requests transactional_db so workers are gone before the test database is flushed."""
    started = []

    def start(*, beat=False):
        log = tmp_path / f"worker-{len(started)}.log"
        env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "DB_CONN_MAX_AGE": "0",
            "REDIS_URL": broker.url,
            "CACHE_KEY_PREFIX": f"h7w{broker.port}",
            "OUTBOUND_WEBHOOK_TIMEOUT_SECONDS": "5",
            "OUTBOUND_WEBHOOK_CLAIM_SECONDS": "2",
            "OUTBOX_SWEEP_SECONDS": "1",
            "OUTBOX_REENQUEUE_SECONDS": "1",
        }
        command = [
            sys.executable, "-m", "celery", "-A", "leadhub", "worker", "--pool=solo", "--loglevel=INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat", f"--hostname=h7test-{broker.port}-{len(started)}@%h",
        ]
        if beat:
            command += ["--beat", f"--schedule={tmp_path / 'beat-schedule'}"]
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        process.log = log
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition, *, timeout=40, what="condition", logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    tails = "\n".join(f"--- {log}\n{log.read_text()[-3000:]}" for log in logs)
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


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
        wait_for(lambda: len(receiver.requests) >= 1, what="the first POST", logs=[worker.log])
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
