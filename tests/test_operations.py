"""Issue 11: production serving as an operator expects it. A request id on every answer and log
line, JSON logs, Prometheus metrics behind a token; and horizontal scale shown: two gunicorn
servers (gunicorn.conf.py) on different ports sharing one database, one journey alternating
between them."""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from support import MASTER, free_port, wait_until_ready
from wizard_support import Wizard, simple_solution

from wizard import identity
from wizard.web.operations import RequestIdFilter, configure_json_logs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import wizard_journey as journey  # noqa: E402  (the bench's journey over HTTP)


def test_every_answer_carries_a_request_id(client):
    mine = client.get("/healthz", headers={"X-Request-ID": "proxy-id-12345"})
    assert mine.headers["X-Request-ID"] == "proxy-id-12345"
    forged = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    new = forged.headers["X-Request-ID"]
    assert new != "<script>alert(1)</script>" and len(new) == 32
    assert client.get("/healthz").headers["X-Request-ID"] != new


def test_a_refused_post_carries_a_request_id_too(client):
    """A POST refused for its CSRF token is answered like any other: with its request id."""
    client.get("/demo")
    refused = client.post("/demo/api/instances", json={"solutionId": "slack-alerts"},
                          headers={"X-Request-ID": "proxy-id-67890"})
    assert refused.status_code == 400
    assert refused.headers["X-Request-ID"] == "proxy-id-67890"


def test_json_log_lines_carry_the_request_id_and_stay_redacted(app):
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    try:
        configure_json_logs()
        with app.test_request_context("/x", headers={"X-Request-ID": "req-abcdefgh"}):
            app.preprocess_request()
            logging.getLogger("wizard.test").warning("opened /configure/i/s/%s/ with code=abc123", "A" * 43)
    finally:
        root.removeHandler(handler)
        for h in root.handlers:  # leave the suite's handlers as they were
            h.filters = [f for f in h.filters if not isinstance(f, RequestIdFilter)]
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["request_id"] == "req-abcdefgh" and line["level"] == "WARNING" and line["name"] == "wizard.test"
    assert "A" * 43 not in line["message"] and "abc123" not in line["message"]


def test_metrics_are_behind_a_token_and_count_journeys_and_latency_per_route(app, client, core, user):
    assert client.get("/metrics").status_code == 404  # off without WIZARD_METRICS_TOKEN
    app.config["WIZARD_METRICS_TOKEN"] = "metrics-token-0123456789"
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": f"Bearer {MASTER}"}).status_code == 401

        def scrape() -> str:
            resp = client.get("/metrics", headers={"Authorization": "Bearer metrics-token-0123456789"})
            assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
            return resp.get_data(as_text=True)

        def value(text: str, name: str) -> float:
            found = [line.split()[-1] for line in text.splitlines() if line.startswith(name + " ")
                     or line.startswith(name + "{")]
            return float(found[0]) if found else 0.0

        before = scrape()
        wiz = Wizard(client, core, user)
        wiz.publish(simple_solution())
        iid = wiz.instance("notes").id
        wiz.open(iid)
        wiz.post({"channel": "#ops"})
        wiz.post({"threshold": "4"})
        assert wiz.finish().status_code == 200 and wiz.path.endswith("/done")
        wiz.open(iid)
        wiz.get(f"{wiz.base}/cancel")
        wiz2 = Wizard(client, core, user)
        wiz2.open(iid)  # a newer session of the instance: the cancelled one is replaced
        after = scrape()
        assert value(after, "wizard_journeys_started_total") - value(before, "wizard_journeys_started_total") == 3
        assert value(after, "wizard_journeys_finished_total") - value(before, "wizard_journeys_finished_total") == 1
        assert value(after, 'wizard_journeys_abandoned_total{reason="cancelled"}') - \
            value(before, 'wizard_journeys_abandoned_total{reason="cancelled"}') == 1
        assert 'wizard_http_request_duration_seconds_count{endpoint="wizard.screen"' in after
        assert 'wizard_connect_failures_total' in after
    finally:
        app.config["WIZARD_METRICS_TOKEN"] = None




class Alternating(requests.Session):
    """A browser whose every request goes to the next of several servers (a round-robin
    balancer without stickiness)."""

    def __init__(self, bases):
        super().__init__()
        self.bases, self.used = bases, []

    def request(self, method, url, *a, **kw):
        base = self.bases[len(self.used) % len(self.bases)]
        self.used.append(base)
        return super().request(method, base + url if url.startswith("/") else url, *a, **kw)


@pytest.fixture
def two_servers(app, tmp_path):
    """Two gunicorn servers (the repository's gunicorn.conf.py, one worker each) on their own
    ports and instance folders, sharing the suite's database."""
    procs, bases = [], []
    for k in range(2):
        port = free_port()
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "WIZARD_INSTANCE_PATH": str(tmp_path / f"server{k}"), "WIZARD_PUBLIC_URL": f"http://127.0.0.1:{port}",
               "WIZARD_TRUSTED_HOSTS": "127.0.0.1", "WIZARD_MASTER_TOKEN": MASTER, "SECRET_KEY": "test-secret",
               "WIZARD_ENCRYPTION_KEYS": ",".join(app.config["WIZARD_ENCRYPTION_KEYS"]),
               "WIZARD_RATE_LIMITS": "0", "WIZARD_WEBHOOKS_THREAD": "0", "WIZARD_LOG_FORMAT": "json",
               "WIZARD_ACCESS_LOG": "1", "WIZARD_METRICS_TOKEN": "metrics-token-0123456789",
               "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / f"metrics{k}"), "WEB_CONCURRENCY": "1"}
        log = open(tmp_path / f"server{k}.log", "w")
        procs.append(subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py",
                                       "-b", f"127.0.0.1:{port}", "app:app"], cwd=ROOT, env=env, stdout=log,
                                      stderr=subprocess.STDOUT))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for k, (proc, base) in enumerate(zip(procs, bases)):
            wait_until_ready(proc, base, tmp_path / f"server{k}.log")
        yield bases, [tmp_path / f"server{k}.log" for k in range(2)]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.timeout(300)
def test_a_journey_alternating_between_two_servers_finishes_with_every_value(two_servers, core, user):
    bases, logs = two_servers
    core.publish(journey.DEFINITION)
    iid = core.create_instance(user.id, journey.SOLUTION_ID).id
    browser = Alternating(bases)
    journey.run(browser, iid, identity.generate_code(user.id), 7)
    assert set(browser.used) == set(bases) and len(browser.used) >= 10
    from wizard.extensions import db

    db.session.expire_all()
    done = core.get_instance(iid)
    assert done.enabled and done.config_values == journey.expected_values(7)
    # each server wrote JSON lines with request ids; the session reference never appears
    lines = [json.loads(line) for log in logs for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("message") == "request"]
    assert {line["endpoint"] for line in access} >= {"wizard.entry", "wizard.screen", "wizard.finish"}
    assert all(line["request_id"] for line in access)
    assert not any("/s/" in line["path"] and "[redacted]" not in line["path"] for line in access)
    # metrics: either server answers, behind the token, for its workers
    scrape = requests.get(f"{bases[0]}/metrics", headers={"Authorization": "Bearer metrics-token-0123456789"})
    assert scrape.status_code == 200 and "wizard_http_request_duration_seconds" in scrape.text


def _kill_pooled_connection(engine) -> None:
    """The one pooled connection dies as in a database restart: its server process ends
    (PostgreSQL), or it is closed under the pool (SQLite)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    raw = engine.raw_connection()
    dbapi = raw.dbapi_connection
    pid = dbapi.info.backend_pid if engine.dialect.name == "postgresql" else None
    raw.close()  # back to the pool
    if pid is None:
        dbapi.close()
        return
    admin = create_engine(engine.url, poolclass=NullPool)
    with admin.connect() as c:
        assert c.execute(text("select pg_terminate_backend(:p)"), {"p": pid}).scalar()
    admin.dispose()


def test_a_pooled_connection_is_checked_only_after_it_was_idle(app):
    """dbsafety.ping_when_idle: a request pays no round trip to check a connection used a moment
    ago, and a dead connection that was idle is replaced without the request noticing."""
    import time

    from sqlalchemy import create_engine, exc, text

    from wizard import dbsafety

    for idle in (0.2, 3600):
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1)
        dbsafety.ping_when_idle(engine, idle)
        pings = []
        original = engine.dialect.do_ping
        engine.dialect.do_ping = lambda conn: pings.append(1) or original(conn)
        with engine.connect() as c:
            assert c.execute(text("select 1")).scalar() == 1
        with engine.connect() as c:  # used a moment ago: not checked
            assert c.execute(text("select 1")).scalar() == 1
        assert pings == []
        _kill_pooled_connection(engine)
        time.sleep(0.5)
        if idle < 0.5:  # idle long enough: checked, found dead, replaced
            with engine.connect() as c:
                assert c.execute(text("select 1")).scalar() == 1
            assert pings == [1]
        else:  # the trade-off: within the window the request that gets it fails, once
            with pytest.raises(exc.DBAPIError) as failed, engine.connect() as c:
                c.execute(text("select 1"))
            assert failed.value.connection_invalidated
            with engine.connect() as c:
                assert c.execute(text("select 1")).scalar() == 1
        engine.dispose()
