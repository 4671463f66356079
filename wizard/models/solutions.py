"""Solutions and their immutable versions (shared, or specific to one instance)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
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
    # The normalised, validated definition: deferred (rows load without it) and read through
    # `definition`, which parses it once per process (a version never changes once published).
    stored_definition: Mapped[dict] = mapped_column("definition", JSON, deferred=True)
    source: Mapped[str] = mapped_column(Text, default="")  # the text as published
    for_instance_id: Mapped[str | None] = mapped_column(String(32), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    solution: Mapped[Solution] = relationship(back_populates="versions")

    @hybrid_property
    def definition(self) -> dict:
        """The definition, from the process-wide cache (loaded on the first use of this version
        in this process). Callers must not change it."""
        return cached_definition(self.id, self.created, lambda: self.stored_definition)

    @definition.inplace.setter
    def _definition_set(self, value: dict) -> None:
        # only a version being published is written; a stored row rewritten by hand (a data
        # migration, a test) is read again by this process
        self.stored_definition = value
        if self.id is not None:
            DEFINITIONS.pop((self.id, self.created), None)

    @definition.inplace.expression
    @classmethod
    def _definition_expression(cls):
        return cls.stored_definition


# Parsed definitions by (version id, created): ids alone could come back on SQLite after a delete.
DEFINITIONS: dict[tuple, dict] = {}
DEFINITIONS_MAX = 2000


def remember(key: tuple, definition: dict) -> None:
    if len(DEFINITIONS) >= DEFINITIONS_MAX:
        DEFINITIONS.clear()  # a crude bound: an ISV has tens of solutions, not thousands
    DEFINITIONS[key] = definition


def cached_definition(version_id, created, load) -> dict:
    """The definition of the version (`version_id`, `created`) from DEFINITIONS, or `load()`,
    kept there for the next use (a version not yet stored, without an id, is not kept)."""
    found = DEFINITIONS.get((version_id, created))
    if found is None:
        found = load()
        if version_id is not None:
            remember((version_id, created), found)
    return found


def known_definition(version: "SolutionVersion") -> bool:
    return (version.id, version.created) in DEFINITIONS
