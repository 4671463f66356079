"""The wizard page's one read: the session, the instance it is bound to and the wizard's progress
of that instance, in ONE statement, through SQLAlchemy.

Every wizard request needs all three, and for a screen's GET this is the only statement. The
session interface (web.session) reads the session row when the request opens its session; flow
installs `read_session` there (`install`), which extends that statement with the instance's
columns when the core keeps its instances in this database (`Core.instance_read`; a remote core's
instances come from its API, and the session is then read alone). What it found for the
instance is kept on the request (`flask.g`) until `flow.context.load` takes it (`take`), for
that instance only; `read` is the same read by instance id, for a request whose session did not
bring it (the session was bound in this very request).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import g
from sqlalchemy import bindparam, select

from ..core import InstanceData, InstanceRead, get_core
from ..dbsafety import request_connection
from ..extensions import per_app
from ..models import BrowserSession

_G_KEY = "wizard_page_read"
_T = BrowserSession.__table__
SESSION_COLUMNS = (_T.c.data.label("session_data"), _T.c.expires_at.label("session_expires"),
                   _T.c.created.label("session_created"))
SESSION_READ = select(*SESSION_COLUMNS).where(_T.c.sid_hash == bindparam("key"))


@dataclass(frozen=True)
class Found:
    """What the page's read found of the instance: the instance (None: there is none) and the
    data of the wizard's progress of it (None: there is no progress yet)."""
    instance: InstanceData | None
    progress: dict | None


def _session_statement(parts: InstanceRead):
    """The session's statement with the instance's columns: made once per app (its core)."""
    return per_app("wizard_page_read_statement", lambda: select(*SESSION_COLUMNS, *parts.columns)
                   .select_from(parts.outerjoin(_T, _T.c.instance_id)).where(_T.c.sid_hash == bindparam("key")))


def _first(statement, params: dict):
    """The first row of a read, as a mapping (its columns by name), or None; through SQLAlchemy
    (every engine listener sees it, both cursor events with their connection), on the request's
    connection in autocommit (dbsafety.request_connection): PostgreSQL's READ COMMITTED gives
    each statement its own snapshot anyway, so a transaction adds nothing to one read, and the
    page pays no BEGIN and ROLLBACK round trips. A Next's progress UPDATE then goes on the same
    connection. A mapping, not the Row: a Row answers `row.name` only after Python's own lookup
    has failed (an AttributeError made and dropped, about 0.5 µs), and a page reads some twenty
    of its columns by name."""
    row = request_connection().execute(statement, params).first()
    return row._mapping if row is not None else None


def read_session(key: str):
    """Called by the session interface with the hash of the request's session id: the session's
    row as a mapping (session_data, session_expires, session_created), or None; with an embedded
    core, the same statement reads the instance the session is bound to and its progress, kept
    for `take`."""
    held = vars(g._get_current_object())  # g's names (each g.name through the proxy: ~5x the cost)
    held.pop(_G_KEY, None)
    parts = get_core().instance_read()
    if parts is None:
        return _first(SESSION_READ, {"key": key})
    row = _first(_session_statement(parts), {"key": key})
    if row is not None and row["id"] is not None:
        held.setdefault(_G_KEY, (row["id"], parts, row))
    return row


def take(instance_id: str) -> Found | None:
    """Called by flow.context.load: what the session's read found of this instance (once), or
    None when it did not read it (a remote core, a session bound to no instance or another)."""
    kept = vars(g._get_current_object()).pop(_G_KEY, None)
    if kept is None or kept[0] != instance_id:
        return None
    _, parts, row = kept
    return Found(*parts.to_data(row))


def read(instance_id: str) -> Found | None:
    """The instance and its progress by id, in one statement, when the core keeps its instances
    in this database; None otherwise (the caller asks the core and the progress store)."""
    parts = get_core().instance_read()
    if parts is None:
        return None
    row = _first(parts.by_id, {"iid": instance_id})
    return Found(*parts.to_data(row)) if row is not None else Found(None, None)


def forget(_exc=None) -> None:
    """Called at the end of every request: what the read found is never kept past its request
    (an app context kept open around several requests, as in tests, would carry it over)."""
    vars(g._get_current_object()).pop(_G_KEY, None)  # (g.pop through the proxy: ~4x the cost; every request)


def install(app) -> None:
    """Called by flow.register: the session interface reads sessions through `read_session`."""
    app.session_interface.read = read_session
    app.teardown_request(forget)
