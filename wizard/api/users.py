"""End users, user tokens and authorization codes (master token only)."""
from __future__ import annotations

from ariadne import InterfaceType, ObjectType
from sqlalchemy import select

from .. import identity, manage
from ..models import ExternalUser
from .access import operation
from .pagination import connection, keyset
from .root import mutation, query

user_type = ObjectType("ExternalUser")
user_interface = InterfaceType("User", lambda obj, *_: "ExternalUser")


@user_type.field("externalUserId")
def resolve_external_user_id(user: ExternalUser, _info) -> str:
    return user.external_user_id


@user_type.field("isTestUser")
def resolve_is_test_user(user: ExternalUser, _info) -> bool:
    return bool(user.is_test_user)


@query.field("users")
@operation(master_only=True)
def resolve_users(_, _info, criteria=None, first=None, after=None, last=None, before=None) -> dict:
    """End users, oldest first; criteria match exactly (no match: `edges: []`, never an error)."""
    criteria = criteria or {}
    stmt = manage.user_filter(select(ExternalUser), external_user_id=criteria.get("externalUserId"),
                              name=criteria.get("name"), user_id=criteria.get("userId"),
                              is_test_user=criteria.get("isTestUser"))
    return connection(keyset(stmt, ExternalUser, first, after, last, before))


@mutation.field("createExternalUser")
@operation(master_only=True)
def create_external_user(_, _info, input: dict) -> dict:
    """Create the end user once; a second user with the same externalUserId is refused."""
    user = identity.create_user(input["externalUserId"], input.get("name") or "",
                                is_test_user=bool(input.get("isTestUser")))
    return {"userId": user.id, "clientMutationId": input.get("clientMutationId")}


@mutation.field("updateExternalUser")
@operation(master_only=True)
def update_external_user(_, _info, input: dict) -> dict:
    user = identity.update_user(input["userId"], is_test_user=input.get("isTestUser"), name=input.get("name"))
    return {"user": user, "clientMutationId": input.get("clientMutationId")}


@mutation.field("removeExternalUser")
@operation(master_only=True)
def remove_external_user(_, _info, input: dict) -> dict:
    """The user and everything of theirs, in one transaction (identity.remove_user)."""
    identity.remove_user(input["userId"])
    return {"clientMutationId": input.get("clientMutationId")}


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


bindables = [user_type, user_interface]
