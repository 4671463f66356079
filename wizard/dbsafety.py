"""What the database layer does so that no acknowledged write is lost and no bad text reaches
a column, on SQLite as on PostgreSQL. The listeners register when create_app imports this module.

Serialised writes on SQLite. Python's sqlite3 module runs SELECTs outside any transaction and
opens one only at the first INSERT/UPDATE, so a read-modify-write (load an instance's values,
merge, save) is not atomic and `SELECT ... FOR UPDATE` is silently dropped: of 50 parallel
updates, most were lost. Here:
- a locking read marked `execution_options(**WRITE_LOCK)` (the core's read of an instance it
  is about to change) starts `BEGIN IMMEDIATE` on SQLite: the transaction takes the write lock
  before it reads, so concurrent writers queue instead of overwriting each other. It is opt-in
  because SQLite's lock is database-wide: a lock held across a call to another service (a token
  refresh at the built-in sandbox, which writes to the same database) would block that service;
- a locking read always refreshes objects already in the session (`populate_existing`), on both
  databases: a row loaded earlier in the request must not hide a value committed since;
- WAL (readers never wait for the writer) and a busy timeout (writers wait for the lock instead
  of answering "database is locked").

Column guard. Before every flush, each new or changed row's String(n) columns are checked for
length and, like its text and JSON columns, for NUL, lone surrogates and numbers PostgreSQL or
JSON cannot hold (wizard.textcheck). The flush is refused with an InputError naming the field:
the database never sees the value, whatever path it came by.

Round trips. A request's own reads and its one-statement writes run on the request's connection
(`request_connection`) in autocommit: each statement is a transaction of its own, which the
server commits before it answers (synchronous_commit stays on: a write is durable once it has
returned). No BEGIN and no COMMIT round trip: a wizard page's read is one round trip, and a Next
(the read, the progress UPDATE) two instead of four. What must hold together (Finish, the core's
locked writes) runs in the ORM session's transaction, and `writing` joins it when it is going.
The process keeps the request connection for the next request, still in autocommit, instead of
giving it back to the pool, which would switch it back to transactions (`request_connection`).
"""
from __future__ import annotations

import time
from contextlib import contextmanager

from flask import current_app, g, has_request_context, request_tearing_down
from psycopg.pq import TransactionStatus
from sqlalchemy import JSON, String, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from .extensions import db
from .textcheck import check_data, check_length

BUSY_TIMEOUT_MS = 30000
WRITE_LOCK = {"sqlite_write_lock": True}


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """Called for each new DBAPI connection: WAL and the busy timeout, on SQLite files only."""
    if not _is_sqlite(dbapi_connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_lock_for_update(conn, _cursor, _statement, _parameters, context, _executemany):
    """Called before each statement: a read marked WRITE_LOCK on SQLite (which drops FOR UPDATE)
    first opens a write transaction, unless this connection is already in one."""
    if context is None or not context.execution_options.get("sqlite_write_lock"):
        return
    dbapi = conn.connection.dbapi_connection
    if _is_sqlite(dbapi) and not dbapi.in_transaction:
        dbapi.execute("BEGIN IMMEDIATE")


@event.listens_for(Session, "do_orm_execute")
def _refresh_locked_rows(state):
    """Called for each ORM statement: a locking read loads the row as it is now."""
    if state.is_select and getattr(state.statement, "_for_update_arg", None) is not None:
        state.update_execution_options(populate_existing=True)


def hold_lock(session, obj) -> None:
    """Record that this transaction read `obj` with a lock (FOR UPDATE / BEGIN IMMEDIATE): a
    later locking read of the same row in the same transaction takes it from `locked_already`
    instead of asking the database again. Forgotten at commit and rollback."""
    session.info.setdefault("locked_rows", {})[(type(obj), obj.id)] = obj


def locked_already(session, model, ident):
    """The row this transaction already holds locked (see hold_lock), or None."""
    return session.info.get("locked_rows", {}).get((model, ident))


_G_CONNECTION = "wizard_request_connection"
_KEPT = "wizard_request_connections"  # app.extensions: [(connection, when it was given back)]
KEEP = 4  # request connections kept idle per process: a sync worker uses one, a threaded server more


def request_connection() -> Connection:
    """This request's connection in autocommit, taken at its first use (the page's read) and
    given back when the request ends (`_give_back`). Every engine listener sees its statements
    as any other's (both cursor events, with their connection).

    Given back, it is kept by the process, still checked out of the pool and still in
    autocommit, for the next request: the pool would switch it back to transactions and roll it
    back, and the next request switch it again, about a third of a GET's database work for
    nothing. A kept connection idle for WIZARD_DB_PING_AFTER is checked first, as the pool checks
    its own (`ping_when_idle`)."""
    held = vars(g._get_current_object())  # g's names (g.get through the proxy: ~5x the cost)
    conn = held.get(_G_CONNECTION)
    if conn is None or conn.closed:
        conn = held[_G_CONNECTION] = _take(current_app._get_current_object())
    return conn


def _take(app) -> Connection:
    kept = app.extensions.get(_KEPT)
    while kept:
        try:
            conn, since = kept.pop()  # the newest: a threaded server's requests may race here
        except IndexError:
            break
        if time.monotonic() - since < app.config["WIZARD_DB_PING_AFTER"]:
            return conn
        try:
            alive = _alive(conn.engine, conn.connection.dbapi_connection)
        except BaseException:
            conn.close()
            raise
        if alive:
            return conn
        conn.invalidate()  # dead while idle: replaced unnoticed, as the pool does
        conn.close()
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


@request_tearing_down.connect
def _give_back(app, **_kw):
    """Called when any request ends: its connection (request_connection) is kept for the next
    request when nothing is open on it (no transaction, no statement cut short), else it goes
    back to the pool, which resets it. A connection found dead sends the kept ones back too: the
    database went away under them as well (the pool invalidates them then)."""
    conn = vars(g._get_current_object()).pop(_G_CONNECTION, None)  # (g.pop through the proxy: ~4x the cost)
    if conn is None or conn.closed:
        return
    kept = app.extensions.setdefault(_KEPT, [])
    if conn.invalidated:
        while kept:
            kept.pop()[0].close()
    elif len(kept) < KEEP and _keeps(conn):
        kept.append((conn, time.monotonic()))
        return
    conn.close()


def _keeps(conn: Connection) -> bool:
    """Whether a request connection may stay out of the pool: nothing open on it, and a pool that
    gives each checkout a connection of its own (an in-memory SQLite database shares one)."""
    if not isinstance(conn.engine.pool, QueuePool):
        return False
    dbapi = conn.connection.dbapi_connection
    if _is_sqlite(dbapi):
        return not dbapi.in_transaction
    return dbapi.pgconn.transaction_status == TransactionStatus.IDLE  # psycopg (its `info` makes an enum)


@contextmanager
def writing():
    """Where a write goes, committed when the block ends: into the ORM session's transaction
    when one is going (what the request changed and the rows it locked commit with it), else on
    the request's connection in autocommit, each statement committed alone (`request_connection`):
    for a write that is one statement, or statements that need not stand or fall together.
    Outside a request (the CLI, a test's app context), the ORM session's."""
    going = db.session.registry.has() and db.session().in_transaction()  # no session made only to ask
    if going or not has_request_context():
        db.session.flush()  # the session's own changes first, as its execute would (autoflush)
        yield db.session.connection()
        db.session.commit()
    else:
        yield request_connection()


def ping_when_idle(engine, seconds: float) -> None:
    """Check a pooled connection before handing it out (a database restart leaves the pool full
    of dead ones) only when it has been idle for `seconds`: a connection back in the pool a
    moment ago is alive, and a busy server would otherwise pay one round trip per request for
    nothing (SQLAlchemy's pool_pre_ping). A dead one is replaced without the request noticing;
    only a restart within `seconds` of a connection's last use can fail the request that gets
    it (the pool then drops all its connections). WIZARD_DB_PING_AFTER sets `seconds`."""
    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _used(_dbapi_connection, record):
        record.info["wizard_last_used"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy):
        last = record.info.get("wizard_last_used")
        if last is not None and time.monotonic() - last < seconds:
            return
        if not _alive(engine, dbapi_connection):
            raise DisconnectionError()  # the pool connects a new one


def _alive(engine, dbapi_connection) -> bool:
    """One round trip: False when the connection is gone (a database restart), else True; any
    other error is raised."""
    try:
        engine.dialect.do_ping(dbapi_connection)
    except engine.dialect.loaded_dbapi.Error as exc:
        if engine.dialect.is_disconnect(exc, dbapi_connection, None):
            return False
        raise
    return True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _locks_released(session, *_args):
    """Called when a transaction ends: its locks are gone."""
    session.info.pop("locked_rows", None)


def _field_name(key: str) -> str:
    """external_user_id -> externalUserId: the API's name for the column."""
    head, *rest = key.split("_")
    return head + "".join(p.title() for p in rest)


@event.listens_for(Session, "before_flush")
def _guard_columns(session, _flush_context, _instances):
    """Called before each flush: refuse text and JSON no column should hold."""
    for obj in list(session.new) + list(session.dirty):
        mapper = getattr(obj, "__mapper__", None)
        if mapper is None:
            continue
        for column in mapper.columns:
            value = getattr(obj, mapper.get_property_by_column(column).key, None)
            if value is None:
                continue
            field = _field_name(column.key)
            if isinstance(column.type, String) and isinstance(value, str):
                check_data(value, field)
                check_length(value, field, column.type.length)
            elif isinstance(column.type, JSON):
                check_data(value, field)
