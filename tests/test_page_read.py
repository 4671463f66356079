"""The wizard page's one read (wizard.flow.page_read): the session, the instance it is bound to
and the progress, in one statement run through SQLAlchemy, so that every engine listener (tracing,
APM, the statement counts) sees it as it sees any other: both cursor events, with a connection."""
from __future__ import annotations

import pytest
from sqlalchemy import event
from wizard_support import Wizard, simple_solution

from wizard.extensions import db


class Events:
    def __init__(self):
        self.seen: list[tuple] = []

    def before(self, conn, _cursor, statement, *_args):
        self.seen.append(("before", conn is not None, statement))

    def after(self, conn, _cursor, statement, *_args):
        self.seen.append(("after", conn is not None, statement))


def test_a_screen_get_is_one_statement_that_every_listener_sees(client, core, user):
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    iid = wiz.instance("notes").id
    wiz.open(iid)
    db.session.remove()  # a request of its own, as in a worker
    events = Events()
    event.listen(db.engine, "before_cursor_execute", events.before)
    event.listen(db.engine, "after_cursor_execute", events.after)
    try:
        wiz.get(f"{wiz.base}/screen/1")
    finally:
        event.remove(db.engine, "before_cursor_execute", events.before)
        event.remove(db.engine, "after_cursor_execute", events.after)
    assert wiz.resp.status_code == 200 and "Channel" in wiz.page
    statements = [s for kind, _, s in events.seen if kind == "before"]
    assert len(statements) == 1, statements
    assert [kind for kind, _, _ in events.seen] == ["before", "after"]
    assert all(has_connection for _, has_connection, _ in events.seen)
    sql = statements[0].lower()
    assert "browser_sessions" in sql and "solution_instances" in sql and "wizard_progress" in sql


def test_the_read_is_the_instance_of_the_session_only(client, core, user):
    """A session bound to one instance never serves another's read: the guard refuses a URL
    naming another instance before anything of it is shown."""
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    mine, other = wiz.instance("notes").id, wiz.instance("notes").id
    wiz.open(mine)
    resp = client.get(wiz.base.replace(mine, other) + "/screen/1")
    assert resp.status_code == 403


# -- the request's connection, kept between requests (dbsafety.request_connection) -------------

@pytest.fixture(autouse=True)
def _none_kept(app):
    """Each test starts with no connection kept: the app lives for the whole session, and an
    earlier test file's requests (several clients, say) leave theirs kept."""
    from wizard import dbsafety

    kept = app.extensions.get(dbsafety._KEPT, [])
    while kept:
        kept.pop()[0].close()


def _kept(app):
    from wizard import dbsafety

    return [conn for conn, _ in app.extensions.get(dbsafety._KEPT, [])]


def _kill(conn) -> None:
    """The kept connection dies as in a database restart (tests/test_operations.py does the same
    to a pooled one): its server process ends (PostgreSQL), or it is closed under it (SQLite)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name != "postgresql":
        dbapi.close()
        return
    admin = create_engine(conn.engine.url, poolclass=NullPool)
    with admin.connect() as c:
        assert c.execute(text("select pg_terminate_backend(:p)"), {"p": dbapi.info.backend_pid}).scalar()
    admin.dispose()


def test_the_kept_connection_sees_what_was_committed_since(app, client, core, user):
    """The next request reads on the same connection, in autocommit: no snapshot of its own, so
    a change another connection (another worker) committed in between is seen at once."""
    from datetime import timedelta

    from wizard.models import BrowserSession, utcnow

    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    wiz.open(wiz.instance("notes").id)
    wiz.get(f"{wiz.base}/screen/1")
    assert wiz.resp.status_code == 200 and "Channel" in wiz.page
    kept = _kept(app)
    assert len(kept) == 1 and kept[0].dialect.detect_autocommit_setting(kept[0].connection.dbapi_connection)
    db.session.query(BrowserSession).update({"expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    wiz.get(f"{wiz.base}/screen/1")
    assert "Channel" not in wiz.page  # the session ended elsewhere: this request knows it
    assert _kept(app) == kept  # on the same connection


def test_a_kept_connection_that_died_while_idle_is_replaced_unnoticed(app, client, core, user, monkeypatch):
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    wiz.open(wiz.instance("notes").id)
    [dead] = _kept(app)
    _kill(dead)
    monkeypatch.setitem(app.config, "WIZARD_DB_PING_AFTER", 0)  # idle long enough to be checked
    wiz.get(f"{wiz.base}/screen/1")
    assert wiz.resp.status_code == 200 and "Channel" in wiz.page
    assert dead.closed and _kept(app) and dead not in _kept(app)


def test_a_kept_connection_found_dead_fails_one_request_only(app, client, core, user, monkeypatch):
    """Within WIZARD_DB_PING_AFTER a dead connection is not checked: the request that gets it
    answers "try again" (503, as with a pooled one), and the next one reads on a new connection."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    wiz.open(wiz.instance("notes").id)
    [dead] = _kept(app)
    _kill(dead)
    wiz.get(f"{wiz.base}/screen/1")
    assert wiz.resp.status_code == 503
    assert dead.closed and not _kept(app)
    wiz.get(f"{wiz.base}/screen/1")
    assert wiz.resp.status_code == 200 and "Channel" in wiz.page
