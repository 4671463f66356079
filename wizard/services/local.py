"""Services declared beside a solution: a `services:` block in its definition, in the format of
the services file (services.md), known to that solution only.

Inside the definition they are named as declared (`service: acme-crm`, `source: acme-crm.pipelines`).
Publishing validates them like the services file (client secrets come from the environment only)
and stores the definition with their qualified name `<solution id>:<name>`, which is what accounts,
connect attempts and the OAuth client carry. The registry resolves a qualified name through the
newest published version of the solution that declares it (`resolve`).
"""
from __future__ import annotations

import os

from sqlalchemy import select

from ..extensions import db
from ..models import SolutionVersion
from ..solutions.format import QUALIFIER, qualified
from .registry import NAME, Service, _check

MAX_QUALIFIED = 100  # the length of Authentication.service


def _service(solution_id: str, raw: dict, where: str, env) -> tuple[Service | None, list[str]]:
    kwargs, errs = _check(raw, where, env)
    if not kwargs:
        return None, errs
    kwargs["name"] = qualified(solution_id, kwargs["name"])
    return Service(**kwargs, origin=f"solution {solution_id}"), []


def check_block(solution_id: str, block, add, *, reserved=frozenset(), env=os.environ) -> dict[str, Service]:
    """Validate a definition's `services` block, reporting each problem with add(path, message);
    return {name as declared: Service (under its qualified name)}. A name the server already
    has (built-in, preset, services file) is refused: inside the solution it would be ambiguous."""
    if block is None:
        return {}
    if not isinstance(block, list):
        add(("services",), "services must be a list of services, in the format of the services file")
        return {}
    out: dict[str, Service] = {}
    for i, raw in enumerate(block):
        path = ("services", i)
        if not isinstance(raw, dict):
            add(path, "a service must be a mapping with name, title and auth")
            continue
        name = raw.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            add(path + ("name",), "a service needs a name: lowercase letters, digits, - or _")
            continue
        if name in reserved:
            add(path + ("name",), f"service {name!r}: this server already has a service of that name; "
                                  "give the solution's own service another name")
            continue
        if name in out:
            add(path + ("name",), f"service {name!r} is declared twice")
            continue
        if len(qualified(solution_id, name)) > MAX_QUALIFIED:
            add(path + ("name",), f"service {name!r}: the solution id and the name together must stay "
                                  f"within {MAX_QUALIFIED - 1} characters")
            continue
        service, errs = _service(solution_id, raw, f"service {name!r}", env)
        for message in errs:
            add(path, message)
        if service is not None:
            out[name] = service
    return out


def resolve(name: str, env=os.environ) -> Service | None:
    """The service `<solution id>:<name>` as the newest published version of that solution
    declares it (None when no version does, or its entry no longer validates)."""
    solution_id, _, local = name.partition(QUALIFIER)
    definitions = db.session.scalars(
        select(SolutionVersion.definition).where(SolutionVersion.solution_id == solution_id)
        .order_by(SolutionVersion.version.desc()))
    for definition in definitions:
        for raw in (definition or {}).get("services") or []:
            if isinstance(raw, dict) and raw.get("name") == local:
                service, _ = _service(solution_id, raw, f"solution {solution_id!r}: service {local!r}", env)
                return service
    return None
