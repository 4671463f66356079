"""Issue 27: the README's webhook API examples are run as written (the query inside each curl)
against the app, and the answer the README shows has exactly the fields the API answers."""
from __future__ import annotations

import json
import re
from pathlib import Path

from wizard.webhooks import delivery
from wizard_support import simple_solution
from webhook_support import clock, receiver  # noqa: F401  (fixtures)

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def example(name: str) -> tuple[str, dict]:
    """The GraphQL query of the curl after `<!-- webhook-example: name -->`, and the JSON answer
    the README shows after it."""
    part = README.split(f"<!-- webhook-example: {name} -->", 1)[1]
    curl = re.search(r"```sh\n(.*?)```", part, re.S).group(1)
    body = re.search(r"-d '(.*)'", curl).group(1)
    answer = re.search(r"```json\n(.*?)```", part, re.S).group(1)
    return json.loads(body)["query"], json.loads(answer)


def shape(value):
    """Field names all the way down (a list: its first item's)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__ if value is not None else None


def same_fields(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_fields(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return not a or not b or same_fields(a[0], b[0])
    return True  # leaves: values differ (ids, times), fields are what is documented


def test_create_webhook_endpoint_answers_as_the_readme_shows(api):
    query, shown = example("createWebhookEndpoint")
    body = api(query)
    assert "errors" not in body, body
    assert same_fields(body, shown), (shape(body), shape(shown))
    assert body["data"]["createWebhookEndpoint"]["secret"].startswith("whsec_")


def test_webhook_deliveries_answers_as_the_readme_shows(api, core, user, clock, receiver):
    created = api('mutation($u: String!) { createWebhookEndpoint(input: {url: $u}) { secret } }',
                  {"u": receiver.url + "/events"})["data"]["createWebhookEndpoint"]
    receiver.secret = created["secret"]
    core.publish(simple_solution())
    core.create_instance(user.id, "notes")
    receiver.fail_first = 1
    delivery.drain("t")
    clock.advance(60)
    delivery.drain("t")
    query, shown = example("webhookDeliveries")
    body = api(query)
    assert "errors" not in body, body
    node = body["data"]["webhookDeliveries"]["edges"][0]["node"]
    assert (node["status"], node["attempts"]) == ("delivered", 2)
    assert [a["error"] for a in node["attemptLog"]] == ["HTTP 500", ""]
    assert same_fields(body, shown), (shape(body), shape(shown))
