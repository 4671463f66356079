"""A real HTTP receiver for webhook tests (the ISV's backend) and a clock the tests move.

`Receiver` listens on 127.0.0.1: `/events` takes deliveries and checks each signature with the
`standardwebhooks` library (a delivery that does not verify is answered 400 and kept in
`rejected`); `/validate` answers validation webhook requests with what the test set. It can be
stopped and started again on the same port (an ISV backend that is down), fail the first n tries
of each event, or hold one request until the test lets it go.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook, WebhookVerificationError
from support import free_port




class Receiver:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.secret: str | None = None  # the endpoint's secret, for /events
        self.validation_secret: str | None = None  # for /validate
        self.received: list[dict] = []  # every verified delivery, in order of arrival
        self.rejected: list[dict] = []
        self.fail_first = 0  # answer 500 to the first n tries of each event
        self.hold_type: str | None = None  # block the first delivery of this type...
        self.held = threading.Event()  # ...set when it arrived
        self.release = threading.Event()  # ...until this is set
        self.validation_answer: dict | str = {"errors": {}}
        self.validation_status = 200
        self.validation_delay = 0.0
        self.validation_requests: list[dict] = []
        self._tries: dict[str, int] = {}
        self._lock = threading.Lock()
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                if self.path == "/validate":
                    status, answer = receiver._validate(body, headers)
                else:
                    status, answer = receiver._event(body, headers)
                data = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the sender went away (a worker killed mid-request)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _event(self, body: str, headers: dict):
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError as exc:
            self.rejected.append({"error": str(exc), "headers": headers})
            return 400, {"error": "bad signature"}
        entry = {"id": headers["webhook-id"], "attempt": int(headers.get("webhook-attempt", 0)),
                 "type": payload["type"], "payload": payload, "body": body, "headers": headers}
        with self._lock:
            tries = self._tries[entry["id"]] = self._tries.get(entry["id"], 0) + 1
            self.received.append(entry)
        if self.hold_type and payload["type"] == self.hold_type and not self.held.is_set():
            self.held.set()
            self.release.wait(30)
        if tries <= self.fail_first:
            entry["answered"] = 500
            return 500, {"error": "try again"}
        entry["answered"] = 200
        return 200, {}

    def _validate(self, body: str, headers: dict):
        payload = Webhook(self.validation_secret).verify(body, headers)
        self.validation_requests.append({"payload": payload, "body": body, "headers": headers})
        if self.validation_delay:
            time.sleep(self.validation_delay)
        answer = self.validation_answer(payload["data"]) if callable(self.validation_answer) else self.validation_answer
        return self.validation_status, answer

    # -- what arrived -------------------------------------------------------------------------

    def taken(self) -> list[dict]:
        """Deliveries answered 2xx, in order of arrival."""
        return [e for e in self.received if e.get("answered") == 200]

    def types_for(self, subject_id: str) -> list[str]:
        return [e["type"] for e in self.taken() if subject_id in (
            e["payload"]["data"].get("solutionInstanceId"), e["payload"]["data"].get("authenticationId"))]


class Clock:
    """A clock the delivery schedule reads (wizard.webhooks.clock); `advance` moves it."""

    def __init__(self):
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(app):
    c = Clock()
    app.extensions["wizard_webhooks_clock"] = c
    yield c
    app.extensions.pop("wizard_webhooks_clock", None)


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.release.set()
    r.stop()


@pytest.fixture
def validator(app, receiver):
    """The server's default validation webhook is the receiver's /validate, for one test."""
    before = app.config["WIZARD_VALIDATION_WEBHOOK_URL"]
    app.config["WIZARD_VALIDATION_WEBHOOK_URL"] = receiver.url + "/validate"
    receiver.validation_secret = app.config["WIZARD_VALIDATION_WEBHOOK_SECRET"][0]
    yield receiver
    app.config["WIZARD_VALIDATION_WEBHOOK_URL"] = before


@pytest.fixture
def endpoint(receiver):
    """An endpoint for every event at the receiver's /events, with its secret given to it."""
    from wizard.webhooks import endpoints

    ep, secret = endpoints.create(receiver.url + "/events", description="test receiver")
    receiver.secret = secret
    return ep


# -- receivers that misbehave (tests/test_outbound.py, the fuzz suite) ---------------------------

class Answerer:
    """A receiver on 127.0.0.1 that answers every request with `answer`: (status line and headers,
    then body chunks, each sent after `every` seconds). It counts what it managed to write and
    notes when the caller hung up, so a test sees that a reader stopped without timing it."""

    def __init__(self, body: bytes | list[bytes] = b"{}", *, status: int = 200, every: float = 0.0,
                 headers: dict | None = None, length: bool = True, drip_head: bool = False):
        self.status, self.every, self.length, self.drip_head = status, every, length, drip_head
        self.extra_length = 0  # a Content-Length this much longer than the body (a cut answer)
        self.raw = False  # the chunks alone, no status line or headers (not HTTP at all)
        self.chunks = [body] if isinstance(body, bytes) else list(body)
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self.written = 0
        self.hung_up = threading.Event()
        self.requests: list[dict] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _read_request(self, conn) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            part = conn.recv(65536)
            if not part:
                return
            data += part
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        want = int(headers.get("content-length") or 0)
        while len(body) < want:
            part = conn.recv(65536)
            if not part:
                break
            body += part
        self.requests.append({"line": lines[0], "headers": headers, "body": body})

    def _send(self, conn, data: bytes) -> bool:
        try:
            conn.sendall(data)
        except OSError:
            self.hung_up.set()
            return False
        self.written += len(data)
        return True

    def _answer(self, conn):
        with conn:
            conn.settimeout(30)
            try:
                self._read_request(conn)
            except OSError:
                return
            total = sum(len(c) for c in self.chunks)
            head = f"HTTP/1.1 {self.status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
            if self.length:
                head += f"Content-Length: {total + self.extra_length}\r\n"
            head += "Connection: close\r\n\r\n"
            parts = [bytes([b]) for b in head.encode()] if self.drip_head else [head.encode()]
            if self.raw:
                parts = []
            for i, part in enumerate(parts + self.chunks):
                if self.every and (self.drip_head or i >= len(parts)):
                    time.sleep(self.every)
                if not self._send(conn, part):
                    return
            try:  # a reader that stops reading shows as a reset once the answer is written
                conn.shutdown(socket.SHUT_WR)
                while conn.recv(65536):
                    pass
            except OSError:
                pass

    def stop(self):
        self._stop = True
        self.sock.close()


def drip(text: bytes, **kwargs) -> Answerer:
    """An answer sent one byte at a time."""
    return Answerer([bytes([b]) for b in text], **kwargs)
