"""The wizard page's one read (wizard.flow.page_read): the session, the instance it is bound to
and the progress, in one statement run through SQLAlchemy, so that every engine listener (tracing,
APM, the statement counts) sees it as it sees any other: both cursor events, with a connection."""
from __future__ import annotations

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
