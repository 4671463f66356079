"""Authentications (connected accounts) of end users: the one place that reads and writes them.

Credentials are a JSON object (tokens, API keys, passwords) encrypted with wizard.crypto before
they reach the database; `credentials_of` is the only way back, for server-side calls.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, select

from .core.base import NotFound
from .crypto import decrypt, encrypt, hash_secret
from .extensions import db
from .models import Authentication, SolutionInstance, utcnow
from .webhooks import authentication_event


def account_ref(account: str | None) -> str | None:
    """What is stored of an account's id at its service: a hash (it may be an email address)."""
    return hash_secret(f"account:{account}") if account else None


def create(owner_id: str, service: str, auth_type: str, credentials: dict, *, name: str = "",
           scopes: list[str] | None = None, expires_at: datetime | None = None,
           account: str | None = None, hidden: bool = False, params: dict | None = None) -> Authentication:
    """A new authentication; `account` is who it is at the service (its identity id, `name` the
    name it goes by there), `params` its connection parameters."""
    auth = Authentication(owner_id=owner_id, service=service, auth_type=auth_type,
                          credentials=encrypt(credentials), name=(name or service)[:200], scopes=scopes or [],
                          expires_at=expires_at, status="ok", account_ref=account_ref(account),
                          identity_id=account[:200] if account else None,
                          identity_name=(name or None) and name[:200] if account else None,
                          connected_at=utcnow(), params=dict(params or {}), hidden=bool(hidden))
    db.session.add(auth)
    authentication_event("authentication.created", auth)
    db.session.commit()
    return auth


def same_identity(owner_id: str, service: str, account: str | None, params: dict | None = None) -> Authentication | None:
    """The owner's shown authentication of that identity at the service (with the same connection
    parameters), the oldest if several: connecting it again updates it instead of adding one.
    Accounts stored before identities were read have none, so they are never matched (nothing is
    merged silently)."""
    if not account:
        return None
    stmt = (select(Authentication).where(Authentication.owner_id == owner_id, Authentication.service == service,
                                         Authentication.identity_id == account[:200],
                                         Authentication.hidden.is_(False))
            .order_by(Authentication.created, Authentication.id))
    return next((a for a in db.session.scalars(stmt) if (a.params or {}) == (params or {})), None)


def connected_again(auth: Authentication, credentials: dict, *, name: str, scopes: list[str] | None,
                    granted: bool, expires_at: datetime | None = None) -> Authentication:
    """The same identity connected again: new credentials, the name it goes by now, and its
    scopes: those the provider says it granted, or (when it does not say) the old ones with
    those just asked. The user's own label is kept when they renamed the account."""
    if not granted:
        scopes = list(dict.fromkeys([*(auth.scopes or []), *(scopes or [])]))
    if auth.name == (auth.identity_name or auth.name):
        auth.name = (name or auth.name)[:200]
    auth.identity_name = (name or auth.identity_name or "")[:200] or None
    auth.connected_at = utcnow()
    return update_credentials(auth, credentials, expires_at=expires_at, scopes=scopes)


def get(auth_id: str, owner_id: str | None = None) -> Authentication:
    """The authentication; NotFound when it does not exist or (with owner_id) is not theirs."""
    auth = db.session.get(Authentication, str(auth_id)) if auth_id else None
    if auth is None or (owner_id is not None and auth.owner_id != owner_id):
        raise NotFound(f"no authentication {auth_id!r}", fields={"authenticationId": "unknown"})
    return auth


def list_accounts(owner_id: str | None, service: str | None = None, *, include_hidden: bool = False,
                  keep: str | None = None) -> list[Authentication]:
    """The owner's authentications (all users' with owner_id=None), newest first: what the
    wizard's pickers offer, so accounts the ISV imported as hidden are left out unless asked for
    (`include_hidden`), or unless it is the one already chosen for the slot (`keep`)."""
    stmt = select(Authentication)
    if not include_hidden:
        shown = Authentication.hidden.is_(False)
        stmt = stmt.where(or_(shown, Authentication.id == keep) if keep else shown)
    if owner_id is not None:
        stmt = stmt.where(Authentication.owner_id == owner_id)
    if service:
        stmt = stmt.where(Authentication.service == service)
    return list(db.session.scalars(stmt.order_by(Authentication.created.desc(), Authentication.id)))


class ImportError_(ValueError):
    """Credentials handed to `imported_credentials` that do not fit the service; names the key."""


def imported_credentials(service, data: dict, scopes: list[str] | None = None) -> tuple[dict, list, datetime | None]:
    """Credentials an ISV already holds (createUserAuthentication's `data`) in the form a
    connection made here stores: (credentials, scopes, expires_at).

    OAuth 2: access_token (required), refresh_token, token_type, expires_in or expires_at
    (seconds), scope (space-separated). API key / basic: exactly the service's credential fields.
    """
    if not isinstance(data, dict):
        raise ImportError_("data must be a JSON object of credentials")
    if service.auth == "oauth2":
        token = data.get("access_token")
        if not isinstance(token, str) or not token.strip():
            raise ImportError_("data.access_token is required (a string)")
        creds = {"access_token": token.strip(), "token_type": str(data.get("token_type") or "Bearer")}
        if data.get("refresh_token"):
            creds["refresh_token"] = str(data["refresh_token"])
        expires_at = None
        try:
            if data.get("expires_at") is not None:
                expires_at = datetime.fromtimestamp(int(data["expires_at"]), tz=timezone.utc)
            elif data.get("expires_in") is not None:
                expires_at = utcnow() + timedelta(seconds=int(data["expires_in"]))
        except (TypeError, ValueError, OverflowError, OSError):
            raise ImportError_("data.expires_at / data.expires_in must be a number of seconds") from None
        granted = data.get("scope")
        if isinstance(granted, str) and granted.strip():
            scopes = granted.split()
        return creds, list(scopes or []), expires_at
    names = [f["name"] for f in service.fields]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ImportError_(f"data.{unknown[0]} is not a credential of {service.name} (it takes {', '.join(names)})")
    creds = {}
    for name in names:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ImportError_(f"data.{name} is required (a string)")
        creds[name] = value.strip()
    return creds, list(scopes or []), None


def credentials_of(auth: Authentication) -> dict:
    return decrypt(auth.credentials)


def update_credentials(auth: Authentication, credentials: dict, *, expires_at: datetime | None = None,
                       scopes: list[str] | None = None, account: str | None = None,
                       name: str | None = None) -> Authentication:
    """New credentials (a refresh, or a reconnect: then `account` and `name` say who it is)."""
    auth.credentials = encrypt(credentials)
    if account:
        auth.account_ref = account_ref(account)
        auth.identity_id = account[:200]
        auth.identity_name = (name or auth.identity_name or "")[:200] or None
        auth.connected_at = utcnow()
    auth.expires_at = expires_at
    if scopes is not None:
        auth.scopes = scopes
    auth.status = "ok"
    db.session.commit()
    return auth


def mark_needs_reconnect(auth: Authentication) -> None:
    if auth.status != "needs_reconnect":
        auth.status = "needs_reconnect"
        authentication_event("authentication.needs_reconnect", auth)
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
    authentication_event("authentication.removed", auth)
    db.session.delete(auth)
    db.session.commit()
