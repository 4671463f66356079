"""The app as gunicorn serves it (app:app), plus what only the benchmark needs:

- `/bench/bare`: a route that does nothing but answer, the yardstick for the wizard's throughput
  in the same workers;
- `X-Bench-Statements` on every answer: the SQL statements the request ran, counted by a
  `before_cursor_execute` listener (sync workers: one request at a time per process)."""
from __future__ import annotations

from sqlalchemy import event

from app import app
from wizard.extensions import db

_count = [0]


@app.get("/bench/bare")
def bare():
    return "ok"


with app.app_context():
    @event.listens_for(db.engine, "before_cursor_execute")
    def _counted(*_args, **_kw):
        _count[0] += 1


def _counting(wsgi_app):
    def middleware(environ, start_response):
        _count[0] = 0

        def start(status, headers, exc_info=None):  # called once the session is saved
            return start_response(status, headers + [("X-Bench-Statements", str(_count[0]))], exc_info)
        return wsgi_app(environ, start)
    return middleware


app.wsgi_app = _counting(app.wsgi_app)
