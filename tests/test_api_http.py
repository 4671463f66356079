"""API over HTTP: whatever is sent, the answer is a GraphQL-style JSON document with a 4xx status,
never a 500, an HTML page or a stack trace."""
from __future__ import annotations

import json
import logging
import re

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


# -- the development API explorer (issue 27) ------------------------------------------------------

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browsers_get_is_the_graphiql_explorer_in_development(client):
    resp = client.get("/graphql", headers=BROWSER)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    # every script and stylesheet from this origin (no CDN), under the strict CSP
    assert re.findall(r'<script src="([^"]+)"', page) == [
        "/graphql/explorer/react.js", "/graphql/explorer/react-dom.js", "/graphql/explorer/graphiql.js",
        re.search(r'/static/explorer\.\w+\.js', page).group(0)]
    assert "https://" not in page.split("data-default-query")[0] and "esm.sh" not in page
    assert "script-src 'self' 'nonce-" in resp.headers["Content-Security-Policy"]
    assert "font-src 'self' data:;" in resp.headers["Content-Security-Policy"]  # GraphiQL's own fonts, here only
    assert "font-src" not in client.get("/demo").headers["Content-Security-Policy"]
    asset = client.get("/graphql/explorer/graphiql.js")
    assert asset.status_code == 200 and b"GraphiQL" in asset.data
    # only the four named files: nothing else of node_modules
    for name in ("package.json", "..%2Fpackage.json", "axe-core%2Faxe.min.js", "graphiql"):
        assert client.get(f"/graphql/explorer/{name}").status_code == 404, name


def test_the_default_query_of_the_explorer_runs(client):
    from wizard.api.explorer import DEFAULT_QUERY

    resp = client.post("/graphql", json={"query": DEFAULT_QUERY}, headers=AUTH)
    assert resp.status_code == 200 and "errors" not in resp.get_json(), resp.get_json()


def test_no_explorer_in_production_nor_for_api_clients(client, app):
    assert client.get("/graphql", headers={**AUTH, "Accept": "application/json"}).status_code == 405
    app.config["WIZARD_GRAPHQL_EXPLORER"] = False  # what load_config gives in production
    try:
        resp = client.get("/graphql", headers=BROWSER)
        assert resp.status_code == 405 and "GraphiQL" not in resp.get_data(as_text=True)
        assert client.get("/graphql/explorer/graphiql.js").status_code == 404
    finally:
        app.config["WIZARD_GRAPHQL_EXPLORER"] = True


def test_production_config_turns_the_explorer_off_whatever_is_asked(tmp_path):
    from wizard.config import load_config

    assert load_config(str(tmp_path), {})["WIZARD_GRAPHQL_EXPLORER"] is True
    assert load_config(str(tmp_path), {"WIZARD_GRAPHQL_EXPLORER": "0"})["WIZARD_GRAPHQL_EXPLORER"] is False
    prod = load_config(str(tmp_path), {"WIZARD_ENV": "production", "WIZARD_GRAPHQL_EXPLORER": "1"})
    assert prod["WIZARD_GRAPHQL_EXPLORER"] is False
