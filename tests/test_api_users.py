"""API: end users, user tokens, authorization codes; who may call what; secrets stored hashed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from support import MASTER, gql_errors
from sqlalchemy import text, update

from wizard import identity
from wizard.crypto import hash_secret
from wizard.extensions import db
from wizard.models import ApiToken, utcnow

CREATE_USER = 'mutation($e: String!, $n: String) { createExternalUser(input: {externalUserId: $e, name: $n}) { userId } }'
AUTHORIZE = "mutation($u: ID!) { authorize(input: {userId: $u}) { accessToken } }"
CODE = "mutation($u: ID!) { generateAuthorizationCode(input: {userId: $u}) { authorizationCode } }"
USERS = "query($first: Int, $after: String) { users(first: $first, after: $after) { " \
        "edges { cursor node { id externalUserId name } } pageInfo { hasNextPage endCursor } } }"


def user_token(api, user_id: str) -> str:
    return api(AUTHORIZE, {"u": user_id})["data"]["authorize"]["accessToken"]


def test_create_user_authorize_and_code_with_the_master_token(api):
    body = api(CREATE_USER, {"e": "acme-42", "n": "Ada"})
    user_id = body["data"]["createExternalUser"]["userId"]
    assert identity.get_user(user_id).external_user_id == "acme-42"

    token = user_token(api, user_id)
    assert identity.resolve_token(token).user_id == user_id

    code = api(CODE, {"u": user_id})["data"]["generateAuthorizationCode"]["authorizationCode"]
    assert identity.consume_code(code) == user_id


def test_client_mutation_id_is_echoed(api):
    body = api('mutation { createExternalUser(input: {externalUserId: "x-1", clientMutationId: "abc"}) '
               '{ userId clientMutationId } }')
    assert body["data"]["createExternalUser"]["clientMutationId"] == "abc"


def test_duplicate_and_empty_external_user_id_are_bad_input(api, user):
    body = api(CREATE_USER, {"e": "acme-42"})
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    assert "externalUserId" in body["errors"][0]["message"]
    body = api(CREATE_USER, {"e": "  "})
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("externalUserId")


@pytest.mark.parametrize("query", [AUTHORIZE, CODE])
def test_unknown_user_id_is_bad_input_naming_the_field(api, query):
    body = api(query, {"u": "nope"})
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("userId:")
    assert body["errors"][0]["extensions"]["reason"] == "not_found"


@pytest.mark.parametrize("query,variables", [
    (CREATE_USER, {"e": "evil-8"}),
    (AUTHORIZE, {"u": "USER"}),
    (CODE, {"u": "USER"}),
    (USERS, {}),
])
def test_a_user_token_cannot_do_master_operations(api, user, fred, query, variables):
    variables = {k: (user.id if v == "USER" else v) for k, v in variables.items()}
    fred_token = identity.issue_user_token(fred.id)
    body = api(query, variables, token=fred_token)
    assert gql_errors(body) == ["FORBIDDEN"]
    assert body["data"] is None
    # nothing was made for Fred: no second user, no token or code for Ada
    assert db.session.scalar(text("select count(*) from external_users")) == 2
    assert db.session.scalar(text("select count(*) from authorization_codes")) == 0
    assert db.session.scalar(text("select count(*) from api_tokens")) == 1


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer wrong-token", "Basic " + MASTER, MASTER])
def test_missing_or_wrong_token_is_unauthenticated_and_runs_nothing(client, header):
    headers = {"Authorization": header} if header is not None else {}
    resp = client.post("/graphql", json={"query": 'mutation { createExternalUser(input: {externalUserId: "a"}) '
                                                  '{ userId } }'}, headers=headers)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert [e["extensions"]["code"] for e in resp.get_json()["errors"]] == ["UNAUTHENTICATED"]
    assert db.session.scalar(text("select count(*) from external_users")) == 0


def test_expired_user_token_is_unauthenticated(api, client, user):
    token = identity.issue_user_token(user.id)
    query = "{ solutionInstances { edges { node { id } } } }"
    assert "errors" not in api(query, token=token)
    db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    resp = client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    assert resp.get_json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_master_token_made_by_the_cli_works(api):
    token = identity.create_master_token("backend")
    assert "errors" not in api(USERS, token=token)


def test_tokens_and_codes_are_stored_hashed(api, user):
    token = user_token(api, user.id)
    code = api(CODE, {"u": user.id})["data"]["generateAuthorizationCode"]["authorizationCode"]
    master = identity.create_master_token("backend")
    for table, secrets in (("api_tokens", [token, master]), ("authorization_codes", [code])):
        rows = db.session.execute(text(f"select * from {table}")).all()
        dump = repr([tuple(r) for r in rows])
        for secret in secrets:
            assert secret not in dump
            assert hash_secret(secret) in dump


def test_users_are_paginated_in_a_stable_order(api):
    ids = [api(CREATE_USER, {"e": f"u-{i}"})["data"]["createExternalUser"]["userId"] for i in range(5)]
    seen, after, pages = [], None, 0
    while True:
        page = api(USERS, {"first": 2, "after": after})["data"]["users"]
        seen += [e["node"]["id"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert pages == 3
    assert seen == ids  # oldest first, each once
    assert [e["node"]["id"] for e in api(USERS, {"first": 5})["data"]["users"]["edges"]] == ids


@pytest.mark.parametrize("variables,field", [({"first": 0}, "first"), ({"first": 101}, "first"),
                                             ({"after": "not-a-cursor"}, "after"),
                                             # a well-formed cursor with a naive timestamp
                                             ({"after": "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgIngiXQ=="}, "after")])
def test_bad_paging_arguments_are_bad_input(api, user, variables, field):
    body = api(USERS, variables)
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith(field)
