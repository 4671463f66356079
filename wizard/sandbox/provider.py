"""The sandbox OAuth 2 provider, built on Authlib's authorization server.

A fake provider with a few fake workspaces (the resource owners), the authorization code grant
with PKCE required, refresh tokens, and a bearer-protected API. It also accepts an API key or
HTTP Basic on its API, so that the api_key and basic connection kinds have something real to
test against.

Faults for tests are read from app.config on every request (the live test server shares the
app object): SANDBOX_FAULT in {None, "slow", "error", "expired"}. SANDBOX_INSTANCE_URL, when set,
is sent in every token response as `instance_url` (as Salesforce names each org's API host), so
that a service's `api_base_from` is tested against a real token endpoint.

Quirks of real providers, so that each preset's kind is tested offline (docs/services.md):
- a tenant in the URLs (`/sandbox/t/<tenant>/oauth/...`, `/sandbox/t/<tenant>/api/...`), as
  Zendesk's or Shopify's per-account hosts: a token issued at a tenant works only at that tenant's
  API and is refreshed only at its token URL; a token issued at the root works at every tenant
  (as Atlassian's does at each of its sites);
- sites the token reaches (`/sandbox/api/sites`, SANDBOX_SITES) and a metadata call naming the
  account's data centre (`/sandbox/api/metadata`, SANDBOX_DC), as Atlassian and Mailchimp;
- SANDBOX_TOKEN_AUTH = client_secret_post: the built-in client must send its secret in the form;
- OAuth 2 client credentials: each workspace has an app (`app-<workspace>`, its secret the
  workspace's API key) whose token is asked with the client credentials grant.
"""
from __future__ import annotations

import hashlib
import hmac
import time

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, ClientCredentialsGrant, RefreshTokenGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey
from flask import Flask, current_app, g, request
from sqlalchemy import select

from ..config import CONSOLE_CALLBACK_PATH
from ..connect.oauth import CALLBACK_PATH
from ..extensions import per_app
from ..extensions import db
from ..services import Service
from ..texts import T
from .models import SandboxClient, SandboxCode, SandboxToken

CLIENT_ID = "wizard-sandbox"
SCOPES = {
    "profile": T("See the workspace's name"),
    "channels:read": T("List the workspace's channels"),
    "chat:write": T("Post messages to channels"),
}
WORKSPACES = {
    "acme": {"name": "Acme Corp", "channels": ["#general", "#alerts", "#deploys"]},
    "globex": {"name": "Globex", "channels": ["#general", "#ops"]},
    "initech": {"name": "Initech", "channels": ["#general", "#tps-reports", "#random"]},
}
TOKEN_TTL = 3600
# OpenID Connect, for the operator console in development (docs/console.md): its own client,
# and three pretend people to sign in as, one per console role.
CONSOLE_CLIENT_ID = "wizard-console"
OIDC_SCOPES = ("openid", "email", "profile")
PEOPLE = {
    "admin@sandbox.example": "Alex Admin",
    "support@sandbox.example": "Sam Support",
    "viewer@sandbox.example": "Val Viewer",
}
APP_PREFIX = "app-"  # client credentials: the client id of a workspace's app


def _derived(config: dict, label: str) -> str:
    return hmac.new(str(config["SECRET_KEY"]).encode(), label.encode(), hashlib.sha256).hexdigest()


def client_secret(config: dict) -> str:
    """The built-in client's secret, derived from SECRET_KEY so nothing needs configuring."""
    return _derived(config, "sandbox-client-secret")


def console_client_secret(config: dict) -> str:
    """The console's client secret at the sandbox IdP, derived like the wizard client's."""
    return _derived(config, "sandbox-console-client-secret")


def issuer(config: dict) -> str:
    return config["WIZARD_PUBLIC_URL"] + "/sandbox"


def api_key_for(workspace: str, config: dict | None = None) -> str:
    """The sandbox API key of a workspace (shown on /sandbox/keys)."""
    return "sbk_" + _derived(config or current_app.config, "sandbox-api-key:" + workspace)[:40]


def redirect_uri(config: dict) -> str:
    return config["WIZARD_PUBLIC_URL"] + CALLBACK_PATH


def sandbox_service(config: dict):
    """The registry entry of the built-in `sandbox` service: this app's own /sandbox/, or the one
    at WIZARD_SANDBOX_URL (a front end and its core use one provider; its client secret derives
    from that server's SECRET_KEY, so both share it). None while WIZARD_SANDBOX is off. Provided
    to the registry by wizard.sandbox."""
    if not config.get("WIZARD_SANDBOX"):
        return None
    base = (config.get("WIZARD_SANDBOX_URL") or config["WIZARD_PUBLIC_URL"]) + "/sandbox"
    return Service(
        name="sandbox", title="Sandbox", auth="oauth2", icon=None,
        authorize_url=base + "/oauth/authorize", token_url=base + "/oauth/token",
        scopes=("profile",), check_scopes=True, pkce=True, client_id=CLIENT_ID, client_secret=client_secret(config),
        api_base=base + "/api", test={"method": "GET", "path": "/me"},
        options={"channels": {"path": "/channels", "items": "data", "value": "id", "text": "name",
                              "scopes": ["channels:read"]}},
        scope_titles=dict(SCOPES), origin="builtin",
    )


class Workspace:
    """The resource owner of the sandbox."""

    def __init__(self, workspace_id: str):
        self.id = workspace_id

    def get_user_id(self) -> str:
        return self.id


# -- storage hooks -----------------------------------------------------------------------------

def ensure_client() -> SandboxClient:
    """The built-in client, registered on first use (and kept in step with the public URL and the
    front ends that use this sandbox, WIZARD_SANDBOX_FRONT_ENDS)."""
    uris = [redirect_uri(current_app.config)] + [
        redirect_uri({"WIZARD_PUBLIC_URL": url}) for url in current_app.config.get("WIZARD_SANDBOX_FRONT_ENDS") or []]
    client = db.session.scalar(select(SandboxClient).where(SandboxClient.client_id == CLIENT_ID))
    if client is None:
        client = SandboxClient(client_id=CLIENT_ID, client_id_issued_at=int(time.time()))
        db.session.add(client)
    method = current_app.config.get("SANDBOX_TOKEN_AUTH") or "client_secret_basic"
    if client.client_metadata.get("redirect_uris") != uris or \
            client.client_metadata.get("token_endpoint_auth_method") != method or \
            client.client_secret != client_secret(current_app.config):
        client.client_secret = client_secret(current_app.config)
        client.set_client_metadata({
            "client_name": "Configuration wizard", "redirect_uris": uris,
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "scope": " ".join(SCOPES), "token_endpoint_auth_method": method,
        })
        db.session.commit()
    return client


def ensure_console_client() -> SandboxClient:
    """The console's OpenID Connect client, registered on first use (as ensure_client)."""
    uris = [current_app.config["WIZARD_PUBLIC_URL"] + CONSOLE_CALLBACK_PATH]
    secret = console_client_secret(current_app.config)
    client = db.session.scalar(select(SandboxClient).where(SandboxClient.client_id == CONSOLE_CLIENT_ID))
    if client is None:
        client = SandboxClient(client_id=CONSOLE_CLIENT_ID, client_id_issued_at=int(time.time()))
        db.session.add(client)
    if client.client_metadata.get("redirect_uris") != uris or client.client_secret != secret:
        client.client_secret = secret
        client.set_client_metadata({
            "client_name": "Operator console", "redirect_uris": uris, "grant_types": ["authorization_code"],
            "response_types": ["code"], "scope": " ".join(OIDC_SCOPES),
            "token_endpoint_auth_method": "client_secret_basic",
        })
        db.session.commit()
    return client


class WorkspaceApp(ClientMixin):
    """A workspace's own app (client credentials grant): the user types its id and secret."""

    def __init__(self, workspace: str):
        self.workspace = workspace
        self.client_id = APP_PREFIX + workspace

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, secret):
        return hmac.compare_digest(str(secret).encode(), api_key_for(self.workspace).encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


def query_client(client_id: str):
    if client_id == CLIENT_ID:
        return ensure_client()
    if client_id == CONSOLE_CLIENT_ID:
        return ensure_console_client()
    if isinstance(client_id, str) and client_id.startswith(APP_PREFIX) and client_id[len(APP_PREFIX):] in WORKSPACES:
        return WorkspaceApp(client_id[len(APP_PREFIX):])
    return db.session.scalar(select(SandboxClient).where(SandboxClient.client_id == client_id))


def tenant() -> str | None:
    """The tenant of this request's URL (/sandbox/t/<tenant>/...), None at the root."""
    return g.get("sandbox_tenant")


def save_token(token: dict, req) -> None:
    kept = {k: v for k, v in token.items() if k != "instance_url"}  # said in the answer, not stored
    user = req.user.get_user_id() if req.user else req.client.workspace  # client credentials: the app's
    db.session.add(SandboxToken(client_id=req.client.client_id, user_id=user, tenant=tenant(), **kept))
    db.session.commit()


def expires_in(client, grant_type) -> int:
    # "expired": the code exchange hands out an access token that is already expired, so the
    # client must use its refresh token before the first call.
    if current_app.config.get("SANDBOX_FAULT") == "expired" and grant_type == "authorization_code":
        return -60
    return TOKEN_TTL


class TokenGenerator(BearerTokenGenerator):
    """Bearer tokens, with `instance_url` when SANDBOX_INSTANCE_URL is set (see the module)."""

    def generate(self, *args, **kwargs):
        token = super().generate(*args, **kwargs)
        instance_url = current_app.config.get("SANDBOX_INSTANCE_URL")
        if instance_url:
            token["instance_url"] = instance_url
        return token


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, req):
        """Keep the code with the scopes the person left ticked on the consent page."""
        requested = (req.payload.scope or "").split()
        granted = set(request.form.getlist("granted")) | set(OIDC_SCOPES)  # signing in is the consent
        db.session.add(SandboxCode(
            tenant=tenant(), code=code, client_id=req.client.client_id, redirect_uri=req.payload.redirect_uri or "",
            response_type=req.payload.response_type, scope=" ".join(s for s in requested if s in granted),
            nonce=req.payload.data.get("nonce"),
            user_id=req.user.get_user_id(), code_challenge=req.payload.data.get("code_challenge"),
            code_challenge_method=req.payload.data.get("code_challenge_method"),
        ))
        db.session.commit()

    def query_authorization_code(self, code, client):
        item = db.session.scalar(select(SandboxCode).where(SandboxCode.code == code,
                                                           SandboxCode.client_id == client.client_id))
        # a code is exchanged only at the token URL of the tenant that issued it
        return item if item is not None and not item.is_expired() and item.tenant == tenant() else None

    def delete_authorization_code(self, authorization_code):
        db.session.delete(authorization_code)
        db.session.commit()

    def authenticate_user(self, authorization_code):
        return Workspace(authorization_code.user_id)


class RefreshGrant(RefreshTokenGrant):
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotate refresh tokens
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def authenticate_refresh_token(self, refresh_token):
        item = db.session.scalar(select(SandboxToken).where(SandboxToken.refresh_token == refresh_token))
        # refreshed only at the token URL of the tenant that issued it
        return item if item is not None and not item.refresh_token_revoked_at and item.tenant == tenant() else None

    def authenticate_user(self, credential):
        return Workspace(credential.user_id)

    def revoke_old_credential(self, credential):
        now = int(time.time())
        credential.access_token_revoked_at = now
        credential.refresh_token_revoked_at = now
        db.session.commit()


class AppGrant(ClientCredentialsGrant):
    """Client credentials, the secret sent either way (RFC 6749 2.3.1)."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class StrictCodeChallenge(CodeChallenge):
    """PKCE with S256 on every authorization request, confidential clients included (Authlib's
    `required` only covers public clients): the sandbox is what proves our client sends it."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256")
        super().validate_code_challenge(grant, redirect_uri)


class TokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        item = db.session.scalar(select(SandboxToken).where(SandboxToken.access_token == token_string))
        # a tenant's token is good at that tenant's API only; a root token at every tenant's
        return item if item is not None and item.tenant in (None, tenant()) else None


def signing_key(app: Flask | None = None) -> RSAKey:
    """The sandbox IdP's id_token key: made once and kept in the instance folder, so that every
    process of a development server signs with the same key."""
    app = app or current_app._get_current_object()

    def load():
        import os

        path = os.path.join(app.instance_path, "sandbox-oidc-key.pem")
        if not os.path.exists(path):
            key = RSAKey.generate_key(2048, private=True)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
                f.write(key.as_pem(private=True))
        with open(path, "rb") as f:
            key = RSAKey.import_key(f.read())
        key.ensure_kid()
        return key

    return per_app("wizard_sandbox_oidc_key", load, app=app)


def user_info(user_id: str, scope) -> UserInfo:
    info = UserInfo(sub=user_id, name=PEOPLE.get(user_id, user_id))
    if "email" in (scope or ""):
        info["email"], info["email_verified"] = user_id, True
    return info


class SandboxOpenIDCode(OpenIDCode):
    """id_tokens (RS256, the key at /sandbox/oauth/jwks) carrying the request's nonce."""

    def resolve_client_private_key(self, client):
        return signing_key()

    def get_client_algorithm(self, client):
        return "RS256"

    def get_client_claims(self, client):
        return {"iss": issuer(current_app.config), "aud": [client.get_client_id()]}

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": signing_key().kid}

    def exists_nonce(self, nonce, req):
        return db.session.scalar(select(SandboxCode.id).where(
            SandboxCode.client_id == req.payload.client_id, SandboxCode.nonce == nonce)) is not None

    def generate_user_info(self, user, scope):
        return user_info(user.get_user_id(), scope)


def build(app: Flask) -> tuple[AuthorizationServer, ResourceProtector]:
    """One authorization server and resource protector per app (tests build several apps)."""
    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_token_generator("default", TokenGenerator(
        lambda **kw: generate_token(42), lambda **kw: generate_token(48), expires_in))
    server.register_grant(CodeGrant, [StrictCodeChallenge(required=True), SandboxOpenIDCode(require_nonce=True)])
    server.register_grant(RefreshGrant)
    server.register_grant(AppGrant)
    protector = ResourceProtector()
    protector.register_token_validator(TokenValidator())
    return server, protector
