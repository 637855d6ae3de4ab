"""A local stand-in for a partner's webhook endpoint, shared by the test suite, bench/load.py and
scripts/prod_check.py (which prove delivery against a real socket, never a mock).

Base layer: standard library only.
"""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 (free port) in a thread: the partner end of outbound
    webhooks, for tests, the load bench and the production check. `script` is what it answers, in
    order, the last entry repeating: a status
    code, or (status, body, delay seconds). `hold` makes the first request wait until
    `release()` (to kill a worker mid-send). Every request is kept in `requests` as a dict of
    method, path, headers and raw body; `event_ids` lists X-Leadhub-Event-Id values, so a test
    can dedupe like a real receiver would.

        with WebhookReceiver([500, 500, 200]) as receiver:
            workspace = make_workspace(outbound_webhook_url=receiver.url, webhook_active=True)
    """

    def __init__(self, script=(200,), *, hold=False, path="/hooks/leadhub"):
        self.script = [entry if isinstance(entry, tuple) else (entry, "ok", 0) for entry in script]
        self.path = path
        self.requests = []
        self.arrived = threading.Event()
        self._released = threading.Event()
        if not hold:
            self._released.set()
        self._lock = threading.Lock()

    def __enter__(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    index = len(receiver.requests)
                    receiver.requests.append(
                        {"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body}
                    )
                    status, text, delay = receiver.script[min(index, len(receiver.script) - 1)]
                receiver.arrived.set()
                receiver._released.wait(60)
                if delay:
                    time.sleep(delay)
                payload = text.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender gave up (timeout) or died: nothing to answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}{self.path}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def release(self):
        self._released.set()

    def __exit__(self, *exc):
        self._released.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def event_ids(self):
        return [request["headers"].get("X-Leadhub-Event-Id") for request in self.requests]
