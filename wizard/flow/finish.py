"""Finish: the one orchestration of the wizard's last button (formtools' `done` and
`render_revalidation_failure`, in order):

1. claim the instance's Finish (flow.progress: one claim at a time; a twin Finish waits for the
   holder's outcome and answers the same way);
2. read the instance locked with its progress, and validate every active screen again
   (`revalidation_failure`: the user goes back to the first one that no longer holds);
3. ask the ISV's validation webhook (`validation_webhook`);
4. save the values in the core and enable (`done`); a refusal keeps every value and is shown on
   the review.

The view (flow.views.finish) only calls `run`.
"""
from __future__ import annotations

import time

from flask import session

from .. import session_keys as keys
from ..core import CoreError, CoreUnavailable, MissingValues, NotFound, get_core
from ..extensions import db
from ..models import utcnow
from ..texts import T, from_json, to_json
from ..web import guard
from ..web import operations as metrics
from ..web.session import end_session
from ..webhooks import validation
from . import context as ctxmod
from . import progress as progress_store
from .actions import see_other as _see_other
from .render import review_page


def run(iid: str):
    """Called by the Finish POST: validate every active screen again, store the values, enable.
    A failure keeps every value and says what went wrong; a second Finish after a success gets
    the same success."""
    guard.bound_user(iid)  # only this session's own instance is claimed
    started = utcnow()
    if not progress_store.claim_finish(iid):  # committed at once; never once finished
        return _await_other_finish(ctxmod.load(iid))
    try:
        # the instance read locked with its progress (one statement); the core reuses the lock
        ctx = ctxmod.load(iid, lock=True)
        twin_failed = progress_store.failed_since(ctx.row, started)
        if twin_failed is not None:  # a twin Finish failed while this one waited: the same answer
            progress_store.release_finish(iid)
            return _answer_failed(ctx, twin_failed)
        sent_back = None if ctx.progress.finished else (_revalidation_failure(ctx) or _validation_webhook_on_finish(ctx))
    except BaseException:
        progress_store.release_finish(iid)
        raise
    if ctx.progress.finished or sent_back is not None:
        progress_store.release_finish(iid)
        return sent_back or _see_other(ctx.url("wizard.done"))
    return _done(ctx)


def _revalidation_failure(ctx):
    """Hook (formtools' render_revalidation_failure): called by Finish before it talks to the
    core. Sends the user to the first screen left with input (a draft) or that no longer holds;
    None when everything does."""
    failing, errors = ctx.engine.validate_all(secrets_saved=ctx.secrets_kept)
    drafted = [s for s in ctx.engine.active() if ctx.progress.draft(s.number) is not None]
    if drafted and (failing is None or drafted[0].number < failing.number):
        # Input left on a screen (Back with errors, a Next the core missed) is not in the stored
        # values: Finish would silently drop it. Show it again instead, with its errors.
        session[keys.INFO] = {"screen": drafted[0].number,
                              "text": to_json(T("You left changes on this step. Check them and continue."))}
        return _see_other(ctx.url("wizard.screen", n=drafted[0].number))
    if failing is not None:
        session[keys.ERRORS] = {"screen": failing.number, "errors": to_json(errors)}
        ctx.progress.unmark(failing.number)
        ctx.save()
        return _see_other(ctx.url("wizard.screen", n=failing.number))
    return None


def _validation_webhook_on_finish(ctx):
    """Finish: the ISV's validation webhook sees every value before anything is saved. Its
    errors send the user to the first screen they name, shown on their fields (like a screen
    that no longer holds); no answer keeps everything and the review's Try again retries.
    None when Finish may go on."""
    config, auth = ctx.engine.final_values()
    try:
        errors = validation.ask(ctx.definition, trigger="finish", user_id=ctx.user_id,
                                external_user_id=ctx.external_user_id, instance_id=ctx.iid,
                                version=ctx.version, config=config, auth=auth)
    except validation.Unavailable as exc:
        return review_page(ctx, news=ctx.take_news(), error={"code": "validation_unavailable", "message": exc.message, "fields": []},
                              status=503)
    if not errors:
        return None
    ctx.engine.reopen(errors)  # an upgrade's setting that stays, refused: its screen shows it
    where = {sid: s for s in ctx.engine.active() for sid in s.slot_ids}
    named = sorted((where[k].number for k in errors if k in where))
    if not named:  # only slots the user does not see: nothing to correct here
        fields = [{"slot": k, "title": ctx.engine.slots.get(k, {}).get("title", k), "message": v, "url": None}
                  for k, v in errors.items()]
        return review_page(ctx, news=ctx.take_news(), status=409, error={
            "code": "invalid_values", "fields": fields,
            "message": T("The settings were not accepted. Contact the application's support if this persists.")})
    first = named[0]
    session[keys.ERRORS] = {"screen": first, "errors": {k: v for k, v in errors.items()
                                                              if k in where and where[k].number == first}}
    ctx.progress.unmark(first)
    ctx.save()
    return _see_other(ctx.url("wizard.screen", n=first))


def _done(ctx):
    """Hook (formtools' done): called by the one Finish holding the claim. Saves the values in
    the core and enables; a refusal keeps every value and is shown on the review."""
    config, auth = ctx.engine.final_values()
    core, iid = get_core(), ctx.iid
    running = ctx.instance.version
    try:
        enable = ctx.definition.get("autoEnable", True)
        # instance.configured for the ISV's webhooks (core.configured) comes with the values: the
        # embedded core writes it in the same transaction; a remote core records it itself (a
        # lost answer: Finish again repeats the calls harmlessly and reports again)
        def report(saved):  # asked only once the values are saved
            core.configured(saved)

        if ctx.mode == "upgrade":
            data = core.upgrade(iid, config_values=config, auth_values=auth)
            data = core.save_and_enable(iid, name=ctx.progress.name or None, enable=enable, on_saved=report)
        else:
            data = core.save_and_enable(iid, name=ctx.progress.name or None, config_values=config, auth_values=auth,
                                        enable=enable, on_saved=report)
        enabled = data.enabled
    except CoreError as exc:
        error = _finish_error(ctx, exc)
        status = 503 if isinstance(exc, CoreUnavailable) else 409
        # for a waiting twin; without the links, which carry this session's reference
        kept = {**error, "status": status, "fields": [{**f, "url": None, "has_url": bool(f["url"])}
                                                      for f in error["fields"]]}
        progress_store.release_finish(iid, error=to_json(kept))
        return review_page(ctx, news=ctx.take_news(), error=error, status=status)
    except BaseException:
        progress_store.release_finish(iid)
        raise
    progress_store.finish(ctx.progress, ctx.definition, enabled=enabled,
                          upgraded_from=running if data.version != running else None)
    end_session(session)
    metrics.JOURNEYS_FINISHED.inc()
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
        return _answer_failed(ctx, error)
    return _see_other(ctx.url("wizard.review"))


def _answer_failed(ctx, error: dict):
    """The review with another Finish's error, its field links made for this session."""
    where = {slot_id: s for s in ctx.engine.active() for slot_id in s.slot_ids}
    error = {k: v for k, v in from_json(error).items() if k != "at"}  # stored messages: translated here
    error["fields"] = [{**f, "url": ctx.url("wizard.screen", n=where[f["slot"]].number)
                        if f.get("has_url") and f.get("slot") in where else None} for f in error.get("fields", [])]
    return review_page(ctx, news=ctx.take_news(), error=error, status=error.get("status", 409))


def _finish_error(ctx, exc: CoreError) -> dict:
    """What the review page says when the core refused or did not answer."""
    slots = ctx.engine.slots
    if exc.fields and ctx.engine.in_upgrade():
        ctx.engine.reopen(exc.fields)  # an upgrade's setting that stays, refused: its screen shows it
        ctx.save()
    where = {slot_id: s for s in ctx.engine.active() for slot_id in s.slot_ids}
    fields = []
    for slot_id, msg in (exc.fields or {}).items():
        slot = slots.get(slot_id)
        screen = where.get(slot_id)
        fields.append({
            "slot": slot_id,
            "title": slot["title"] if slot else slot_id,
            "message": msg,
            "url": ctx.url("wizard.screen", n=screen.number) if screen and slot and not slot.get("hidden") else None,
        })
    if isinstance(exc, CoreUnavailable):
        message = T("The service could not be reached, so nothing was saved there yet. Your answers are kept: try again in a moment.")
    elif isinstance(exc, MissingValues):
        message = T("Some required settings are still missing, so the integration could not be turned on. "
                    "Your answers are kept.")
        if any(f["url"] is None for f in fields):
            message = T("Some required settings are still missing, so the integration could not be turned on. "
                        "Your answers are kept. Some of them are set by the application: contact its support if "
                        "this persists.")
    elif isinstance(exc, NotFound):
        message = T("This integration no longer exists.")
    else:
        message = T("The settings were not accepted. Your answers are kept; check them and try again.")
    return {"code": exc.code, "message": message, "fields": fields}
