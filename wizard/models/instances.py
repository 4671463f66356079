"""Solution instances (one end user's activation of a solution) and saved wizard progress."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..extensions import db
from ._base import UTCDateTime, new_id, utcnow
from .solutions import SolutionVersion


class SolutionInstance(db.Model):
    __tablename__ = "solution_instances"
    # the API's keyset pages walk (created, id)
    __table_args__ = (Index("ix_solution_instances_created_id", "created", "id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    solution_id: Mapped[str] = mapped_column(ForeignKey("solutions.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("solution_versions.id"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("external_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    enabled: Mapped[bool] = mapped_column(default=False)
    # externalId -> JSON value. Values of `secret` slots are stored encrypted ({"$enc": "..."}).
    config_values: Mapped[dict] = mapped_column(JSON, default=dict)
    # externalId -> authentication id
    auth_values: Mapped[dict] = mapped_column(JSON, default=dict)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[SolutionVersion] = relationship(lazy="joined")
    # Loaded only when asked for (the wizard loads an instance with its progress in one statement).
    progress: Mapped["WizardProgress | None"] = relationship(
        lazy="select", uselist=False, viewonly=True,
        primaryjoin="foreign(WizardProgress.instance_id) == SolutionInstance.id")
    owner: Mapped["ExternalUser"] = relationship("ExternalUser", lazy="select", viewonly=True)


class WizardProgress(db.Model):
    """What the user typed in the wizard, kept between visits until finish."""

    __tablename__ = "wizard_progress"
    # No foreign key: with a remote core (WIZARD_CORE_URL) the instance lives in the core's
    # database, and this table is the front end's. The embedded core deletes it with the instance.
    instance_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # engine-owned structure
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set by the one Finish that is talking to the core (a conditional UPDATE claims it), so that
    # a double click or a second tab does not save and enable twice.
    finishing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


def _newest(specific: bool):
    v = SolutionVersion.__table__
    mine = v.c.for_instance_id == SolutionInstance.id if specific else v.c.for_instance_id.is_(None)
    return (select(v.c.id).where(v.c.solution_id == SolutionInstance.solution_id, mine)
            .order_by(v.c.version.desc()).limit(1).correlate_except(v).scalar_subquery())


# The newest version that applies (a user-specific one of this instance, else the solution's
# latest shared one), in the same statement as the instance: no query per instance. Also read
# by the core's plain read of one instance (wizard.core.embedded.INSTANCE_READ).
NEWEST_VERSION_ID = func.coalesce(_newest(True), _newest(False))
SolutionInstance.newest_version_id = column_property(NEWEST_VERSION_ID)
