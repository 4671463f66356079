"""What publishing checks of a definition against its services (solution-format.md, services.md):
its own services (wizard.services.local), and that every dynamic options source is a list of the
service its auth slot connects and that the slot asks for the scopes the list needs, itself or
through the service's default scopes. Each problem names the slot, the source and the scope, so
that an author learns it at publish and not from a user's empty dropdown."""
from __future__ import annotations

from ..solutions.format import ServiceCatalog, dynamic_specs
from .local import check_block
from .registry import Registry, registry

__all__ = ["Catalog", "catalog", "check_sources", "scopes_for_auth_slot"]


def _missing(service, list_name: str, auth_slot: dict) -> list[str]:
    asked = set(service.scopes) | set(auth_slot.get("scopes") or ())
    return [s for s in service.scopes_for(list_name) if s not in asked]


def check_sources(auth: list[dict], config: list[dict], lookup, add) -> None:
    """Report, with add(slot, path, message), each dynamic options source that cannot work:
    not a list of the auth slot's service, a list the service does not have, or scopes the auth
    slot does not ask for. `lookup(name)` is the Service by the name used in the definition, or
    None when it is not known here (nothing more is checked then)."""
    auth_by_id = {s["externalId"]: s for s in auth}
    for slot in config:
        for path, spec in dynamic_specs(slot):
            auth_slot = auth_by_id.get(spec.get("auth"))
            if auth_slot is None:
                continue  # reported by the format's own check
            source = spec["source"]
            service_name, _, list_name = source.partition(".")
            if service_name != auth_slot["service"]:
                add(slot, path + ("source",), f"options.source {source!r} is a list of {service_name!r}, but auth slot "
                    f"{auth_slot['externalId']!r} connects {auth_slot['service']!r}")
                continue
            service = lookup(service_name)
            if service is None:
                continue
            if list_name not in service.options:
                known = ", ".join(sorted(service.options)) or "none"
                add(slot, path + ("source",), f"options.source {source!r}: {service.title} has no options list "
                    f"{list_name!r} (its lists: {known})")
                continue
            missing = _missing(service, list_name, auth_slot)
            if missing:
                add(slot, path + ("source",), f"options from {source!r} need the scope "
                    f"{', '.join(repr(s) for s in missing)}, which auth slot {auth_slot['externalId']!r} does not "
                    f"ask for: add it to the slot's scopes")


class Catalog(ServiceCatalog):
    """The registry as the solution format's checks see it (solutions.format.ServiceCatalog)."""

    def __init__(self, services: Registry):
        self.registry = services

    def __contains__(self, name) -> bool:
        return name in self.registry

    def __iter__(self):
        return iter(self.registry.names())

    def own_services(self, solution_id, block, add) -> dict:
        # a name the server already has (built-in, preset, services file) would be ambiguous
        return check_block(solution_id, block, add, reserved=set(self.registry.names()))

    def check_sources(self, auth, config, own, add) -> None:
        def lookup(name):
            if name in own:
                return own[name]
            return self.registry.get(name) if name in self.registry else None

        check_sources(auth, config, lookup, add)


def catalog() -> Catalog:
    """The app's services, for validating a definition at publish."""
    return Catalog(registry())


def scopes_for_auth_slot(definition: dict, slot_id: str, service) -> list[str]:
    """The scopes the dynamic options lists going through auth slot `slot_id` need (asked when
    connecting, so that a definition published before this check still gets them)."""
    out: list[str] = []
    for slot in definition.get("config") or []:
        for _, spec in dynamic_specs(slot):
            service_name, _, list_name = str(spec.get("source") or "").partition(".")
            if spec.get("auth") == slot_id and service_name == service.name:
                out += [s for s in service.scopes_for(list_name) if s not in out]
    return out
