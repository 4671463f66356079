"""API: publishing solution versions and listing solutions."""
from __future__ import annotations

import json

import pytest
from support import DEMO_SOLUTION, gql_errors
from sqlalchemy import text

from wizard import identity
from wizard.extensions import db

PUBLISH = ("mutation($d: String!, $i: ID) { publishSolutionVersion(input: {definition: $d, solutionInstanceId: $i}) "
           "{ solution { id title version solutionInstanceId } } }")
SOLUTIONS = ("query($first: Int, $after: String) { solutions(first: $first, after: $after) { edges { node { "
             "id title description version authSlots { externalId service title scopes required } "
             "configSlots { externalId title type required hidden defaultValue } } } "
             "pageInfo { hasNextPage endCursor } } }")


def demo_text() -> str:
    with open(DEMO_SOLUTION) as f:
        return f.read()


def test_publish_yaml_then_list_with_slots(api):
    body = api(PUBLISH, {"d": demo_text()})
    assert body["data"]["publishSolutionVersion"]["solution"] == {
        "id": "slack-alerts", "title": "Sandbox alerts", "version": 1, "solutionInstanceId": None}
    node = api(SOLUTIONS)["data"]["solutions"]["edges"][0]["node"]
    assert node["version"] == 1 and node["title"] == "Sandbox alerts"
    assert node["authSlots"] == [{"externalId": "external_sandbox_authentication", "service": "sandbox",
                                  "title": "Your Sandbox workspace", "scopes": ["channels:read", "chat:write"],
                                  "required": True}]
    slots = {s["externalId"]: s for s in node["configSlots"]}
    assert slots["external_channel"] == {"externalId": "external_channel", "title": "Channel", "type": "select",
                                         "required": True, "hidden": False, "defaultValue": None}
    assert json.loads(slots["external_threshold"]["defaultValue"]) == 5
    assert slots["external_api_base"]["hidden"] is True


def test_publishing_again_makes_the_next_version_json_too(api):
    api(PUBLISH, {"d": demo_text()})
    definition = {"id": "slack-alerts", "title": "Renamed", "config": [{"externalId": "x", "type": "string"}]}
    body = api(PUBLISH, {"d": json.dumps(definition)})
    assert body["data"]["publishSolutionVersion"]["solution"]["version"] == 2
    node = api(SOLUTIONS)["data"]["solutions"]["edges"][0]["node"]
    assert (node["title"], node["version"], [s["externalId"] for s in node["configSlots"]]) == ("Renamed", 2, ["x"])


def test_invalid_definition_is_bad_input_naming_line_and_slot_and_publishes_nothing(api):
    bad = "id: broken\ntitle: Broken\nconfig:\n  - externalId: external_n\n    type: numbr\n"
    body = api(PUBLISH, {"d": bad})
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    err = body["errors"][0]
    assert err["extensions"]["reason"] == "invalid_definition"
    assert err["message"].startswith("definition: ")
    assert "line 5" in err["message"] and "external_n" in err["message"] and "numbr" in err["message"]
    assert err["extensions"]["errors"] and "line 5" in err["extensions"]["errors"][0]
    assert db.session.scalar(text("select count(*) from solution_versions")) == 0


@pytest.mark.parametrize("source", ["id: [unclosed", "{\"id\": ", "- just\n- a list\n", ""])
def test_unparseable_definitions_are_bad_input(api, source):
    body = api(PUBLISH, {"d": source})
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("definition:")


def test_user_specific_version_for_an_unknown_instance_is_bad_input(api):
    body = api(PUBLISH, {"d": demo_text(), "i": "nope"})
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("solutionInstanceId:")


def test_a_user_token_cannot_publish_or_list_solutions(api, user):
    token = identity.issue_user_token(user.id)
    assert gql_errors(api(PUBLISH, {"d": demo_text()}, token=token)) == ["FORBIDDEN"]
    assert gql_errors(api(SOLUTIONS, token=token)) == ["FORBIDDEN"]
    assert db.session.scalar(text("select count(*) from solutions")) == 0


def test_solutions_are_paginated(api):
    for n in range(3):
        api(PUBLISH, {"d": json.dumps({"id": f"s-{n}", "title": f"S{n}", "config": []})})
    first = api(SOLUTIONS, {"first": 2})["data"]["solutions"]
    assert [e["node"]["id"] for e in first["edges"]] == ["s-0", "s-1"] and first["pageInfo"]["hasNextPage"]
    rest = api(SOLUTIONS, {"first": 2, "after": first["pageInfo"]["endCursor"]})["data"]["solutions"]
    assert [e["node"]["id"] for e in rest["edges"]] == ["s-2"] and not rest["pageInfo"]["hasNextPage"]
