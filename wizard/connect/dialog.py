"""The auth-only dialog (docs/events.md, "The auth-only dialog"): connect one account without the whole wizard.

The ISV page opens one of the `/external/auth/...?code=` routes (popup or iframe). The code is
used up, a fresh session bound to that user is started and the browser is sent to the dialog
page, whose URL carries the session (`/external/auth/s/<sid>`), not the code. The dialog opens
the same connect popup as the wizard and reports to the ISV page with tray.authpopup.finish
{authType, authId}, tray.authpopup.close and tray.authPopup.error {error, err}, posted only to
the allowed origins.
"""
from __future__ import annotations

import json

from flask import redirect, render_template, request, session, url_for

from ..core import CodeError, CoreError, NotFound
from ..i18n import language
from ..texts import T
from ..crypto import hash_secret
from ..web import guard, user_accounts
from .. import session_keys as keys
from ..web.errors import WizardError, refusal
from ..web.security import allow_framing, allowed_origins
from . import attempts
from .views import begin_connection, bp, reauth_id_or_error, service_or_error, status_response, with_source_scopes


def _error_page(status: int, code: str, message: str):
    """An error page that also tells the ISV page (tray.authPopup.error)."""
    allow_framing()
    return render_template("connect/dialog_error.html", status=status, code=code, message=message,
                           origins=json.dumps(allowed_origins())), status


def _open(user_id: str, ctx: dict, embedded_id: str):
    """Start the dialog's own session (never one the browser brought), wearing the theme of
    `embedded_id`, and leave the code's URL."""
    sid = keys.start(keys.AUTH_DIALOG, {"user_id": user_id, **ctx})
    session[keys.THEME] = embedded_id
    return redirect(url_for("connect.dialog", sid=sid))


def _enter(embedded_id: str, build):
    """Use up the code, then build the dialog's context with `build(user_id)`."""
    try:
        guard.embedded_id(embedded_id)
        user_id, _external = user_accounts.spend_code(request.args.get("code"))
        return _open(user_id, build(user_id), embedded_id)
    except CodeError as exc:
        return _error_page(403, exc.code, exc.message)
    except CoreError as exc:
        exc = guard.core_error(exc, None)
        return _error_page(exc.code, exc.machine_code, exc.description)
    except WizardError as exc:
        return _error_page(exc.code, exc.machine_code, exc.description)


@bp.get("/external/auth/create/<embedded_id>/<iid>/<external_auth_id>")
def dialog_for_instance(embedded_id, iid, external_auth_id):
    """Connect the account of one auth slot of an instance; the instance's auth value is set."""

    def build(user_id):
        inst = guard.owned_instance(iid, user_id)
        slots = {s["externalId"]: s for s in inst.definition["auth"]}
        if external_auth_id not in slots:
            raise WizardError(404, "not_found", T("This integration has no account step %(step)s.", step=repr(external_auth_id)))
        slot = with_source_scopes(slots[external_auth_id], (inst.definition,))
        service = service_or_error(slot["service"])
        return {"service": service.name, "scopes": attempts.merged_scopes(service.scopes, slot.get("scopes")),
                "instance_id": iid, "slot": external_auth_id, "reauth_id": None}

    return _enter(embedded_id, build)


@bp.get("/external/auth/create/<embedded_id>")
def dialog_create(embedded_id):
    """Connect an account of `serviceId` with extra `scopes[]`, not tied to an instance."""

    def build(user_id):
        service = service_or_error(request.args.get("serviceId", ""))
        extra = request.args.getlist("scopes[]") + request.args.getlist("scopes")
        return {"service": service.name, "scopes": attempts.merged_scopes(service.scopes, extra),
                "instance_id": None, "slot": "", "reauth_id": None}

    return _enter(embedded_id, build)


@bp.get("/external/auth/edit/<embedded_id>/<auth_id>")
def dialog_edit(embedded_id, auth_id):
    """Re-authorise one of the user's authentications."""

    def build(user_id):
        try:
            auth = user_accounts.get_account(auth_id, user_id)
        except NotFound:
            raise refusal("not_your_account") from None
        service = service_or_error(auth.service)
        return {"service": service.name, "scopes": attempts.merged_scopes(service.scopes, auth.scopes),
                "instance_id": None, "slot": "", "reauth_id": reauth_id_or_error(auth.id, user_id, service),
                "params": dict(auth.params or {})}

    return _enter(embedded_id, build)


def _dialog_target(sid: str) -> attempts.Target:
    ctx = keys.binding(keys.AUTH_DIALOG)
    if not ctx:
        raise refusal("dialog_expired")
    service = service_or_error(ctx["service"])
    return attempts.Target(owner_id=ctx["user_id"], service=service, session_key=hash_secret(sid),
                        slot=ctx.get("slot") or "", scopes=list(ctx.get("scopes") or []),
                        instance_id=ctx.get("instance_id"), reauth_id=ctx.get("reauth_id"), mode="dialog",
                        params=dict(ctx.get("params") or {}))


@bp.get("/external/auth/s/<sid>")
def dialog(sid):
    """The dialog page: a Connect button that opens the connect popup, and Cancel."""
    try:
        target = _dialog_target(sid)
    except WizardError as exc:
        return _error_page(exc.code, exc.machine_code, exc.description)
    allow_framing()
    known = [a for a in user_accounts.list_accounts(target.owner_id, target.service.name)
             if not target.reauth_id or a.id == target.reauth_id]
    return render_template("connect/dialog.html", service=target.service, reconnect=bool(target.reauth_id),
                           accounts=[{"name": a.name, **user_accounts.account_words(a)} for a in known],
                           start_url=url_for("connect.dialog_start", sid=sid, lang=language()),
                           status_url=url_for("connect.dialog_status", sid=sid),
                           origins=json.dumps(allowed_origins()))


@bp.route("/connect/dialog/s/<sid>", methods=["GET", "POST"])
def dialog_start(sid):
    """The dialog's connect popup: same flow as the wizard's."""
    return begin_connection(_dialog_target(sid), url_for("connect.dialog_start", sid=sid))


@bp.get("/connect/dialog/s/<sid>/status")
def dialog_status(sid):
    target = _dialog_target(sid)
    return status_response(attempts.status_of(target.session_key, target.slot))
