"""The production stack on this machine, for `make prod-check` and bench/load.py.

Creates a throwaway PostgreSQL database (dropped at the end), runs the documented production
steps (migrate, collectstatic, check --deploy) and starts gunicorn, a Celery worker and (optionally)
beat as subprocesses with DJANGO_ENV=production, on the local Redis under a key prefix of their
own. Loopback receivers are allowed (OUTBOUND_ALLOW_PRIVATE_TARGETS) because the checks run
their partner endpoint on 127.0.0.1. Every request to gunicorn must carry
`X-Forwarded-Proto: https`, as a TLS-terminating proxy would add it; production settings redirect
plain http.
"""
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin_sql(sql):
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


class Stack:
    """`with Stack(name) as stack:` — database, env and processes, all gone on exit."""

    def __init__(self, name, *, redis_url=None, web_workers=2, web_threads=4, worker_concurrency=2, beat=True,
                 extra_env=None):
        self.name = name
        self.database = f"leadhub_{name}_{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.web_workers, self.web_threads = web_workers, web_threads
        self.worker_concurrency, self.beat = worker_concurrency, beat
        self.logs = Path(tempfile.mkdtemp(prefix=f"leadhub-{name}-"))
        self.processes = {}
        self.env = {
            **os.environ,
            "DJANGO_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "leadhub.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "API_KEY_PEPPER": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{self.port}",
            "DATABASE_URL": urlunsplit(urlsplit(PG_ADMIN_URL)._replace(path=f"/{self.database}")),
            "REDIS_URL": redis_url or os.environ.get("STACK_REDIS_URL", "redis://127.0.0.1:6379/14"),
            "CACHE_KEY_PREFIX": f"{name}-{uuid.uuid4().hex[:8]}",
            "OUTBOUND_ALLOW_PRIVATE_TARGETS": "true",
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        for unset in ("DEBUG", "SQLITE_PATH"):
            self.env.pop(unset, None)

    # --- lifecycle --------------------------------------------------------------------------------

    def __enter__(self):
        admin_sql(f'CREATE DATABASE "{self.database}"')
        try:
            self.manage("migrate", "--noinput")
            self.manage("collectstatic", "--noinput")
            self.manage("check", "--deploy", "--fail-level", "WARNING")
            self.start_processes()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        self.stop_processes()
        admin_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def manage(self, *args):
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True)
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        return done.stdout

    def spawn(self, name, command):
        log = (self.logs / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_processes(self):
        bin_dir = Path(sys.executable).parent
        self.spawn("web", [
            str(bin_dir / "gunicorn"), "leadhub.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.web_workers), "--threads", str(self.web_threads), "--worker-class", "gthread",
            "--timeout", "60",
        ])
        self.spawn("worker", [
            str(bin_dir / "celery"), "-A", "leadhub", "worker", "--loglevel=WARNING",
            f"--concurrency={self.worker_concurrency}", f"--hostname={self.name}-{self.port}@%h",
        ])
        if self.beat:
            self.spawn("beat", [
                str(bin_dir / "celery"), "-A", "leadhub", "beat", "--loglevel=INFO",
                f"--schedule={self.logs / 'beat-schedule'}",
            ])
        self.wait_until_up()

    def wait_until_up(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_running()
            try:
                status, _, body = self.request("GET", "/healthz")
                if status == 200:
                    return body
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout} s\n{self.log_tail('web')}")

    def assert_running(self):
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}\n{self.log_tail(name)}")

    def stop_processes(self):
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in self.processes.items():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def log_tail(self, name, chars=3000):
        path = self.logs / f"{name}.log"
        return f"--- {path}\n{path.read_text()[-chars:]}" if path.exists() else ""

    # --- talking to it ------------------------------------------------------------------------------

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method, path, body=None, headers=None, *, conn=None, proxied=True):
        """One request; returns (status, headers, body bytes). Reuses `conn` (keep-alive) if given."""
        own = conn is None
        conn = conn or self.connection()
        try:
            sent = {**(PROXY_HEADERS if proxied else {}), **(headers or {})}
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            if own:
                conn.close()

    def django_setup(self):
        """Use this process's ORM on the stack's database, with the stack's settings."""
        import django

        os.environ.clear()
        os.environ.update(self.env)
        sys.path.insert(0, str(ROOT))
        django.setup()
