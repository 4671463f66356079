"""Endpoints, their secrets and the delivery log: what the API and the CLI call (master only)."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from .. import outbound
from ..crypto import decrypt, encrypt, rotate
from ..extensions import db
from . import clock, signing
from .events import EVENT_TYPES
from .models import (
    DEAD, PENDING, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent,
)

URL_RE = re.compile(r"^https?://[^\s/?#]+[^\s]*$")
# how long a rotated-out secret still signs, so receivers can switch without losing a delivery
DEFAULT_ROTATION_GRACE = 24 * 3600


class EndpointError(ValueError):
    """Input that cannot be taken; `field` names it."""

    def __init__(self, field: str, message: str, reason: str = "invalid_input"):
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.reason = field, message, reason


def _url(url) -> str:
    url = (url or "").strip()
    if not URL_RE.match(url) or len(url) > 2000:
        raise EndpointError("url", "must be an http(s) URL, e.g. https://api.acme.com/wizard-events")
    try:
        outbound.check_url(url)  # the guard every delivery passes, asked at once
    except outbound.OutboundRefused as exc:
        raise EndpointError("url", f"the server would not call it: {exc.reason}", "refused") from None
    return url


def _types(types) -> list[str]:
    types = list(dict.fromkeys(types or []))
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise EndpointError("eventTypes", f"unknown event type {unknown[0]!r} (known: {', '.join(EVENT_TYPES)})")
    return types


def get(endpoint_id: str) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, str(endpoint_id)) if endpoint_id else None
    if endpoint is None:
        raise EndpointError("webhookEndpointId", f"no webhook endpoint {endpoint_id!r}", "not_found")
    return endpoint


def create(url: str, *, description: str = "", event_types=None, secret: str | None = None) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (generated unless given): the secret is answered
    here once; it is stored encrypted."""
    if secret is not None and not signing.is_secret(secret):
        raise EndpointError("secret", "must be whsec_ followed by base64 of at least 24 bytes")
    secret = secret or signing.new_secret()
    endpoint = WebhookEndpoint(url=_url(url), description=(description or "")[:300], event_types=_types(event_types),
                               enabled=True, secret=encrypt(secret))
    db.session.add(endpoint)
    db.session.commit()
    return endpoint, secret


def update(endpoint_id: str, *, url=None, description=None, event_types=None, enabled=None) -> WebhookEndpoint:
    """Change what is given (None leaves it)."""
    endpoint = get(endpoint_id)
    if url is not None:
        endpoint.url = _url(url)
    if description is not None:
        endpoint.description = description[:300]
    if event_types is not None:
        endpoint.event_types = _types(event_types)
    if enabled is not None:
        endpoint.enabled = bool(enabled)
    db.session.commit()
    return endpoint


def remove(endpoint_id: str) -> None:
    """Delete the endpoint with its deliveries and their log."""
    db.session.delete(get(endpoint_id))
    db.session.commit()


def rotate_secret(endpoint_id: str, *, grace_seconds: int = DEFAULT_ROTATION_GRACE) -> tuple[WebhookEndpoint, str]:
    """A new secret signs from now on; the old one also signs for `grace_seconds` (both
    signatures in webhook-signature), so the receiver can switch at its own pace."""
    endpoint = get(endpoint_id)
    if grace_seconds < 0:
        raise EndpointError("graceSeconds", "must be 0 or more")
    secret = signing.new_secret()
    endpoint.previous_secret = endpoint.secret if grace_seconds else None
    endpoint.previous_secret_until = clock.now() + timedelta(seconds=grace_seconds) if grace_seconds else None
    endpoint.secret = encrypt(secret)
    db.session.commit()
    return endpoint, secret


def secret_of(endpoint_id: str) -> str:
    return decrypt(get(endpoint_id).secret)


def list_endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.created, WebhookEndpoint.id)))


def deliveries_query(*, endpoint_id=None, status=None, event_id=None, event_type=None, subject=None):
    stmt = select(WebhookDelivery)
    if endpoint_id:
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event_id:
        stmt = stmt.where(WebhookDelivery.event_id == event_id)
    if event_type or subject:
        stmt = stmt.join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        if event_type:
            stmt = stmt.where(WebhookEvent.type == event_type)
        if subject:
            stmt = stmt.where(WebhookEvent.subject == subject)
    return stmt


def attempts_of(delivery_id: int) -> list[WebhookAttempt]:
    return list(db.session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                                   .order_by(WebhookAttempt.number)))


def get_delivery(delivery_id) -> WebhookDelivery:
    try:
        delivery = db.session.get(WebhookDelivery, int(delivery_id))
    except (TypeError, ValueError):
        delivery = None
    if delivery is None:
        raise EndpointError("deliveryId", f"no webhook delivery {delivery_id!r}", "not_found")
    return delivery


def retry(delivery_id) -> WebhookDelivery:
    """Send a dead (or still pending) delivery again now, keeping its place in its subject's
    order. A delivery that went through is sent again with `replay`, not retried."""
    delivery = get_delivery(delivery_id)
    if delivery.status not in (DEAD, PENDING):
        raise EndpointError("deliveryId", f"delivery {delivery.id} is {delivery.status}; only dead or pending ones are retried",
                            "invalid_state")
    now = clock.now()
    delivery.status, delivery.next_attempt_at, delivery.created = PENDING, now, now
    db.session.commit()
    return delivery


def retry_dead(endpoint_id: str | None = None) -> int:
    """Every dead delivery (of one endpoint) back to pending, due now."""
    stmt = deliveries_query(endpoint_id=endpoint_id, status=DEAD)
    now, count = clock.now(), 0
    for delivery in db.session.scalars(stmt):
        delivery.status, delivery.next_attempt_at, delivery.created = PENDING, now, now
        count += 1
    db.session.commit()
    return count


def replay(event_ids: list[str] | None = None, *, endpoint_id: str | None = None, since=None) -> list[WebhookDelivery]:
    """Send events again as new deliveries (same webhook-id, so a receiver that keeps ids sees
    a duplicate): the events named, or every event since `since`; to one endpoint or to every
    enabled endpoint that takes their type. They queue behind the subject's pending ones."""
    if not event_ids and since is None:
        raise EndpointError("eventIds", "name events, or a time to replay from")
    stmt = select(WebhookEvent).order_by(WebhookEvent.created, WebhookEvent.id)
    if event_ids:
        stmt = stmt.where(WebhookEvent.id.in_(list(event_ids)))
    if since is not None:
        stmt = stmt.where(WebhookEvent.created >= since)
    events = list(db.session.scalars(stmt))
    missing = sorted(set(event_ids or []) - {e.id for e in events})
    if missing:
        raise EndpointError("eventIds", f"no event {missing[0]!r}", "not_found")
    targets = [get(endpoint_id)] if endpoint_id else [e for e in list_endpoints() if e.enabled]
    now, out = clock.now(), []
    for event in events:
        for endpoint in targets:
            if endpoint.event_types and event.type not in endpoint.event_types and not endpoint_id:
                continue
            delivery = WebhookDelivery(event_id=event.id, endpoint_id=endpoint.id, subject=event.subject,
                                       status=PENDING, attempts=0, next_attempt_at=now, created=now)
            db.session.add(delivery)
            out.append(delivery)
    db.session.commit()
    return out


def reencrypt_secrets() -> int:
    """Endpoint secrets under the newest encryption key (part of `flask keys rotate`)."""
    count = 0
    for endpoint in list_endpoints():
        endpoint.secret = rotate(endpoint.secret)
        count += 1
        if endpoint.previous_secret:
            endpoint.previous_secret = rotate(endpoint.previous_secret)
            count += 1
    return count


def stats() -> dict[str, int]:
    """Deliveries by status (for `flask webhooks list`)."""
    from sqlalchemy import func

    rows = db.session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)).all()
    return {status: n for status, n in rows}

