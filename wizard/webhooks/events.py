"""Instance and authentication events, written to the outbox (`emit`) by the code that makes the
change, in its transaction: the caller's commit stores the change and its event together, and a
rollback drops both. Nothing here commits.

Every payload is `{"type", "timestamp", "data"}` (the Standard Webhooks convention). `data`
never holds a token, a credential or the value of a `secret` slot: secrets are left out, named
only in `secretsSet`.
"""
from __future__ import annotations

import uuid

from sqlalchemy import event as sa_event, select
from sqlalchemy.orm import Session

from .. import slot_types
from ..extensions import db
from ..models import Authentication, ExternalUser, SolutionInstance
from . import clock
from .models import PENDING, WebhookDelivery, WebhookEndpoint, WebhookEvent

INSTANCE_EVENTS = ("instance.created", "instance.configured", "instance.enabled", "instance.disabled",
                   "instance.upgraded", "instance.removed")
AUTH_EVENTS = ("authentication.created", "authentication.removed", "authentication.needs_reconnect")
EVENT_TYPES = INSTANCE_EVENTS + AUTH_EVENTS


def iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def emit(event_type: str, subject: str, data: dict) -> WebhookEvent:
    """Add the event to the outbox and one delivery per enabled endpoint that takes its type.
    Called inside the transaction of the change; the caller commits."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    at = clock.now()
    event = WebhookEvent(id="evt_" + uuid.uuid4().hex, type=event_type, subject=subject, created=at,
                         payload={"type": event_type, "timestamp": iso(at), "data": data})
    db.session.add(event)
    for endpoint in _enabled_endpoints():
        if endpoint.event_types and event_type not in endpoint.event_types:
            continue
        db.session.add(WebhookDelivery(event_id=event.id, endpoint_id=endpoint.id, subject=subject,
                                       status=PENDING, attempts=0, next_attempt_at=at, created=at))
    return event


def _enabled_endpoints() -> list:
    """The enabled endpoints, read once per transaction (the events of one change share them) and
    without flushing: the transaction's events go to the database together, in one INSERT."""
    info = db.session.info
    if "webhook_endpoints" not in info:
        with db.session.no_autoflush:
            info["webhook_endpoints"] = db.session.scalars(
                select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
                .order_by(WebhookEndpoint.created, WebhookEndpoint.id)).all()
    return info["webhook_endpoints"]


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_rollback")
@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_endpoints(session, *_args):
    """Called when a transaction ends: the next one reads the endpoints again."""
    session.info.pop("webhook_endpoints", None)


# -- what the events say -----------------------------------------------------------------------

def _owner(user_id: str) -> dict:
    user = db.session.get(ExternalUser, user_id)
    return {"userId": user_id, "externalUserId": user.external_user_id if user else None}


def public_config(definition: dict, values: dict) -> tuple[dict, list[str]]:
    """Config values that may leave the server: every slot but `secret` ones (and anything still
    sealed), and the ids of the secret slots that have a value."""
    secret_ids = slot_types.secret_ids(definition)
    shown, secret_set = {}, []
    for key, value in (values or {}).items():
        if key in secret_ids or (isinstance(value, dict) and "$enc" in value):
            if value is not None:
                secret_set.append(key)
            continue
        shown[key] = value
    return shown, sorted(secret_set)


def _instance(*, id, solution_id, name, enabled, version, owner_id, definition, config_values, auth_values,
              **extra) -> dict:
    config, secret_set = public_config(definition, config_values)
    return {"solutionInstanceId": id, "solutionId": solution_id, "name": name, "enabled": bool(enabled),
            "version": version, **_owner(owner_id), "configValues": config, "secretsSet": secret_set,
            "authValues": {k: v for k, v in (auth_values or {}).items() if v}, **extra}


def instance_data(row: SolutionInstance, **extra) -> dict:
    return _instance(id=row.id, solution_id=row.solution_id, name=row.name, enabled=row.enabled,
                     version=row.version.version, owner_id=row.owner_id, definition=row.version.definition,
                     config_values=row.config_values, auth_values=row.auth_values, **extra)


def instance_event(event_type: str, row: SolutionInstance, **extra) -> WebhookEvent:
    """An instance.* event about `row` as it is now (call after changing it, before commit)."""
    db.session.flush()
    return emit(event_type, f"instance:{row.id}", instance_data(row, **extra))


def instance_configured(data) -> WebhookEvent:
    """instance.configured: the wizard finished. `data` is the core's InstanceData after saving
    and enabling (the core may be remote, so the event is built from it, not from a row)."""
    return emit("instance.configured", f"instance:{data.id}", _instance(
        id=data.id, solution_id=data.solution_id, name=data.name, enabled=data.enabled, version=data.version,
        owner_id=data.owner_id, definition=data.definition, config_values=data.config_values,
        auth_values=data.auth_values))


def authentication_data(auth: Authentication) -> dict:
    return {"authenticationId": auth.id, "serviceId": auth.service, "name": auth.name,
            "authType": auth.auth_type, "status": auth.status, "hidden": bool(auth.hidden),
            **_owner(auth.owner_id)}


def authentication_event(event_type: str, auth: Authentication) -> WebhookEvent:
    """An authentication.* event about `auth` (never its credentials)."""
    db.session.flush()
    return emit(event_type, f"authentication:{auth.id}", authentication_data(auth))
