"""RemoteCore against a second server over real HTTP: another app (own SQLite file) served by
Werkzeug in a thread, whose instances this app reads and changes through its /graphql."""
from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from werkzeug.serving import make_server

from support import free_port
from wizard import create_app, identity
from wizard.core import (
    CoreUnavailable, InvalidValues, MissingValues, NotFound, embedded_core, get_core,
)
from wizard.core.remote import RemoteCore
from wizard.extensions import db

REMOTE_MASTER = "mt_remote_core_master_token_0123456789"
SOLUTION = {
    "id": "remote-demo",
    "title": "Remote demo",
    "config": [
        {"externalId": "channel", "type": "string", "required": True},
        {"externalId": "level", "type": "integer", "min": 1, "max": 10, "default": 5},
        {"externalId": "api_key", "type": "secret"},
    ],
}




def _serve(wsgi_app):
    port = free_port()
    server = make_server("127.0.0.1", port, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    """The second server: its own instance folder and SQLite database, its own master token."""
    folder = tmp_path_factory.mktemp("remote-core")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WIZARD_INSTANCE_PATH", str(folder))
        other = create_app({
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/remote.sqlite",
            "WIZARD_MASTER_TOKEN": REMOTE_MASTER,
            "WIZARD_ENCRYPTION_KEYS": ["kBZ8Yx8Zk4n7kO9Dk7k1G5h6mW2S3VZ0l9mJkQ2n0cE="],
            "SECRET_KEY": "remote-secret",
        })
    with other.app_context():
        db.create_all()
        embedded_core().publish(json.dumps(SOLUTION))
    server, url = _serve(other)
    yield other, url
    server.shutdown()
    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def remote_instance(remote):
    """A fresh user and instance on the second server; returns its id."""
    other, _ = remote
    with other.app_context():
        user = identity.create_user(f"remote-{uuid.uuid4().hex[:8]}", "Ada")
        return embedded_core().create_instance(user.id, "remote-demo", "Remote alerts",
                                               config_values={"api_key": "s3cret"}).id


@pytest.fixture
def rcore(remote):
    return RemoteCore(remote[1], REMOTE_MASTER)


def on_remote(remote, fn):
    with remote[0].app_context():
        return fn(embedded_core())


def test_get_core_picks_the_remote_core_when_configured(app, monkeypatch, remote):
    monkeypatch.setitem(app.config, "WIZARD_CORE_URL", remote[1])
    monkeypatch.setitem(app.config, "WIZARD_CORE_TOKEN", REMOTE_MASTER)
    core = get_core()
    assert isinstance(core, RemoteCore) and core.url == remote[1] + "/graphql"


def test_get_instance(rcore, remote, remote_instance):
    data = rcore.get_instance(remote_instance)
    expected = on_remote(remote, lambda c: c.get_instance(remote_instance))
    assert (data.id, data.solution_id, data.owner_id, data.name, data.enabled, data.version) == \
           (expected.id, "remote-demo", expected.owner_id, "Remote alerts", False, 1)
    assert data.created == expected.created
    assert data.definition == expected.definition and data.newest_version == 1
    assert data.config_values == {"api_key": "********"}  # secrets never travel back
    assert not data.flags.hasNewerVersion
    with pytest.raises(NotFound):
        rcore.get_instance("0" * 32)


def test_save_values(rcore, remote, remote_instance):
    data = rcore.save_values(remote_instance, name="Renamed", config_values={"channel": "#ops", "level": 7})
    assert data.name == "Renamed" and data.config_values["channel"] == "#ops"
    stored = on_remote(remote, lambda c: c.get_instance(remote_instance))
    assert stored.config_values == {"channel": "#ops", "level": 7, "api_key": "s3cret"}  # the mask kept it

    # what the wizard read (with the mask) can be written back without losing the secret
    rcore.save_values(remote_instance, config_values=rcore.get_instance(remote_instance).config_values)
    assert on_remote(remote, lambda c: c.get_instance(remote_instance)).config_values["api_key"] == "s3cret"

    with pytest.raises(InvalidValues) as exc:
        rcore.save_values(remote_instance, config_values={"level": 11})
    assert list(exc.value.fields) == ["level"] and "at most 10" in exc.value.message
    # None removes a value
    rcore.save_values(remote_instance, config_values={"level": None})
    assert "level" not in on_remote(remote, lambda c: c.get_instance(remote_instance)).config_values


def test_set_enabled_names_missing_values(rcore, remote, remote_instance):
    with pytest.raises(MissingValues) as exc:
        rcore.set_enabled(remote_instance, True, error_on_missing=True)
    assert exc.value.missing == ["channel"]
    assert not on_remote(remote, lambda c: c.get_instance(remote_instance)).enabled
    assert rcore.set_enabled(remote_instance, True, error_on_missing=False).enabled
    assert not rcore.set_enabled(remote_instance, False).enabled


def test_upgrade(rcore, remote, remote_instance):
    rcore.save_values(remote_instance, config_values={"channel": "#ops"})
    v2 = {**SOLUTION, "config": SOLUTION["config"] + [{"externalId": "region", "type": "string", "required": True}]}
    on_remote(remote, lambda c: c.publish(json.dumps(v2)))
    try:
        data = rcore.get_instance(remote_instance)
        assert data.flags.hasNewerVersion and data.flags.requiresUserInputToUpdateVersion
        assert data.newest_version == 2 and data.newest_definition["config"][-1]["externalId"] == "region"
        with pytest.raises(MissingValues) as exc:
            rcore.upgrade(remote_instance)
        assert exc.value.missing == ["region"]
        data = rcore.upgrade(remote_instance, config_values={"region": "eu"})
        assert data.version == 2 and not data.flags.hasNewerVersion
        assert on_remote(remote, lambda c: c.get_instance(remote_instance)).config_values["region"] == "eu"
    finally:  # later tests of this module start from version 1 again
        on_remote(remote, lambda c: c.publish(json.dumps(SOLUTION)))


def test_a_closed_port_is_core_unavailable():
    port = free_port()  # bound and released: nothing listens there
    with pytest.raises(CoreUnavailable):
        RemoteCore(f"http://127.0.0.1:{port}", REMOTE_MASTER).get_instance("x")


def test_a_wrong_token_is_core_unavailable(remote, remote_instance):
    with pytest.raises(CoreUnavailable):
        RemoteCore(remote[1], "mt_wrong").get_instance(remote_instance)


def _answering(status: int, body: bytes, delay: float = 0):
    def wsgi(environ, start_response):
        time.sleep(delay)
        start_response(f"{status} X", [("Content-Type", "application/json")])
        return [body]
    return wsgi


@pytest.mark.parametrize("status,body,delay", [
    (500, b'{"errors": [{"message": "boom"}]}', 0),
    (502, b"<html>bad gateway</html>", 0),
    (200, b"<html>a login page</html>", 0),
    (200, b'{"data": {"solutionInstances": {"edges": []}}}', 1.0),  # too slow for the timeout
])
def test_server_errors_garbage_and_timeouts_are_core_unavailable(status, body, delay):
    server, url = _serve(_answering(status, body, delay))
    try:
        with pytest.raises(CoreUnavailable):
            RemoteCore(url, REMOTE_MASTER, timeout=0.3).get_instance("x")
    finally:
        server.shutdown()


class Flaky:
    """Answers 503 `failures` times, then a valid empty answer; counts the requests."""

    def __init__(self, failures: int):
        self.failures, self.seen = failures, 0

    def __call__(self, environ, start_response):
        self.seen += 1
        if self.seen <= self.failures:
            start_response("503 Unavailable", [("Content-Type", "text/plain")])
            return [b"restarting"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"data": {"solutionInstances": {"edges": []}}}']


def test_reads_are_tried_again_while_the_core_restarts():
    flaky = Flaky(2)
    server, url = _serve(flaky)
    try:
        with pytest.raises(NotFound):  # answered, on the third try
            RemoteCore(url, REMOTE_MASTER).get_instance("x")
        assert flaky.seen == 3
        flaky.failures, flaky.seen = 10, 0
        with pytest.raises(CoreUnavailable):
            RemoteCore(url, REMOTE_MASTER).get_instance("x")
        assert flaky.seen == 3  # two more tries, no more
    finally:
        server.shutdown()


def test_spending_a_code_or_storing_an_account_is_never_repeated():
    """A lost answer may mean the core did it: a second try would spend or store twice."""
    flaky = Flaky(1)
    server, url = _serve(flaky)
    try:
        with pytest.raises(CoreUnavailable):
            RemoteCore(url, REMOTE_MASTER).consume_code("some-code")
        assert flaky.seen == 1
        flaky.failures, flaky.seen = 1, 0
        with pytest.raises(CoreUnavailable):
            RemoteCore(url, REMOTE_MASTER).create_account("u", "sandbox", {"access_token": "t"})
        assert flaky.seen == 1
    finally:
        server.shutdown()


def test_codes_of_the_remote_core_are_spent_there(rcore, remote, remote_instance):
    other, _ = remote
    with other.app_context():
        owner = embedded_core().get_instance(remote_instance).owner_id
        code = identity.generate_code(owner)
        external = identity.get_user(owner).external_user_id
    assert rcore.consume_code(code) == (owner, external)
    with pytest.raises(identity.CodeError) as exc:
        rcore.consume_code(code)
    assert exc.value.code == "invalid_code" and "already been used" in exc.value.message
    with pytest.raises(identity.CodeError):
        rcore.consume_code("not-a-code")


def test_a_slow_core_is_not_asked_again():
    calls = []

    def slow(environ, start_response):
        calls.append(1)
        time.sleep(1.0)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"data": {"solutionInstances": {"edges": []}}}']

    server, url = _serve(slow)
    try:
        started = time.monotonic()
        with pytest.raises(CoreUnavailable):
            RemoteCore(url, REMOTE_MASTER, timeout=0.3).get_instance("x")
        assert len(calls) == 1 and time.monotonic() - started < 1.0
    finally:
        server.shutdown()
