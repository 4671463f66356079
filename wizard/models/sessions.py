"""Server-side browser sessions (see wizard/web/session.py for why)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._base import UTCDateTime, utcnow


class BrowserSession(db.Model):
    __tablename__ = "browser_sessions"
    sid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # The wizard instance the session is bound to: entering the wizard again ends the older
    # sessions of the same instance (wizard.web.session).
    instance_id: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
