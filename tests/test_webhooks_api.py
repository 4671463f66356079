"""Managing webhooks with the master token: the GraphQL operations (one input, clientMutationId,
errors naming the field, FORBIDDEN for a user token) and the CLI (`flask webhooks ...`)."""
from __future__ import annotations

from sqlalchemy import select

from support import gql_errors
from wizard import identity
from wizard.extensions import db
from wizard.webhooks import delivery
from wizard.webhooks.models import WebhookDelivery

from wizard_support import simple_solution
from webhook_support import clock, receiver  # noqa: F401  (fixtures)

CREATE = """mutation($url: String!, $types: [String!]) { createWebhookEndpoint(input: {url: $url, eventTypes: $types,
  description: "ops", clientMutationId: "c1"}) { webhookEndpoint { id url eventTypes enabled description }
  secret clientMutationId } }"""
DELIVERIES = """query($c: WebhookDeliveryCriteria, $first: Int, $after: String) { webhookDeliveries(criteria: $c,
  first: $first, after: $after) { edges { cursor node { id status attempts lastStatusCode lastError endpointId
  event { id type subject payload } attemptLog { number statusCode error worker } } }
  pageInfo { hasNextPage endCursor } } }"""


def test_endpoints_secrets_and_the_delivery_log_through_the_api(api, core, user, clock, receiver):
    body = api(CREATE, {"url": receiver.url + "/events", "types": None})
    created = body["data"]["createWebhookEndpoint"]
    assert created["clientMutationId"] == "c1" and created["secret"].startswith("whsec_")
    ep = created["webhookEndpoint"]
    assert ep["eventTypes"] == [] and ep["enabled"] is True
    receiver.secret = created["secret"]
    listed = api("{ webhookEndpoints { id url } webhookEventTypes }")["data"]
    assert listed["webhookEndpoints"] == [{"id": ep["id"], "url": receiver.url + "/events"}]
    assert "instance.configured" in listed["webhookEventTypes"]
    assert "secret" not in str(api("{ webhookEndpoints { id url description } }"))

    core.publish(simple_solution())
    inst = core.create_instance(user.id, "notes")
    receiver.fail_first = 1
    delivery.drain("t")
    log = api(DELIVERIES, {"c": {"endpointId": ep["id"]}})["data"]["webhookDeliveries"]["edges"]
    node = log[0]["node"]
    assert (node["status"], node["attempts"], node["lastStatusCode"], node["lastError"]) == ("pending", 1, 500, "HTTP 500")
    assert node["event"]["type"] == "instance.created" and node["event"]["subject"] == f"instance:{inst.id}"
    assert '"solutionInstanceId"' in node["event"]["payload"]  # Json: JSON text
    assert node["attemptLog"][0]["number"] == 1 and node["attemptLog"][0]["statusCode"] == 500

    retry = api("""mutation($d: ID!) { retryWebhookDelivery(input: {deliveryId: $d, clientMutationId: "r"}) {
      delivery { status } clientMutationId } }""", {"d": node["id"]})
    assert retry["data"]["retryWebhookDelivery"] == {"delivery": {"status": "pending"}, "clientMutationId": "r"}
    delivery.drain("t")  # due now: no clock to move
    assert [e["type"] for e in receiver.taken()] == ["instance.created"]

    replay = api("""mutation($e: [ID!]) { replayWebhookEvents(input: {eventIds: $e}) { deliveries { id status } } }""",
                 {"e": [node["event"]["id"]]})
    assert [d["status"] for d in replay["data"]["replayWebhookEvents"]["deliveries"]] == ["pending"]
    delivery.drain("t")
    assert len(receiver.taken()) == 2 and len({e["id"] for e in receiver.taken()}) == 1  # same webhook-id

    rotated = api("""mutation($id: ID!) { rotateWebhookEndpointSecret(input: {webhookEndpointId: $id, graceSeconds: 0})
      { secret webhookEndpoint { previousSecretExpires } } }""", {"id": ep["id"]})["data"]["rotateWebhookEndpointSecret"]
    assert rotated["secret"] != created["secret"] and rotated["webhookEndpoint"]["previousSecretExpires"] is None

    page = api(DELIVERIES, {"first": 1})["data"]["webhookDeliveries"]
    assert page["pageInfo"]["hasNextPage"] is True
    nxt = api(DELIVERIES, {"first": 1, "after": page["pageInfo"]["endCursor"]})["data"]["webhookDeliveries"]
    assert nxt["edges"][0]["node"]["id"] != page["edges"][0]["node"]["id"]

    update = api("""mutation($id: ID!) { updateWebhookEndpoint(input: {webhookEndpointId: $id, enabled: false,
      eventTypes: ["instance.enabled"]}) { webhookEndpoint { enabled eventTypes } } }""", {"id": ep["id"]})
    assert update["data"]["updateWebhookEndpoint"]["webhookEndpoint"] == {"enabled": False, "eventTypes": ["instance.enabled"]}
    removed = api("""mutation($id: ID!) { removeWebhookEndpoint(input: {webhookEndpointId: $id, clientMutationId: "x"})
      { clientMutationId } }""", {"id": ep["id"]})
    assert removed["data"]["removeWebhookEndpoint"]["clientMutationId"] == "x"
    assert db.session.scalars(select(WebhookDelivery)).all() == []


def test_bad_input_names_the_field_and_user_tokens_are_forbidden(api, user, receiver):
    body = api(CREATE, {"url": "ftp://x", "types": None})
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["message"].startswith("url:")
    body = api(CREATE, {"url": receiver.url, "types": ["instance.exploded"]})
    assert body["errors"][0]["message"].startswith("eventTypes:")
    body = api("""mutation { retryWebhookDelivery(input: {deliveryId: "999"}) { delivery { id } } }""")
    assert body["errors"][0]["extensions"]["reason"] == "not_found"
    token = identity.issue_user_token(user.id)
    body = api(CREATE, {"url": receiver.url, "types": None}, token=token)
    assert gql_errors(body) == ["FORBIDDEN"]
    assert gql_errors(api("{ webhookEndpoints { id } }", token=token)) == ["FORBIDDEN"]


def test_the_cli_adds_lists_retries_and_replays(runner, core, user, clock, receiver):
    out = runner.invoke(args=["webhooks", "add", receiver.url + "/events", "--event", "instance.created"])
    assert out.exit_code == 0, out.output
    endpoint_id, secret = out.output.strip().split("\t")
    receiver.secret = secret
    core.publish(simple_solution())
    core.create_instance(user.id, "notes")
    receiver.fail_first = 1
    delivery.drain("t")
    listed = runner.invoke(args=["webhooks", "list", "--status", "pending"])
    assert listed.exit_code == 0 and endpoint_id in listed.output and "HTTP 500" in listed.output
    assert "retry schedule (s): 30, 60, 120" in listed.output
    delivery_id = db.session.scalar(select(WebhookDelivery.id))
    assert runner.invoke(args=["webhooks", "retry", str(delivery_id)]).exit_code == 0
    delivery.drain("t")
    assert len(receiver.taken()) == 1
    assert "1 deliveries queued" in runner.invoke(args=["webhooks", "replay", "--since", "2000-01-01"]).output
    delivery.drain("t")
    assert len(receiver.taken()) == 2
    rotated = runner.invoke(args=["webhooks", "rotate", endpoint_id, "--grace", "0"])
    assert rotated.exit_code == 0 and rotated.output.strip().startswith("whsec_")
    assert runner.invoke(args=["webhooks", "disable", endpoint_id]).exit_code == 0
    assert runner.invoke(args=["webhooks", "remove", endpoint_id]).exit_code == 0
    bad = runner.invoke(args=["webhooks", "retry", "12345"])
    assert bad.exit_code == 1 and "no webhook delivery" in bad.output
    assert runner.invoke(args=["webhooks", "validation-secret"]).output.startswith("whsec_")
