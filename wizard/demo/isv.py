"""What the demo page's backend does, as an ISV backend would: plain Python over the core and
wizard.identity (no Flask request in here)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from .. import identity
from ..core import NotFound, embedded_core
from ..core import latest_shared_version
from ..extensions import db
from ..flow import links
from ..models import ExternalUser, Solution
from ..solutions import parse_definition

DEMO_USER = "demo-user"
DEMO_SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "slack-alerts.yaml"


def demo_user(create: bool = True) -> ExternalUser | None:
    """The demo end user (external id "demo-user"), created on first use."""
    user = db.session.scalar(select(ExternalUser).where(ExternalUser.external_user_id == DEMO_USER))
    if user is None and create:
        user = identity.create_user(DEMO_USER, "Demo user")
    return user


def solutions() -> list[dict]:
    out = []
    for s in db.session.scalars(select(Solution).order_by(Solution.title, Solution.id)):
        version = latest_shared_version(s.id)
        if version is not None:
            out.append({"id": s.id, "title": s.title, "description": s.description, "version": version.version})
    return out


def instances(user: ExternalUser) -> list[dict]:
    items, _ = embedded_core().list_instances(owner_id=user.id, first=200)
    titles = {s.id: s.title for s in db.session.scalars(select(Solution))}
    return [{
        "id": i.id, "name": i.name, "solutionId": i.solution_id,
        "solutionTitle": titles.get(i.solution_id, i.solution_id), "enabled": i.enabled,
        "version": i.version, "hasNewerVersion": i.flags.hasNewerVersion,
        "created": i.created.isoformat() if i.created else None,
    } for i in reversed(items)]  # newest first, as a "My integrations" list shows them


def unfinished_instance(user: ExternalUser, solution_id: str):
    """The user's newest instance of the solution that the wizard never finished (not enabled,
    nothing saved: Finish saves the values), or None. Configure reopens it rather than piling up
    another instance of the same name for each try."""
    items, _ = embedded_core().list_instances(owner_id=user.id, solution_id=solution_id, first=200)
    for inst in reversed(items):  # newest first
        if not inst.enabled and not inst.config_values and not inst.auth_values:
            return inst
    return None


def configure(user: ExternalUser, solution_id: str):
    """Configure: the unfinished instance of the solution when there is one, else a new one.
    Returns (instance, created)."""
    inst = unfinished_instance(user, solution_id)
    if inst is not None:
        return inst, False
    return embedded_core().create_instance(user.id, solution_id), True


def own_instance(user: ExternalUser, instance_id: str):
    """The instance when it is the demo user's; NotFound otherwise (never another user's)."""
    inst = embedded_core().get_instance(instance_id)
    if inst.owner_id != user.id:
        raise NotFound(f"no solution instance with id {instance_id!r}")
    return inst


def wizard_url(user: ExternalUser, instance_id: str, custom_validation: bool = False) -> str:
    """The wizard URL with a fresh single-use code, on the wizard's public origin."""
    return links.wizard_url(user.id, instance_id, customValidation="true" if custom_validation else None)


def setup(path: Path = DEMO_SOLUTION, known_services=None) -> list[str]:
    """Idempotent: publish the demo solution unless its newest version has the same content;
    create the demo user if missing. Returns what was done, for the operator."""
    done = []
    text = path.read_text()
    definition = parse_definition(text, known_services)
    latest = latest_shared_version(definition["id"])
    if latest is not None and latest.definition == definition:
        done.append(f"solution {definition['id']} is up to date (version {latest.version})")
    else:
        version = embedded_core().publish(text, known_services=known_services)
        done.append(f"published {version.solution_id} version {version.version}")
    if demo_user(create=False) is None:
        demo_user()
        done.append(f"created demo user {DEMO_USER}")
    else:
        done.append(f"demo user {DEMO_USER} exists")
    return done
