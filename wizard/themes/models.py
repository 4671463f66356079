"""The themes table: one row per embeddedId that has a theme of its own."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db
from ..models._base import UTCDateTime, utcnow


class ThemeRow(db.Model):
    __tablename__ = "themes"
    embedded_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    product_name: Mapped[str] = mapped_column(String(80), default="")
    colors: Mapped[dict] = mapped_column(JSON, default=dict)
    corner_radius: Mapped[int] = mapped_column(default=8)
    custom_css: Mapped[str] = mapped_column(Text, default="")
    # The logo's bytes are read only by the logo's own URL, never with every page.
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    logo_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    logo_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
