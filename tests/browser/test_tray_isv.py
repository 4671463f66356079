"""An ISV backend written for Tray Embedded, run against this server unchanged but for the
endpoint, the token and the wizard host.

The backend side is what Tray's sample apps and API reference do, through a third-party client
(`gql` over real HTTP, validating every document against the schema it introspects from the
server): look the user up by externalUserId and create it when the edges are empty, authorize,
list solutions under `viewer` by tags and page by page, create instances with `[AuthValue!]!` /
`[ConfigValue!]!` variables and with inline literals, hand out a code for
/external/solutions/<embeddedId>/configure/<id>, list instances under `viewer`, enable with
errorOnEnablingWithMissingValues, import an account with createUserAuthentication, and remove the
instance, the account and the user. The end user's part runs in Chromium.
"""
from __future__ import annotations

import json

import pytest
import requests
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport
from playwright.sync_api import expect
from sqlalchemy import text
from support import MASTER

from browser_support import fresh_instance
from journey import AUTH, click, connect_sandbox, fill_where_to_post, heading, next_, pick_account

pytestmark = pytest.mark.browser

EMBEDDED_ID = "acme-embedded"

# -- the ISV's GraphQL documents, as a Tray backend writes them ---------------------------------

FIND_USER = """
query ($externalUserId: String!) {
  users(criteria: {externalUserId: $externalUserId}) {
    edges { node { id name externalUserId isTestUser } cursor }
    pageInfo { hasNextPage endCursor }
  }
}"""
CREATE_USER = """
mutation ($externalUserId: String!, $name: String!) {
  createExternalUser(input: {externalUserId: $externalUserId, name: $name, isTestUser: true}) { userId }
}"""
AUTHORIZE = "mutation ($userId: ID!) { authorize(input: {userId: $userId}) { accessToken } }"
CODE = "mutation ($userId: ID!) { generateAuthorizationCode(input: {userId: $userId}) { authorizationCode } }"
SOLUTIONS = """
query ($tags: [String!], $first: Int, $after: String) {
  viewer {
    solutions(criteria: {tags: $tags}, first: $first, after: $after) {
      edges {
        node { id title description tags customFields { key value }
               configSlots { externalId title defaultValue } authSlots { externalId title } }
        cursor
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
CREATE_INSTANCE = """
mutation ($solutionId: ID!, $instanceName: String!, $authValues: [AuthValue!]!, $configValues: [ConfigValue!]!) {
  createSolutionInstance(input: {solutionId: $solutionId, instanceName: $instanceName,
                                 authValues: $authValues, configValues: $configValues}) {
    solutionInstance { id name enabled created }
  }
}"""
INSTANCES = """
query {
  viewer {
    solutionInstances {
      totalCount
      edges {
        node {
          id name enabled created owner
          solution { id title tags }
          solutionVersionFlags { hasNewerVersion requiresUserInputToUpdateVersion requiresSystemInputToUpdateVersion }
          authValues { externalId authId }
          configValues { externalId value }
          workflows { edges { node { id sourceWorkflowId sourceWorkflowName triggerUrl } } }
        }
      }
    }
  }
}"""
UPDATE = """
mutation ($solutionInstanceId: ID!, $enabled: Boolean, $authValues: [AuthValue!], $configValues: [ConfigValue!]) {
  updateSolutionInstance(input: {solutionInstanceId: $solutionInstanceId, enabled: $enabled,
                                 errorOnEnablingWithMissingValues: true,
                                 authValues: $authValues, configValues: $configValues}) {
    solutionInstance { id enabled authValues { externalId authId } configValues { externalId value } }
  }
}"""
IMPORT_AUTH = """
mutation ($name: String!, $serviceId: String!, $serviceEnvironmentId: String!, $data: Json!, $hidden: Boolean) {
  createUserAuthentication(input: {name: $name, serviceId: $serviceId, serviceEnvironmentId: $serviceEnvironmentId,
                                   data: $data, hidden: $hidden}) { authenticationId }
}"""
AUTHS = "query { viewer { authentications { edges { node { id name service { id name title } serviceEnvironment { id title } } } } } }"
REMOVE_INSTANCE = """
mutation ($solutionInstanceId: ID!) {
  removeSolutionInstance(input: {solutionInstanceId: $solutionInstanceId, clientMutationId: "rm-instance"}) { clientMutationId }
}"""
REMOVE_AUTH = """
mutation ($authenticationId: ID!) {
  removeAuthentication(input: {authenticationId: $authenticationId, clientMutationId: "rm-auth"}) { clientMutationId }
}"""
REMOVE_USER = """
mutation ($userId: ID!) { removeExternalUser(input: {userId: $userId, clientMutationId: "rm-user"}) { clientMutationId } }"""


class TrayClient:
    """One gql client per token, validating against the schema it introspected."""

    def __init__(self, live_server: str, token: str):
        transport = RequestsHTTPTransport(url=f"{live_server}/graphql", timeout=30, retries=0,
                                          headers={"Authorization": f"Bearer {token}"})
        self.client = Client(transport=transport, fetch_schema_from_transport=True)

    def __call__(self, document: str, **variables) -> dict:
        return self.client.execute(GraphQLRequest(document, variable_values=variables))

    def error(self, document: str, **variables) -> dict:
        with pytest.raises(TransportQueryError) as caught:
            self(document, **variables)
        return caught.value.errors[0]


def tagged(solution_id: str, tags: list[str]) -> str:
    return json.dumps({"id": solution_id, "title": solution_id.title(), "tags": tags,
                       "config": [{"externalId": "external_note", "type": "string"}]})


def run_wizard(page, context, url: str):
    """The end user's part: the wizard at the Tray-style URL, connect, settings, Finish."""
    page.goto(url)
    page.wait_for_url("**/configure/*/s/**")
    heading(page, "Connect")
    connect_sandbox(page, context)
    pick_account(page)
    next_(page)
    heading(page, "Where to post")
    fill_where_to_post(page)
    next_(page)
    heading(page, "Details")
    expect(page.get_by_label("Digest email")).to_have_value("ops@example.com")  # set by the backend
    next_(page)
    heading(page, "Review and finish")
    click(page.locator("#wizard-finish"))
    expect(page.locator("h1#screen-title")).to_have_text("All set")


def rows_of(user_id: str) -> dict[str, int]:
    """What the database still holds of the user, table by table."""
    from wizard.extensions import db

    db.session.rollback()
    counts = {}
    for table, column in (("external_users", "id"), ("api_tokens", "user_id"), ("authorization_codes", "user_id"),
                          ("authentications", "owner_id"), ("solution_instances", "owner_id"),
                          ("connect_flows", "owner_id")):
        counts[table] = db.session.scalar(text(f"select count(*) from {table} where {column} = :u"), {"u": user_id})
    counts["wizard_progress"] = db.session.scalar(text(
        "select count(*) from wizard_progress where instance_id not in (select id from solution_instances)"))
    sessions = db.session.execute(text("select data from browser_sessions")).scalars().all()
    counts["browser_sessions"] = sum(user_id in json.dumps(d if isinstance(d, dict) else json.loads(d)) for d in sessions)
    return counts


def test_a_tray_backend_runs_unchanged(live_server, page, context, demo_solution):
    master = TrayClient(live_server, MASTER)
    for solution_id, tags in (("crm-sync", ["crm"]), ("ticket-digest", ["support", "chat"])):
        master("mutation ($d: String!) { publishSolutionVersion(input: {definition: $d}) { solution { id } } }",
               d=tagged(solution_id, tags))

    # -- the user: looked up, created when missing, authorized --------------------------------
    assert master(FIND_USER, externalUserId="acme-42")["users"]["edges"] == []
    assert master.client.schema.get_type("AuthValue") is not None  # gql validates against the served schema
    user_id = master(CREATE_USER, externalUserId="acme-42", name="Ada")["createExternalUser"]["userId"]
    found = master(FIND_USER, externalUserId="acme-42")["users"]["edges"]
    assert [e["node"] for e in found] == [{"id": user_id, "name": "Ada", "externalUserId": "acme-42", "isTestUser": True}]
    ada = TrayClient(live_server, master(AUTHORIZE, userId=user_id)["authorize"]["accessToken"])

    # -- the marketplace: solutions by tags, and page by page ------------------------------------
    by_tag = ada(SOLUTIONS, tags=["alerts"])["viewer"]["solutions"]["edges"]
    assert [e["node"]["id"] for e in by_tag] == ["slack-alerts"]
    slack = by_tag[0]["node"]
    assert slack["tags"] == ["chat", "alerts"]
    assert {f["key"]: f["value"] for f in slack["customFields"]}["category"] == "Messaging"
    assert slack["authSlots"] == [{"externalId": AUTH, "title": "Your Sandbox workspace"}]
    assert {s["externalId"]: s["defaultValue"] for s in slack["configSlots"]}["external_threshold"] == "5"
    assert {e["node"]["id"] for e in ada(SOLUTIONS, tags=["crm", "alerts"])["viewer"]["solutions"]["edges"]} == \
        {"slack-alerts", "crm-sync"}
    assert len(ada(SOLUTIONS, tags=[])["viewer"]["solutions"]["edges"]) == 3  # [] is no filter
    seen, after = [], None
    while True:
        page_ = ada(SOLUTIONS, first=1, after=after)["viewer"]["solutions"]
        seen += [e["node"]["id"] for e in page_["edges"]]
        if not page_["pageInfo"]["hasNextPage"]:
            break
        after = page_["pageInfo"]["endCursor"]
    assert seen == ["slack-alerts", "crm-sync", "ticket-digest"]

    # -- instances: with [AuthValue!]! / [ConfigValue!]! variables, then inline literals --------------
    first = ada(CREATE_INSTANCE, solutionId="slack-alerts", instanceName="Alerts", authValues=[],
                configValues=[{"externalId": "external_threshold", "value": "7"},
                              {"externalId": "external_digest_email", "value": json.dumps("ops@example.com")}],
                )["createSolutionInstance"]["solutionInstance"]
    assert (first["name"], first["enabled"]) == ("Alerts", False) and first["created"].endswith("Z")
    second = ada("""mutation { createSolutionInstance(input: {solutionId: "slack-alerts", instanceName: "Second",
                      configValues: [{externalId: "external_level", value: "\\"all\\""},
                                     {externalId: "external_digest_email", value: "support@example.com"}]}) {
                      solutionInstance { id configValues { externalId value } } } }""")["createSolutionInstance"]["solutionInstance"]
    assert {v["externalId"]: v["value"] for v in second["configValues"]} == {
        "external_level": '"all"', "external_digest_email": '"support@example.com"'}

    # -- the end user configures the first one in the wizard, at Tray's URL ---------------------------
    code = master(CODE, userId=user_id)["generateAuthorizationCode"]["authorizationCode"]
    run_wizard(page, context, f"{live_server}/external/solutions/{EMBEDDED_ID}/configure/{first['id']}?code={code}")

    listed = ada(INSTANCES)["viewer"]["solutionInstances"]
    assert listed["totalCount"] == 2
    nodes = {e["node"]["id"]: e["node"] for e in listed["edges"]}
    done = nodes[first["id"]]
    assert done["enabled"] is True  # autoEnable: the wizard enabled it
    assert done["owner"] == user_id and done["solution"] == {"id": "slack-alerts", "title": "Sandbox alerts",
                                                            "tags": ["chat", "alerts"]}
    assert done["solutionVersionFlags"] == {"hasNewerVersion": False, "requiresUserInputToUpdateVersion": False,
                                            "requiresSystemInputToUpdateVersion": False}
    assert done["workflows"] == {"edges": []}
    values = {v["externalId"]: json.loads(v["value"]) for v in done["configValues"]}
    assert values["external_channel"] == "C2" and values["external_threshold"] == 7
    wizard_auth = done["authValues"][0]["authId"]
    assert done["authValues"] == [{"externalId": AUTH, "authId": wizard_auth}]

    # -- enabling with errorOnEnablingWithMissingValues --------------------------------------------
    error = ada.error(UPDATE, solutionInstanceId=second["id"], enabled=True)
    assert error["extensions"]["name"] == "PreconditionError" and error["extensions"]["code"] == "BAD_USER_INPUT"
    assert AUTH in error["message"] and "external_channel" in error["message"]
    assert ada(UPDATE, solutionInstanceId=first["id"], enabled=True)["updateSolutionInstance"]["solutionInstance"][
        "enabled"] is True  # enabling what the wizard enabled: the same result

    # -- an account the ISV already holds, imported; then used as an authValue -------------------
    from wizard import accounts

    held = accounts.credentials_of(accounts.get(wizard_auth))  # e.g. tokens from the ISV's own OAuth app
    data = json.dumps({"access_token": held["access_token"], "refresh_token": held["refresh_token"],
                       "expires_in": 3600, "scope": "profile channels:read chat:write"})
    imported = ada(IMPORT_AUTH, name="Imported workspace", serviceId="sandbox", serviceEnvironmentId="sandbox-default",
                   data=data)["createUserAuthentication"]["authenticationId"]
    hidden = ada(IMPORT_AUTH, name="Hidden import", serviceId="sandbox", serviceEnvironmentId="sandbox-default",
                 data={"access_token": held["access_token"]}, hidden=True)["createUserAuthentication"]["authenticationId"]
    refused = ada.error(IMPORT_AUTH, name="Bad", serviceId="sandbox", serviceEnvironmentId="sandbox-default",
                        data=json.dumps({"access_token": "not-a-token"}))
    assert refused["message"].startswith("data:") and refused["extensions"]["name"] == "PreconditionError"
    auths = {e["node"]["id"]: e["node"] for e in ada(AUTHS)["viewer"]["authentications"]["edges"]}
    assert set(auths) == {wizard_auth, imported, hidden}
    assert auths[imported]["service"]["name"] == "sandbox" and auths[imported]["serviceEnvironment"]["id"] == "sandbox-default"
    assert "not-a-token" not in json.dumps(auths) and held["access_token"] not in json.dumps(auths)

    updated = ada(UPDATE, solutionInstanceId=second["id"], enabled=True,
                  authValues=[{"externalId": AUTH, "authId": imported}],
                  configValues=[{"externalId": "external_channel", "value": "C1"}])["updateSolutionInstance"]["solutionInstance"]
    assert updated["enabled"] is True and updated["authValues"] == [{"externalId": AUTH, "authId": imported}]

    # the wizard offers the imported account, not the hidden one
    third = ada(CREATE_INSTANCE, solutionId="slack-alerts", instanceName="Third", authValues=[], configValues=[]
                )["createSolutionInstance"]["solutionInstance"]
    code = master(CODE, userId=user_id)["generateAuthorizationCode"]["authorizationCode"]
    page.goto(f"{live_server}/external/solutions/{EMBEDDED_ID}/configure/{third['id']}?code={code}")
    heading(page, "Connect")
    offered = page.locator(f'input[type="radio"][name="{AUTH}"]')
    expect(offered).to_have_count(2)
    assert {offered.nth(i).get_attribute("value") for i in range(2)} == {wizard_auth, imported}
    expect(page.get_by_label("Imported workspace", exact=True)).to_be_visible()
    expect(page.get_by_text("Hidden import")).to_have_count(0)

    # -- removing: the instance, the account, the user ------------------------------------------------
    assert ada(REMOVE_INSTANCE, solutionInstanceId=first["id"])["removeSolutionInstance"] == {
        "clientMutationId": "rm-instance"}
    assert ada(REMOVE_AUTH, authenticationId=imported)["removeAuthentication"] == {"clientMutationId": "rm-auth"}
    after_removal = {e["node"]["id"]: e["node"] for e in ada(INSTANCES)["viewer"]["solutionInstances"]["edges"]}
    assert set(after_removal) == {second["id"], third["id"]}
    assert after_removal[second["id"]]["authValues"] == []  # unlinked from the instance that used it

    before = rows_of(user_id)
    assert before["external_users"] == 1 and before["solution_instances"] == 2 and before["browser_sessions"] >= 1
    assert master(REMOVE_USER, userId=user_id)["removeExternalUser"] == {"clientMutationId": "rm-user"}
    assert all(n == 0 for n in rows_of(user_id).values()), rows_of(user_id)
    assert master(FIND_USER, externalUserId="acme-42")["users"]["edges"] == []
    # the user's token died with it
    resp = requests.post(f"{live_server}/graphql", json={"query": "{ viewer { details { username } } }"},
                         headers={"Authorization": f"Bearer {ada.client.transport.headers['Authorization'][7:]}"},
                         timeout=10)
    assert resp.status_code == 401
    from wizard.core import NotFound

    with pytest.raises(NotFound):
        fresh_instance(second["id"])
