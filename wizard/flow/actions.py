"""What a screen's buttons do: one named handler per `wizard_action`, in the manner of
formtools' WizardView hooks (render_next_step, render_goto_step, render_revalidation_failure).

A button posts `wizard_action=<name>` or `<name>:<argument>` ("rename:<authId>",
"add_row:<slot>", "remove_row:<slot>:<row>"); `handle` calls the handler of that name with the
argument. A new action is a new handler in ACTIONS, not another branch. Every handler gets the
wizard context and the posted screen and answers with a response.
"""
from __future__ import annotations

from flask import current_app, request, session
from werkzeug.datastructures import MultiDict

from ..i18n import localize
from ..solutions.values import instance_name_problem
from ..texts import T, from_json, to_json
from ..core import NotFound
from ..i18n import _
from ..web import user_accounts
from ..web.errors import refusal
from . import forms
from .. import session_keys as keys
from ..webhooks import validation
from .engine import Screen
from .render import screen_page

MORE_SETTINGS = T("More settings apply now. Check them, then continue.")


def see_other(url: str):
    """A 303 to `url`: every wizard POST ends with one (post/redirect/get). The app's own
    redirect (what flask.redirect calls), its proxy looked up once."""
    return current_app._get_current_object().redirect(url, 303)


def handle(ctx, screen: Screen, value: str | None):
    """Called by the screen view on every POST: dispatch to the named handler (Next by default)."""
    name, _, argument = (value or "next").partition(":")
    handler = ACTIONS.get(name, go_next)
    return handler(ctx, screen, argument)


# -- the handlers ----------------------------------------------------------------------------------

def go_next(ctx, screen: Screen, _argument: str = ""):
    """Next: check the screen; on success store it and go to the next active screen (or the
    review); with errors show them; with fields that have just appeared, show those first."""
    return _submit(ctx, screen, forward=True)


def go_back(ctx, screen: Screen, _argument: str = ""):
    """Back: store the screen when it holds, else keep it as a draft (nothing typed is lost);
    then go to the previous active screen."""
    return _submit(ctx, screen, forward=False)


def rename_account(ctx, screen: Screen, auth_id: str):
    """An auth screen's "Rename" (a wizard action, so it works without JavaScript and carries
    the screen's CSRF token): renames one of the session user's own accounts."""
    try:
        auth = user_accounts.rename_account(auth_id, ctx.user_id, request.form.get(f"rename_{auth_id}", ""))
    except NotFound:
        raise refusal("not_your_account", ctx.iid) from None
    except ValueError:
        user_accounts.get_account(auth_id, ctx.user_id)  # someone else's account is refused first
        info = T("Enter a name for the account.")
    else:
        info = T("The account is now called %(account)s.", account=auth.name)
    return shown_after_post(ctx, screen, raw=forms.raw_from_formdata(request.form, screen.slots), info=info)


def change_rows(ctx, screen: Screen, _argument: str = ""):
    """Add row / Remove of a mapping: the screen again with the rows changed, kept as a draft."""
    action = request.form.get("wizard_action")
    formdata = forms.mapping_rows_action(request.form, action)
    return shown_after_post(ctx, screen, raw=forms.raw_from_formdata(formdata, screen.slots), focus=action)


ACTIONS = {"next": go_next, "back": go_back, "rename": rename_account,
           "add_row": change_rows, "remove_row": change_rows}


def shown_after_post(ctx, screen: Screen, *, raw: dict | None = None, errors: dict | None = None,
                     info=None, problem=None, focus: str | None = None, status: int = 200):
    """Post/redirect/get: a POST that shows its screen again (errors, a note, a changed row)
    keeps what was typed as the screen's draft and what the page should say in the session (shown
    once), then redirects to the screen. The browser's history then holds only GETs: Back,
    Forward and reload always work (no "Confirm Form Resubmission"), and a reload shows the draft
    again, checked anew."""
    if raw is not None:
        ctx.progress.set_draft(screen.number, raw)
    session[keys.SHOWN] = {"screen": screen.number, "errors": to_json(errors or {}), "info": to_json(info),
                           "problem": to_json(problem), "focus": focus, "status": status}
    ctx.save()
    return see_other(ctx.url("wizard.screen", n=screen.number))


# -- Next and Back -------------------------------------------------------------------------------

def _submit(ctx, screen: Screen, *, forward: bool):
    # the posted form is read, never shown (every outcome redirects), and its token was checked
    # before the view (extensions.check_csrf): no fresh CSRF token is signed for it
    posted = request.form
    page = screen_page(ctx, screen, formdata=posted, csrf=False)
    rendered = [s["externalId"] for s in ctx.engine.visible_slots(screen)]
    config, auth, conv_errors = forms.convert(page.form, page.slots, page.maps)
    result = ctx.engine.validate_screen(screen, config, auth, keep_secret=ctx.secrets_kept, rendered=rendered)
    result.errors.update(conv_errors)
    if forms.NAME_FIELD in page.form:
        name = page.form[forms.NAME_FIELD].data
        refused = instance_name_problem(name)  # the one rule of the API, the CLI and the core
        if refused is None:
            ctx.progress.rename(name)
        elif forward:
            result.errors[forms.NAME_FIELD] = refused
    raw = forms.raw_from_formdata(posted, screen.slots)
    if result.errors and not forward:
        ctx.progress.left_with_errors(screen.number, raw)
        ctx.save()
        return see_other(ctx.url("wizard.screen", n=(ctx.engine.prev(screen) or screen).number))
    if result.errors:
        return shown_after_post(ctx, screen, raw=raw, errors=result.errors, status=422)
    if result.appeared and forward:  # a condition now holds: show the new fields first
        ctx.engine.merge(result)
        return shown_after_post(ctx, screen, raw=raw, info=MORE_SETTINGS)
    if forward:
        refused = ask_validation_webhook(ctx, screen, result, page, raw)
        if refused is not None:
            return refused
    ctx.engine.merge(result)
    ctx.progress.submitted(screen.number, raw)
    ctx.save()
    target = ctx.engine.next(screen) if forward else ctx.engine.prev(screen)
    if target is None and forward:
        # The last one: first back to input left on a screen (Finish would send the user there),
        # and in upgrade mode to a screen not answered yet (a version published mid-journey).
        target = next((s for s in ctx.engine.active() if ctx.progress.draft(s.number) is not None), None)
        if target is None and ctx.engine.in_upgrade():
            target = ctx.engine.first_unfinished()
    if target is not None:
        return see_other(ctx.url("wizard.screen", n=target.number))
    return see_other(ctx.url("wizard.review") if forward else ctx.url("wizard.screen", n=screen.number))


def ask_validation_webhook(ctx, current: Screen, result, page, raw: dict):
    """Next: the ISV's validation webhook (wizard.webhooks.validation) sees the screen's values
    once our own rules accept them, before they are kept. Its errors show on their fields like
    ours (422); no answer shows a message, keeps what was typed (also as a draft, for a reload)
    and Next again is the retry. None when the screen may go on."""
    screen = {"number": current.number, "title": current.title, "slots": current.slot_ids}
    try:
        errors = validation.ask(ctx.definition, trigger="next", user_id=ctx.user_id,
                                external_user_id=ctx.external_user_id, instance_id=ctx.iid,
                                version=ctx.version, screen=screen, config=result.config, auth=result.auth)
    except validation.Unavailable as exc:
        return shown_after_post(ctx, current, raw=raw, problem=exc.message, status=503)
    if not errors:
        return None
    here = {k: v for k, v in errors.items() if k in current.slot_ids}
    elsewhere = [v for k, v in errors.items() if k not in current.slot_ids]
    return shown_after_post(ctx, current, raw=raw, errors=here, status=422,
                            problem=" ".join(str(localize(v)) for v in elsewhere) or None)



# -- showing a screen ------------------------------------------------------------------------------

def show_screen(ctx, screen: Screen, *, formdata=None, validate: bool = True, info: str | None = None,
                focus: str | None = None):
    """A screen's page: prefilled from the progress; a draft left with errors (or the errors
    that sent the user back from Finish) are shown again, and an account connected in the popup
    since the last page is chosen."""
    for slot_id, auth_id in ctx.take_connected().items():
        if slot_id in screen.slot_ids and auth_id and not ctx.check_auth(slot_id, auth_id):
            ctx.progress.choose_account(slot_id, auth_id, screen=screen.number)
            ctx.save()
    errors = {}
    state = session._get_current_object()  # the proxy looked up once (session.pop through it: ~5x the cost)
    told = state.pop(keys.INFO, None)
    if info is None and told and told.get("screen") == screen.number:
        info = from_json(told.get("text"))
    sent_back = state.pop(keys.ERRORS, None)
    if sent_back and sent_back.get("screen") == screen.number:
        errors.update(from_json(sent_back.get("errors") or {}))
    problem, status = None, 200
    after_post = state.pop(keys.SHOWN, None)  # what the POST before this GET had to say (shown_after_post)
    if after_post and after_post.get("screen") == screen.number:
        errors.update(from_json(after_post.get("errors") or {}))
        info = info or from_json(after_post.get("info"))
        problem, focus, status = from_json(after_post.get("problem")), focus or after_post.get("focus"), after_post.get("status") or 200
        validate = False  # the POST's own findings, not checked again
    draft = ctx.progress.draft(screen.number)
    if formdata is None and draft is not None:
        formdata = MultiDict([(k, v) for k, vs in draft.items() for v in vs])
    page = screen_page(ctx, screen, formdata=formdata)
    if formdata is not None and validate:
        config, auth, conv_errors = forms.convert(page.form, page.slots, page.maps)
        result = ctx.engine.validate_screen(screen, config, auth, keep_secret=ctx.secrets_kept)
        errors = {**result.errors, **conv_errors, **errors}
    forms.apply_errors(page.form, errors)
    return page.render(errors=errors, info=info, focus=focus, problem=problem, status=status, news=ctx.take_news())
