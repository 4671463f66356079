"""Wizard pages. Thin: each view loads the context, asks the engine, converts the form and
renders. Every session-bound rule carries `/s/<sid>` (the session reference lives in the page,
so the wizard works in a cross-site iframe without third-party cookies).

Endpoints (blueprint "wizard"):
  entry, entry_external   GET  /configure/<iid>?code=  and  /external/solutions/<eid>/configure/<iid>?code=
  index                   GET  /configure/<iid>/s/<sid>/          -> the entry screen or the review
  screen                  GET/POST /configure/<iid>/s/<sid>/screen/<n>
  edit                    GET  /configure/<iid>/s/<sid>/screen/<n>/edit  -> upgrade mode: change a screen that stays
  review                  GET  /configure/<iid>/s/<sid>/review
  finish                  POST /configure/<iid>/s/<sid>/finish
  done                    GET  /configure/<iid>/s/<sid>/done
  cancel                  GET  /configure/<iid>/s/<sid>/cancel
"""
from __future__ import annotations

from flask import Blueprint, render_template, request, session, url_for

from ..core import CodeError, CoreError
from ..web import guard, user_accounts
from ..web import operations as metrics
from .. import session_keys as keys
from ..web.errors import WizardError, refusal
from ..web.security import allow_framing
from . import actions
from . import context as ctxmod
from . import progress as progress_store
from .actions import see_other as _see_other
from .engine import BadScreen, Options
from . import finish as finishing
from .render import review_page

bp = Blueprint("wizard", __name__)

OPTION_PARAMS = ("customValidation", "start", "show", "skipTitleField", "lang", "upgrade")


@bp.before_request
def frameable():
    """Wizard pages (and their error pages) may be framed by the allowed origins."""
    allow_framing()


# -- entry ---------------------------------------------------------------------------------------

@bp.get("/configure/<iid>")
def entry(iid: str, embedded_id: str | None = None):
    """Check the code, bind a fresh session to its user and this instance, and leave the code
    behind: the browser goes on to a URL without it. The session keeps the embedded id of a
    Tray-style URL, whose theme its pages wear."""
    try:
        user_id, external_user_id = user_accounts.spend_code(request.args.get("code"))
    except CodeError as exc:
        raise WizardError(403, exc.code, exc.message, iid) from None
    except CoreError as exc:
        raise guard.core_error(exc, iid) from None
    guard.owned_instance(iid, user_id)
    options = Options.from_args(request.args)
    sid = keys.start(keys.WIZARD, {"user_id": user_id, "external_user_id": external_user_id, "instance_id": iid,
                                   "options": options.to_dict()})
    session[keys.READY] = True
    metrics.JOURNEYS_STARTED.inc()
    if embedded_id:
        session[keys.THEME] = embedded_id
    progress_store.forget_finished(iid)  # opened again after finishing: start from the instance's values
    return _see_other(url_for("wizard.index", iid=iid, sid=sid, **options.query()))


@bp.get("/external/solutions/<embedded_id>/configure/<iid>")
def entry_external(embedded_id: str, iid: str):
    """The Tray Embedded path; the embedded id must match the configured one when there is one."""
    guard.embedded_id(embedded_id, iid)
    return entry(iid, embedded_id)


@bp.get("/configure/<iid>/s/<sid>/")
def index(iid: str, sid: str):
    """Open at `start=n`, else the first unfinished screen, else the review."""
    if any(p in request.args for p in OPTION_PARAMS):
        bound = guard.bound_user(iid)
        session[keys.WIZARD] = {**bound, "options": Options.from_args(request.args).to_dict()}
    ctx = ctxmod.load(iid)
    if ctx.progress.finished:
        return _see_other(ctx.url("wizard.done"))
    screen = ctx.engine.entry()
    if screen is None:
        return _see_other(ctx.url("wizard.review"))
    return _see_other(ctx.url("wizard.screen", n=screen.number))


# -- screens -------------------------------------------------------------------------------------

@bp.route("/configure/<iid>/s/<sid>/screen/<int:n>", methods=["GET", "POST"])
def screen(iid: str, sid: str, n: int):
    """A screen: GET shows it; POST checks the current-screen field and runs the button's
    action (wizard.flow.actions)."""
    ctx = _load_keeping_typed(iid, n)
    if ctx.progress.finished:
        return _see_other(ctx.url("wizard.done"))
    current = ctx.engine.get(n)
    if current is None:  # not (or no longer) an active screen
        return _see_other(ctx.url("wizard.index"))
    req = request._get_current_object()  # (each attribute of the proxy is a failed lookup first)
    if req.method == "GET":
        return actions.show_screen(ctx, current)
    try:
        ctx.engine.check_current(req.form.get("wizard_screen"), current)
    except BadScreen:
        raise refusal("other_screen", iid) from None
    return actions.handle(ctx, current, req.form.get("wizard_action"))


@bp.get("/configure/<iid>/s/<sid>/screen/<int:n>/edit")
def edit(iid: str, sid: str, n: int):
    """Upgrade mode's Edit link on the review: a screen whose values stay as they are takes part
    again, with all its slots (the engine's `edit`); outside upgrade mode, the screen itself."""
    ctx = ctxmod.load(iid)
    if ctx.progress.finished:
        return _see_other(ctx.url("wizard.done"))
    if ctx.engine.edit(n) is None:
        return _see_other(ctx.url("wizard.index"))
    ctx.save()
    return _see_other(ctx.url("wizard.screen", n=n))


def _load_keeping_typed(iid: str, n: int):
    """The context; when the core does not answer a Next, what was typed is kept first, so that
    the error page's promise ("nothing you entered was lost") holds."""
    try:
        return ctxmod.load(iid)
    except WizardError as exc:
        if request.method == "POST" and exc.machine_code == "core_unavailable":
            guard.bound_user(iid)  # only into this session's own instance
            progress_store.keep_draft(iid, n, request.form)
        raise


# -- review and finish ---------------------------------------------------------------------------

@bp.get("/configure/<iid>/s/<sid>/review")
def review(iid: str, sid: str):
    ctx = ctxmod.load(iid)
    if ctx.progress.finished:
        return _see_other(ctx.url("wizard.done"))
    return review_page(ctx, news=ctx.take_news())


@bp.route("/configure/<iid>/s/<sid>/finish", methods=["GET", "POST"])
def finish(iid: str, sid: str):
    """Validate every active screen again, store the values, enable (wizard.flow.finish). A GET
    (a reload of the finished POST) goes to where the wizard stands."""
    if request.method == "GET":
        ctx = ctxmod.load(iid)
        return _see_other(ctx.url("wizard.done" if ctx.progress.finished else "wizard.review"))
    return finishing.run(iid)


@bp.get("/configure/<iid>/s/<sid>/done")
def done(iid: str, sid: str):
    ctx = ctxmod.load(iid)
    if not ctx.progress.finished:
        return _see_other(ctx.url("wizard.index"))
    return render_template("wizard/done.html", ctx=ctx, enabled=ctx.progress.enabled, page_kind="done",
                           version=ctx.instance.version, upgraded=ctx.progress.upgraded_from is not None)


@bp.get("/configure/<iid>/s/<sid>/cancel")
def cancel(iid: str, sid: str):
    """The user cancelled: the page tells the embedding page; progress is kept for later."""
    ctx = ctxmod.load(iid)
    metrics.JOURNEYS_ABANDONED.labels("cancelled").inc()
    return render_template("wizard/cancel.html", ctx=ctx, page_kind="cancel")
