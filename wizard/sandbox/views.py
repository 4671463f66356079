"""Routes of the sandbox provider: consent page, token endpoint and the tiny API."""
from __future__ import annotations

import base64
import binascii
import functools
import hmac
import re
import time

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, abort, current_app, g, jsonify, render_template, request
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from ..extensions import per_app
from ..i18n import localize
from ..texts import T
from ..themes.views import page_theme
from .provider import (
    APP_PREFIX, CLIENT_ID, OIDC_SCOPES, PEOPLE, SCOPES, WORKSPACES, Workspace, api_key_for, build, issuer, signing_key,
    user_info,
)

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")


def _server():
    return per_app("wizard_sandbox", lambda: build(current_app._get_current_object()))


TENANT = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


@bp.url_value_preprocessor
def tenant_of_url(_endpoint, values):
    """/sandbox/t/<tenant>/...: the tenant goes to g (provider.tenant()), not to the views."""
    g.sandbox_tenant = (values or {}).pop("tenant", None)
    if g.sandbox_tenant is not None and not TENANT.fullmatch(g.sandbox_tenant):
        abort(404)


@bp.before_request
def sandbox_enabled():
    """The whole sandbox is off (404) when WIZARD_SANDBOX is false, checked per request."""
    if not current_app.config.get("WIZARD_SANDBOX"):
        abort(404)


class ConsentForm(FlaskForm):
    workspace = SelectField(T("Workspace"), choices=[SelectChoice(k, v["name"]) for k, v in WORKSPACES.items()])
    granted = SelectMultipleField(T("Permissions"), widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput())
    allow = SubmitField(T("Allow"))
    deny = SubmitField(T("Deny"))


@bp.get("/.well-known/oauth-authorization-server")
def metadata():
    """RFC 8414 server metadata, so that a service can be declared by `server_metadata_url`
    alone (as Google's preset is) and that path is tested against a real server."""
    base = current_app.config["WIZARD_PUBLIC_URL"] + "/sandbox"
    return jsonify(issuer=base, authorization_endpoint=base + "/oauth/authorize",
                   token_endpoint=base + "/oauth/token", response_types_supported=["code"],
                   grant_types_supported=["authorization_code", "refresh_token"],
                   code_challenge_methods_supported=["S256"], scopes_supported=sorted(SCOPES),
                   token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"])


@bp.get("/.well-known/openid-configuration")
def openid_configuration():
    """OpenID Connect discovery: the sandbox is the operator console's IdP in development."""
    base = issuer(current_app.config)
    return jsonify(issuer=base, authorization_endpoint=base + "/oauth/authorize",
                   token_endpoint=base + "/oauth/token", userinfo_endpoint=base + "/oauth/userinfo",
                   jwks_uri=base + "/oauth/jwks", response_types_supported=["code"],
                   subject_types_supported=["public"], id_token_signing_alg_values_supported=["RS256"],
                   scopes_supported=[*OIDC_SCOPES, *sorted(SCOPES)], code_challenge_methods_supported=["S256"],
                   token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
                   claims_supported=["sub", "email", "email_verified", "name"])


@bp.get("/oauth/jwks")
def jwks():
    return jsonify(keys=[signing_key().as_dict(private=False)])


@bp.get("/oauth/userinfo")
def userinfo():
    _, protector = _server()
    try:
        tok = protector.acquire_token(["openid"])
    except OAuth2Error as error:
        return jsonify(dict(error.get_body())), error.status_code, error.get_headers()
    return jsonify(dict(user_info(tok.user_id, tok.scope)))


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@bp.route("/t/<tenant>/oauth/authorize", methods=["GET", "POST"])
def authorize():
    server, _ = _server()
    try:
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        # Only a request with a known client and redirect URI goes back to the client; anything
        # else is shown here (never redirect to an unchecked URI).
        if getattr(error, "redirect_uri", None):
            return server.handle_error_response(request, error)
        return render_template("sandbox/error.html", error=error.error,
                               description=error.description), 400
    requested = [s for s in (grant.request.payload.scope or "").split() if s in SCOPES]
    form = ConsentForm()
    signing_in = "openid" in (grant.request.payload.scope or "").split()
    if signing_in:  # an OpenID Connect sign-in: the person is one of the pretend people
        form.workspace.label.text = T("Sign in as")
        form.workspace.choices = [SelectChoice(k, f"{v} <{k}>") for k, v in PEOPLE.items()]
    form.granted.choices = [SelectChoice(s, localize(SCOPES[s])) for s in requested]
    if request.method == "GET":
        form.granted.data = requested
    if form.validate_on_submit():
        user = Workspace(form.workspace.data) if form.allow.data else None
        return server.create_authorization_response(grant_user=user, grant=grant)
    g.sandbox_consent = True
    # The wizard's own client is named as the product the user knows (its theme's name).
    name = page_theme().product_name if grant.client.client_id == CLIENT_ID else grant.client.client_name
    return render_template("sandbox/consent.html", form=form, client_name=name, action=request.full_path,
                           signing_in=signing_in)


@bp.after_request
def consent_headers(response):
    """The consent page is never framed; with SANDBOX_CONSENT_COOP it also cuts window.opener,
    as some real providers' pages do. With SANDBOX_REALM the redirect back to the client names
    the company as QuickBooks does (realmId)."""
    realm = current_app.config.get("SANDBOX_REALM")
    if realm and request.endpoint == "sandbox.authorize" and response.status_code == 302 \
            and "code=" in response.headers.get("Location", ""):
        response.headers["Location"] += "&realmId=" + str(realm)
    if g.get("sandbox_consent"):
        response.headers["X-Frame-Options"] = "DENY"
        if current_app.config.get("SANDBOX_CONSENT_COOP"):
            response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    return response


@bp.post("/oauth/token")
@bp.post("/t/<tenant>/oauth/token")
def token():
    server, _ = _server()
    return server.create_token_response()


# -- the API ---------------------------------------------------------------------------------

def _workspace_of_key(key: str) -> str | None:
    for wid in WORKSPACES:
        if hmac.compare_digest(key.encode(), api_key_for(wid).encode()):
            return wid
    return None


def _unauthorized(message: str):
    resp = jsonify(error="invalid_token", message=message)
    resp.status_code = 401
    resp.headers["WWW-Authenticate"] = 'Bearer realm="sandbox"'
    return resp


def api(scope: str | None = None):
    """Protect an API route: an OAuth bearer token with `scope`, or a workspace API key
    (X-Api-Key), or HTTP Basic (workspace id : API key). Applies SANDBOX_FAULT."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            fault = current_app.config.get("SANDBOX_FAULT")
            if fault == "slow":
                time.sleep(current_app.config.get("SANDBOX_SLOW_SECONDS",
                                                  current_app.config.get("WIZARD_API_TIMEOUT", 5) + 1))
            if fault == "error":
                return jsonify(error="server_error", message="the sandbox failed on purpose"), 500
            header = request.headers.get("Authorization", "")
            if header[:7].lower() == "bearer ":
                _, protector = _server()
                try:
                    tok = protector.acquire_token([scope] if scope else None)
                except OAuth2Error as error:  # answered here: the app's error pages would hide the RFC 6750 body
                    return jsonify(dict(error.get_body())), error.status_code, error.get_headers()
                g.sandbox_workspace = tok.user_id
            elif request.headers.get("X-Api-Key"):
                g.sandbox_workspace = _workspace_of_key(request.headers["X-Api-Key"])
                if not g.sandbox_workspace:
                    return _unauthorized("unknown API key")
            elif header[:6].lower() == "basic ":
                try:
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                except (binascii.Error, UnicodeDecodeError):
                    return _unauthorized("malformed Basic credentials")
                if _workspace_of_key(password) != user:
                    return _unauthorized("wrong username or password")
                g.sandbox_workspace = user
            else:
                return _unauthorized("no credentials")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _at_tenant(text: str) -> str:
    return f"{text} @ {g.sandbox_tenant}" if g.sandbox_tenant else text


@bp.get("/api/me")
@bp.get("/t/<tenant>/api/me")
@api("profile")
def me():
    """Who the credentials are: at a tenant, its workspace there (another identity)."""
    wid = g.sandbox_workspace
    ident = f"{g.sandbox_tenant}/{wid}" if g.sandbox_tenant else wid
    return jsonify(id=ident, name=_at_tenant(WORKSPACES[wid]["name"]), workspace=wid)


@bp.get("/api/channels")
@bp.get("/t/<tenant>/api/channels")
@api("channels:read")
def channels():
    wid = g.sandbox_workspace
    return jsonify(data=[{"id": f"C{i}", "name": _at_tenant(name)}
                         for i, name in enumerate(WORKSPACES[wid]["channels"], start=1)])


@bp.get("/api/sites")
@api()
def sites():
    """The sites (tenants) a token reaches, as Atlassian's accessible-resources lists them."""
    base = current_app.config["WIZARD_PUBLIC_URL"] + "/sandbox/t/"
    names = current_app.config.get("SANDBOX_SITES") or ["alpha", "beta"]
    return jsonify([{"id": s, "name": s.title() + " site", "url": base + s, "scopes": sorted(SCOPES)} for s in names])


@bp.get("/api/metadata")
@api()
def metadata_of_account():
    """The account's data centre and API host, as Mailchimp's metadata call names them."""
    dc = current_app.config.get("SANDBOX_DC") or "us6"
    return jsonify(dc=dc, api_endpoint=current_app.config["WIZARD_PUBLIC_URL"] + "/sandbox/t/" + dc + "/api",
                   accountname=WORKSPACES[g.sandbox_workspace]["name"])


@bp.get("/keys")
def keys():
    """The sandbox's 'developer settings': each workspace's API key, for api_key and basic
    services that point at the sandbox API."""
    return render_template("sandbox/keys.html", app_prefix=APP_PREFIX,
                           keys=[(wid, ws["name"], api_key_for(wid)) for wid, ws in WORKSPACES.items()])
