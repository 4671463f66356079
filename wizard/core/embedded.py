"""The embedded core: solutions, versions and instances on this app's database.

Besides the `Core` interface that the wizard uses, it has the ISV operations the API and the CLI
call (publish, create, list, delete). Every value goes through wizard.solutions.values.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from .. import outbound, slot_types
from ..crypto import seal, unseal
from ..dbsafety import WRITE_LOCK, hold_lock, locked_already
from ..extensions import db
from ..models import Authentication, ExternalUser, Solution, SolutionInstance, SolutionVersion, WizardProgress
from ..models.instances import NEWEST_VERSION_ID
from ..models.solutions import cached_definition, known_definition, remember
from ..solutions import (
    DefinitionError, drop_unshown, missing_required, parse_definition,
    validate_config_values, validate_definition,
)
from ..solutions import versions
from ..solutions.versions import carry_values
from ..solutions.values import instance_name_problem
from ..webhooks import instance_event
from ..webhooks.events import instance_configured
from .base import Core, CoreError, InstanceData, InstanceRead, InvalidValues, MissingValues, NotFound, VersionFlags


# -- helpers ---------------------------------------------------------------------------------

def _secret_ids(definition: dict) -> set[str]:
    return slot_types.secret_ids(definition)


def _decrypt_values(definition: dict, stored: dict) -> dict:
    return unseal(stored)


def _encrypt_values(definition: dict, values: dict) -> dict:
    return seal(values, _secret_ids(definition))


def newest_version_for(instance) -> SolutionVersion | None:
    """A user-specific version of this instance when one exists, else the solution's latest
    (found in the instance's own statement: SolutionInstance.newest_version_id)."""
    return _newest(instance.newest_version_id, instance.version_id, lambda: instance.version)


def _newest(newest_id, running_id, running) -> SolutionVersion | None:
    """The newest version by its id: None when no version applies, the running one (`running()`,
    asked only then) when it is that one, else read."""
    if newest_id is None:
        return None
    if newest_id == running_id:
        return running()
    return db.session.get(SolutionVersion, newest_id)


# -- one instance as a plain row (a wizard page's read) ---------------------------------------

_I = SolutionInstance.__table__
_RUNNING = SolutionVersion.__table__.alias("running")
# The instance with what `to_data` needs of its versions: the running one's number and created
# (the definition cache's key) and the newest one's id. A wizard page reads it with its progress,
# and its session, in one statement (flow.page_read, through `EmbeddedCore.instance_read`) as a
# plain row: building ORM objects for a row read once cost more than the rest of the read.
# Only the columns `_data` reads: each one more costs the driver and SQLAlchemy on every page.
INSTANCE_COLUMNS = (_I.c.id, _I.c.solution_id, _I.c.version_id, _I.c.owner_id, _I.c.name, _I.c.enabled,
                    _I.c.config_values, _I.c.auth_values, _I.c.created,
                    _RUNNING.c.version.label("version_number"), _RUNNING.c.created.label("version_created"),
                    NEWEST_VERSION_ID.label("newest_version_id"))
# ... and the wizard's progress of it (this core keeps that table in its database too): its data
# is NOT NULL, so a NULL says the outer join found no progress row
_PROGRESS = WizardProgress.__table__
WITH_PROGRESS = (*INSTANCE_COLUMNS, _PROGRESS.c.data.label("progress_data"))
# What InstanceData takes of the instance's own columns (`EmbeddedCore._data`)
_DATA_COLUMNS = ("id", "solution_id", "owner_id", "name", "enabled", "created", "config_values", "auth_values")


def _versions_and_progress(instances):
    """`instances` (a FROM holding solution_instances) LEFT JOIN its running version and its
    progress: the FROM of a statement selecting WITH_PROGRESS."""
    return (instances.outerjoin(_RUNNING, _RUNNING.c.id == _I.c.version_id)
            .outerjoin(_PROGRESS, _PROGRESS.c.instance_id == _I.c.id))


def instance_outerjoin(left, instance_id):
    """`left` LEFT JOIN the instance whose id is the column `instance_id`, with its running
    version and progress (web.session: a session and the instance it is bound to)."""
    return _versions_and_progress(left.outerjoin(_I, _I.c.id == instance_id))


# One instance with its progress, by id.
INSTANCE_READ = select(*WITH_PROGRESS).select_from(_versions_and_progress(_I)).where(_I.c.id == bindparam("iid"))


@dataclass(frozen=True)
class VersionRef:
    """What `flags_for` and `to_data` read of a version, for an instance read as a plain row."""
    id: int
    version: int
    definition: dict
    created: datetime


def definition_of(version_id: int, created: datetime) -> dict:
    """A version's definition from the process-wide cache (as SolutionVersion.definition), read
    on its first use in this process."""
    return cached_definition(version_id, created, lambda: db.session.scalar(
        select(SolutionVersion.stored_definition).where(SolutionVersion.id == version_id)))


def latest_shared_versions(solution_ids) -> dict[str, SolutionVersion]:
    """The latest shared version of each solution, with the solution, in ONE statement (API pages)."""
    ids = sorted(set(solution_ids))
    if not ids:
        return {}
    newest = (select(SolutionVersion.solution_id, func.max(SolutionVersion.version).label("number"))
              .where(SolutionVersion.solution_id.in_(ids), SolutionVersion.for_instance_id.is_(None))
              .group_by(SolutionVersion.solution_id).subquery())
    rows = db.session.execute(
        select(SolutionVersion, Solution).join(Solution, Solution.id == SolutionVersion.solution_id)
        .join(newest, (newest.c.solution_id == SolutionVersion.solution_id) & (newest.c.number == SolutionVersion.version)))
    found = {}
    for version, solution in rows:
        set_committed_value(version, "solution", solution)  # held: the identity map is weak
        found[version.solution_id] = version
    load_definitions(found.values())
    return found


def load_definitions(versions) -> None:
    """The definitions this process has not parsed yet, of all `versions`, in one statement."""
    missing = {v.id: v for v in versions if v is not None and not known_definition(v)}
    if missing:
        for vid, definition in db.session.execute(
                select(SolutionVersion.id, SolutionVersion.stored_definition).where(SolutionVersion.id.in_(missing))):
            version = missing[vid]
            remember((version.id, version.created), definition)


def preload(rows) -> list:
    """Before `to_data` of a page of instances: their newest versions and every definition they
    need, in at most two statements whatever the page's size."""
    other = {r.newest_version_id for r in rows if r.newest_version_id not in (None, r.version_id)}
    other -= {vid for vid in other if db.session.identity_map.get(db.session.identity_key(SolutionVersion, vid))}
    held = db.session.scalars(select(SolutionVersion).where(SolutionVersion.id.in_(other))).all() if other else []
    load_definitions([r.version for r in rows] + [newest_version_for(r) for r in rows] + held)
    return held  # the caller keeps them while it uses the rows (the identity map is weak)


def _checked_name(name: str) -> str:
    """An instance's name as stored (stripped), or InvalidValues naming `instanceName` (the one
    rule: wizard.solutions.values.instance_name_problem)."""
    problem = instance_name_problem(name)
    if problem is not None:
        raise InvalidValues(problem, fields={"instanceName": problem})
    return (name or "").strip()


def latest_shared_version(solution_id: str) -> SolutionVersion | None:
    return db.session.scalar(
        select(SolutionVersion)
        .where(SolutionVersion.solution_id == solution_id, SolutionVersion.for_instance_id.is_(None))
        .order_by(SolutionVersion.version.desc()).limit(1))


def version_definition(solution_id: str, number: int | None) -> dict:
    """The definition of one version of a solution (shared or user-specific); NotFound if none."""
    row = db.session.scalar(select(SolutionVersion).where(SolutionVersion.solution_id == solution_id,
                                                          SolutionVersion.version == number)) if number else None
    if row is None:
        raise NotFound(f"solution {solution_id!r} has no version {number!r}", fields={"version": "unknown"})
    return row.definition


def lacking_scopes(auth_id: str, scopes: list[str]) -> list[str]:
    """The scopes the account was not granted (all of them, for no such account)."""
    auth = db.session.get(Authentication, str(auth_id)) if auth_id else None
    granted = set(auth.scopes or []) if auth is not None else set()
    return [s for s in scopes if s not in granted]


def needs_user(old: dict, new: dict, config_values: dict, auth_values: dict) -> bool:
    """True when moving from `old` to `new` needs the end user: a required value is missing, a
    value no longer fits its changed slot, or an account must be reconnected (another service,
    scopes it was not granted). Slots merely added and optional do not."""
    config, auth = carry_values(new, config_values, auth_values)
    if missing_required(new, config, auth, hidden=False):
        return True
    asked = versions.needing_input(old, new, config_values, auth_values, lacking_scopes=lacking_scopes)
    return any(reason in (versions.CHANGED, versions.RECONNECT) for reason in asked.values())


def flags_for(current: SolutionVersion, newest: SolutionVersion | None, config_values: dict,
              auth_values: dict) -> VersionFlags:
    if newest is None or newest.id == current.id or newest.version <= current.version:
        return VersionFlags()
    config, auth = carry_values(newest.definition, config_values, auth_values)
    return VersionFlags(
        hasNewerVersion=True,
        requiresUserInputToUpdateVersion=needs_user(current.definition, newest.definition, config_values, auth_values),
        requiresSystemInputToUpdateVersion=bool(missing_required(newest.definition, config, auth, hidden=True)),
    )


class EmbeddedCore(Core):
    # -- reading -----------------------------------------------------------------------------

    def _row(self, instance_id: str, *, lock: bool = False) -> SolutionInstance:
        if not instance_id:
            row = None
        elif lock:  # serialise writes to the instance: FOR UPDATE, BEGIN IMMEDIATE on SQLite (dbsafety)
            row = locked_already(db.session, SolutionInstance, str(instance_id)) or db.session.scalar(
                select(SolutionInstance).where(SolutionInstance.id == str(instance_id))
                .with_for_update(of=SolutionInstance).execution_options(**WRITE_LOCK))
            if row is not None:
                hold_lock(db.session, row)
        else:  # the identity map first: Finish may have loaded it locked with its progress (flow.progress)
            row = db.session.get(SolutionInstance, str(instance_id))
        if row is None:
            raise NotFound(f"no solution instance with id {instance_id!r}",
                           fields={"solutionInstanceId": "unknown"})
        return row

    def to_data(self, row: SolutionInstance) -> InstanceData:
        return self._data({name: getattr(row, name) for name in _DATA_COLUMNS}, row.version, newest_version_for(row))

    @staticmethod
    def _data(columns, current, newest) -> InstanceData:
        """InstanceData of an instance's columns (_DATA_COLUMNS, by name: an ORM object's, or a
        plain row's mapping) and its versions."""
        definition = current.definition
        auth = columns["auth_values"] or {}
        config = _decrypt_values(definition, columns["config_values"])
        flags = flags_for(current, newest, config, auth)
        return InstanceData(
            id=columns["id"], solution_id=columns["solution_id"], owner_id=columns["owner_id"],
            name=columns["name"], enabled=columns["enabled"], created=columns["created"], version=current.version,
            definition=definition, config_values=config, auth_values=dict(auth),
            flags=flags, newest_version=newest.version if newest else None,
            newest_definition=newest.definition if newest else None,
            definition_key=_version_key(current), newest_definition_key=_version_key(newest) if newest else None,
        )

    def get_instance(self, instance_id: str) -> InstanceData:
        return self.to_data(self._row(instance_id))

    def version_definition(self, solution_id: str, number: int | None) -> dict:
        return version_definition(solution_id, number)

    def instance_read(self) -> InstanceRead:
        """The instances are in this database: a wizard page reads one, with its progress, in the
        statement that reads its session (flow.page_read)."""
        return _INSTANCE_READ

    @classmethod
    def _of_row(cls, row) -> tuple[InstanceData | None, dict | None]:
        """(InstanceData, the progress's data) of a row's mapping (flow.page_read) with
        WITH_PROGRESS's columns; None for an instance the outer join did not find, or whose
        progress has no row."""
        number = row["version_number"]
        if row["id"] is None or number is None:
            return None, None
        version_id, created = row["version_id"], row["version_created"]
        current = VersionRef(version_id, number, definition_of(version_id, created), created)
        return cls._data(row, current, _newest(row["newest_version_id"], version_id, lambda: current)), row["progress_data"]

    # -- values ------------------------------------------------------------------------------

    def check_auth_values(self, owner_id: str, definition: dict, auth_values: dict) -> dict:
        """Each authId must be one of the owner's authentications, of the slot's service."""
        slots = {s["externalId"]: s for s in definition["auth"]}
        errors, out = {}, {}
        for sid, auth_id in auth_values.items():
            if sid not in slots:
                errors[sid] = f"{sid} is not an auth slot of this solution"
                continue
            if auth_id in (None, ""):
                out[sid] = None
                continue
            auth = db.session.get(Authentication, str(auth_id))
            if auth is None or auth.owner_id != owner_id:
                errors[sid] = f"no authentication {auth_id!r} of this user"
            elif auth.service != slots[sid]["service"]:
                errors[sid] = f"authentication {auth_id!r} is of {auth.service}, not {slots[sid]['service']}"
            else:
                out[sid] = str(auth_id)
        if errors:
            raise InvalidValues("invalid authValues: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
                                fields=errors)
        return out

    def _merged(self, row: SolutionInstance, definition: dict, config_values, auth_values):
        config = _decrypt_values(row.version.definition, row.config_values)
        auth = dict(row.auth_values or {})
        if config_values:
            checked, errors = validate_config_values(definition, config_values)
            if errors:
                raise InvalidValues("invalid configValues: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
                                    fields=errors)
            config.update(checked)
        if auth_values:
            auth.update(self.check_auth_values(row.owner_id, definition, auth_values))
        config = {k: v for k, v in drop_unshown(definition, config).items() if v is not None}
        auth = {k: v for k, v in auth.items() if v}
        return config, auth

    def _write_values(self, instance_id, name, config_values, auth_values, *, enabling: bool = False):
        """The locked row with the merged values written (not committed). An enabled instance
        never keeps running without its required values, nor is one enabled without them."""
        if name is not None:
            name = _checked_name(name)
        row = self._row(instance_id, lock=True)
        definition = row.version.definition
        config, auth = self._merged(row, definition, config_values, auth_values)
        row.config_values = _encrypt_values(definition, config)
        row.auth_values = auth
        if name is not None:
            row.name = name
        missing = missing_required(definition, config, auth) if (row.enabled or enabling) else []
        if missing:
            db.session.rollback()
            if row.enabled:
                raise MissingValues(missing, "an enabled instance cannot lose required values: " + ", ".join(missing))
            raise MissingValues(missing)
        return row

    def save_values(self, instance_id, *, name=None, config_values=None, auth_values=None) -> InstanceData:
        row = self._write_values(instance_id, name, config_values, auth_values)
        db.session.commit()
        return self.to_data(row)

    def save_and_enable(self, instance_id, *, name=None, config_values=None, auth_values=None, enable=True,
                        on_saved=None) -> InstanceData:
        """One transaction, no re-read: the locked row (already locked by this transaction when
        the wizard's Finish loaded it so), the values, enabling, the events (with `on_saved`'s),
        one commit."""
        row = self._write_values(instance_id, name, config_values, auth_values, enabling=enable)
        newly_enabled = enable and not row.enabled
        row.enabled = row.enabled or enable
        data = self.to_data(row)  # before the flush, which would expire the newest version's id
        if newly_enabled:
            instance_event("instance.enabled", row)
        if on_saved is not None:
            on_saved(data)
        db.session.commit()
        return data

    def set_enabled(self, instance_id, enabled, *, error_on_missing=True) -> InstanceData:
        row = self._row(instance_id, lock=True)
        if enabled and error_on_missing:
            data = self.to_data(row)
            missing = missing_required(data.definition, data.config_values, data.auth_values)
            if missing:
                db.session.rollback()
                raise MissingValues(missing)
        changed = row.enabled != bool(enabled)
        row.enabled = bool(enabled)
        if changed:
            instance_event("instance.enabled" if enabled else "instance.disabled", row)
        db.session.commit()
        return self.to_data(row)

    def upgrade(self, instance_id, *, config_values=None, auth_values=None) -> InstanceData:
        row = self._row(instance_id, lock=True)
        newest = newest_version_for(row)
        if newest is None or newest.id == row.version_id:
            return self.save_values(instance_id, config_values=config_values, auth_values=auth_values)
        current = self.to_data(row)
        config, auth = carry_values(newest.definition, current.config_values, current.auth_values)
        if config_values:
            checked, errors = validate_config_values(newest.definition, config_values)
            if errors:
                db.session.rollback()
                raise InvalidValues("invalid configValues: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
                                    fields=errors)
            config.update(checked)
        if auth_values:
            auth.update(self.check_auth_values(row.owner_id, newest.definition, auth_values))
        config = {k: v for k, v in drop_unshown(newest.definition, config).items() if v is not None}
        auth = {k: v for k, v in auth.items() if v}
        missing = missing_required(newest.definition, config, auth)
        if missing:
            db.session.rollback()
            raise MissingValues(missing, "the newer version still needs values for: " + ", ".join(missing))
        previous = row.version.version
        row.version_id = newest.id
        row.version = newest
        row.config_values = _encrypt_values(newest.definition, config)
        row.auth_values = auth
        instance_event("instance.upgraded", row, previousVersion=previous)
        db.session.commit()
        return self.to_data(row)

    def configured(self, data: InstanceData) -> None:
        instance_configured(data)  # stored by the commit of save_and_enable (on_saved), or the caller's

    # -- ISV operations (API, CLI, demo) -----------------------------------------------------

    def publish(self, source, *, for_instance_id: str | None = None, known_services=None) -> SolutionVersion:
        """Validate a definition (text or data) and store it as the solution's next version.
        A user-specific version (for_instance_id) must be of that instance's solution. Instances
        whose upgrade needs no input are moved to the new version at once."""
        if isinstance(source, str):
            definition = parse_definition(source, known_services)
            text = source
        else:
            definition = validate_definition(source, known_services)
            text = json.dumps(source, indent=2)
        if definition.get("validationUrl"):
            try:
                outbound.check_url(definition["validationUrl"])
            except outbound.OutboundRefused as exc:
                raise DefinitionError([f"validationUrl: the server would not call it: {exc.reason}"]) from None
        instance = None
        if for_instance_id:
            instance = self._row(for_instance_id)
            if instance.solution_id != definition["id"]:
                raise DefinitionError([f"id {definition['id']!r} is not the solution of instance "
                                       f"{for_instance_id!r} ({instance.solution_id!r})"])
        solution = db.session.get(Solution, definition["id"])
        if solution is None:
            solution = Solution(id=definition["id"], title=definition["title"])
            db.session.add(solution)
        solution.title = definition["title"]
        solution.description = definition["description"]
        number = (db.session.scalar(select(func.max(SolutionVersion.version))
                                    .where(SolutionVersion.solution_id == definition["id"])) or 0) + 1
        version = SolutionVersion(solution=solution, version=number, definition=definition, source=text,
                                  for_instance_id=for_instance_id)
        db.session.add(version)
        db.session.flush()
        self._apply_silent_upgrades(version, instance)
        db.session.commit()
        return version

    def _apply_silent_upgrades(self, version: SolutionVersion, only: SolutionInstance | None):
        """An upgrade that needs neither user nor system input happens without asking anyone."""
        if only is not None:
            rows = [only]
        else:
            has_specific = select(SolutionVersion.for_instance_id).where(
                SolutionVersion.solution_id == version.solution_id,
                SolutionVersion.for_instance_id.is_not(None))
            rows = db.session.scalars(select(SolutionInstance).where(
                SolutionInstance.solution_id == version.solution_id,
                SolutionInstance.id.not_in(has_specific))).all()
        for row in rows:
            data = self.to_data(row)
            config, auth = carry_values(version.definition, data.config_values, data.auth_values)
            config = drop_unshown(version.definition, config)
            if not missing_required(version.definition, config, auth) \
                    and not needs_user(data.definition, version.definition, data.config_values, data.auth_values):
                previous = row.version.version
                row.version_id = version.id
                row.version = version
                row.config_values = _encrypt_values(version.definition, config)
                row.auth_values = auth
                instance_event("instance.upgraded", row, previousVersion=previous)

    def create_instance(self, owner_id: str, solution_id: str, name: str = "", *,
                        config_values: dict | None = None, auth_values: dict | None = None) -> InstanceData:
        name = _checked_name(name)
        if db.session.get(ExternalUser, owner_id) is None:
            raise NotFound(f"no user with id {owner_id!r}", fields={"owner": "unknown"})
        version = latest_shared_version(solution_id) if solution_id else None
        if version is None:
            raise NotFound(f"no solution with id {solution_id!r}", fields={"solutionId": "unknown"})
        row = SolutionInstance(solution_id=solution_id, version=version, version_id=version.id,
                               owner_id=owner_id, name=(name or version.definition["title"])[:300],
                               config_values={}, auth_values={})
        db.session.add(row)
        db.session.flush()
        try:
            config, auth = self._merged(row, version.definition, config_values, auth_values)
        except CoreError:
            db.session.rollback()
            raise
        row.config_values = _encrypt_values(version.definition, config)
        row.auth_values = auth
        instance_event("instance.created", row)
        db.session.commit()
        return self.to_data(row)

    def delete_instance(self, instance_id: str) -> None:
        row = self._row(instance_id)
        # user-specific versions of this instance go with it (they apply to nothing else)
        instance_event("instance.removed", row)
        db.session.execute(delete(SolutionVersion).where(SolutionVersion.for_instance_id == row.id))
        # saved wizard progress is a front end's (no foreign key: a front end may keep it apart)
        db.session.execute(delete(WizardProgress).where(WizardProgress.instance_id == row.id))
        db.session.delete(row)
        db.session.commit()

    def instances_query(self, *, owner_id=None, solution_id=None, instance_id=None, ids=None, name=None):
        """A select of the instances matching every criterion given (the API pages it)."""
        stmt = select(SolutionInstance)
        if owner_id:
            stmt = stmt.where(SolutionInstance.owner_id == owner_id)
        if solution_id:
            stmt = stmt.where(SolutionInstance.solution_id == solution_id)
        if instance_id:
            stmt = stmt.where(SolutionInstance.id == str(instance_id))
        if ids is not None:
            stmt = stmt.where(SolutionInstance.id.in_([str(i) for i in ids]))
        if name is not None:
            stmt = stmt.where(SolutionInstance.name == name)
        return stmt

    def list_instances(self, *, owner_id=None, solution_id=None, instance_id=None,
                       first: int = 50, after: str | None = None) -> tuple[list[InstanceData], bool]:
        """Stable order (created, id); `after` is an opaque cursor from `cursor_for`."""
        stmt = self.instances_query(owner_id=owner_id, solution_id=solution_id, instance_id=instance_id)
        if after:
            created, last_id = decode_cursor(after)
            stmt = stmt.where(or_(SolutionInstance.created > created,
                                  (SolutionInstance.created == created) & (SolutionInstance.id > last_id)))
        rows = db.session.scalars(stmt.order_by(SolutionInstance.created, SolutionInstance.id)
                                  .limit(first + 1)).all()
        held = preload(rows[:first])  # noqa: F841  (kept until to_data is done)
        return [self.to_data(r) for r in rows[:first]], len(rows) > first


def _version_key(version) -> str:
    """A version's name for what is made from its definition (InstanceData.definition_key): its
    row, by id and creation time (as the definition cache, models.solutions, keys it)."""
    return _version_name(version.id, version.created)


@lru_cache(maxsize=1024)
def _version_name(version_id: int, created: datetime) -> str:
    """Made once per version and process: writing the time (isoformat) cost a wizard page more
    than the rest of its instance's data. Keyed by the two values the name is made of."""
    return f"version:{version_id}@{created.isoformat()}"


_INSTANCE_READ = InstanceRead(columns=WITH_PROGRESS, outerjoin=instance_outerjoin, by_id=INSTANCE_READ,
                              to_data=EmbeddedCore._of_row)


def cursor_for(item) -> str:
    raw = json.dumps([item.created.isoformat(), item.id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str):
    try:
        created, last_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(created), str(last_id)
    except Exception:
        raise CoreError("after is not a cursor from this API", fields={"after": "invalid cursor"}) from None
