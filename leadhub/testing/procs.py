"""Real processes for tests that need more than the test client: a private redis-server, Celery
workers on the test database, a TCP proxy in front of PostgreSQL that can cut connections; and
`eager_celery`, the same tasks run in-process instead.

Fault tests stop or cut these, never the shared Redis/PostgreSQL the rest of the suite uses.
"""
import os
import select
import shutil
import socket
import subprocess
import sys
import threading

import pytest
import time
from contextlib import contextmanager, suppress
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server")
BASE_DIR = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, *, timeout=40, what="condition", logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    tails = "\n".join(f"--- {log}\n{Path(log).read_text()[-3000:]}" for log in logs)
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


class PrivateRedis:
    """A redis-server of our own on a free port: stop(), freeze() (SIGSTOP: connections hang
    instead of being refused) and start() again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        import redis

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

    def freeze(self):
        self.process.send_signal(19)  # SIGSTOP

    def thaw(self):
        self.process.send_signal(18)  # SIGCONT

    def stop(self):
        if self.process and self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            self.process.wait(10)


def _reset_celery_connections(celery_app):
    """Close every broker connection this process pooled, the app's and kombu's global ones, so
    the next publish connects afresh (a pool closed here is never handed out again)."""
    from kombu import pools

    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    pools.reset()


@contextmanager
def celery_broker(url):
    """This process's Celery app publishes to `url` (and really publishes, not eagerly)."""
    from leadhub.celery import app as celery_app

    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    _reset_celery_connections(celery_app)
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = url, False
    try:
        yield
    finally:
        _reset_celery_connections(celery_app)
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved


@pytest.fixture
def eager_celery():
    """Run enqueued tasks in this process, not on a broker (the shared Redis is never used as a
    queue by the tests that take it)."""
    from leadhub.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def database_url(settings_dict):
    """A DATABASE_URL for subprocesses that must see the (test) database `settings_dict` names."""
    auth = settings_dict["USER"] + (f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else "")
    host = settings_dict["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


class CeleryWorkers:
    """`celery -A leadhub worker` subprocesses; each keeps its log at `process.log`."""

    def __init__(self, log_dir, env):
        self.log_dir = Path(log_dir)
        self.env = env
        self.started = []

    def start(self, *, name="worker", pool="solo", concurrency=1, beat=False, extra_env=None):
        index = len(self.started)
        log = self.log_dir / f"{name}-{index}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "leadhub", "worker", f"--pool={pool}", "--loglevel=INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            f"--hostname={name}-{os.getpid()}-{index}@%h",
        ]
        if pool != "solo":
            command.append(f"--concurrency={concurrency}")
        if beat:
            command += ["--beat", f"--schedule={self.log_dir / f'beat-schedule-{index}'}"]
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env={**os.environ, **self.env, **(extra_env or {})},
            stdout=log.open("w"), stderr=subprocess.STDOUT,
        )
        process.log = log
        self.started.append(process)
        return process

    def stop_all(self):
        for process in self.started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


class CuttingProxy:
    """A TCP proxy on a free port in front of `upstream` (host, port), in a thread.

    `cut_on(pattern)`: the first client→server packet containing `pattern` is not forwarded and
    both sides of that connection are closed (a database dying mid-transaction); `cut_all()`
    closes every open connection now. `refuse(True)` closes new connections at once.
    """

    def __init__(self, upstream):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.pairs = []
        self.cut_pattern = None
        self.cuts = 0
        self.refusing = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.listener.close()
        self.cut_all()

    def cut_on(self, pattern: bytes):
        self.cut_pattern = pattern

    def refuse(self, refusing=True):
        self.refusing = refusing

    def cut_all(self):
        with self._lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for sock in pair:
                self._close(sock)

    @staticmethod
    def _close(sock):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _accept(self):
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                self._close(client)
                continue
            server = socket.create_connection(self.upstream)
            with self._lock:
                self.pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client, server):
        sockets = [client, server]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 0.5)
                if self._stop.is_set():
                    break
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client and self.cut_pattern and self.cut_pattern in data:
                        self.cut_pattern = None
                        self.cuts += 1
                        return
                    (server if sock is client else client).sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                if (client, server) in self.pairs:
                    self.pairs.remove((client, server))
            self._close(client)
            self._close(server)


def reconnect():
    """What the request cycle does before the next request (close_old_connections): a connection
    that saw errors is checked and replaced."""
    from django.db import close_old_connections, connection

    close_old_connections()
    connection.close()


@pytest.fixture
def proxied_database(transactional_db):
    """Route this process's default connection through a CuttingProxy to the test database (the
    database cut tests: import this fixture into the test module)."""
    from django.db import connection

    params = connection.settings_dict
    saved = params["HOST"], params["PORT"]
    with CuttingProxy((params["HOST"] or "127.0.0.1", int(params["PORT"] or 5432))) as proxy:
        connection.close()
        params["HOST"], params["PORT"] = "127.0.0.1", str(proxy.port)
        try:
            yield proxy
        finally:
            connection.close()
            params["HOST"], params["PORT"] = saved
            connection.close()
