"""The text boundary (wizard.textcheck) for pages: URLs and form posts are checked before any
view runs, so that a NUL in a path does not first use up the code in its query, and a hostile
row number never reaches WTForms; a value the column guard refuses at flush is a 400, not a 500.
"""
from __future__ import annotations

from flask import request
from werkzeug.exceptions import BadRequest

from ..extensions import db
from ..textcheck import InputError, form_problem, text_problem
from ..texts import T, message


class HostileInput(BadRequest):
    description = "The request contains characters or numbers the wizard does not accept."


def check_request() -> None:
    """Called before every request (API bodies are JSON, checked by the API itself)."""
    req = request._get_current_object()  # the proxy looked up once
    if text_problem(req.path):
        raise HostileInput()
    # no query string, no arguments (most requests: nothing to parse); a GET or HEAD has no form to
    # check (reading request.form would parse the body all the same)
    sources = (req.args,) if req.environ.get("QUERY_STRING") else ()
    if req.method not in ("GET", "HEAD") and req.mimetype != "application/json":
        sources += (req.form,)
    for source in sources:
        for key in source.keys():
            if form_problem(key, source.getlist(key)):
                raise HostileInput()


def refused_at_flush(exc: InputError):
    """Error handler: the column guard (wizard.dbsafety) refused what a view was saving."""
    from .errors import render_error

    db.session.rollback()
    return render_error(400, T("This was not saved: %(reason)s.", reason=message(exc)), "bad_request")


def register(app) -> None:
    app.before_request(check_request)
    app.register_error_handler(InputError, refused_at_flush)
