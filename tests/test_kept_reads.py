"""Issue 11: a wizard page reads the session with its instance and progress in one statement,
outside a transaction, and keeps that row for the request (wizard.dbsafety.read_row, keep_read).
A kept row must never hide a write, nor outlive its request; a read outside a transaction must
leave the pooled connection as it found it, and a lost connection must say so."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, exc, text, update
from sqlalchemy.pool import NullPool
from wizard_support import Wizard, simple_solution

from wizard.core import embedded
from wizard.dbsafety import kept_read, read_row
from wizard.extensions import db
from wizard.models import SolutionInstance, WizardProgress


def _lose(dbapi) -> None:
    """The DBAPI connection dies: its server process ends (PostgreSQL), or it is closed (SQLite)."""
    if db.engine.dialect.name == "postgresql":
        admin = create_engine(db.engine.url, poolclass=NullPool)
        with admin.connect() as c:
            assert c.execute(text("select pg_terminate_backend(:p)"), {"p": dbapi.info.backend_pid}).scalar()
        admin.dispose()
    else:
        dbapi.close()


def _keep(iid: str):
    row = read_row(db.session, embedded.INSTANCE_READ, {"iid": iid})
    embedded.keep_instance_read(row)
    assert kept_read(db.session, (SolutionInstance, iid)) is row
    assert kept_read(db.session, (WizardProgress, iid)) is not None
    return row


def test_a_kept_read_ends_at_a_write_a_commit_a_rollback_and_the_request(client, core, user):
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    iid = wiz.instance("notes").id
    wiz.open(iid)
    db.session.remove()

    db.session.connection()  # in a transaction: the rollback of that transaction forgets what it read
    _keep(iid)
    db.session.rollback()
    assert kept_read(db.session, (SolutionInstance, iid)) is None  # rollback

    _keep(iid)
    db.session.execute(text("UPDATE wizard_progress SET data = data WHERE instance_id = :i"), {"i": iid})
    assert kept_read(db.session, (WizardProgress, iid)) is None  # any statement that writes
    db.session.rollback()

    _keep(iid)
    db.session.execute(update(SolutionInstance).where(SolutionInstance.id == iid).values(name="renamed"))
    assert kept_read(db.session, (SolutionInstance, iid)) is None  # an ORM-run UPDATE (no flush)
    assert core.get_instance(iid).name == "renamed"
    db.session.commit()

    db.session.connection()
    _keep(iid)
    db.session.commit()
    assert kept_read(db.session, (SolutionInstance, iid)) is None  # commit

    _keep(iid)
    wiz.get(f"{wiz.base}/screen/1")  # a request on this database session: its end forgets
    assert wiz.resp.status_code == 200
    assert kept_read(db.session, (SolutionInstance, iid)) is None
    assert kept_read(db.session, (WizardProgress, iid)) is None


def test_a_read_outside_a_transaction_leaves_the_connection_as_it_was(client, core, user):
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    iid = wiz.instance("notes").id
    db.session.remove()
    dbapi = db.session.connection().connection.dbapi_connection
    assert read_row(db.session, embedded.INSTANCE_READ, {"iid": iid}).id == iid
    assert not getattr(dbapi, "autocommit", False)  # psycopg: back in transactional mode
    db.session.execute(text("SELECT 1"))  # and a transaction begins as before
    if db.engine.dialect.name == "postgresql":
        assert dbapi.info.transaction_status.name == "INTRANS"


def test_a_lost_connection_is_reported_as_lost(client, core, user):
    """The session's own connection, dead under a read outside a database transaction: SQLAlchemy's
    error, marked invalidated (the pool reconnects), not a driver error about putting it back in
    mode."""
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    iid = wiz.instance("notes").id
    db.session.remove()
    conn = db.session.connection()
    dbapi = conn.connection.dbapi_connection
    _lose(dbapi)
    with pytest.raises(exc.DBAPIError) as lost:
        read_row(db.session, embedded.INSTANCE_READ, {"iid": iid})
    assert lost.value.connection_invalidated
    db.session.remove()
    assert read_row(db.session, embedded.INSTANCE_READ, {"iid": iid}).id == iid


def test_a_read_outside_a_transaction_answers_what_sqlalchemy_answers(client, core, user):
    """On PostgreSQL the read runs on a pooled connection through psycopg itself (no session
    transaction begins): the same row, under the same names, with the same converted values
    (aware datetimes, JSON as dicts), as SQLAlchemy's own execution; None for no row."""
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    iid = wiz.instance("notes").id
    wiz.open(iid)
    wiz.get(f"{wiz.base}/screen/1")
    db.session.remove()
    postgres = db.engine.dialect.name == "postgresql"
    for params in ({"iid": iid}, {"iid": "no-such-instance"}):
        row = read_row(db.session, embedded.INSTANCE_READ, params)
        assert db.session().in_transaction() is not postgres  # psycopg's own read: no session transaction
        expected = db.session.execute(embedded.INSTANCE_READ, params).first()
        if expected is None:
            assert row is None
            continue
        assert row._fields == tuple(expected._fields)
        assert tuple(row) == tuple(expected)
        assert row.created.tzinfo is not None and isinstance(row.progress_data, dict)
        db.session.remove()


def test_a_read_outside_a_transaction_survives_a_lost_pooled_connection(client, core, user):
    """A pooled connection whose server process died (a database restart): the read is run again
    the usual way, on a new connection, and the dead one leaves the pool."""
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    iid = wiz.instance("notes").id
    db.session.remove()
    db.engine.dispose()  # one pooled connection: the one the read gets
    dbapi = db.session.connection().connection.dbapi_connection
    db.session.remove()
    _lose(dbapi)
    if db.engine.dialect.name == "postgresql":
        assert read_row(db.session, embedded.INSTANCE_READ, {"iid": iid}).id == iid
        assert dbapi.closed  # invalidated, not back in the pool
    else:  # SQLite runs it the usual way: a lost connection says so (the test above this one)
        with pytest.raises(exc.DBAPIError) as lost:
            read_row(db.session, embedded.INSTANCE_READ, {"iid": iid})
        assert lost.value.connection_invalidated
    db.session.remove()
    assert read_row(db.session, embedded.INSTANCE_READ, {"iid": iid}).id == iid
