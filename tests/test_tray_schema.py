"""Tray Embedded compatibility, schema level: the schema served over HTTP accepts every document
valid against Tray's (tests/tray/tray_schema.graphql, written from Tray Embedded's documented API) with the same
types, as graphql-core's find_breaking_changes(tray, ours) sees it."""
from __future__ import annotations

from pathlib import Path

import requests
from graphql import BreakingChangeType, build_client_schema, build_schema, find_breaking_changes, get_introspection_query
from support import MASTER

TRAY_SDL = Path(__file__).parent / "tray" / "tray_schema.graphql"


def served_schema(live_server: str, token: str = MASTER):
    resp = requests.post(f"{live_server}/graphql", json={"query": get_introspection_query(descriptions=True)},
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert "errors" not in body, body["errors"]
    return build_client_schema(body["data"])


def test_the_served_schema_breaks_nothing_of_trays(live_server):
    tray = build_schema(TRAY_SDL.read_text())
    ours = served_schema(live_server)
    changes = find_breaking_changes(tray, ours)
    assert changes == [], "\n".join(f"{c.type.name}: {c.description}" for c in changes)


def test_the_check_would_see_a_break(live_server):
    """The comparison is not vacuous: a Tray schema with one field more than ours, or a type of
    another kind, is reported."""
    ours = served_schema(live_server)
    extra = build_schema(TRAY_SDL.read_text().replace("viewer: Viewer!", "viewer: Viewer!\n  node(id: ID!): Node"))
    assert [c.type for c in find_breaking_changes(extra, ours)] == [BreakingChangeType.FIELD_REMOVED]
    other = build_schema(TRAY_SDL.read_text().replace(
        "input ConfigValue { externalId: String!, value: Json }", "input ConfigValue { externalId: String!, value: String }"))
    assert BreakingChangeType.FIELD_CHANGED_KIND in [c.type for c in find_breaking_changes(other, ours)]


def test_introspection_works_with_a_user_token_and_lowercase_bearer(live_server, user):
    from wizard import identity

    token = identity.issue_user_token(user.id)
    resp = requests.post(f"{live_server}/graphql", json={"query": "{ __schema { queryType { name } } }"},
                         headers={"Authorization": f"bearer {token}"}, timeout=10)
    assert resp.status_code == 200 and resp.json()["data"]["__schema"]["queryType"]["name"] == "Query"
