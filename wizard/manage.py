"""The operator's operations: one place for what the console, the CLI (and the API where it asks
the same) do to users, instances, accounts and tokens.

Lists are keyset pages over (created, id), oldest first, each ONE statement whatever the table
size (tests/test_manage.py counts them). Changes to an instance go through the core boundary
(`get_core()`), so a console "disable" emits `instance.disabled` exactly as the API's does.
Nothing here returns a credential, a token or a secret slot's value: secret values are masked.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, func, or_, select

from . import accounts as accounts_store
from . import identity, slot_types
from .core import get_core, embedded_core
from .core.base import CoreError, NotFound
from .extensions import db
from .models import (
    ApiToken, Authentication, AuthorizationCode, ExternalUser, SolutionInstance, SolutionVersion, utcnow,
)
from .models.instances import NEWEST_VERSION_ID
from .webhooks.models import WebhookDelivery, WebhookEvent

MASK = "********"
PAGE_SIZE = 50
MAX_PAGE = 200


class BadCursor(CoreError):
    code = "invalid_input"


@dataclass
class Page:
    items: list
    next_cursor: str | None = None
    filters: dict = field(default_factory=dict)


def encode_cursor(created: datetime, item_id) -> str:
    return base64.urlsafe_b64encode(json.dumps([created.isoformat(), str(item_id)]).encode()).decode()


def _decode(cursor: str):
    try:
        created, item_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        value = datetime.fromisoformat(created)
    except Exception:
        raise BadCursor("after is not a cursor from this server", fields={"after": "invalid cursor"}) from None
    if value.tzinfo is None:
        raise BadCursor("after is not a cursor from this server", fields={"after": "invalid cursor"})
    return value, item_id


def _page(stmt, created_col, id_col, after: str | None, size: int | None, *, id_type=str) -> tuple[list, str | None]:
    """One keyset page of `stmt` ordered by (created_col, id_col): ONE statement (size + 1 rows
    tell whether there is a next page)."""
    size = max(1, min(int(size or PAGE_SIZE), MAX_PAGE))
    if after:
        created, last_id = _decode(after)
        last_id = id_type(last_id)
        stmt = stmt.where(or_(created_col > created, and_(created_col == created, id_col > last_id)))
    rows = db.session.execute(stmt.order_by(created_col, id_col).limit(size + 1)).all()
    more = len(rows) > size
    rows = rows[:size]
    return rows, (encode_cursor(rows[-1].created, rows[-1].id) if more and rows else None)


# -- users -----------------------------------------------------------------------------------

def user_filter(stmt, *, external_user_id=None, name=None, user_id=None, is_test_user=None, q=None):
    """The users criteria, exact matches (the API's `users(criteria)` and the console's search):
    `q` matches an externalUserId, a name or an id."""
    if external_user_id is not None:
        stmt = stmt.where(ExternalUser.external_user_id == external_user_id.strip())
    if name is not None:
        stmt = stmt.where(ExternalUser.name == name)
    if user_id is not None:
        stmt = stmt.where(ExternalUser.id == user_id)
    if is_test_user is not None:
        stmt = stmt.where(ExternalUser.is_test_user.is_(bool(is_test_user)))
    if q:
        q = q.strip()
        stmt = stmt.where(or_(ExternalUser.external_user_id == q, ExternalUser.name == q, ExternalUser.id == q))
    return stmt


_INSTANCE_COUNT = (select(func.count()).where(SolutionInstance.owner_id == ExternalUser.id)
                   .correlate(ExternalUser).scalar_subquery())


def list_users(*, after: str | None = None, size: int | None = None, **criteria) -> Page:
    """Users with how many instances each has: one statement per page."""
    stmt = user_filter(select(ExternalUser.id, ExternalUser.external_user_id, ExternalUser.name,
                              ExternalUser.is_test_user, ExternalUser.created,
                              _INSTANCE_COUNT.label("instances")), **criteria)
    rows, nxt = _page(stmt, ExternalUser.created, ExternalUser.id, after, size)
    return Page([dict(r._mapping) for r in rows], nxt, {k: v for k, v in criteria.items() if v is not None})


def show_user(user_id: str) -> dict:
    """The user, their instances (first page) and accounts (status, needs_reconnect)."""
    user = identity.get_user(user_id)
    return {"id": user.id, "external_user_id": user.external_user_id, "name": user.name,
            "is_test_user": bool(user.is_test_user), "created": user.created,
            "instances": list_instances(owner_id=user.id, size=MAX_PAGE).items,
            "accounts": list_accounts(owner_id=user.id, size=MAX_PAGE).items}


def removal_of_user(user_id: str) -> dict:
    """What removing the user takes with them (the console's confirmation names it)."""
    user = identity.get_user(user_id)
    instances = db.session.scalars(select(SolutionInstance.name).where(SolutionInstance.owner_id == user.id)
                                   .order_by(SolutionInstance.created).limit(MAX_PAGE)).all()
    accounts = db.session.scalars(select(Authentication.name).where(Authentication.owner_id == user.id)
                                  .order_by(Authentication.created).limit(MAX_PAGE)).all()
    tokens = db.session.scalar(select(func.count()).where(ApiToken.user_id == user.id))
    return {"user": user, "instances": list(instances), "accounts": list(accounts), "tokens": tokens}


def remove_user(user_id: str) -> None:
    """The user and everything of theirs (identity.remove_user, events included)."""
    identity.remove_user(user_id)


# -- instances -------------------------------------------------------------------------------

_V = SolutionVersion.__table__
_RUNNING = _V.alias("running")
_NEWEST_NUMBER = select(_V.c.version).where(_V.c.id == NEWEST_VERSION_ID).scalar_subquery()
_USER_SPECIFIC = exists().where(_V.c.for_instance_id == SolutionInstance.id)


def instance_filter(stmt, *, solution_id=None, enabled=None, needs_upgrade=None, user_specific=None,
                    owner_id=None, instance_id=None):
    if solution_id:
        stmt = stmt.where(SolutionInstance.solution_id == solution_id)
    if enabled is not None:
        stmt = stmt.where(SolutionInstance.enabled.is_(bool(enabled)))
    if needs_upgrade is not None:
        differs = NEWEST_VERSION_ID != SolutionInstance.version_id
        stmt = stmt.where(differs if needs_upgrade else ~differs)
    if user_specific is not None:
        stmt = stmt.where(_USER_SPECIFIC if user_specific else ~_USER_SPECIFIC)
    if owner_id:
        stmt = stmt.where(SolutionInstance.owner_id == owner_id)
    if instance_id:
        stmt = stmt.where(SolutionInstance.id == instance_id)
    return stmt


def list_instances(*, after: str | None = None, size: int | None = None, **criteria) -> Page:
    """Instances with their owner, running and newest version numbers and whether a
    user-specific version exists: one statement per page (no values are read)."""
    stmt = (select(SolutionInstance.id, SolutionInstance.name, SolutionInstance.solution_id,
                   SolutionInstance.enabled, SolutionInstance.created, SolutionInstance.owner_id,
                   ExternalUser.external_user_id, _RUNNING.c.version.label("version"),
                   _NEWEST_NUMBER.label("newest_version"), _USER_SPECIFIC.label("user_specific"))
            .join(ExternalUser, ExternalUser.id == SolutionInstance.owner_id)
            .join(_RUNNING, _RUNNING.c.id == SolutionInstance.version_id))
    stmt = instance_filter(stmt, **criteria)
    rows, nxt = _page(stmt, SolutionInstance.created, SolutionInstance.id, after, size)
    items = []
    for r in rows:
        item = dict(r._mapping)
        item["needs_upgrade"] = item["newest_version"] is not None and item["newest_version"] != item["version"]
        item["user_specific"] = bool(item["user_specific"])
        items.append(item)
    return Page(items, nxt, {k: v for k, v in criteria.items() if v is not None})


def masked_values(definition: dict, values: dict) -> list[dict]:
    """Each config slot's value in the definition's order; a secret slot's is the mask."""
    secrets = slot_types.secret_ids(definition)
    out = []
    for slot in definition.get("config", []):
        sid = slot["externalId"]
        if sid in values:
            out.append({"id": sid, "title": slot.get("title") or sid, "secret": sid in secrets,
                        "value": MASK if sid in secrets else values[sid]})
    return out


def show_instance(instance_id: str) -> dict:
    """The instance through the core: version, flags, masked values, accounts, owner."""
    data = get_core().get_instance(instance_id)
    owner = db.session.get(ExternalUser, data.owner_id)
    auths = {}
    if data.auth_values:
        auths = {a.id: a for a in db.session.scalars(select(Authentication).where(
            Authentication.id.in_(list(data.auth_values.values()))))}
    accounts = [{"slot": slot, "id": aid, "service": auths[aid].service if aid in auths else None,
                 "name": auths[aid].name if aid in auths else None,
                 "status": auths[aid].status if aid in auths else "missing"}
                for slot, aid in data.auth_values.items()]
    specific = db.session.scalars(select(SolutionVersion.version).where(
        SolutionVersion.for_instance_id == data.id).order_by(SolutionVersion.version)).all()
    return {"id": data.id, "name": data.name, "solution_id": data.solution_id, "owner_id": data.owner_id,
            "external_user_id": owner.external_user_id if owner else None, "enabled": data.enabled,
            "created": data.created, "version": data.version, "newest_version": data.newest_version,
            "flags": {"hasNewerVersion": data.flags.hasNewerVersion,
                      "requiresUserInputToUpdateVersion": data.flags.requiresUserInputToUpdateVersion,
                      "requiresSystemInputToUpdateVersion": data.flags.requiresSystemInputToUpdateVersion},
            "values": masked_values(data.definition, data.config_values), "accounts": accounts,
            "user_specific_versions": list(specific), "definition": data.definition}


def set_enabled(instance_id: str, enabled: bool):
    """Enable (refused, naming the slots, while required values are missing) or disable, through
    the core: the same `instance.enabled` / `instance.disabled` events as the API."""
    return get_core().set_enabled(instance_id, enabled, error_on_missing=True)


def upgrade(instance_id: str):
    """Move the instance to its newest version when that needs no input; MissingValues names
    what the user must give (then they upgrade through the wizard's update)."""
    data = get_core().get_instance(instance_id)
    if data.newest_version is None or data.newest_version == data.version:
        raise CoreError(f"instance {instance_id} is already on its newest version",
                        fields={"solutionInstanceId": "up to date"})
    return get_core().upgrade(instance_id)


def remove_instance(instance_id: str) -> None:
    """Delete the instance (its user-specific versions and progress go with it), as the API."""
    embedded_core().delete_instance(instance_id)


def instance_timeline(instance_id: str, *, limit: int = 100) -> list[dict]:
    """The instance's events from the outbox, newest first, each with its deliveries' status:
    two statements."""
    events = db.session.scalars(select(WebhookEvent).where(WebhookEvent.subject == f"instance:{instance_id}")
                                .order_by(WebhookEvent.created.desc(), WebhookEvent.id.desc()).limit(limit)).all()
    by_event: dict[str, list] = {}
    if events:
        for d in db.session.execute(select(WebhookDelivery.id, WebhookDelivery.event_id, WebhookDelivery.status,
                                           WebhookDelivery.attempts, WebhookDelivery.endpoint_id,
                                           WebhookDelivery.last_status)
                                    .where(WebhookDelivery.event_id.in_([e.id for e in events]))
                                    .order_by(WebhookDelivery.id)):
            by_event.setdefault(d.event_id, []).append(dict(d._mapping))
    return [{"id": e.id, "type": e.type, "created": e.created, "deliveries": by_event.get(e.id, [])}
            for e in events]


# -- accounts --------------------------------------------------------------------------------

def list_accounts(*, after: str | None = None, size: int | None = None, owner_id=None, service=None,
                  status=None) -> Page:
    """Connected accounts, never their credentials: one statement per page."""
    stmt = (select(Authentication.id, Authentication.owner_id, Authentication.service, Authentication.name,
                   Authentication.auth_type, Authentication.status, Authentication.scopes, Authentication.hidden,
                   Authentication.created, ExternalUser.external_user_id)
            .join(ExternalUser, ExternalUser.id == Authentication.owner_id))
    if owner_id:
        stmt = stmt.where(Authentication.owner_id == owner_id)
    if service:
        stmt = stmt.where(Authentication.service == service)
    if status:
        stmt = stmt.where(Authentication.status == status)
    rows, nxt = _page(stmt, Authentication.created, Authentication.id, after, size)
    items = [dict(r._mapping) for r in rows]
    for item in items:
        item["needs_reconnect"] = item["status"] == "needs_reconnect"
    return Page(items, nxt, {"owner_id": owner_id, "service": service, "status": status})


def remove_account(auth_id: str) -> None:
    auth = db.session.get(Authentication, str(auth_id)) if auth_id else None
    if auth is None:
        raise NotFound(f"no authentication with id {auth_id!r}", fields={"authenticationId": "unknown"})
    accounts_store.delete(auth)


# -- API tokens ------------------------------------------------------------------------------

def list_tokens(*, after: str | None = None, size: int | None = None, user_id=None, kind=None,
                include_expired: bool = False) -> Page:
    """API tokens (never their hashes): master ones (user_id empty) and user tokens."""
    stmt = select(ApiToken.id, ApiToken.user_id, ApiToken.name, ApiToken.expires_at, ApiToken.created)
    if user_id:
        stmt = stmt.where(ApiToken.user_id == user_id)
    if kind == "master":
        stmt = stmt.where(ApiToken.user_id.is_(None))
    elif kind == "user":
        stmt = stmt.where(ApiToken.user_id.is_not(None))
    if not include_expired:
        stmt = stmt.where(or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()))
    rows, nxt = _page(stmt, ApiToken.created, ApiToken.id, after, size, id_type=int)
    items = [dict(r._mapping) | {"kind": "user" if r.user_id else "master"} for r in rows]
    return Page(items, nxt, {"user_id": user_id, "kind": kind})


def revoke_token(token_id) -> None:
    try:
        token_id = int(token_id)
    except (TypeError, ValueError):
        token_id = None
    deleted = db.session.execute(delete(ApiToken).where(ApiToken.id == token_id)).rowcount if token_id else 0
    db.session.commit()
    if not deleted:
        raise NotFound(f"no API token with id {token_id!r}", fields={"tokenId": "unknown"})


# -- the overview ----------------------------------------------------------------------------

def overview(days: int = 7) -> dict:
    """Counts for the console's first page, in one statement. Journeys: started = codes used
    (entries into the wizard), finished = `instance.configured` events, abandoned = started and
    not finished, over the last `days` days."""
    since = utcnow() - timedelta(days=days)
    needs = NEWEST_VERSION_ID != SolutionInstance.version_id

    def count(stmt):
        return stmt.scalar_subquery()

    row = db.session.execute(select(
        count(select(func.count()).select_from(ExternalUser)).label("users"),
        count(select(func.count()).select_from(SolutionInstance)).label("instances"),
        count(select(func.count()).where(SolutionInstance.enabled.is_(True))).label("enabled"),
        count(select(func.count()).where(SolutionInstance.enabled.is_(False))).label("disabled"),
        count(select(func.count()).select_from(SolutionInstance).where(needs)).label("waiting_upgrade"),
        count(select(func.count()).where(AuthorizationCode.used_at >= since)).label("started"),
        count(select(func.count()).where(WebhookEvent.type == "instance.configured",
                                         WebhookEvent.created >= since)).label("finished"),
        count(select(func.count()).where(WebhookDelivery.status == "dead")).label("dead_deliveries"),
    )).one()
    out = dict(row._mapping)
    out["abandoned"] = max(0, out["started"] - out["finished"])
    out["days"] = days
    return out


# -- solutions and versions ------------------------------------------------------------------

def list_solutions() -> list[dict]:
    """Every solution with its shared versions' numbers and how many instances run it: two
    statements."""
    from .models import Solution

    solutions = db.session.execute(select(Solution.id, Solution.title).order_by(Solution.id)).all()
    numbers: dict[str, list[int]] = {}
    for sid, number in db.session.execute(select(SolutionVersion.solution_id, SolutionVersion.version)
                                          .where(SolutionVersion.for_instance_id.is_(None))
                                          .order_by(SolutionVersion.version)):
        numbers.setdefault(sid, []).append(number)
    return [{"id": s.id, "title": s.title, "versions": numbers.get(s.id, [])} for s in solutions]


def newest_definition() -> dict | None:
    """The definition of the shared version published last, of any solution (this server's
    solutions are all its one ISV's, whatever the embeddedId): the console's theme preview shows
    its first screen. None before anything is published. One statement."""
    row = db.session.scalar(select(SolutionVersion).where(SolutionVersion.for_instance_id.is_(None))
                            .order_by(SolutionVersion.created.desc(), SolutionVersion.id.desc()).limit(1))
    return row.definition if row is not None else None


def solution_versions(solution_id: str) -> list[dict]:
    """The solution's versions, newest first, user-specific ones naming their instance."""
    rows = db.session.execute(select(SolutionVersion.version, SolutionVersion.for_instance_id, SolutionVersion.created)
                              .where(SolutionVersion.solution_id == solution_id)
                              .order_by(SolutionVersion.version.desc())).all()
    if not rows:
        raise NotFound(f"no solution with id {solution_id!r}", fields={"solutionId": "unknown"})
    return [dict(r._mapping) for r in rows]


def version_row(solution_id: str, number: int) -> SolutionVersion:
    row = db.session.scalar(select(SolutionVersion).where(SolutionVersion.solution_id == solution_id,
                                                          SolutionVersion.version == number))
    if row is None:
        raise NotFound(f"no version {number} of solution {solution_id!r}", fields={"version": "unknown"})
    return row


def version_diff(solution_id: str, old: int, new: int) -> dict:
    """What changed between two versions: the rule of the API's solutionVersionDiff."""
    from .solutions import versions

    return versions.diff(version_row(solution_id, old).definition, version_row(solution_id, new).definition)


def instance_source(instance_id: str) -> str:
    """The definition text the instance runs, or its newest user-specific version's (the
    installation manager edits from there)."""
    row = db.session.get(SolutionInstance, instance_id)
    if row is None:
        raise NotFound(f"no solution instance with id {instance_id!r}", fields={"solutionInstanceId": "unknown"})
    newest = db.session.get(SolutionVersion, row.newest_version_id) if row.newest_version_id else None
    version = newest if newest is not None and newest.for_instance_id == row.id else row.version
    return version.source or json.dumps(version.definition, indent=2)


def check_definition(text: str) -> dict:
    """Check a definition without publishing it (DefinitionError lists the errors by line)."""
    from .services.authoring import catalog
    from .solutions import parse_definition

    return parse_definition(text, catalog())


def publish(text: str, *, for_instance_id: str | None = None) -> SolutionVersion:
    """Publish a version (user-specific with `for_instance_id`: the instance keeps its live
    version until its user finishes the upgrade), as the API and the CLI do."""
    from .services.authoring import catalog

    return embedded_core().publish(text, for_instance_id=for_instance_id, known_services=catalog())
