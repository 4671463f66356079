"""Wizard pages. Thin: each view loads the context, asks the engine, converts the form and
renders. Every session-bound rule carries `/s/<sid>` (the session reference lives in the page,
so the wizard works in a cross-site iframe without third-party cookies).

Endpoints (blueprint "wizard"):
  entry, entry_external   GET  /configure/<iid>?code=  and  /external/solutions/<eid>/configure/<iid>?code=
  index                   GET  /configure/<iid>/s/<sid>/          -> the entry screen or the review
  screen                  GET/POST /configure/<iid>/s/<sid>/screen/<n>
  review                  GET  /configure/<iid>/s/<sid>/review
  finish                  POST /configure/<iid>/s/<sid>/finish
  done                    GET  /configure/<iid>/s/<sid>/done
  cancel                  GET  /configure/<iid>/s/<sid>/cancel
"""
from __future__ import annotations

import time

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict

from .. import accounts, identity
from ..core import CoreError, CoreUnavailable, MissingValues, NotFound, get_core
from ..extensions import db
from ..web.errors import WizardError
from ..web.security import allow_framing
from . import context as ctxmod
from . import forms
from . import progress as progress_store
from .engine import BadScreen, Options
from .render import review_payload, review_sections, screen_page

bp = Blueprint("wizard", __name__)

OPTION_PARAMS = ("customValidation", "start", "show", "skipTitleField", "lang", "upgrade")


@bp.before_request
def frameable():
    """Wizard pages (and their error pages) may be framed by the allowed origins."""
    allow_framing()


def _see_other(url: str):
    return redirect(url, code=303)


def announce_ready() -> bool:
    """Called by the layout of a screen or the review: True on the first one shown after entry,
    which alone posts tray.configPopup.ready (events.md: "the first screen is shown")."""
    return bool(session.pop(ctxmod.READY_KEY, False))


# -- entry ---------------------------------------------------------------------------------------

@bp.get("/configure/<iid>")
def entry(iid: str):
    """Check the code, bind a fresh session to its user and this instance, and leave the code
    behind: the browser goes on to a URL without it."""
    try:
        user_id = identity.consume_code(request.args.get("code"))
    except identity.CodeError as exc:
        raise WizardError(403, exc.code, exc.message, iid) from None
    try:
        instance = get_core().get_instance(iid)
    except CoreError as exc:
        raise ctxmod.core_error(exc, iid) from None
    if instance.owner_id != user_id:
        raise WizardError(403, "forbidden", "You are not allowed to configure this integration.", iid)
    options = Options.from_args(request.args)
    session.clear()
    sid = session.regenerate()
    session[ctxmod.SESSION_KEY] = {"user_id": user_id, "instance_id": iid, "options": options.to_dict()}
    session[ctxmod.READY_KEY] = True
    prog = progress_store.load(iid)
    if prog.finished:  # opened again after finishing: start from the instance's values
        progress_store.save(progress_store.Progress(instance_id=iid), {"config": []})
    return _see_other(url_for("wizard.index", iid=iid, sid=sid, **options.query()))


@bp.get("/external/solutions/<embedded_id>/configure/<iid>")
def entry_external(embedded_id: str, iid: str):
    """The Tray Embedded path; the embedded id must match the configured one when there is one."""
    configured = current_app.config.get("WIZARD_EMBEDDED_ID")
    if configured and embedded_id != configured:
        raise WizardError(404, "not_found", "This wizard address is not known here.", iid)
    return entry(iid)


@bp.get("/configure/<iid>/s/<sid>/")
def index(iid: str, sid: str):
    """Open at `start=n`, else the first unfinished screen, else the review."""
    if any(p in request.args for p in OPTION_PARAMS):
        bound = ctxmod.binding(iid)
        session[ctxmod.SESSION_KEY] = {**bound, "options": Options.from_args(request.args).to_dict()}
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
    try:
        ctx = ctxmod.load(iid)
    except WizardError as exc:
        # The core did not answer a Next: keep what was typed, so the error page's promise holds.
        if request.method == "POST" and exc.machine_code == "core_unavailable":
            ctxmod.binding(iid)  # only into this session's own instance
            progress_store.keep_draft(iid, n, request.form)
        raise
    if ctx.progress.finished:
        return _see_other(ctx.url("wizard.done"))
    current = ctx.engine.get(n)
    if current is None:  # not (or no longer) an active screen
        return _see_other(ctx.url("wizard.index"))
    if request.method == "GET":
        return _show_screen(ctx, current)

    try:
        ctx.engine.check_current(request.form.get("wizard_screen"), current)
    except BadScreen:
        raise WizardError(400, "bad_request", "This form does not belong to this step. Reload the page.", iid) from None
    action = request.form.get("wizard_action") or "next"
    if action.startswith("rename:"):
        return _show_screen(ctx, current, formdata=request.form, validate=False,
                            info=_rename_account(ctx, action[len("rename:"):]))
    if action.startswith(("add_row:", "remove_row:")):
        formdata = forms.mapping_rows_action(request.form, action)
        ctx.progress.drafts[str(n)] = forms.raw_from_formdata(formdata, current.slots)
        ctx.save()
        return _show_screen(ctx, current, formdata=formdata, validate=False, focus=action)

    page = screen_page(ctx, current, formdata=request.form)
    rendered = [s["externalId"] for s in ctx.engine.visible_slots(current)]
    config, auth, conv_errors = forms.convert(page.form, page.slots, page.maps)
    result = ctx.engine.validate_screen(current, config, auth, keep_secret=ctx.secrets_kept, rendered=rendered)
    result.errors.update(conv_errors)
    if forms.NAME_FIELD in page.form:
        ctx.progress.name = (page.form[forms.NAME_FIELD].data or "").strip()[:300] or None
    raw = forms.raw_from_formdata(request.form, current.slots)

    if result.errors or (result.appeared and action == "next"):
        if action == "back":
            # Nothing typed is lost: the screen keeps its draft and shows its errors later.
            ctx.progress.drafts[str(n)] = raw
            ctx.progress.done = [d for d in ctx.progress.done if d != n]
            ctx.save()
            target = ctx.engine.prev(current) or current
            return _see_other(ctx.url("wizard.screen", n=target.number))
        if not result.errors:  # fields appeared (a condition now holds): show them first
            ctx.engine.merge(result)
            ctx.progress.drafts.pop(str(n), None)
            ctx.save()
            return _show_screen(ctx, current, formdata=request.form, validate=False,
                                info="More settings apply now. Check them, then continue.")
        forms.apply_errors(page.form, result.errors)
        return page.render(errors=result.errors, status=422)

    ctx.engine.merge(result)
    ctx.progress.raw[str(n)] = raw
    ctx.progress.drafts.pop(str(n), None)
    ctx.progress.done = sorted(set(ctx.progress.done) | {n})
    ctx.engine.done = ctx.progress.done
    ctx.save()
    target = ctx.engine.prev(current) if action == "back" else ctx.engine.next(current)
    if target is None:
        return _see_other(ctx.url("wizard.screen", n=n) if action == "back" else ctx.url("wizard.review"))
    return _see_other(ctx.url("wizard.screen", n=target.number))


def _rename_account(ctx, auth_id: str) -> str:
    """An auth screen's "Rename" (a wizard action, so it works without JavaScript and carries
    the screen's CSRF token): renames one of the session user's own accounts."""
    try:
        auth = accounts.get(auth_id, owner_id=ctx.user_id)
    except NotFound:
        raise WizardError(404, "not_found", "That account does not exist or is not yours.", ctx.iid) from None
    try:
        accounts.rename(auth, request.form.get(f"rename_{auth_id}", ""))
    except ValueError:
        return "Enter a name for the account."
    return f"The account is now called {auth.name}."


def _show_screen(ctx, current, *, formdata=None, validate: bool = True, info: str | None = None, focus: str | None = None):
    """GET of a screen: prefilled from the progress; a draft left with errors (or the errors
    that sent the user back from Finish) are shown again."""
    connected = ctx.take_connected()
    for slot_id, auth_id in connected.items():
        if slot_id in current.slot_ids and auth_id and not ctx.check_auth(slot_id, auth_id):
            ctx.engine.auth[slot_id] = auth_id
            ctx.save()
    errors = {}
    told = session.pop(ctxmod.INFO_KEY, None)
    if info is None and told and told.get("screen") == current.number:
        info = told.get("text")
    sent_back = session.pop(ctxmod.ERRORS_KEY, None)
    if sent_back and sent_back.get("screen") == current.number:
        errors.update(sent_back.get("errors") or {})
    draft = ctx.progress.drafts.get(str(current.number))
    if formdata is None and draft is not None:
        formdata = MultiDict([(k, v) for k, vs in draft.items() for v in vs])
    page = screen_page(ctx, current, formdata=formdata)
    if formdata is not None and validate:
        config, auth, conv_errors = forms.convert(page.form, page.slots, page.maps)
        result = ctx.engine.validate_screen(current, config, auth, keep_secret=ctx.secrets_kept)
        errors = {**result.errors, **conv_errors, **errors}
    forms.apply_errors(page.form, errors)
    return page.render(errors=errors, info=info, focus=focus)


# -- review and finish ---------------------------------------------------------------------------

@bp.get("/configure/<iid>/s/<sid>/review")
def review(iid: str, sid: str):
    ctx = ctxmod.load(iid)
    if ctx.progress.finished:
        return _see_other(ctx.url("wizard.done"))
    return _render_review(ctx)


def _render_review(ctx, *, error: dict | None = None, status: int = 200):
    active = ctx.engine.active()
    return render_template(
        "wizard/review.html", ctx=ctx, sections=review_sections(ctx), error=error, steps=active,
        payload=review_payload(ctx),
        last=active[-1] if active else None, page_kind="review",
    ), status


@bp.route("/configure/<iid>/s/<sid>/finish", methods=["GET", "POST"])
def finish(iid: str, sid: str):
    """Validate every active screen again, store the values, enable. A failure keeps every
    value and says what went wrong; a second Finish after a success gets the same success."""
    ctx = ctxmod.load(iid)
    if ctx.progress.finished:
        return _see_other(ctx.url("wizard.done"))
    if request.method == "GET":
        return _see_other(ctx.url("wizard.review"))
    failing, errors = ctx.engine.validate_all(secrets_saved=ctx.secrets_kept)
    drafted = [s for s in ctx.engine.active() if str(s.number) in ctx.progress.drafts]
    if drafted and (failing is None or drafted[0].number < failing.number):
        # Input left on a screen (Back with errors, a Next the core missed) is not in the stored
        # values: Finish would silently drop it. Show it again instead, with its errors.
        session[ctxmod.INFO_KEY] = {"screen": drafted[0].number,
                                    "text": "You left changes on this step. Check them and continue."}
        return _see_other(ctx.url("wizard.screen", n=drafted[0].number))
    if failing is not None:
        session[ctxmod.ERRORS_KEY] = {"screen": failing.number, "errors": errors}
        ctx.progress.done = [d for d in ctx.progress.done if d != failing.number]
        ctx.save()
        return _see_other(ctx.url("wizard.screen", n=failing.number))
    if not progress_store.claim_finish(iid):
        return _await_other_finish(ctx)
    db.session.expire_all()
    if progress_store.load(iid).finished:  # another Finish completed since this one loaded
        progress_store.release_finish(iid)
        return _see_other(ctx.url("wizard.done"))
    config, auth = ctx.engine.final_values()
    core = get_core()
    try:
        if ctx.mode == "upgrade":
            data = core.upgrade(iid, config_values=config, auth_values=auth)
            if ctx.progress.name:
                data = core.save_values(iid, name=ctx.progress.name)
        else:
            data = core.save_values(iid, name=ctx.progress.name or None, config_values=config, auth_values=auth)
        enabled = data.enabled
        if ctx.definition.get("autoEnable", True):
            enabled = core.set_enabled(iid, True, error_on_missing=True).enabled
    except CoreError as exc:
        error = _finish_error(ctx, exc)
        status = 503 if isinstance(exc, CoreUnavailable) else 409
        # for a waiting twin; without the links, which carry this session's reference
        kept = {**error, "status": status, "fields": [{**f, "url": None, "has_url": bool(f["url"])}
                                                      for f in error["fields"]]}
        progress_store.release_finish(iid, error=kept)
        return _render_review(ctx, error=error, status=status)
    except BaseException:
        progress_store.release_finish(iid)
        raise
    progress_store.finish(ctx.progress, ctx.definition, enabled=enabled)
    return _see_other(ctx.url("wizard.done"))


def _await_other_finish(ctx, wait: float = 15.0):
    """Another request (a double click, a second tab) is finishing this instance: wait for its
    outcome and answer the same way, instead of saving and enabling a second time."""
    deadline = time.monotonic() + wait
    while progress_store.finishing(ctx.iid) and time.monotonic() < deadline:
        db.session.rollback()  # end the read transaction, so the next read sees the other commit
        time.sleep(0.1)
    db.session.rollback()
    if progress_store.load(ctx.iid).finished:
        return _see_other(ctx.url("wizard.done"))
    error = progress_store.finish_error(ctx.iid)
    if error:  # the same answer as the request that talked to the core (the browser shows this one)
        where = {sid: s for s in ctx.engine.active() for sid in s.slot_ids}
        error["fields"] = [{**f, "url": ctx.url("wizard.screen", n=where[f["slot"]].number)
                            if f.get("has_url") and f.get("slot") in where else None} for f in error.get("fields", [])]
        return _render_review(ctx, error=error, status=error.get("status", 409))
    return _see_other(ctx.url("wizard.review"))


def _finish_error(ctx, exc: CoreError) -> dict:
    """What the review page says when the core refused or did not answer."""
    slots = ctx.engine.slots
    where = {sid: s for s in ctx.engine.active() for sid in s.slot_ids}
    fields = []
    for sid, msg in (exc.fields or {}).items():
        slot = slots.get(sid)
        screen = where.get(sid)
        fields.append({
            "slot": sid,
            "title": slot["title"] if slot else sid,
            "message": msg,
            "url": ctx.url("wizard.screen", n=screen.number) if screen and slot and not slot.get("hidden") else None,
        })
    if isinstance(exc, CoreUnavailable):
        message = "The service could not be reached, so nothing was saved there yet. Your answers are kept: try again in a moment."
    elif isinstance(exc, MissingValues):
        message = ("Some required settings are still missing, so the integration could not be turned on. "
                   "Your answers are kept.")
        if any(f["url"] is None for f in fields):
            message += " Some of them are set by the application: contact its support if this persists."
    elif isinstance(exc, NotFound):
        message = "This integration no longer exists."
    else:
        message = "The settings were not accepted. Your answers are kept; check them and try again."
    return {"code": exc.code, "message": message, "fields": fields}


@bp.get("/configure/<iid>/s/<sid>/done")
def done(iid: str, sid: str):
    ctx = ctxmod.load(iid)
    if not ctx.progress.finished:
        return _see_other(ctx.url("wizard.index"))
    return render_template("wizard/done.html", ctx=ctx, enabled=ctx.progress.enabled, page_kind="done")


@bp.get("/configure/<iid>/s/<sid>/cancel")
def cancel(iid: str, sid: str):
    """The user cancelled: the page tells the embedding page; progress is kept for later."""
    ctx = ctxmod.load(iid)
    return render_template("wizard/cancel.html", ctx=ctx, page_kind="cancel")
