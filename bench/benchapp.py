"""The app as gunicorn serves it (app:app), plus what only the benchmark needs:

- `/bench/bare`: a route that does nothing but answer: what the app's per-request work costs
  (the yardstick is a separate one-route app, bench/bareapp.py);
- `/configure/<iid>/s/<sid>/bench/<part>`: a screen GET stopped after one part of its work,
  answering a constant page of the real page's size (`?bytes=`), to show where a screen GET's
  time goes: `read` (the session with its instance and progress, the page's read, flow.page_read,
  through the session interface as for any wizard page), `context` (+ the wizard's context and engine, flow.context.load),
  `form` (+ the screen's form, prefilled: flow.render.screen_page); the real GET adds the render;
- `X-Bench-Statements` on every answer: the SQL statements the request ran, counted by a
  `before_cursor_execute` listener (sync workers: one request at a time per process)."""
from __future__ import annotations

from flask import abort, request, session
from sqlalchemy import event

from app import app
from wizard import session_keys
from wizard.extensions import db
from wizard.flow import context as ctxmod
from wizard.flow.render import screen_page

_count = [0]


@app.get("/bench/bare")
def bare():
    return "ok"


@app.get("/configure/<iid>/s/<sid>/bench/<part>")
def part_of_a_screen(iid: str, sid: str, part: str):
    if part == "read":
        if not session.get(session_keys.WIZARD):  # the one statement found the session
            abort(403)
    elif part in ("context", "form"):
        ctx = ctxmod.load(iid)
        screen = ctx.engine.get(1)
        if part == "form":
            screen_page(ctx, screen)
    else:
        abort(404)
    return "x" * request.args.get("bytes", 0, type=int)


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
