"""API: connected accounts are listed and deleted by their owner (or the master), never by Fred."""
from __future__ import annotations

import json

import pytest
from support import gql_errors

from wizard import accounts, identity
from wizard.core import embedded_core
from wizard.services import registry

LIST = ("query($c: AuthenticationCriteria, $first: Int, $after: String) { authentications(criteria: $c, first: $first, "
        "after: $after) { edges { cursor node { id name owner created service { name title } } } "
        "pageInfo { hasNextPage endCursor } } }")
DELETE = ("mutation($id: ID!) { deleteAuthentication(input: {authenticationId: $id, clientMutationId: \"d1\"}) "
          "{ clientMutationId } }")


@pytest.fixture
def adas(user):
    return accounts.create(user.id, "sandbox", "oauth2", {"access_token": "ada-secret-token"}, name="Ada's workspace")


@pytest.fixture
def freds(fred):
    return accounts.create(fred.id, "weather-api", "api_key", {"api_key": "fred-key"}, name="Fred's key")


def ids(body) -> list[str]:
    return [e["node"]["id"] for e in body["data"]["authentications"]["edges"]]


def test_user_lists_only_its_own(api, user, adas, freds):
    token = identity.issue_user_token(user.id)
    body = api(LIST, token=token)
    assert ids(body) == [adas.id]
    node = body["data"]["authentications"]["edges"][0]["node"]
    assert node["name"] == "Ada's workspace" and node["owner"] == user.id and node["created"]
    assert node["service"] == {"name": "sandbox", "title": registry().get("sandbox").title}
    assert "ada-secret-token" not in json.dumps(body)  # credentials are never answered


def test_master_lists_everyones_and_filters(api, user, fred, adas, freds):
    assert ids(api(LIST)) == [adas.id, freds.id]
    assert ids(api(LIST, {"c": {"owner": fred.id}})) == [freds.id]
    assert ids(api(LIST, {"c": {"service": "sandbox"}})) == [adas.id]
    page = api(LIST, {"first": 1})["data"]["authentications"]
    assert page["pageInfo"]["hasNextPage"]
    assert ids(api(LIST, {"first": 1, "after": page["pageInfo"]["endCursor"]})) == [freds.id]


def test_unknown_service_title_falls_back_to_its_name(api, freds):
    node = api(LIST)["data"]["authentications"]["edges"][0]["node"]
    assert node["service"] == {"name": "weather-api", "title": "weather-api"}


def test_owner_deletes_and_instances_are_unlinked(api, user, adas, demo_solution):
    inst = embedded_core().create_instance(user.id, "slack-alerts",
                                           auth_values={"external_sandbox_authentication": adas.id})
    token = identity.issue_user_token(user.id)
    assert api(DELETE, {"id": adas.id}, token=token)["data"]["deleteAuthentication"] == {"clientMutationId": "d1"}
    assert ids(api(LIST, token=token)) == []
    assert embedded_core().get_instance(inst.id).auth_values == {}


def test_master_deletes_anyones(api, freds):
    assert "errors" not in api(DELETE, {"id": freds.id})
    assert ids(api(LIST)) == []


def test_fred_can_neither_list_nor_delete_adas(api, user, fred, adas):
    fred_token = identity.issue_user_token(fred.id)
    body = api(LIST, {"c": {"owner": user.id}}, token=fred_token)
    assert gql_errors(body) == ["FORBIDDEN"] and "Ada" not in json.dumps(body)
    assert ids(api(LIST, {"c": {"service": "sandbox"}}, token=fred_token)) == []

    unknown = api(DELETE, {"id": "0" * 32}, token=fred_token)
    body = api(DELETE, {"id": adas.id}, token=fred_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["reason"] == "not_found"
    # the same answer as for an id that does not exist
    assert body["errors"][0]["message"].replace(adas.id, "X") == unknown["errors"][0]["message"].replace("0" * 32, "X")
    assert accounts.get(adas.id).owner_id == user.id
