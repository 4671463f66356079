"""The console's tables: operators, their sessions, single-use sign-in links (hashed) and the
append-only audit log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, event
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models._base import UTCDateTime, new_id, utcnow

ROLES = ("viewer", "support", "admin")  # each may do what the ones before it may


class Operator(db.Model):
    """Someone of the ISV's staff. Made by an admin, by `flask console sign-in-link --role`, or on
    the first sign-in of an address that WIZARD_CONSOLE_ROLES maps to a role."""

    __tablename__ = "console_operators"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    disabled: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConsoleSession(db.Model):
    """A signed-in operator's session: only the hash of the cookie's value is kept."""

    __tablename__ = "console_sessions"
    sid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("console_operators.id", ondelete="CASCADE"), index=True)
    csrf_secret: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    operator: Mapped[Operator] = relationship(lazy="joined")


class SignInLink(db.Model):
    """`flask console sign-in-link`: single use, short-lived, stored hashed (like codes)."""

    __tablename__ = "console_sign_in_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(db.Model):
    """One row per action: who, when, what, on which object. Never updated nor deleted."""

    __tablename__ = "console_audit"
    __table_args__ = (Index("ix_console_audit_at_id", "at", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    operator_email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _append_only(_mapper, _connection, _target):
    """Called when the ORM would change or delete an audit row: it never may."""
    raise RuntimeError("the audit log is append-only")
