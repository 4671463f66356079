"""Webhook endpoints, secrets and the delivery log (webhooks.graphql): master token only. Thin:
the rules live in wizard.webhooks.endpoints, which the CLI calls too."""
from __future__ import annotations

from ariadne import ObjectType


from ..extensions import db
from ..webhooks import EVENT_TYPES, endpoints
from ..webhooks.endpoints import EndpointError
from ..webhooks.models import WebhookDelivery
from .access import operation
from .errors import bad_input, field_errors
from .root import mutation, query

endpoint_type = ObjectType("WebhookEndpoint")
delivery_type = ObjectType("WebhookDelivery")
attempt_type = ObjectType("WebhookAttempt")
MAX_PAGE, DEFAULT_PAGE = 100, 50

# Fields that are only a column under another name.
for _type, _field, _column in ((delivery_type, "endpointId", "endpoint_id"),
                               (delivery_type, "lastStatusCode", "last_status"),
                               (delivery_type, "deliveredAt", "delivered_at"),
                               (attempt_type, "statusCode", "status_code"),
                               (attempt_type, "durationMs", "duration_ms")):
    _type.set_alias(_field, _column)


_call = field_errors(EndpointError)


@endpoint_type.field("eventTypes")
def resolve_event_types(endpoint, _info):
    return list(endpoint.event_types or [])


@endpoint_type.field("previousSecretExpires")
def resolve_previous_expires(endpoint, _info):
    return endpoint.previous_secret_until if endpoint.previous_secret else None


@delivery_type.field("nextAttemptAt")
def resolve_next_attempt(delivery, _info):
    return delivery.next_attempt_at if delivery.status == "pending" else None


@delivery_type.field("lastError")
def resolve_last_error(delivery, _info):
    return delivery.last_error or ""


@delivery_type.field("attemptLog")
def resolve_attempt_log(delivery, _info):
    return endpoints.attempts_of(delivery.id)


@query.field("webhookEndpoints")
@operation(master_only=True)
def resolve_webhook_endpoints(_, info):
    return endpoints.list_endpoints()


@query.field("webhookEventTypes")
@operation(master_only=True)
def resolve_webhook_event_types(_, info):
    return list(EVENT_TYPES)


@query.field("webhookDeliveries")
@operation(master_only=True)
def resolve_webhook_deliveries(_, info, criteria=None, first=None, after=None):
    """Newest first; the cursor is the delivery's id (deliveries are numbered in order)."""
    criteria = criteria or {}
    size = DEFAULT_PAGE if first is None else first
    if not 1 <= size <= MAX_PAGE:
        raise bad_input("first", f"must be between 1 and {MAX_PAGE}")
    stmt = endpoints.deliveries_query(endpoint_id=criteria.get("endpointId"), status=criteria.get("status"),
                                      event_id=criteria.get("eventId"), event_type=criteria.get("eventType"))
    if after:
        if not str(after).isdigit():
            raise bad_input("after", "is not a cursor from this API")
        stmt = stmt.where(WebhookDelivery.id < int(after))
    rows = db.session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(size + 1)).all()
    edges = [{"node": d, "cursor": str(d.id)} for d in rows[:size]]
    return {"edges": edges, "pageInfo": {"hasNextPage": len(rows) > size, "hasPreviousPage": bool(after),
                                         "startCursor": edges[0]["cursor"] if edges else None,
                                         "endCursor": edges[-1]["cursor"] if edges else None}}


@mutation.field("createWebhookEndpoint")
@operation(master_only=True)
def create_webhook_endpoint(_, info, input: dict):
    endpoint, secret = _call(endpoints.create, input["url"], description=input.get("description") or "",
                             event_types=input.get("eventTypes"), secret=input.get("secret"))
    return {"webhookEndpoint": endpoint, "secret": secret, "clientMutationId": input.get("clientMutationId")}


@mutation.field("updateWebhookEndpoint")
@operation(master_only=True)
def update_webhook_endpoint(_, info, input: dict):
    endpoint = _call(endpoints.update, input["webhookEndpointId"], url=input.get("url"),
                     description=input.get("description"), event_types=input.get("eventTypes"),
                     enabled=input.get("enabled"))
    return {"webhookEndpoint": endpoint, "clientMutationId": input.get("clientMutationId")}


@mutation.field("removeWebhookEndpoint")
@operation(master_only=True)
def remove_webhook_endpoint(_, info, input: dict):
    _call(endpoints.remove, input["webhookEndpointId"])
    return {"clientMutationId": input.get("clientMutationId")}


@mutation.field("rotateWebhookEndpointSecret")
@operation(master_only=True)
def rotate_webhook_endpoint_secret(_, info, input: dict):
    grace = input.get("graceSeconds")
    endpoint, secret = _call(endpoints.rotate_secret, input["webhookEndpointId"],
                             grace_seconds=endpoints.DEFAULT_ROTATION_GRACE if grace is None else grace)
    return {"webhookEndpoint": endpoint, "secret": secret, "clientMutationId": input.get("clientMutationId")}


@mutation.field("retryWebhookDelivery")
@operation(master_only=True)
def retry_webhook_delivery(_, info, input: dict):
    return {"delivery": _call(endpoints.retry, input["deliveryId"]), "clientMutationId": input.get("clientMutationId")}


@mutation.field("replayWebhookEvents")
@operation(master_only=True)
def replay_webhook_events(_, info, input: dict):
    out = _call(endpoints.replay, input.get("eventIds"), endpoint_id=input.get("webhookEndpointId"),
                since=input.get("since"))
    return {"deliveries": out, "clientMutationId": input.get("clientMutationId")}


bindables = [endpoint_type, delivery_type, attempt_type]

