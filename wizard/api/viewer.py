"""`viewer`: Tray's root for everything but `users`. It answers for the token that asks: a user
token sees its own instances and accounts, the master token everyone's (docs/api.md)."""
from __future__ import annotations

from ariadne import InterfaceType, ObjectType

from .. import identity
from ..core.base import InstanceData
from ..models import Authentication, ExternalUser, Solution
from .access import operation, principal
from .authentications import viewer_authentications
from .instances import viewer_solution_instances
from .root import query
from .solutions import viewer_solutions

viewer_type = ObjectType("Viewer")
viewer_type.set_field("solutions", operation()(viewer_solutions))
viewer_type.set_field("solutionInstances", operation()(viewer_solution_instances))
viewer_type.set_field("authentications", operation()(viewer_authentications))


@query.field("viewer")
@operation()
def resolve_viewer(_, info) -> dict:
    return {"principal": principal(info)}


@viewer_type.field("details")
@operation()
def resolve_details(_, info) -> dict:
    """A user token: username = externalUserId, name = the user's name, email "" (not known)."""
    p = principal(info)
    if p.is_master:
        return {"username": "master", "email": "", "name": "ISV"}
    user = identity.get_user(p.user_id)
    return {"username": user.external_user_id, "email": "", "name": user.name or user.external_user_id}


def _node_type(obj, *_):
    """The concrete type of a Node (no field answers a bare Node today; this keeps it complete)."""
    if isinstance(obj, Solution):
        return "Solution"
    if isinstance(obj, InstanceData):
        return "SolutionInstance"
    if isinstance(obj, ExternalUser):
        return "ExternalUser"
    if isinstance(obj, Authentication):
        return "Authentication"
    if isinstance(obj, dict) and "sourceWorkflowId" in obj:
        return "WorkflowInstance"
    if isinstance(obj, dict) and "icon" in obj:
        return "Service"
    return "ServiceEnvironment"


node_interface = InterfaceType("Node", _node_type)

bindables = [viewer_type, node_interface]
