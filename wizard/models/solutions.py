"""Solutions and their immutable versions (shared, or specific to one instance)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._base import UTCDateTime, utcnow


class Solution(db.Model):
    __tablename__ = "solutions"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    versions: Mapped[list["SolutionVersion"]] = relationship(
        back_populates="solution", order_by="SolutionVersion.version", cascade="all, delete-orphan"
    )


class SolutionVersion(db.Model):
    """One publish. `for_instance_id` set means a user-specific version of that one instance."""

    __tablename__ = "solution_versions"
    __table_args__ = (UniqueConstraint("solution_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    solution_id: Mapped[str] = mapped_column(ForeignKey("solutions.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    definition: Mapped[dict] = mapped_column(JSON)  # normalised, validated definition
    source: Mapped[str] = mapped_column(Text, default="")  # the text as published
    for_instance_id: Mapped[str | None] = mapped_column(String(32), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    solution: Mapped[Solution] = relationship(back_populates="versions")
