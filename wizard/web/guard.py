"""The one guard for "this instance, this user" (in the manner of flaskr's login_required): the
wizard's pages, the connect popup and the auth-only dialog all load an instance through here, so
each failure has one message and one code (wizard.web.errors.REFUSALS) wherever it happens.

- `bound_user(iid)`: the session's binding (made at entry) must name this instance.
- `owned_instance(iid, user_id)`: the instance from the core, which must belong to the user; the
  core's failures become refusals.
- `this_instance(iid)`: both, for a request inside a wizard session.
"""
from __future__ import annotations

from flask import current_app, session

from ..core import CoreError, CoreUnavailable, InstanceData, NotFound, get_core
from .. import session_keys as keys
from .errors import WizardError, refusal


def embedded_id(value: str, instance_id: str | None = None) -> None:
    """The embedded id of a Tray-style URL must be the configured one, when there is one."""
    configured = current_app.config.get("WIZARD_EMBEDDED_ID")
    if configured and value != configured:
        raise refusal("unknown_address", instance_id)


def core_error(exc: CoreError, instance_id: str | None) -> WizardError:
    """A core failure outside the finish step, as an error page (and event)."""
    if isinstance(exc, NotFound):
        return refusal("not_found", instance_id)
    if isinstance(exc, CoreUnavailable):
        return refusal("core_unavailable", instance_id)
    return WizardError(409, exc.code, exc.message, instance_id)


def bound_user(iid: str) -> dict:
    """The session's wizard binding ({user_id, instance_id, options}), refusing any other instance."""
    bound = keys.binding(keys.WIZARD)
    if not bound.get("user_id") or not getattr(session, "sid", None):
        raise refusal("session_expired", iid)
    if bound.get("instance_id") != iid:
        raise refusal("other_instance", iid)
    return bound


def owned_instance(iid: str, user_id: str, read: InstanceData | None = None) -> InstanceData:
    """The instance, when it exists and belongs to `user_id`; `read` is the instance when the
    caller has read it already (flow.page_read; None: asked of the core here)."""
    try:
        instance = read if read is not None else get_core().get_instance(iid)
    except CoreError as exc:
        raise core_error(exc, iid) from None
    if instance.owner_id != user_id:
        raise refusal("not_owner", iid)
    return instance


def this_instance(iid: str) -> tuple[dict, InstanceData]:
    """The binding and the instance for a request inside a wizard session."""
    bound = bound_user(iid)
    return bound, owned_instance(iid, bound["user_id"])
