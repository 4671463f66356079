"""Who is signed in to the console, and what they may do.

- Its own session: a random value in the `wizard_console` cookie (HttpOnly, SameSite=Strict,
  Secure on https, path /console), only its hash stored (console_sessions), with an idle and an
  absolute lifetime. Wizard sessions (wizard.web.session) never open a console page.
- Roles `viewer` < `support` < `admin`, looked up on every request from the operator's row
  (`require(role)` on each view; a disabled operator's sessions stop at once).
- CSRF: every POST to /console is checked here, in one place, against a token derived from the
  console session (or, before sign-in, from the sign-in binding cookie); Flask-WTF forms render it
  through `ConsoleCSRF`.
- Sign-in: OpenID Connect with Authlib's Flask client (state, nonce and PKCE checked by Authlib;
  the authorization request is kept in the database under a key bound to a first-party cookie,
  as connect.oauth does for the popup), or a single-use link from `flask console sign-in-link`.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
from datetime import timedelta

from authlib.integrations.flask_client import OAuth
from flask import abort, current_app, g, request
from sqlalchemy import select, update
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from ..config import CONSOLE_CALLBACK_PATH
from ..connect.oauth import BoundStateIntegration, DbCache
from ..crypto import hash_secret, new_secret
from ..extensions import db, per_app
from ..models import utcnow
from .models import ROLES, ConsoleSession, Operator, SignInLink

COOKIE = "wizard_console"
BINDING_COOKIE = "wizard_console_signin"
COOKIE_PATH = "/console"


class SignInError(Exception):
    """A sign-in that cannot go on; the message is shown to the person."""


# -- roles -----------------------------------------------------------------------------------

def role_rank(role: str | None) -> int:
    return ROLES.index(role) if role in ROLES else -1


def role_mapping(config) -> list[tuple[str, str]]:
    """WIZARD_CONSOLE_ROLES as (role, address-or-@domain) pairs: "admin=ops@acme.com,support=@acme.com"."""
    pairs = []
    for part in (config.get("WIZARD_CONSOLE_ROLES") or "").split(","):
        role, _, who = part.strip().partition("=")
        if role.strip() in ROLES and who.strip():
            pairs.append((role.strip(), who.strip().lower()))
    return pairs


def mapped_role(email: str, config) -> str | None:
    """The role the settings give an address: its own entry first, then its domain's; the
    highest when several entries match equally."""
    email = email.lower()
    domain = "@" + email.rpartition("@")[2]
    for wanted in (email, domain):
        roles = [role for role, who in role_mapping(config) if who == wanted]
        if roles:
            return max(roles, key=role_rank)
    return None


def operator_for(email: str) -> Operator:
    """The operator signing in with this (verified) address: their row, else one made from the
    settings' mapping. Refused when neither gives a role, or the operator is disabled."""
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        raise SignInError("The identity provider did not give a verified e-mail address.")
    operator = db.session.scalar(select(Operator).where(Operator.email == email))
    if operator is None:
        role = mapped_role(email, current_app.config)
        if role is None:
            raise SignInError(f"{email} is not an operator of this console.")
        operator = Operator(email=email, role=role)
        db.session.add(operator)
    if operator.disabled:
        raise SignInError(f"{email} may no longer sign in to this console.")
    return operator


# -- sessions --------------------------------------------------------------------------------

def _secure() -> bool:
    return current_app.config["WIZARD_PUBLIC_URL"].startswith("https://")


def start_session(operator: Operator, response) -> None:
    """Sign the operator in: a fresh session (never one the browser brought), its cookie set."""
    sid = new_secret()
    now = utcnow()
    operator.last_sign_in = now
    db.session.add(ConsoleSession(sid_hash=hash_secret(sid), operator=operator, csrf_secret=new_secret(),
                                  expires_at=now + timedelta(seconds=current_app.config["WIZARD_CONSOLE_SESSION_TTL"])))
    db.session.commit()
    response.set_cookie(COOKIE, sid, httponly=True, samesite="Strict", secure=_secure(), path=COOKIE_PATH,
                        max_age=current_app.config["WIZARD_CONSOLE_SESSION_MAX_AGE"])
    response.delete_cookie(BINDING_COOKIE, path=COOKIE_PATH)


def current_session() -> ConsoleSession | None:
    """The request's console session, read once (operator joined): None when there is none, it
    has expired (idle or absolute), or its operator is disabled. Its idle expiry slides."""
    if "console_session" not in g:
        g.console_session = None
        sid = request.cookies.get(COOKIE)
        if sid:
            row = db.session.scalar(select(ConsoleSession).where(ConsoleSession.sid_hash == hash_secret(sid)))
            now = utcnow()
            max_age = timedelta(seconds=current_app.config["WIZARD_CONSOLE_SESSION_MAX_AGE"])
            if row is not None and row.expires_at > now and row.created > now - max_age \
                    and not row.operator.disabled:
                ttl = timedelta(seconds=current_app.config["WIZARD_CONSOLE_SESSION_TTL"])
                if row.expires_at - now < ttl - timedelta(minutes=1):  # slide at most once a minute
                    row.expires_at = now + ttl
                    db.session.commit()
                g.console_session = row
    return g.console_session


def current_operator() -> Operator | None:
    s = current_session()
    return s.operator if s else None


def end_session(response) -> None:
    s = current_session()
    if s is not None:
        db.session.delete(s)
        db.session.commit()
    response.delete_cookie(COOKIE, path=COOKIE_PATH)


def may(role: str) -> bool:
    """Whether the signed-in operator has at least `role` (templates show only what they may do)."""
    op = current_operator()
    return op is not None and role_rank(op.role) >= role_rank(role)


def require(role: str):
    """Decorate a console view: signed in (else to the sign-in page) with at least `role`
    (else 403). Every console view has it; tests/test_console_security.py checks them all."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if current_operator() is None:
                abort(401)
            if not may(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.console_role = role
        return wrapped

    return decorate


# -- CSRF ------------------------------------------------------------------------------------

def csrf_token() -> str:
    """The token every console form carries: tied to the console session, or before sign-in to
    the sign-in binding cookie (set_binding)."""
    s = current_session()
    if s is not None:
        basis = "session:" + s.csrf_secret
    else:
        basis = "binding:" + (g.get("console_binding") or request.cookies.get(BINDING_COOKIE) or "")
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), basis.encode(), hashlib.sha256).hexdigest()


def check_csrf() -> None:
    """Called before every console request: a POST without the right token is refused (400)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get("csrf_token", "")
    has_basis = current_session() is not None or request.cookies.get(BINDING_COOKIE)
    if not has_basis or not hmac.compare_digest(sent.encode(), csrf_token().encode()):
        abort(400, "The form has expired or did not come from this console. Reload the page and try again.")


class ConsoleCSRF(CSRF):
    """WTForms' CSRF hook for FlaskForm (Meta.csrf_class): renders the console's token; the
    check itself happens for every POST in check_csrf."""

    def generate_csrf_token(self, csrf_token_field):
        return csrf_token()

    def validate_csrf_token(self, form, field):
        if not hmac.compare_digest((field.data or "").encode(), csrf_token().encode()):
            raise ValidationError("CSRF token mismatch")


def set_binding(response) -> None:
    """A first-party cookie tying a sign-in (its CSRF token, its OIDC request) to this browser.
    Lax, not Strict: the IdP's redirect back is a cross-site navigation."""
    if not request.cookies.get(BINDING_COOKIE) and not g.get("console_binding"):
        g.console_binding = new_secret()
    if g.get("console_binding"):
        response.set_cookie(BINDING_COOKIE, g.console_binding, httponly=True, samesite="Lax", secure=_secure(),
                            path=COOKIE_PATH, max_age=900)


def binding() -> str | None:
    return g.get("console_binding") or request.cookies.get(BINDING_COOKIE)


# -- sign-in links ---------------------------------------------------------------------------

def create_sign_in_link(email: str, role: str | None = None) -> str:
    """A single-use link for `email` (made an operator with `role` when given), valid
    WIZARD_CONSOLE_LINK_TTL seconds; only its hash is stored."""
    email = (email or "").strip().lower()
    if role is not None:
        if role not in ROLES:
            raise SignInError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
        operator = db.session.scalar(select(Operator).where(Operator.email == email))
        if operator is None:
            db.session.add(Operator(email=email, role=role))
        else:
            operator.role, operator.disabled = role, False
        db.session.flush()
    operator_for(email)  # refused now rather than when the link is opened
    token = new_secret()
    db.session.add(SignInLink(token_hash=hash_secret(token), email=email,
                              expires_at=utcnow() + timedelta(seconds=current_app.config["WIZARD_CONSOLE_LINK_TTL"])))
    db.session.commit()
    return current_app.config["WIZARD_PUBLIC_URL"] + "/console/sign-in/link/" + token


def use_sign_in_link(token: str) -> Operator:
    """Use the link up (one conditional UPDATE: single use even under a double click)."""
    now = utcnow()
    email = db.session.execute(
        update(SignInLink).where(SignInLink.token_hash == hash_secret(token or ""), SignInLink.used_at.is_(None),
                                 SignInLink.expires_at > now)
        .values(used_at=now).returning(SignInLink.email)).scalar()
    db.session.commit()
    if not email:
        raise SignInError("This sign-in link is not valid: it was used already, has expired, or was never made. "
                          "Ask for a new one.")
    return operator_for(email)


def link_is_usable(token: str) -> bool:
    row = db.session.scalar(select(SignInLink).where(SignInLink.token_hash == hash_secret(token or "")))
    return row is not None and row.used_at is None and row.expires_at > utcnow()


# -- OpenID Connect --------------------------------------------------------------------------

class SignInIntegration(BoundStateIntegration):
    """Authlib's Flask integration keeping the authorization request (state, nonce, PKCE
    verifier) in the database under a key holding the binding cookie's hash: a callback in
    another browser finds nothing, and Authlib refuses it as a wrong state."""

    expires_in = 900
    unbound = "a console sign-in needs its binding cookie"

    def _key(self, state):
        bound = binding()
        return f"_console_{hash_secret(bound)}_{state}" if state and bound else None


class SignInOAuth(OAuth):
    framework_integration_cls = SignInIntegration


def oidc_settings(config) -> dict | None:
    """The IdP: WIZARD_CONSOLE_OIDC_* settings, or in development the sandbox (none without)."""
    if config.get("WIZARD_CONSOLE_OIDC_METADATA_URL"):
        return {"metadata": config["WIZARD_CONSOLE_OIDC_METADATA_URL"],
                "client_id": config.get("WIZARD_CONSOLE_OIDC_CLIENT_ID"),
                "client_secret": config.get("WIZARD_CONSOLE_OIDC_CLIENT_SECRET"),
                "title": config.get("WIZARD_CONSOLE_OIDC_TITLE") or "your identity provider"}
    if config.get("WIZARD_SANDBOX") and not config.get("WIZARD_SANDBOX_URL"):
        from ..sandbox.provider import CONSOLE_CLIENT_ID, console_client_secret, issuer

        return {"metadata": issuer(config) + "/.well-known/openid-configuration", "client_id": CONSOLE_CLIENT_ID,
                "client_secret": console_client_secret(config), "title": "the Sandbox (development)"}
    return None


def oidc_client():
    settings = oidc_settings(current_app.config)
    if settings is None:
        return None
    key = (settings["metadata"], settings["client_id"])
    oauth = per_app("wizard_console_oauth", lambda: SignInOAuth(current_app._get_current_object(), cache=DbCache()),
                    key=key)
    client = oauth.create_client("console")
    if client is None:
        client = oauth.register("console", client_id=settings["client_id"], client_secret=settings["client_secret"],
                                server_metadata_url=settings["metadata"],
                                client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256",
                                               "default_timeout": 10})
    return client


def redirect_uri() -> str:
    return current_app.config["WIZARD_PUBLIC_URL"] + CONSOLE_CALLBACK_PATH


def finish_oidc() -> Operator:
    """The IdP's redirect back: Authlib checks state (MismatchingStateError), exchanges the code
    with the PKCE verifier, and checks the id_token's signature, issuer, audience and nonce."""
    from authlib.integrations.base_client.errors import OAuthError
    from joserfc.errors import JoseError

    client = oidc_client()
    if client is None:
        raise SignInError("No identity provider is set up for the console.")
    try:
        token = client.authorize_access_token()
    except (OAuthError, JoseError, ValueError, OSError) as exc:  # OSError: the IdP did not answer
        current_app.logger.warning("console sign-in refused: %s", type(exc).__name__)
        raise SignInError("The sign-in could not be checked. Start again.") from None
    claims = token.get("userinfo") or {}
    # Only an address the IdP says it verified signs in: a missing claim is not a yes (an IdP that
    # lets users set their own e-mail and sends no claim would otherwise hand out mapped roles).
    # WIZARD_CONSOLE_OIDC_TRUST_EMAIL=1 trusts an IdP that never sends it (README, console).
    trust = current_app.config.get("WIZARD_CONSOLE_OIDC_TRUST_EMAIL")
    unverified = lambda c: not trust and c.get("email_verified") not in (True, "true")  # noqa: E731  (some IdPs send a string)
    if not claims.get("email") or unverified(claims):
        try:
            claims = client.userinfo(token=token)
        except (OAuthError, ValueError, OSError):
            raise SignInError("The identity provider did not give a verified e-mail address.") from None
    if unverified(claims):
        raise SignInError("The identity provider has not verified this e-mail address.")
    operator = operator_for(claims.get("email") or "")
    db.session.commit()
    return operator
