"""Routes of the connect popup: start (OAuth 2 redirect or credential form), the OAuth callback,
retry, the status endpoint the wizard polls, and renaming an account.

Status contract (`connect.status`): {status: "none"|"pending"|"done"|"error", authId, message}.
Message to the opener (finish page): {type: "wizard.connect.done", slot, authId, error}, posted
to our own origin only.
"""
from __future__ import annotations

import re

from authlib.integrations.base_client import MismatchingStateError, OAuthError
from flask import (
    Blueprint, current_app, g, jsonify, make_response, render_template, request, session, url_for,
)

from ..i18n import localize
from ..texts import T
from ..core import NotFound
from ..extensions import db
from ..crypto import decrypt, encrypt, hash_secret, new_secret
from ..services import UnknownService, authoring, registry
from ..services.params import ParamError
from ..themes.views import remember_for_popup
from ..web import guard, user_accounts
from .. import session_keys as keys
from ..web.errors import WizardError, refusal
from . import attempts
from .forms import credential_form, credentials_from, params_form, params_from
from .oauth import BINDING_COOKIE, CALLBACK_PATH, FLOW_TTL, oauth_client, redirect_uri
from .tokens import (
    ApiError, check_connection, client_credentials, client_credentials_token, expires_at_of, found_params,
    fresh_new_token, token_credentials,
)

bp = Blueprint("connect", __name__)


# -- shared steps (also used by the auth-only dialog) ----------------------------------------

def service_or_error(name: str):
    try:
        service = registry().get(name)
    except UnknownService:
        raise WizardError(404, "not_found", T("The service %(name)s is not available on this server.", name=repr(name))) from None
    if not service.configured:
        raise WizardError(503, "service_not_configured",
                          T("%(service)s is not set up on this server yet. Ask the application's support team.",
                            service=service.title))
    return service


def reauth_id_or_error(auth_id: str | None, owner_id: str, service) -> str | None:
    """The authentication to re-authorise: one of the user's own, of this service."""
    if not auth_id:
        return None
    try:
        auth = user_accounts.get_account(auth_id, owner_id)
    except NotFound:
        raise refusal("not_your_account") from None
    if auth.service != service.name:
        raise WizardError(400, "bad_request", T("That account is not a %(service)s account.", service=service.title))
    return auth.id


def reauth_params(auth_id: str | None, owner_id: str) -> dict:
    """The connection parameters of the account being reconnected (it keeps its host)."""
    return dict(user_accounts.get_account(auth_id, owner_id).params or {}) if auth_id else {}


def begin_connection(target: attempts.Target, form_action: str):
    """Start connecting: redirect to the provider (oauth2; first asking the connection parameters
    the service needs, unless the account being reconnected has them) or show / check the
    credential form (which asks them too)."""
    if target.service.auth == "oauth2":
        if target.service.typed_params and not target.params:
            return _params_form(target, form_action)
        return _begin_oauth(target)
    return _credential_form(target, form_action)


def bound(service, params: dict | None):
    """The service with one account's parameters in its URLs (docs/services.md)."""
    return service.with_params(params or {})


def _params_form(target: attempts.Target, action: str):
    """Ask the connection parameters (a tenant, a shop, a region) before going to the provider:
    checked here, so that no request is made with a value that would leave the service's host."""
    service = target.service
    form = params_form(service)
    if request.method == "POST" and form.validate_on_submit():
        values = params_from(form, service)
        try:
            bound(service, values)
        except ParamError as exc:
            getattr(form, "param_" + (exc.param or service.typed_params[0]["name"])).errors.append(exc.message)
        else:
            target.params = values
            return _begin_oauth(target)
    status = 400 if request.method == "POST" else 200
    return render_template("connect/params.html", form=form, service=service, action=action,
                           reconnect=bool(target.reauth_id)), status


def _begin_oauth(target: attempts.Target):
    service = bound(target.service, target.params)
    nonce = new_secret()
    flow = attempts.begin(target, binding=nonce)
    g.connect_binding = nonce
    try:
        resp = oauth_client(service).authorize_redirect(redirect_uri(), scope=" ".join(target.scopes))
    except Exception:  # an unreachable metadata URL or a broken provider configuration
        current_app.logger.warning("cannot start OAuth for service %s", service.name, exc_info=True)
        attempts.fail(flow, T("%(service)s cannot be reached right now. Try again in a moment.", service=service.title))
        return finish_page(flow, service, can_retry=False), 502
    resp.set_cookie(BINDING_COOKIE, nonce, max_age=FLOW_TTL, path="/connect/", httponly=True, samesite="Lax",
                    secure=current_app.config["WIZARD_PUBLIC_URL"].startswith("https://"))
    remember_for_popup(resp)
    return resp


def _credential_form(target: attempts.Target, action: str):
    service = target.service
    form = credential_form(service)
    error = None
    if request.method == "GET":
        attempts.begin(target)
    elif form.validate_on_submit():
        flow = attempts.latest(target.session_key, target.slot)
        if flow is None or flow.status == "done" or flow.reauth_id != target.reauth_id:
            flow = attempts.begin(target)  # this form's own attempt: new account or reconnect, as asked
        creds = credentials_from(form, service)
        values = params_from(form, service)
        expires_at = None
        try:
            called = bound(service, values)
            token = None
            if service.auth == "client_credentials":  # the user's own client asks for a token
                token = client_credentials_token(called, creds)
                creds, expires_at = client_credentials(creds, token), expires_at_of(token)
            checked = check_connection(called, service.auth, creds, token)
        except ParamError as exc:
            error = exc.message
            attempts.fail(flow, error)
        except ApiError as exc:
            error = T("These credentials did not work: %(reason)s Nothing was saved.", reason=exc.message)
            attempts.fail(flow, error)
        else:
            if attempts.save(flow, service, creds, name=checked.name, account=checked.account,
                             expires_at=expires_at, params=values) is None:
                error = attempts.message_of(flow)
            else:
                return finish_page(flow, service)
    return render_template("connect/credentials.html", form=form, service=service, action=action, error=error,
                           reconnect=bool(target.reauth_id)), (400 if error else 200)


def finish_page(flow, service, *, can_retry: bool = True):
    """The page the popup ends on; static/connect.js posts its result to the opener. A failed
    OAuth attempt offers to try again (through the popup's binding cookie)."""
    ok = flow.status == "done"
    message = {"type": "wizard.connect.done", "slot": flow.slot, "authId": flow.auth_id if ok else None,
               "error": None if ok else (attempts.message_of(flow) or localize(T("Connecting failed."))), "attempt": str(flow.id),
               "notice": (attempts.message_of(flow) or None) if ok else None}
    retry = can_retry and not ok and flow.binding_hash is not None
    return render_template("connect/finish.html", message=message, service=service,
                           retry_url=url_for("connect.retry") if retry else None)


def status_response(result: dict):
    resp = jsonify(result)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _wizard_slot(iid: str, slot: str) -> tuple[str, dict]:
    """The session's user and the instance's auth slot `slot` (the guard checks the rest)."""
    bound, inst = guard.this_instance(iid)
    slots = {s["externalId"]: s for d in (inst.definition, inst.newest_definition or {}) for s in d.get("auth", [])}
    if slot not in slots:
        raise refusal("no_account_step", iid)
    return bound["user_id"], with_source_scopes(slots[slot], (inst.definition, inst.newest_definition or {}))


def with_source_scopes(slot_def: dict, definitions) -> dict:
    """The auth slot asking also for the scopes its dynamic options lists need (docs/services.md),
    so that connecting or reconnecting grants them even for a definition published before
    publishing checked it."""
    try:
        service = registry().get(slot_def["service"])
    except UnknownService:
        return slot_def
    needed = [s for d in definitions for s in authoring.scopes_for_auth_slot(d, slot_def["externalId"], service)]
    return {**slot_def, "scopes": attempts.merged_scopes(slot_def.get("scopes"), needed)}


# -- routes ----------------------------------------------------------------------------------

@bp.route("/connect/<iid>/s/<sid>/<slot>", methods=["GET", "POST"])
def start(iid, sid, slot):
    """Open in the popup by the wizard: connect an account for an auth slot (?auth=<id> to
    re-authorise an existing one)."""
    user_id, slot_def = _wizard_slot(iid, slot)
    service = service_or_error(slot_def["service"])
    reauth = reauth_id_or_error(request.args.get("auth"), user_id, service)
    target = attempts.Target(owner_id=user_id, service=service, session_key=hash_secret(sid), slot=slot,
                          scopes=attempts.merged_scopes(service.scopes, slot_def.get("scopes")), instance_id=iid,
                          reauth_id=reauth, params=reauth_params(reauth, user_id))
    return begin_connection(target, url_for("connect.start", iid=iid, sid=sid, slot=slot, auth=reauth))


@bp.get("/connect/<iid>/s/<sid>/<slot>/status")
def status(iid, sid, slot):
    """What became of the latest attempt of this wizard session for this slot (for when the
    popup could not tell the wizard, e.g. a provider page cut window.opener)."""
    _wizard_slot(iid, slot)
    result = attempts.status_of(hash_secret(sid), slot)
    if result["status"] == "done" and keys.connected_for(slot) != result["authId"]:
        keys.add_connected(session, slot, result["authId"])
    return status_response(result)


@bp.get(CALLBACK_PATH)
def callback():
    """The provider sends the popup back here. Authlib checks state and sends the PKCE verifier
    (both kept under the popup's binding); then the connection is tested and saved."""
    flow = attempts.by_binding(request.cookies.get(BINDING_COOKIE))
    if flow is None or flow.status != "pending":
        return _callback_refused(T("This sign-in was not started in this window, or it has expired. Close this window and press Connect again."))
    service = bound(service_or_error(flow.service), flow.params)
    client = oauth_client(service)
    if client.framework.get_state_data(None, request.args.get("state")) is None:
        # Not the answer to this window's request (a forged ?error= link, say): leave the real
        # attempt untouched, and never show text that came with the link.
        return _callback_refused(T("This sign-in could not be verified. Close this window and press Connect again."),
                                 service)
    try:
        token = client.authorize_access_token()
    except Exception as exc:  # every failure of the exchange ends the attempt, with a message
        return _ended(attempts.fail(flow, _exchange_failure(service, exc)), service)
    return _ended(_accept(flow, service, token), service)


def _callback_refused(message: str, service=None):
    """A callback that belongs to no attempt of this window: said in the popup, nothing changed."""
    return render_template("connect/finish.html", service=service, retry_url=None, message={
        "type": "wizard.connect.done", "slot": "", "authId": None, "error": localize(message)}), 400


def _exchange_failure(service, exc: Exception) -> str:
    """What the popup says when the code could not be exchanged for a token."""
    if isinstance(exc, MismatchingStateError):
        return T("This sign-in could not be verified (it does not match the one this window started). Try again.")
    if isinstance(exc, OAuthError):
        if exc.error == "access_denied":
            return T("You did not allow access to %(service)s, so nothing was connected.", service=service.title)
        # the provider's own description is not shown: it is text from a URL
        code = re.sub(r"[^a-z_]", "", str(exc.error))[:40]
        return T("%(service)s could not connect the account (error: %(code)s). Try again.", service=service.title, code=code)
    # network errors, a provider answering nonsense
    current_app.logger.warning("token exchange failed for service %s", service.name)
    return T("%(service)s did not complete the sign-in. Try again.", service=service.title)


def _accept(flow, service, token: dict):
    """A token for the attempt: renew it if it is already expiring, find the parameters found
    after connecting (a data centre; a site, which the user chooses when the token reaches
    several), then complete it. Returns the attempt (done, failed, or pending a choice: then the
    choice page is shown)."""
    try:
        token = fresh_new_token(service, token)
        creds = token_credentials(token, service=service)
        found = found_params(service, creds, request.args)
    except ApiError as exc:
        return attempts.fail(flow, T("The new connection did not pass its test (%(reason)s) and was not saved.", reason=exc.message))
    for name, items in found.items():  # reconnecting keeps the account's site while the token reaches it
        kept = (flow.params or {}).get(name)
        if kept in [value for value, _text in items]:
            found[name] = [item for item in items if item[0] == kept]
    if any(len(v) > 1 for v in found.values()):
        flow.pending = encrypt({"token": token, "found": found})
        db.session.commit()
        return flow
    return _complete(flow, service, token, creds, {k: v[0][0] for k, v in found.items()})


def _complete(flow, service, token: dict, creds: dict, found: dict):
    """Test the connection with all its parameters, check the granted scopes, save the account."""
    params = {**(flow.params or {}), **found}
    try:
        service = bound(service, params)
        checked = check_connection(service, "oauth2", creds, token)
    except ParamError as exc:
        return attempts.fail(flow, exc.message)
    except ApiError as exc:
        return attempts.fail(flow, T("The new connection did not pass its test (%(reason)s) and was not saved.", reason=exc.message))
    # space-separated (RFC 6749); Slack and GitHub separate them with commas
    scopes = [s for s in re.split(r"[\s,]+", token["scope"]) if s] if token.get("scope") else list(flow.scopes)
    withheld = [s for s in flow.scopes or [] if s not in scopes] if service.check_scopes else []
    if withheld:  # the integration would fail later, on its first call that needs them
        return attempts.fail(flow, T("%(service)s did not give this integration everything it needs: %(permissions)s. Nothing was connected. Try again and allow all of it.", service=service.title, permissions=service.scope_list(withheld)))
    attempts.save(flow, service, creds, name=checked.name, account=checked.account, scopes=scopes,
                  expires_at=expires_at_of(token), granted=bool(token.get("scope")), params=params)
    return flow


def _ended(flow, service):
    """The callback's answer. On success the popup's binding is spent (the cookie goes); after a
    failure it stays, so that the popup can retry. A token reaching several sites asks which."""
    if flow.status == "pending" and flow.pending:
        return _choice_page(flow, service)
    resp = make_response(finish_page(flow, service), 200 if flow.status == "done" else 400)
    if flow.status == "done":
        resp.delete_cookie(BINDING_COOKIE, path="/connect/")
    return resp


def _choice_page(flow, service, status: int = 200):
    """Which of the sites (tenants) the new token reaches this account is for."""
    found = decrypt(flow.pending)["found"]
    return render_template("connect/choose.html", service=service, choices=[
        {"name": name, "title": next(p["title"] for p in service.params if p["name"] == name), "items": items}
        for name, items in found.items() if len(items) > 1]), status


@bp.post("/connect/choose")
def choose():
    """The user's choice among the sites the new token reaches (the popup's binding cookie says
    which attempt; CSRFProtect checks the form; only a value offered is accepted); then the
    connection is tested and saved."""
    flow = attempts.by_binding(request.cookies.get(BINDING_COOKIE))
    if flow is None or flow.status != "pending" or not flow.pending:
        return _callback_refused(T("This sign-in was not started in this window, or it has expired. Close this window and press Connect again."))
    service = bound(service_or_error(flow.service), flow.params)
    pending = decrypt(flow.pending)
    chosen = {}
    for name, items in pending["found"].items():
        offered = [value for value, _text in items]
        value = request.form.get(name) if len(offered) > 1 else offered[0]
        if value not in offered:
            return _choice_page(flow, service, 400)
        chosen[name] = value
    flow.pending = None
    token = pending["token"]
    return _ended(_complete(flow, service, token, token_credentials(token, service=service), chosen), service)


@bp.post("/connect/retry")
def retry():
    """Try a failed OAuth attempt again from the popup, with the same target (found through the
    popup's binding cookie, since the popup's URL no longer carries the wizard session)."""
    flow = attempts.by_binding(request.cookies.get(BINDING_COOKIE))
    if flow is None or flow.status == "done":
        raise WizardError(400, "expired", T("This window can no longer retry. Close it and press Connect again."))
    service = service_or_error(flow.service)
    return _begin_oauth(attempts.target_of(flow, service))


@bp.post("/connect/<iid>/s/<sid>/auth/<auth_id>/rename")
def rename(iid, sid, auth_id):
    """Rename one of the session user's accounts: form field `name`; answers {authId, name}."""
    owner_id = guard.bound_user(iid)["user_id"]
    try:
        auth = user_accounts.get_account(auth_id, owner_id)
        auth = user_accounts.rename_account(auth.id, owner_id, request.form.get("name", ""))
    except NotFound:
        raise refusal("not_your_account", iid) from None
    except ValueError:
        return jsonify(error="invalid", message=localize(T("Enter a name for the account."))), 400
    return jsonify(authId=auth.id, name=auth.name)
