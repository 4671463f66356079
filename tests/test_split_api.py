"""The API operations a wizard front end uses on its core (issue 16; wizard/api/frontend.graphql,
docs/api.md "Front ends"): spending a code, reconnecting and renaming an account, listing a
dynamic options list with the account's token on the server, reporting a finished wizard. Each
from the attacker's side too: a user token reaches none of it for another user."""
from __future__ import annotations

import json

import pytest
from _connect_support import KEY_SERVICES, sandbox_config  # noqa: F401  (fixture)
from sqlalchemy import select, text
from support import gql_errors

from wizard import accounts, identity
from wizard.extensions import db
from wizard.webhooks.models import WebhookEvent

CONSUME = ("mutation($i: ConsumeAuthorizationCodeInput!) { consumeAuthorizationCode(input: $i) "
           "{ userId externalUserId clientMutationId } }")
IMPORT = ("mutation($i: CreateUserAuthenticationInput!) { createUserAuthentication(input: $i) "
          "{ authenticationId } }")
UPDATE = ("mutation($i: UpdateUserAuthenticationInput!) { updateUserAuthentication(input: $i) "
          "{ authentication { id name authType status scopes } } }")
OPTIONS = ("query($id: ID!, $s: String!) { authenticationOptions(authenticationId: $id, source: $s) "
           "{ options { value text } error { code message missing } } }")
REPORT = ("mutation($i: ReportSolutionInstanceConfiguredInput!) { reportSolutionInstanceConfigured(input: $i) "
          "{ clientMutationId } }")


@pytest.fixture
def key_services(app, live_server, tmp_path, sandbox_config):  # noqa: F811
    path = tmp_path / "services.yaml"
    path.write_text(KEY_SERVICES.format(live=live_server))
    sandbox_config(WIZARD_SERVICES_FILE=str(path))


def key_account(api, user, workspace="acme") -> str:
    from wizard.sandbox import api_key_for

    body = api(IMPORT, {"i": {"name": "", "serviceId": "sandbox-key", "serviceEnvironmentId": "sandbox-key",
                              "data": {"api_key": api_key_for(workspace)}, "userId": user.id}})
    assert "errors" not in body, body
    return body["data"]["createUserAuthentication"]["authenticationId"]


def test_a_code_is_spent_once_with_the_master_token_and_names_its_user(api, user):
    code = identity.generate_code(user.id)
    body = api(CONSUME, {"i": {"authorizationCode": code, "clientMutationId": "c"}})
    assert body["data"]["consumeAuthorizationCode"] == {"userId": user.id, "externalUserId": "acme-42",
                                                       "clientMutationId": "c"}
    again = api(CONSUME, {"i": {"authorizationCode": code}})
    assert gql_errors(again) == ["BAD_USER_INPUT"]
    assert again["errors"][0]["extensions"]["reason"] == "invalid_code"
    assert "already been used" in again["errors"][0]["message"]


def test_an_expired_code_says_so(api, app, user):
    app.config["WIZARD_CODE_TTL"], before = -1, app.config["WIZARD_CODE_TTL"]
    try:
        code = identity.generate_code(user.id)
    finally:
        app.config["WIZARD_CODE_TTL"] = before
    body = api(CONSUME, {"i": {"authorizationCode": code}})
    assert body["errors"][0]["extensions"]["reason"] == "expired_code"


def test_a_user_token_cannot_spend_codes(api, user, fred):
    """Not even its own: a user token holder could otherwise burn the code of a link in flight."""
    code = identity.generate_code(fred.id)
    body = api(CONSUME, {"i": {"authorizationCode": code}}, token=identity.issue_user_token(user.id))
    assert gql_errors(body) == ["FORBIDDEN"]
    assert identity.consume_code(code) == fred.id  # still unused


def test_reconnecting_must_sign_in_to_the_same_account(api, user, key_services):
    from wizard.sandbox import api_key_for

    auth_id = key_account(api, user, "acme")
    before = accounts.credentials_of(accounts.get(auth_id))
    other = api(UPDATE, {"i": {"authenticationId": auth_id, "data": json.dumps({"api_key": api_key_for("globex")})}})
    assert other["errors"][0]["extensions"]["reason"] == "other_account"
    db.session.expire_all()
    assert accounts.credentials_of(accounts.get(auth_id)) == before
    same = api(UPDATE, {"i": {"authenticationId": auth_id, "data": json.dumps({"api_key": api_key_for("acme")}),
                              "name": "Acme key"}})
    assert same["data"]["updateUserAuthentication"]["authentication"] == {
        "id": auth_id, "name": "Acme key", "authType": "api_key", "status": "ok", "scopes": []}
    refused = api(UPDATE, {"i": {"authenticationId": auth_id, "data": json.dumps({"api_key": "sbk_wrong"})}})
    assert gql_errors(refused) == ["BAD_USER_INPUT"] and "refused" in refused["errors"][0]["message"]
    assert gql_errors(api(UPDATE, {"i": {"authenticationId": auth_id, "name": "  "}})) == ["BAD_USER_INPUT"]


def test_another_user_cannot_touch_an_account(api, user, fred, key_services):
    auth_id = key_account(api, user)
    fred_token = identity.issue_user_token(fred.id)
    renamed = api(UPDATE, {"i": {"authenticationId": auth_id, "name": "mine now"}}, token=fred_token)
    assert renamed["errors"][0]["extensions"]["reason"] == "not_found"
    listed = api(OPTIONS, {"id": auth_id, "s": "sandbox-key.channels"}, token=fred_token)
    assert listed["errors"][0]["extensions"]["reason"] == "not_found"
    assert accounts.get(auth_id).name != "mine now"


def test_options_are_listed_by_the_server_that_holds_the_token(api, user, key_services):
    auth_id = key_account(api, user)
    body = api(OPTIONS, {"id": auth_id, "s": "sandbox-key.channels"}, token=identity.issue_user_token(user.id))
    found = body["data"]["authenticationOptions"]
    assert found["error"] is None
    assert {"value": json.dumps("C2"), "text": "#alerts"} in found["options"]
    unknown = api(OPTIONS, {"id": auth_id, "s": "sandbox-key.nothing"})["data"]["authenticationOptions"]
    assert unknown["options"] == [] and unknown["error"]["code"] == "unknown_options"
    wrong = api(OPTIONS, {"id": auth_id, "s": "sandbox.channels"})["data"]["authenticationOptions"]
    assert wrong["error"]["code"] == "wrong_service"


def test_a_finished_wizard_is_reported_as_instance_configured(api, core, demo_solution, user, fred):
    iid = core.create_instance(user.id, "slack-alerts").id
    assert gql_errors(api(REPORT, {"i": {"solutionInstanceId": iid}},
                          token=identity.issue_user_token(user.id))) == ["FORBIDDEN"]
    assert "errors" not in api(REPORT, {"i": {"solutionInstanceId": iid}})
    events = db.session.scalars(select(WebhookEvent).where(WebhookEvent.type == "instance.configured")).all()
    assert [e.payload["data"]["externalUserId"] for e in events] == ["acme-42"]
    assert db.session.scalar(text("select count(*) from webhook_events where type = 'instance.configured'")) == 1
