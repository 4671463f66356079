"""Connection attempts (a ConnectFlow row each: one popup's OAuth dance or credential form):
start, result, status. Plain Python over the database; the views only translate HTTP into these
calls. (Not the wizard's screens: those are wizard.flow.)"""
from __future__ import annotations

import json

from dataclasses import dataclass, field
from datetime import timedelta

from flask import session as flask_session
from sqlalchemy import delete, select

from ..core import AccountData, CoreError, CoreUnavailable, get_core
from ..i18n import _, localize
from ..texts import T, Text, from_json
from ..crypto import hash_secret
from ..extensions import db
from ..models import BrowserSession, ConnectFlow, utcnow
from .. import session_keys
from ..web import user_accounts
from .oauth import FLOW_TTL, DbCache
from ..web.operations import CONNECT_FAILURES


@dataclass
class Target:
    """What a connection is for: whose, which service and scopes, and who is waiting for it."""

    owner_id: str
    service: object  # wizard.services.Service
    session_key: str  # hash of the wizard's (or dialog's) session id
    slot: str = ""
    scopes: list[str] = field(default_factory=list)
    instance_id: str | None = None
    reauth_id: str | None = None
    mode: str = "wizard"  # wizard | dialog
    params: dict = field(default_factory=dict)  # the connection parameters typed (checked)


def merged_scopes(*lists) -> list[str]:
    out: list[str] = []
    for scopes in lists:
        for s in scopes or []:
            if s not in out:
                out.append(s)
    return out


def begin(target: Target, binding: str | None = None) -> ConnectFlow:
    """Record a pending attempt (what the status endpoint reports until it ends)."""
    now = utcnow()
    db.session.execute(delete(ConnectFlow).where(ConnectFlow.expires_at <= now))
    DbCache.purge()
    flow = ConnectFlow(binding_hash=hash_secret(binding) if binding else None, session_key=target.session_key,
                       slot=target.slot, owner_id=target.owner_id, service=target.service.name,
                       scopes=list(target.scopes), instance_id=target.instance_id, reauth_id=target.reauth_id,
                       mode=target.mode, params=dict(target.params or {}), status="pending", expires_at=now + timedelta(seconds=FLOW_TTL))
    db.session.add(flow)
    db.session.commit()
    return flow


def target_of(flow: ConnectFlow, service) -> Target:
    """The target of an earlier attempt (to try it again from the popup)."""
    return Target(owner_id=flow.owner_id, service=service, session_key=flow.session_key, slot=flow.slot,
                  scopes=list(flow.scopes or []), instance_id=flow.instance_id, reauth_id=flow.reauth_id,
                  mode=flow.mode, params=dict(flow.params or {}))


def by_binding(nonce: str | None) -> ConnectFlow | None:
    if not nonce:
        return None
    flow = db.session.scalar(select(ConnectFlow).where(ConnectFlow.binding_hash == hash_secret(nonce)))
    return flow if flow is not None and flow.expires_at > utcnow() else None


def latest(session_key: str, slot: str) -> ConnectFlow | None:
    return db.session.scalar(
        select(ConnectFlow).where(ConnectFlow.session_key == session_key, ConnectFlow.slot == slot)
        .order_by(ConnectFlow.created.desc()).limit(1))


def status_of(session_key: str, slot: str) -> dict:
    """The status endpoint's answer: {status: none|pending|done|error, authId, message, attempt}
    (`attempt` lets the wizard tell a new attempt from one it has already reported)."""
    flow = latest(session_key, slot)
    if flow is None:
        return {"status": "none", "authId": None, "message": "", "attempt": None}
    return {"status": flow.status, "authId": flow.auth_id, "message": message_of(flow), "attempt": str(flow.id)}


def message_of(flow: ConnectFlow) -> str:
    """Why the attempt failed, in the request's language ("" when it did not)."""
    stored = flow.message or ""
    if stored.startswith("{"):  # a wizard.texts.Text, kept as its message so any page can translate it
        try:
            return localize(from_json(json.loads(stored)))
        except ValueError:
            pass
    return stored


def fail(flow: ConnectFlow, message: str) -> ConnectFlow:
    stored = json.dumps(message.to_json()) if isinstance(message, Text) else message
    flow.status, flow.message, flow.auth_id = "error", stored, None
    CONNECT_FAILURES.labels(flow.service).inc()
    db.session.commit()
    return flow


def save(flow: ConnectFlow, service, credentials: dict, *, name: str, account: str | None = None,
         scopes: list[str] | None = None, expires_at=None, granted: bool = False,
         params: dict | None = None) -> AccountData | None:
    """Store a tested connection (a new authentication; the user's account of the same identity,
    updated; or new credentials for a re-authorised one) and end the attempt as done. In the
    auth-only dialog for an instance, also set the instance's auth value. Reconnecting with
    another account than the one the authentication had ends the attempt as failed (None):
    every integration using it would quietly switch."""
    try:
        if flow.reauth_id:
            auth = user_accounts.reconnect_account(flow.reauth_id, flow.owner_id, service, credentials, name=name,
                                                   scopes=scopes, expires_at=expires_at, account=account)
        else:
            auth = user_accounts.create_account(flow.owner_id, service, credentials, name=name, scopes=scopes,
                                                expires_at=expires_at, account=account, granted=granted,
                                                params=params if params is not None else dict(flow.params or {}))
    except user_accounts.OtherAccount as exc:
        fail(flow, exc.message)
        return None
    except CoreUnavailable:
        fail(flow, _("The account could not be saved: the service that keeps it is not reachable right now. "
                     "Nothing was connected; try again in a moment."))
        return None
    except CoreError as exc:  # a remote core refusing what this server accepted (its own test call)
        fail(flow, _("The account could not be saved: %(reason)s", reason=exc.message))
        return None
    flow.status, flow.auth_id, flow.message = "done", auth.id, ""
    if auth.updated:  # said on the finish page and by the status endpoint
        flow.message = json.dumps(already_connected(service, auth).to_json())
    db.session.commit()
    if flow.mode == "dialog" and flow.instance_id and flow.slot:
        try:
            get_core().save_values(flow.instance_id, auth_values={flow.slot: auth.id})
        except CoreError as exc:
            fail(flow, T("The account was connected but could not be used for this integration: %(reason)s", reason=exc.message))
            return auth
    remember_connected(flow)
    return auth


def already_connected(service, auth: AccountData) -> Text:
    return T("You had already connected this %(service)s account (%(name)s): it was updated, not added again.",
             service=service.title, name=auth.identity_name or auth.name)


def remember_connected(flow: ConnectFlow) -> None:
    """Record the new account in the wizard's session (session_keys.CONNECTED), so the wizard
    knows of it even when the popup could not tell it."""
    if flow.mode != "wizard" or flow.status != "done":
        return
    sid = getattr(flask_session, "sid", None)
    if sid and hash_secret(sid) == flow.session_key:
        session_keys.add_connected(flask_session, flow.slot, flow.auth_id)
        return
    row = db.session.get(BrowserSession, flow.session_key)
    if row is not None:
        data = dict(row.data or {})
        session_keys.add_connected(data, flow.slot, flow.auth_id)
        row.data = data
        db.session.commit()
