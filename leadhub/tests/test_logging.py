"""Log lines as operations read them: under runserver and under gunicorn (the deploy config), a
request's lines appear once each, with timestamp, level, logger and the request id; with
LOG_FORMAT=json every line is a JSON object with those keys."""
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from leadhub.testing.procs import BASE_DIR, free_port, wait_for
import contextlib

TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) [\w.]+ \[[\w-]+\] ")


def _get(url, request_id):
    request = urllib.request.Request(url, headers={"X-Request-ID": request_id})
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=10)


def _served(command, tmp_path, **env):
    """Start `command` on a free port, request a missing page, stop it; its log lines for that request."""
    port = free_port()
    log = tmp_path / "server.log"
    environment = {**os.environ, "DEBUG": "1", "PYTHONUNBUFFERED": "1", **env}
    with log.open("w") as handle:
        process = subprocess.Popen([part.format(port=port) for part in command], cwd=BASE_DIR, env=environment,
                                   stdout=handle, stderr=subprocess.STDOUT)
    try:
        def up():
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page-warmup", timeout=1)
            except urllib.error.HTTPError:
                return True
            except OSError:
                return False
            return True

        wait_for(up, what="server", logs=[log])
        _get(f"http://127.0.0.1:{port}/no-such-page", "trace-me-123")
        # The server writes the request's two lines (the 404 warning, the access line) after
        # answering: wait for them rather than for a guessed flush time.
        wait_for(lambda: len(_request_lines(log)) >= 2, what="the request's log lines", logs=[log])
    finally:
        process.terminate()
        process.wait(timeout=20)
    return _request_lines(log)


def _request_lines(log):
    return [line for line in log.read_text().splitlines() if "trace-me-123" in line or "/no-such-page\"" in line
            or line.endswith("/no-such-page") or "/no-such-page " in line]


RUNSERVER = [sys.executable, "manage.py", "runserver", "127.0.0.1:{port}", "--noreload"]
GUNICORN = [str(Path(sys.executable).parent / "gunicorn"), "leadhub.wsgi:application", "--bind", "127.0.0.1:{port}",
            "--workers", "1", "-c", "deploy/gunicorn.conf.py"]


@pytest.mark.parametrize("command", [RUNSERVER, GUNICORN], ids=["runserver", "gunicorn"])
def test_each_line_once_with_time_level_logger_and_request_id(command, tmp_path):
    lines = _served(command, tmp_path)

    assert len([line for line in lines if "Not Found: /no-such-page" in line]) == 1, lines
    assert len([line for line in lines if "GET /no-such-page 404" in line]) == 1, lines
    for line in lines:
        assert TEXT_LINE.match(line) and "[trace-me-123]" in line, line


def test_json_lines_with_log_format_json(tmp_path):
    lines = _served(GUNICORN, tmp_path, LOG_FORMAT="json")

    records = [json.loads(line) for line in lines]
    assert {(r["level"], r["logger"]) for r in records} == {("WARNING", "django.request"), ("INFO", "leadhub.request")}
    assert all(r["request_id"] == "trace-me-123" and r["time"].endswith("+00:00") for r in records)
