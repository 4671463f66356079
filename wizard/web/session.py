"""Server-side sessions whose reference travels in the page, not only in a cookie.

A wizard framed cross-site by a browser that blocks third-party cookies gets no cookie back, so a
cookie session would be lost at the first form post. Instead the session id is carried in the
URL path (`.../s/<sid>/...`) of every wizard page and form, or in an `X-Wizard-Session` header
from the wizard's script; a first-party cookie is the fallback for top-level pages (the auth
popup, the sandbox consent page). The data is kept in the database, so Flask-WTF's CSRF secret and
everything else in `session` work unchanged, with no 4 KB cookie limit.

The sid is secret: wizard pages send `Referrer-Policy: no-referrer` and the request log redacts
the segment (wizard.logging).
"""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError

from flask import session as current_session
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from .. import session_keys as keys
from ..crypto import hash_secret, new_secret
from ..dbsafety import writing
from ..extensions import db
from ..models import BrowserSession, utcnow
from .errors import refusal
from .operations import JOURNEYS_ABANDONED

ENDED = keys.ENDED
# What an ended session still opens: the outcome of the Finish that ended it (and a twin Finish
# from a double click, which only redirects there).
AFTER_END = re.compile(r"/s/[A-Za-z0-9_-]+/(done|finish)$")
SID_IN_PATH = re.compile(r"/s/([A-Za-z0-9_-]{40,64})(?=/|$)")
HEADER = "X-Wizard-Session"
HEADER_KEY = "HTTP_X_WIZARD_SESSION"  # the header in the WSGI environ
COOKIE = "wizard_sid"


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid: str | None = None, via: str | None = None, unavailable: bool = False):
        def on_update(_self):
            _self.modified = True

        super().__init__(initial, on_update)
        self.sid = sid
        self.via = via  # "path" | "header" | "cookie" | None
        self.modified = False
        self.new = sid is None
        # the store did not answer: an empty stand-in, never saved (check_store answers 503)
        self.unavailable = unavailable

    def regenerate(self) -> str:
        """Give the session a fresh id (on login: no fixation) and return it; the caller carries
        it in the page (`/s/<sid>` URLs), so no cookie is set. The old record is deleted when
        the session is saved."""
        self.old_sid = self.sid
        self.sid = new_secret()
        self.via = "path"
        self.modified = True
        return self.sid


def end_session(session) -> None:
    """Called by the Finish that succeeded: from now on the session opens only the outcome page
    (AFTER_END); every other page of the wizard answers that the session has ended."""
    session[ENDED] = True


def check_store() -> None:
    """Before every request: a session whose store did not answer (open_session) is refused with
    503, "try again", like a core that does not answer; nothing is lost."""
    if getattr(current_session._get_current_object(), "unavailable", False):
        raise refusal("core_unavailable")


def _rollback() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass


def sid_from_path(path: str) -> str | None:
    m = SID_IN_PATH.search(path)
    return m.group(1) if m else None


_T = BrowserSession.__table__
_READ = select(_T.c.data.label("session_data"), _T.c.expires_at.label("session_expires"),
               _T.c.created.label("session_created")).where(_T.c.sid_hash == bindparam("key"))


# the session's row replaced by the parameters (data, instance_id, expires_at), by the hash "key"
_WRITE = update(_T).where(_T.c.sid_hash == bindparam("key"))
_WRITE_UNLESS_ENDED = _WRITE.where(_T.c.data[ENDED].as_boolean().is_not(True))


def read_session(key: str):
    """The session's row as a mapping (session_data, session_expires, session_created) by the
    hash of its id, or None."""
    row = db.session.execute(_READ, {"key": key}).first()
    return row._mapping if row is not None else None


class ServerSessionInterface(SessionInterface):
    #: Called with the hash of a session id when a request opens its session: its row as a
    #: mapping (its columns by name), or None.
    #: The wizard installs its page's read here (flow.page_read), which reads, in the same
    #: statement, the instance the session is bound to and its progress.
    read = staticmethod(read_session)

    def _find(self, request):
        sid = sid_from_path(request.path)
        if sid:
            return sid, "path"
        environ = request.environ  # asked directly: most requests carry neither header nor cookies
        sid = environ.get(HEADER_KEY)
        if sid:
            return sid, "header"
        sid = request.cookies.get(COOKIE) if "HTTP_COOKIE" in environ else None
        return (sid, "cookie") if sid else (None, None)

    def open_session(self, app, request):
        sid, via = self._find(request)
        if sid:
            try:
                row = self.read(hash_secret(sid))  # a Core read: no ORM object for a row read once
            except SQLAlchemyError:
                # e.g. a pooled connection that was killed: Flask would have no session at all,
                # and even the error page needs one; an empty stand-in, refused by check_store
                app.logger.warning("the session store did not answer", exc_info=True)
                _rollback()
                return ServerSession(via=None, unavailable=True)
            now = utcnow()
            max_age = timedelta(seconds=app.config["WIZARD_SESSION_MAX_AGE"])
            # idle timeout (expires_at slides) and an absolute one: a forwarded link dies anyway
            if row is not None and row["session_expires"] > now and row["session_created"] > now - max_age:
                data = row["session_data"] or {}
                if data.get(ENDED) and not AFTER_END.search(request.path):
                    return ServerSession(via=None)
                return ServerSession(data, sid=sid, via=via)  # a copy: CallbackDict copies it
        # Unknown or expired: a fresh session (never adopt an id chosen by the client).
        return ServerSession(via=None)

    def save_session(self, app, session: ServerSession, response):
        if not session.modified or session.unavailable:
            return
        old = getattr(session, "old_sid", None)
        if old:
            db.session.query(BrowserSession).filter_by(sid_hash=hash_secret(old)).delete()
        if not session.sid:
            if not dict(session):
                return
            session.sid = new_secret()
        expires = utcnow() + timedelta(seconds=app.config["WIZARD_SESSION_TTL"])
        key = hash_secret(session.sid)
        data = dict(session)
        bound = data.get(keys.WIZARD)
        instance_id = bound.get("instance_id") if isinstance(bound, dict) else None
        if session.new or old:
            if instance_id:  # a new wizard session: the older ones of this instance end now
                older = db.session.query(BrowserSession).filter_by(instance_id=instance_id)
                unfinished = older.filter(BrowserSession.data[ENDED].as_boolean().is_not(True)).delete()
                older.delete()
                if unfinished:
                    JOURNEYS_ABANDONED.labels("replaced").inc(unfinished)
            db.session.add(BrowserSession(sid_hash=key, data=data, expires_at=expires, instance_id=instance_id))
            db.session.commit()
        else:
            # ONE statement, no re-read: the row is written unless it has ended meanwhile (a twin
            # Finish); an ended row keeps ENDED whatever this request saves; a row deleted meanwhile
            # (a newer session of the instance began) is not made again. Committed at once
            # (dbsafety.writing: alone, in autocommit, unless the request's transaction is going).
            values = {"key": key, "data": data, "instance_id": instance_id, "expires_at": expires}
            with writing() as conn:
                if not conn.execute(_WRITE_UNLESS_ENDED, values).rowcount:
                    conn.execute(_WRITE, {**values, "data": {**data, ENDED: True}})
        if session.via in (None, "cookie"):
            # Top-level first-party pages only: Lax is enough and safer than None.
            response.set_cookie(COOKIE, session.sid, httponly=True, samesite="Lax",
                                secure=app.config["WIZARD_PUBLIC_URL"].startswith("https://"),
                                max_age=app.config["WIZARD_SESSION_TTL"])
