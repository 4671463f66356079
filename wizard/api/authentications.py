"""Connected accounts: list and delete. A user token reaches only its own."""
from __future__ import annotations

from ariadne import ObjectType
from sqlalchemy import select

from .. import accounts
from ..models import Authentication
from .access import operation, owner_filter, principal
from .pagination import connection, keyset
from .root import mutation, query

authentication_type = ObjectType("Authentication")


def service_title(name: str) -> str:
    """The service's title from the registry (wizard.services) when it knows it, else its name."""
    try:
        from ..services import registry
    except ModuleNotFoundError:
        return name
    try:
        service = registry().get(name)
    except (KeyError, LookupError):
        return name
    return getattr(service, "title", None) or name


@authentication_type.field("service")
def resolve_service(auth: Authentication, _info) -> dict:
    return {"name": auth.service, "title": service_title(auth.service)}


@authentication_type.field("owner")
def resolve_owner(auth: Authentication, _info) -> str:
    return auth.owner_id


@authentication_type.field("created")
def resolve_created(auth: Authentication, _info) -> str | None:
    return auth.created.isoformat() if auth.created else None


@query.field("authentications")
@operation()
def resolve_authentications(_, info, criteria=None, first=None, after=None) -> dict:
    """Authentications, oldest first: a user token's own, or (master) everyone's / one owner's."""
    criteria = criteria or {}
    stmt = select(Authentication)
    owner = owner_filter(info, criteria.get("owner"))
    if owner:
        stmt = stmt.where(Authentication.owner_id == owner)
    if criteria.get("service"):
        stmt = stmt.where(Authentication.service == criteria["service"])
    return connection(*keyset(stmt, Authentication, first, after))


@mutation.field("deleteAuthentication")
@operation()
def delete_authentication(_, info, input: dict) -> dict:
    """Delete the account and unlink it from its owner's instances. Another user's id answers
    as an unknown one."""
    p = principal(info)
    auth = accounts.get(input["authenticationId"], owner_id=None if p.is_master else p.user_id)
    accounts.delete(auth)
    return {"clientMutationId": input.get("clientMutationId")}


bindables = [authentication_type]
