"""End users, user tokens and authorization codes (master token only)."""
from __future__ import annotations

from ariadne import ObjectType
from sqlalchemy import select

from .. import identity
from ..models import ExternalUser
from .access import operation
from .pagination import connection, keyset
from .root import mutation, query

user_type = ObjectType("User")


@user_type.field("externalUserId")
def resolve_external_user_id(user: ExternalUser, _info) -> str:
    return user.external_user_id


@user_type.field("created")
def resolve_created(user: ExternalUser, _info) -> str | None:
    return user.created.isoformat() if user.created else None


@query.field("users")
@operation(master_only=True)
def resolve_users(_, _info, first=None, after=None) -> dict:
    """Every end user, oldest first, one page."""
    return connection(*keyset(select(ExternalUser), ExternalUser, first, after))


@mutation.field("createExternalUser")
@operation(master_only=True)
def create_external_user(_, _info, input: dict) -> dict:
    """Create the end user once; a second user with the same externalUserId is refused."""
    user = identity.create_user(input["externalUserId"], input.get("name") or "")
    return {"userId": user.id, "clientMutationId": input.get("clientMutationId")}


@mutation.field("authorize")
@operation(master_only=True)
def authorize(_, _info, input: dict) -> dict:
    """A new user token for the user (shown once, stored hashed)."""
    token = identity.issue_user_token(input["userId"])
    return {"accessToken": token, "clientMutationId": input.get("clientMutationId")}


@mutation.field("generateAuthorizationCode")
@operation(master_only=True)
def generate_authorization_code(_, _info, input: dict) -> dict:
    """A single-use, short-lived code that lets the user into the wizard (stored hashed)."""
    code = identity.generate_code(input["userId"])
    return {"authorizationCode": code, "clientMutationId": input.get("clientMutationId")}


bindables = [user_type]
