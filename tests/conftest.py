"""Fixtures shared by the suite.

The database is SQLite in a temporary folder, or PostgreSQL when TEST_DATABASE_URL is set (CI runs
the suite once each way). The schema is built once per run; every test starts from empty tables.
"""
from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from wizard import create_app
from wizard.extensions import db

from support import DEMO_SOLUTION, MASTER, free_port  # noqa: F401  (shared with test modules)
from i18n_support import LANGUAGES, PSEUDO, compile_catalogues, pseudo_catalogue


@pytest.fixture(scope="session")
def live_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def app(tmp_path_factory, live_port):
    instance = tmp_path_factory.mktemp("instance")
    compile_catalogues()  # as `make deps` does
    pseudo = pseudo_catalogue(tmp_path_factory.mktemp("pseudo-locale"))
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{instance}/test.sqlite"
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "WIZARD_MASTER_TOKEN": MASTER,
        "WIZARD_PUBLIC_URL": f"http://127.0.0.1:{live_port}",
        # the host page of browser tests is on another site: localhost
        "WIZARD_ALLOWED_ORIGINS": [f"http://localhost:{live_port}", f"http://127.0.0.1:{live_port}"],
        "WIZARD_ENCRYPTION_KEYS": ["9Yb0mYV0TKWm5l6CJ3rWJ7s1Zc8ZcHc6pVKOmzj2F0Y="],
        "SECRET_KEY": "test-secret",
        "RATELIMIT_ENABLED": False,  # tests/test_limits.py tests them on an app of its own
        # the shipped languages and the pseudo-locale of tests/test_languages.py
        "WIZARD_LANGUAGES": ["en", *LANGUAGES, PSEUDO],
        "BABEL_TRANSLATION_DIRECTORIES": str(pseudo),
    })
    app.instance_path = str(instance)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _empty_tables():
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        # A browser may still be polling the live server when its test ends: PostgreSQL may then
        # pick the TRUNCATE as a deadlock's victim. The request finishes; the TRUNCATE is retried.
        for attempt in range(5):
            try:
                db.session.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE"))
                break
            except OperationalError as exc:
                db.session.rollback()
                if "deadlock detected" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.2)
    else:
        for t in tables:
            db.session.execute(t.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean_db(app):
    """Every test starts with empty tables and a fresh app context."""
    with app.app_context():
        yield
        db.session.rollback()
        _empty_tables()
        db.session.remove()
    app.extensions.pop("wizard_core", None)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def live_server(app, live_port):
    """The app served over real HTTP in a thread (for OAuth and browser tests)."""
    server = make_server("127.0.0.1", live_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{live_port}"
    server.shutdown()


class Api:
    """Calls POST /graphql with a token; returns the decoded JSON body."""

    def __init__(self, client):
        self.client = client

    def __call__(self, query: str, variables: dict | None = None, token: str | None = MASTER, **kw):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers, **kw)
        assert resp.status_code < 500, resp.data
        return resp.get_json()


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def core(app):
    from wizard.core import embedded_core

    return embedded_core()


@pytest.fixture
def demo_solution(core):
    with open(DEMO_SOLUTION) as f:
        return core.publish(f.read())


@pytest.fixture
def user():
    from wizard import identity

    return identity.create_user("acme-42", "Ada")


@pytest.fixture
def fred():
    """The ill-intentioned other user."""
    from wizard import identity

    return identity.create_user("evil-7", "Fred")


@pytest.fixture(scope="session")
def core_server(tmp_path_factory, live_server):
    """A core in a process of its own, with its own database (tests/split_support.py), running
    for the whole session; tests that stop it start it again."""
    from split_support import CoreServer

    server = CoreServer(tmp_path_factory.mktemp("core"), live_server)
    server.start()
    with open(DEMO_SOLUTION) as f:
        server.publish(f.read())
    yield server
    server.stop()


@pytest.fixture
def split(app, core_server):
    """For one test, the suite's app (and its live server) is a front end of `core_server`."""
    from split_support import use_core

    before = use_core(app, core_server)
    if core_server.proc is None:
        core_server.start()
    yield core_server
    app.config.update(before)
    app.extensions.pop("wizard_core", None)
    if core_server.proc is None:
        core_server.start()
