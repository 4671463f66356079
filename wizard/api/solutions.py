"""Solutions: listing (root `solutions`, master; `viewer.solutions`, either token) and publishing
versions (master token only)."""
from __future__ import annotations

from ariadne import ObjectType
from flask import g
from sqlalchemy import select

from .. import slot_types
from ..cli import known_services
from ..core import embedded_core
from ..core import latest_shared_version, latest_shared_versions, version_definition
from ..extensions import db
from ..models import Solution
from ..solutions import versions
from .access import operation
from .pagination import connection, keyset
from .root import mutation, query

solution_type = ObjectType("Solution")
config_slot_type = ObjectType("ConfigSlot")


def remember_latest(versions: dict, held=()) -> None:
    """Latest shared versions by solution id, loaded in one statement for a page (this request);
    `held`: more rows the request's answer needs, kept alive (the identity map is weak)."""
    g.setdefault("latest_versions", {}).update(versions)
    g.setdefault("held_rows", []).extend(held)


def solution_of(solution_id: str) -> Solution | None:
    """The solution, from the page's batch when it is there."""
    version = g.get("latest_versions", {}).get(solution_id)
    return version.solution if version is not None else db.session.get(Solution, solution_id)


def _latest(solution: Solution):
    """The newest shared version (a solution always has one: it is made by publishing). The first
    call of a request loads those of every solution the request has loaded (a page), at once."""
    known = g.setdefault("latest_versions", {})
    if solution.id not in known:
        loaded = [o.id for o in db.session.identity_map.values() if isinstance(o, Solution)]
        known.update(latest_shared_versions([solution.id, *(i for i in loaded if i not in known)]))
    return known.get(solution.id) or latest_shared_version(solution.id)


def _definition(solution: Solution) -> dict:
    return _latest(solution).definition


@solution_type.field("version")
def resolve_version(solution: Solution, _info) -> int:
    return _latest(solution).version


@solution_type.field("authSlots")
def resolve_auth_slots(solution: Solution, _info) -> list[dict]:
    return _definition(solution)["auth"]


@solution_type.field("configSlots")
def resolve_config_slots(solution: Solution, _info) -> list[dict]:
    return _definition(solution)["config"]


@solution_type.field("tags")
def resolve_tags(solution: Solution, _info) -> list[str]:
    return list(_definition(solution).get("tags") or [])


@solution_type.field("customFields")
def resolve_custom_fields(solution: Solution, _info) -> list[dict]:
    return [{"key": k, "value": v} for k, v in (_definition(solution).get("customFields") or {}).items()]


@config_slot_type.field("defaultValue")
def resolve_default(slot: dict, _info):
    """The default as a JSON value (the Json scalar writes it as JSON text); a secret has none."""
    if "default" not in slot or slot_types.get(slot["type"]).secret:
        return None
    return slot["default"]


@query.field("solutions")
@operation(master_only=True)
def resolve_solutions(_, _info, first=None, after=None, last=None, before=None) -> dict:
    """Every solution, oldest first."""
    return connection(keyset(select(Solution), Solution, first, after, last, before))


def viewer_solutions(_, _info, criteria=None, first=None, after=None, last=None, before=None) -> dict:
    """viewer.solutions: every solution (either token); `tags` keeps those with any of them."""
    stmt = select(Solution)
    tags = set((criteria or {}).get("tags") or [])
    if tags:
        # Tags live in the published definition (JSON), the same on SQLite and PostgreSQL:
        # match them here; an ISV has tens of solutions, not millions.
        ids = [s.id for s in db.session.scalars(select(Solution))
               if tags & set(_definition(s).get("tags") or [])]
        stmt = stmt.where(Solution.id.in_(ids))
    return connection(keyset(stmt, Solution, first, after, last, before))


@query.field("solutionVersionDiff")
@operation(master_only=True)
def resolve_solution_version_diff(_, _info, solutionId: str, **numbers) -> dict:
    """What changed between two versions (wizard.solutions.versions.diff, which the wizard's
    upgrade mode uses too); an unknown solution or version is not_found."""
    old = version_definition(solutionId, numbers["from"])
    new = version_definition(solutionId, numbers["to"])
    return {"solutionId": solutionId, "from": numbers["from"], "to": numbers["to"], **versions.diff(old, new)}


@mutation.field("publishSolutionVersion")
@operation(master_only=True)
def publish_solution_version(_, _info, input: dict) -> dict:
    """Validate the definition text and publish it as the next version (user-specific with
    solutionInstanceId). Instances whose upgrade needs no input move to it at once (core)."""
    version = embedded_core().publish(input["definition"], for_instance_id=input.get("solutionInstanceId"),
                                      known_services=known_services())
    return {"solution": {"id": version.solution_id, "title": version.solution.title, "version": version.version,
                         "solutionInstanceId": version.for_instance_id},
            "clientMutationId": input.get("clientMutationId")}


bindables = [solution_type, config_slot_type]
