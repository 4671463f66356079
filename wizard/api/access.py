"""Who is calling, and what they may touch.

The endpoint resolves the bearer token before anything runs (no token, no execution) and puts the
`Principal` in the context; resolvers declare with `@operation(master_only=...)` what they need.
A user token only ever reaches its own instances and authentications: anyone else's answer
exactly as an unknown id does (reason not_found), so a user cannot even learn that they exist.
"""
from __future__ import annotations

import functools

from ..core import embedded_core
from ..core.base import InstanceData, NotFound
from ..identity import Principal, get_user
from .errors import FORBIDDEN, UNAUTHENTICATED, ApiError, bad_input, maps_errors


def principal(info) -> Principal:
    p = info.context.get("principal")
    if p is None:  # the endpoint refuses such requests first; this guards other callers
        raise ApiError("a bearer token is required", UNAUTHENTICATED)
    return p


def operation(*, master_only: bool = False):
    """Decorate a root resolver: check the token's rights, then map the errors of the layers
    below onto GraphQL errors (errors.maps_errors)."""

    def decorate(fn):
        mapped = maps_errors(fn)

        @functools.wraps(fn)
        def wrapper(obj, info, **kwargs):
            p = principal(info)
            if master_only and not p.is_master:
                raise ApiError(f"{info.field_name} needs the master token", FORBIDDEN)
            return mapped(obj, info, **kwargs)

        return wrapper

    return decorate


def owner_filter(info, requested: str | None) -> str | None:
    """The owner a listing is limited to: the user's own id for a user token (asking for another
    owner is FORBIDDEN), the requested one (or everyone) for the master token."""
    p = principal(info)
    if p.is_master:
        return requested or None
    if requested and requested != p.user_id:
        raise ApiError("criteria.owner: a user token lists only its own user's items", FORBIDDEN)
    return p.user_id


def owner_of_new(info, requested: str | None, what: str) -> str:
    """The owner of something a mutation creates (`what`: "instances", "accounts"): a user token
    creates its own (naming another user is FORBIDDEN); the master token must name the user in
    userId, which must exist."""
    p = principal(info)
    if p.is_master:
        if not requested:
            raise bad_input("userId", f"is required with the master token (the owner of the {what})")
        get_user(requested)
        return requested
    if requested and requested != p.user_id:
        raise ApiError(f"userId: a user token creates {what} only for its own user", FORBIDDEN)
    return p.user_id


def own_instance(info, instance_id: str) -> InstanceData:
    """The instance, if the caller may act on it; otherwise the same NotFound as an unknown id."""
    data = embedded_core().get_instance(instance_id)
    p = principal(info)
    if not p.is_master and data.owner_id != p.user_id:
        raise NotFound(f"no solution instance with id {instance_id!r}", fields={"solutionInstanceId": "unknown"})
    return data
