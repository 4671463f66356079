"""Constants and helpers shared by test modules (imported as `support`; conftest files are not
importable unambiguously when several folders have one)."""
import json
import os
import socket
import time

import requests

DEMO_SOLUTION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "solutions", "slack-alerts.yaml")
MASTER = "mt_test_master_token_0123456789abcdef"


def gql_errors(body) -> list[str]:
    """The extensions.code of each GraphQL error of an answer."""
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


def dumps(value) -> str:
    return json.dumps(value)


def wait_until_ready(proc, base: str, log, seconds: float = 60) -> None:
    """Wait for a server process to answer /readyz; fail with the end of its log if it exits or
    takes too long."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a worker still booting
            pass
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)


def free_port() -> int:
    """A TCP port nobody listens on now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StatementCounter:
    """The SQL statements a piece of work runs (a `before_cursor_execute` listener)."""

    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement)

    def run(self, fn):
        """`fn()` as a request of its own (a fresh ORM session); returns (its result, the statements it ran)."""
        from sqlalchemy import event

        from wizard.extensions import db
        db.session.remove()
        self.statements = []
        event.listen(db.engine, "before_cursor_execute", self)
        try:
            result = fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", self)
        return result, list(self.statements)
