"""API over HTTP: whatever is sent, the answer is a GraphQL-style JSON document with a 4xx status,
never a 500, an HTML page or a stack trace."""
from __future__ import annotations

import json
import logging

import pytest
from support import MASTER

from wizard.api import users as users_resolvers

AUTH = {"Authorization": f"Bearer {MASTER}"}


def post(client, data, **kw):
    return client.post("/graphql", data=data, headers=AUTH, content_type="application/json", **kw)


def codes(resp) -> list[str]:
    return [e["extensions"]["code"] for e in resp.get_json()["errors"]]


@pytest.mark.parametrize("data,code", [
    (b"{not json", "BAD_REQUEST"),
    (b"\xff\xfe\xfa", "BAD_REQUEST"),
    (b"[" * 100000, "BAD_REQUEST"),
    (b'["a list"]', "BAD_REQUEST"),
    (b'"a string"', "BAD_REQUEST"),
    (b"{}", "BAD_REQUEST"),
    (b'{"query": 42}', "BAD_REQUEST"),
    (b'{"query": "   "}', "BAD_REQUEST"),
    (b'{"query": "{ users { edges { node { id } } } }", "variables": [1]}', "BAD_REQUEST"),
    (b'{"query": "{ users { edges { node { id } } } }", "operationName": 7}', "BAD_REQUEST"),
    (b'{"query": "{ users { edges { node { id } } }"}', "GRAPHQL_PARSE_FAILED"),
    (b'{"query": "{ nothing }"}', "GRAPHQL_VALIDATION_FAILED"),
    (b'{"query": "{ users(first: \\"two\\") { edges { node { id } } } }"}', "GRAPHQL_VALIDATION_FAILED"),
    (b'{"query": "query($f: Int) { users(first: $f) { edges { node { id } } } }", "variables": {"f": "two"}}',
     "BAD_USER_INPUT"),
    (b'{"query": "mutation($u: ID!) { authorize(input: {userId: $u}) { accessToken } }", "variables": {}}',
     "BAD_USER_INPUT"),
    (b'{"query": "mutation($i: UpdateSolutionInstanceInput!) { updateSolutionInstance(input: $i) '
     b'{ clientMutationId } }", "variables": {"i": {"enabled": "yes"}}}', "BAD_USER_INPUT"),
])
def test_requests_that_cannot_run_are_400_with_an_errors_list(client, data, code):
    resp = post(client, data)
    assert resp.status_code == 400
    assert resp.is_json and set(codes(resp)) == {code}
    assert all(e["message"] for e in resp.get_json()["errors"])


def test_oversize_body_is_413_json(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"query": "{ users { edges { node { id } } } }", "pad": "x" * limit}).encode()
    resp = post(client, body)
    assert resp.status_code == 413 and resp.is_json
    assert codes(resp) == ["PAYLOAD_TOO_LARGE"]


def test_get_is_not_an_api_method_and_answers_json(client):
    resp = client.get("/graphql", headers=AUTH)
    assert resp.status_code == 405 and resp.is_json


def test_the_api_is_exempt_from_csrf_but_tokens_are_required(app, client):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # CSRF is on for the rest of the app
    resp = client.post("/graphql", json={"query": "{ users { edges { node { id } } } }"}, headers=AUTH)
    assert resp.status_code == 200 and "errors" not in resp.get_json()
    assert resp.headers["Cache-Control"] == "no-store"


def test_an_unexpected_error_is_generic_for_the_caller_and_logged_for_the_operator(client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("SELECT password FROM secrets -- internal detail")

    monkeypatch.setattr(users_resolvers.identity, "create_user", broken)
    with caplog.at_level(logging.DEBUG):
        resp = client.post("/graphql", json={"query": 'mutation { createExternalUser(input: {externalUserId: "a"}) '
                                                      '{ userId } }'}, headers=AUTH)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "name": "InternalError"}
    assert body["errors"][0]["path"] == ["createExternalUser"]
    text = resp.get_data(as_text=True)
    assert "internal detail" not in text and "Traceback" not in text and "RuntimeError" not in text
    faults = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert faults and "internal detail" in str(faults[0].exc_info[1])


def test_expected_errors_are_not_logged_as_faults(client, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post("/graphql", json={"query": 'mutation { authorize(input: {userId: "nope"}) { accessToken } }'},
                    headers=AUTH)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
