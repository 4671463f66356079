"""Authentications (connected accounts) of end users: the one place that reads and writes them.

Credentials are a JSON object (tokens, API keys, passwords) encrypted with wizard.crypto before
they reach the database; `credentials_of` is the only way back, for server-side calls.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .core.base import NotFound
from .crypto import decrypt, encrypt, hash_secret
from .extensions import db
from .models import Authentication, SolutionInstance


def account_ref(account: str | None) -> str | None:
    """What is stored of an account's id at its service: a hash (it may be an email address)."""
    return hash_secret(f"account:{account}") if account else None


def create(owner_id: str, service: str, auth_type: str, credentials: dict, *, name: str = "",
           scopes: list[str] | None = None, expires_at: datetime | None = None,
           account: str | None = None) -> Authentication:
    auth = Authentication(owner_id=owner_id, service=service, auth_type=auth_type,
                          credentials=encrypt(credentials), name=name or service, scopes=scopes or [],
                          expires_at=expires_at, status="ok", account_ref=account_ref(account))
    db.session.add(auth)
    db.session.commit()
    return auth


def get(auth_id: str, owner_id: str | None = None) -> Authentication:
    """The authentication; NotFound when it does not exist or (with owner_id) is not theirs."""
    auth = db.session.get(Authentication, str(auth_id)) if auth_id else None
    if auth is None or (owner_id is not None and auth.owner_id != owner_id):
        raise NotFound(f"no authentication {auth_id!r}", fields={"authenticationId": "unknown"})
    return auth


def list_accounts(owner_id: str | None, service: str | None = None) -> list[Authentication]:
    """The owner's authentications (all users' with owner_id=None), newest first."""
    stmt = select(Authentication)
    if owner_id is not None:
        stmt = stmt.where(Authentication.owner_id == owner_id)
    if service:
        stmt = stmt.where(Authentication.service == service)
    return list(db.session.scalars(stmt.order_by(Authentication.created.desc(), Authentication.id)))


def credentials_of(auth: Authentication) -> dict:
    return decrypt(auth.credentials)


def update_credentials(auth: Authentication, credentials: dict, *, expires_at: datetime | None = None,
                       scopes: list[str] | None = None, account: str | None = None) -> Authentication:
    auth.credentials = encrypt(credentials)
    if account:
        auth.account_ref = account_ref(account)
    auth.expires_at = expires_at
    if scopes is not None:
        auth.scopes = scopes
    auth.status = "ok"
    db.session.commit()
    return auth


def mark_needs_reconnect(auth: Authentication) -> None:
    auth.status = "needs_reconnect"
    db.session.commit()


def rename(auth: Authentication, name: str) -> Authentication:
    name = (name or "").strip()
    if not name:
        raise ValueError("a name is required")
    auth.name = name[:200]
    db.session.commit()
    return auth


def delete(auth: Authentication) -> None:
    """Delete and unlink it from the owner's instances (their auth values point nowhere else)."""
    for inst in db.session.scalars(select(SolutionInstance).where(SolutionInstance.owner_id == auth.owner_id)):
        values = dict(inst.auth_values or {})
        kept = {k: v for k, v in values.items() if v != auth.id}
        if kept != values:
            inst.auth_values = kept
    db.session.delete(auth)
    db.session.commit()
