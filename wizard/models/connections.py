"""Pending connections and the OAuth client's short-lived cache (state, PKCE verifier)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._base import UTCDateTime, new_id, utcnow


class ConnectFlow(db.Model):
    """One attempt to connect an account, from the popup's start to its result.

    `session_key` is the hash of the wizard (or dialog) session that started it and `slot` the auth
    slot, which is what the status endpoint asks about. `binding_hash` is the hash of the nonce in
    the popup's cookie: the OAuth callback only completes the flow of the browser that started it.
    """

    __tablename__ = "connect_flows"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    binding_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    session_key: Mapped[str] = mapped_column(String(64), index=True)
    slot: Mapped[str] = mapped_column(String(200), default="")
    owner_id: Mapped[str] = mapped_column(String(32), index=True)
    service: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    params: Mapped[dict | None] = mapped_column(JSON, default=dict)  # the connection parameters typed
    # A token waiting while the user chooses among the sites it reaches (encrypted), then cleared.
    pending: Mapped[str | None] = mapped_column(Text, nullable=True)
    instance_id: Mapped[str | None] = mapped_column(String(32))
    reauth_id: Mapped[str | None] = mapped_column(String(32))  # an authentication to re-authorise
    mode: Mapped[str] = mapped_column(String(10), default="wizard")  # wizard | dialog
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | done | error
    message: Mapped[str] = mapped_column(Text, default="")
    auth_id: Mapped[str | None] = mapped_column(String(32))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OAuthCacheEntry(db.Model):
    """Authlib's `cache` (see wizard.connect.oauth.DbCache); values are encrypted because they
    hold PKCE verifiers."""

    __tablename__ = "oauth_cache"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
