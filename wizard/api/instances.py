"""Solution instances: list, create, update (values, name, enabled), upgrade, delete.

Every resolver converts the input (values.py), checks the caller may touch the instance
(access.own_instance) and calls the embedded core, which checks every value against its slot.
"""
from __future__ import annotations

import json

from ariadne import ObjectType

from ..core import embedded_core
from ..core.base import CoreError, InstanceData, InvalidValues, MissingValues
from ..core import latest_shared_version, latest_shared_versions, preload
from ..extensions import db
from ..models import Solution, SolutionInstance
from ..webhooks import validation
from .access import operation, own_instance, owner_filter, owner_of_new, principal
from .errors import FORBIDDEN, ApiError, from_core_error
from .pagination import Page, connection, keyset, total
from .root import mutation, query
from .solutions import remember_latest, solution_of
from .values import auth_input, auth_output, config_input, config_output, prefixes

instance_type = ObjectType("SolutionInstance")


@instance_type.field("owner")
def resolve_owner(data: InstanceData, _info) -> str:
    return data.owner_id


@instance_type.field("workflows")
def resolve_workflows(_data: InstanceData, _info) -> dict:
    """This server runs no workflows (README, "Moving from Tray Embedded"): always empty."""
    return {"edges": []}


@instance_type.field("solutionVersionFlags")
def resolve_flags(data: InstanceData, _info):
    return data.flags


@instance_type.field("authValues")
def resolve_auth_values(data: InstanceData, _info) -> list[dict]:
    return auth_output(data.auth_values)


@instance_type.field("configValues")
def resolve_config_values(data: InstanceData, _info) -> list[dict]:
    """JSON text per value; secret slots answer the mask, never the secret."""
    return config_output(data.definition, data.config_values)


@instance_type.field("solution")
def resolve_solution(data: InstanceData, _info) -> Solution:
    return solution_of(data.solution_id)


@instance_type.field("definition")
def resolve_definition(data: InstanceData, _info) -> str:
    return json.dumps(data.definition)


@instance_type.field("newestVersion")
def resolve_newest_version(data: InstanceData, _info) -> int | None:
    return data.newest_version


@instance_type.field("newestDefinition")
def resolve_newest_definition(data: InstanceData, _info) -> str | None:
    return json.dumps(data.newest_definition) if data.newest_definition is not None else None


def _config(info, items, definition: dict | None) -> dict:
    """configValues of the input; hidden slots hold values only the ISV sets (docs/api.md), so a
    user token may not set them."""
    config = config_input(items, definition)
    if not principal(info).is_master and definition:
        hidden = sorted(s["externalId"] for s in definition["config"] if s["hidden"] and s["externalId"] in config)
        if hidden:
            raise ApiError(f"configValues.{hidden[0]}: a hidden slot is set by the ISV (master token) only",
                           FORBIDDEN)
    return config


def _payload(data: InstanceData, input: dict) -> dict:
    return {"solutionInstance": data, "clientMutationId": input.get("clientMutationId")}


def _call(fn, config: dict, auth: dict, *args, **kwargs):
    """Call the core; invalid values come back named `configValues.<id>` / `authValues.<id>`."""
    try:
        return fn(*args, **kwargs)
    except CoreError as exc:
        raise from_core_error(exc, prefixes(config, auth)) from None


def _ask_validation_webhook(trigger: str, definition: dict, config: dict, auth: dict, *,
                            owner: str, current: InstanceData | None = None) -> None:
    """The ISV's validation webhook (wizard.webhooks.validation) sees the values as they would
    be after this call; its errors are BAD_USER_INPUT naming the slots, like our own rules, and
    no answer is VALIDATION_UNAVAILABLE. Either way nothing of the call is stored."""
    if not (config or auth):
        return
    merged_config = {**(current.config_values if current else {}), **config}
    merged_auth = {**(current.auth_values if current else {}), **auth}
    try:
        errors = validation.ask(definition, trigger=trigger, user_id=owner, config=merged_config, auth=merged_auth,
                                instance_id=current.id if current else None,
                                version=current.version if current else None, changed=[*config, *auth])
    except validation.Unavailable as exc:
        raise ApiError(f"validation webhook: {exc.message}", "VALIDATION_UNAVAILABLE",
                       reason="validation_unavailable", name="PreconditionError") from None
    if errors:
        raise from_core_error(InvalidValues("not accepted by the validation webhook", fields=errors),
                              prefixes(config, auth))


def _instances(criteria: dict, owner: str | None, first, after, last, before) -> dict:
    core = embedded_core()
    ids = criteria.get("ids")
    stmt = core.instances_query(owner_id=owner, solution_id=criteria.get("solutionId"),
                                instance_id=criteria.get("id"), ids=ids, name=criteria.get("name"))
    page = keyset(stmt, SolutionInstance, first, after, last, before)
    # a fixed number of statements whatever the page's size (the request keeps what they load)
    remember_latest(latest_shared_versions(i.solution_id for i in page.items), held=preload(page.items))
    return connection(page, node=core.to_data, totalCount=total(stmt))


@query.field("solutionInstances")
@operation()
def resolve_solution_instances(_, info, criteria=None, first=None, after=None, last=None, before=None) -> dict:
    """Instances, oldest first: a user token's own (another owner is FORBIDDEN), or (master)
    everyone's, filtered by criteria."""
    criteria = criteria or {}
    return _instances(criteria, owner_filter(info, criteria.get("owner")), first, after, last, before)


def viewer_solution_instances(_, info, criteria=None, first=None, after=None, last=None, before=None) -> dict:
    """viewer.solutionInstances: as the root field, except that a user token asking for another
    owner gets an empty list (Tray clients send `owner` with either token)."""
    criteria = criteria or {}
    p = principal(info)
    owner = criteria.get("owner") or None
    if not p.is_master:
        if owner and owner != p.user_id:
            return connection(Page([], False, False), totalCount=0)
        owner = p.user_id
    return _instances(criteria, owner, first, after, last, before)


@mutation.field("createSolutionInstance")
@operation()
def create_solution_instance(_, info, input: dict) -> dict:
    """A new (disabled) instance of the solution's newest shared version. A user token creates
    its own; the master token names the owner in userId."""
    owner = owner_of_new(info, input.get("userId"), "instances")
    version = latest_shared_version(input["solutionId"])
    config = _config(info, input.get("configValues"), version.definition if version else None)
    auth = auth_input(input.get("authValues"))
    if version is not None:
        _ask_validation_webhook("createSolutionInstance", version.definition, config, auth, owner=owner)
    data = _call(embedded_core().create_instance, config, auth, owner, input["solutionId"],
                 input.get("instanceName") or "", config_values=config, auth_values=auth)
    return _payload(data, input)


@mutation.field("updateSolutionInstance")
@operation()
def update_solution_instance(_, info, input: dict) -> dict:
    """Save name and values, then enable or disable (docs/api.md). A call that is refused
    changes nothing: with `enabled: false`, the values are saved first, and only when an
    enabled instance may not lose them is it disabled before they are saved."""
    core = embedded_core()
    data = own_instance(info, input["solutionInstanceId"])
    config = _config(info, input.get("configValues"), data.definition)
    auth = auth_input(input.get("authValues"))
    enabled = input.get("enabled")
    name = input.get("instanceName")
    _ask_validation_webhook("updateSolutionInstance", data.definition, config, auth, owner=data.owner_id,
                            current=data)
    changes = bool(config or auth or name is not None)
    if changes:
        try:
            data = core.save_values(data.id, name=name, config_values=config, auth_values=auth)
            changes = False
        except CoreError as exc:
            if not (isinstance(exc, MissingValues) and enabled is False):
                raise from_core_error(exc, prefixes(config, auth)) from None
    if enabled is False:
        data = core.set_enabled(data.id, False)
    if changes:  # valid values that only an enabled instance could not take
        data = _call(core.save_values, config, auth, data.id, name=name, config_values=config, auth_values=auth)
    if enabled is True:
        data = core.set_enabled(data.id, True,
                                error_on_missing=bool(input.get("errorOnEnablingWithMissingValues")))
    return _payload(data, input)


@mutation.field("upgradeSolutionInstance")
@operation()
def upgrade_solution_instance(_, info, input: dict) -> dict:
    """Move the instance to its newest applicable version with these values; refused, naming
    the slots, while required values are missing."""
    data = own_instance(info, input["solutionInstanceId"])
    config = _config(info, input.get("configValues"), data.newest_definition or data.definition)
    auth = auth_input(input.get("authValues"))
    _ask_validation_webhook("upgradeSolutionInstance", data.newest_definition or data.definition, config, auth,
                            owner=data.owner_id, current=data)
    data = _call(embedded_core().upgrade, config, auth, data.id, config_values=config, auth_values=auth)
    if input.get("instanceName") is not None:
        data = embedded_core().save_values(data.id, name=input["instanceName"])
    return _payload(data, input)


@mutation.field("removeSolutionInstance")
@mutation.field("deleteSolutionInstance")
@operation()
def delete_solution_instance(_, info, input: dict) -> dict:
    """Delete the instance (master: anyone's; user token: its own)."""
    data = own_instance(info, input["solutionInstanceId"])
    embedded_core().delete_instance(data.id)
    return {"clientMutationId": input.get("clientMutationId")}


bindables = [instance_type]
