"""End users, API tokens and authorization codes. Tokens and codes are handed out once; only their
hash is stored. Plain Python over the database: the API, the CLI and the wizard all call this."""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .core.base import CodeError, CoreError, NotFound  # noqa: F401  (CodeError: identity.CodeError)
from .texts import T
from .crypto import hash_secret, new_secret
from .extensions import db
from . import session_keys
from .models import (
    ApiToken, Authentication, AuthorizationCode, BrowserSession, ConnectFlow, ExternalUser, SolutionInstance,
    SolutionVersion, WizardProgress, utcnow,
)
from .webhooks import authentication_event, instance_event


@dataclass
class Principal:
    """Who an API request acts as: the ISV (master) or one end user."""

    is_master: bool
    user_id: str | None = None


def create_user(external_user_id: str, name: str = "", *, is_test_user: bool = False) -> ExternalUser:
    external_user_id = (external_user_id or "").strip()
    if not external_user_id:
        raise CoreError("externalUserId must not be empty", fields={"externalUserId": "required"})
    user = ExternalUser(external_user_id=external_user_id, name=name or "", is_test_user=bool(is_test_user))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise CoreError(f"externalUserId {external_user_id!r} already exists",
                        fields={"externalUserId": "already exists"}) from None
    return user


def get_user(user_id: str) -> ExternalUser:
    user = db.session.get(ExternalUser, user_id) if user_id else None
    if user is None:
        raise NotFound(f"no user with id {user_id!r}", fields={"userId": "unknown"})
    return user


def update_user(user_id: str, *, is_test_user: bool | None = None, name: str | None = None) -> ExternalUser:
    """Change what is given (None leaves it)."""
    user = get_user(user_id)
    if is_test_user is not None:
        user.is_test_user = bool(is_test_user)
    if name is not None:
        user.name = name.strip()[:200]
    db.session.commit()
    return user


def remove_user(user_id: str) -> None:
    """Remove the user and everything of theirs in one transaction: instances (disabled first,
    with their user-specific versions and wizard progress), authentications, pending
    connections, tokens, codes and wizard or dialog sessions. Nothing is left half-removed."""
    user = get_user(user_id)
    instances = select(SolutionInstance.id).where(SolutionInstance.owner_id == user.id)
    try:
        for row in db.session.scalars(select(SolutionInstance).where(SolutionInstance.owner_id == user.id)).all():
            instance_event("instance.removed", row)
        for auth in db.session.scalars(select(Authentication).where(Authentication.owner_id == user.id)).all():
            authentication_event("authentication.removed", auth)
        db.session.execute(update(SolutionInstance).where(SolutionInstance.owner_id == user.id)
                           .values(enabled=False))
        db.session.execute(delete(WizardProgress).where(WizardProgress.instance_id.in_(instances)))
        db.session.execute(delete(SolutionVersion).where(SolutionVersion.for_instance_id.in_(instances)))
        db.session.execute(delete(SolutionInstance).where(SolutionInstance.owner_id == user.id))
        db.session.execute(delete(Authentication).where(Authentication.owner_id == user.id))
        db.session.execute(delete(ConnectFlow).where(ConnectFlow.owner_id == user.id))
        db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        db.session.execute(delete(AuthorizationCode).where(AuthorizationCode.user_id == user.id))
        # Sessions keep their user inside their data (wizard and auth-dialog bindings).
        doomed = [row.sid_hash for row in db.session.scalars(select(BrowserSession))
                  if _session_user(row.data) == user.id]
        if doomed:
            db.session.execute(delete(BrowserSession).where(BrowserSession.sid_hash.in_(doomed)))
        db.session.delete(user)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _session_user(data) -> str | None:
    data = data or {}
    for key in (session_keys.WIZARD, session_keys.AUTH_DIALOG):
        bound = data.get(key)
        if isinstance(bound, dict) and bound.get("user_id"):
            return bound["user_id"]
    return None


def create_master_token(name: str = "cli") -> str:
    token = new_secret("mt_")
    db.session.add(ApiToken(token_hash=hash_secret(token), name=name))
    db.session.commit()
    return token


def issue_user_token(user_id: str) -> str:
    get_user(user_id)
    token = new_secret("ut_")
    ttl = current_app.config["WIZARD_USER_TOKEN_TTL"]
    db.session.add(ApiToken(token_hash=hash_secret(token), user_id=user_id,
                            expires_at=utcnow() + timedelta(seconds=ttl)))
    db.session.commit()
    return token


def resolve_token(token: str | None) -> Principal | None:
    """The principal for a bearer token, or None for a missing, wrong or expired one."""
    if not token:
        return None
    configured = current_app.config.get("WIZARD_MASTER_TOKEN")
    if configured and hmac.compare_digest(token.encode(), configured.encode()):
        return Principal(is_master=True)
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(token)))
    if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    return Principal(is_master=row.is_master, user_id=row.user_id)


def request_principal() -> Principal | None:
    """The principal of the current request's bearer token, resolved once per request (the rate
    limiter asks before the API endpoint does)."""
    if "wizard.principal" not in request.environ:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        request.environ["wizard.principal"] = resolve_token(token.strip()) if scheme.lower() == "bearer" else None
    return request.environ["wizard.principal"]


def generate_code(user_id: str) -> str:
    get_user(user_id)
    code = new_secret()
    ttl = current_app.config["WIZARD_CODE_TTL"]
    db.session.add(AuthorizationCode(code_hash=hash_secret(code), user_id=user_id,
                                     expires_at=utcnow() + timedelta(seconds=ttl)))
    db.session.commit()
    return code


def consume_code(code: str | None) -> str:
    """Use up a code and return its user id. One conditional UPDATE makes it single-use even
    when two requests present it at once: only one of them changes the row."""
    if not code:
        raise CodeError("invalid_code", T("This link has no authorization code. Ask the application for a new one."))
    h, now = hash_secret(code), utcnow()
    result = db.session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == h, AuthorizationCode.used_at.is_(None),
               AuthorizationCode.expires_at > now)
        .values(used_at=now)
        .returning(AuthorizationCode.user_id)
    )
    user_id = result.scalar()
    db.session.commit()
    if user_id:
        return user_id
    row = db.session.scalar(select(AuthorizationCode).where(AuthorizationCode.code_hash == h))
    if row is None:
        raise CodeError("invalid_code", T("This link is not valid. Ask the application for a new one."))
    if row.used_at is not None:
        raise CodeError("invalid_code", T("This link has already been used. Open the wizard again from the application."))
    raise CodeError("expired_code", T("This link has expired. Open the wizard again from the application."))
