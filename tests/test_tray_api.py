"""Tray Embedded compatibility, operation by operation (README, "Moving from Tray Embedded"): the parts the ISV suite
(browser/test_tray_isv.py) does not take apart - error names, clientMutationId on every mutation,
criteria, paging both ways, removing a user atomically, importing accounts, refusals."""
from __future__ import annotations

import json

import pytest
from support import MASTER, gql_errors
from sqlalchemy import text

from _connect_support import KEY_SERVICES, sandbox_config  # noqa: F401  (fixtures)
from wizard import accounts, identity
from wizard.extensions import db

INSTANCES = ("query($c: SolutionInstanceSearchCriteria, $first: Int, $after: String, $last: Int, $before: String) "
             "{ viewer { solutionInstances(criteria: $c, first: $first, after: $after, last: $last, before: $before) "
             "{ totalCount edges { cursor node { id name owner } } "
             "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }")
USERS = ("query($c: UserSearchCriteria) { users(criteria: $c) { edges { node { id name externalUserId isTestUser } } "
         "pageInfo { hasNextPage } } }")
IMPORT = ("mutation($i: CreateUserAuthenticationInput!) { createUserAuthentication(input: $i) "
          "{ authenticationId clientMutationId } }")


def ids(body, field="solutionInstances") -> list[str]:
    return [e["node"]["id"] for e in body["data"]["viewer"][field]["edges"]]


# -- transport and errors --------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_matched_in_any_case(client, scheme):
    resp = client.post("/graphql", json={"query": "{ viewer { details { username } } }"},
                       headers={"Authorization": f"{scheme} {MASTER}"})
    assert resp.status_code == 200 and "errors" not in resp.get_json()


def test_errors_carry_trays_name_beside_our_code(api, client, user):
    names = {}
    resp = client.post("/graphql", json={"query": "{ viewer { nothing } }"}, headers={"Authorization": f"Bearer {MASTER}"})
    names["invalid document"] = resp.get_json()["errors"][0]["extensions"]
    resp = client.post("/graphql", json={"query": "{ viewer { details { name } } }"})
    names["no token"] = resp.get_json()["errors"][0]["extensions"]
    names["refused argument"] = api('mutation { authorize(input: {userId: "nope"}) { accessToken } }')["errors"][0][
        "extensions"]
    token = identity.issue_user_token(user.id)
    names["master only"] = api("{ users { edges { node { id } } } }", token=token)["errors"][0]["extensions"]
    assert {k: (v["code"], v["name"]) for k, v in names.items()} == {
        "invalid document": ("GRAPHQL_VALIDATION_FAILED", "GraphQLError"),
        "no token": ("UNAUTHENTICATED", "PreconditionError"),
        "refused argument": ("BAD_USER_INPUT", "PreconditionError"),
        "master only": ("FORBIDDEN", "PreconditionError"),
    }


MUTATIONS = {
    "createExternalUser": 'createExternalUser(input: {externalUserId: "x-9", name: "X", %s}) { userId clientMutationId }',
    "updateExternalUser": 'updateExternalUser(input: {userId: "USER", isTestUser: true, %s}) { clientMutationId }',
    "authorize": 'authorize(input: {userId: "USER", %s}) { clientMutationId }',
    "generateAuthorizationCode": 'generateAuthorizationCode(input: {userId: "USER", %s}) { clientMutationId }',
    "createSolutionInstance": 'createSolutionInstance(input: {solutionId: "slack-alerts", instanceName: "i", '
                              'userId: "USER", %s}) { clientMutationId }',
    "updateSolutionInstance": 'updateSolutionInstance(input: {solutionInstanceId: "INSTANCE", %s}) { clientMutationId }',
    "upgradeSolutionInstance": 'upgradeSolutionInstance(input: {solutionInstanceId: "INSTANCE", instanceName: "u", %s}) '
                               '{ clientMutationId }',
    "publishSolutionVersion": 'publishSolutionVersion(input: {definition: "{\\"id\\": \\"p\\", \\"title\\": \\"P\\"}", %s}) '
                              '{ clientMutationId }',
    "createUserAuthentication": 'createUserAuthentication(input: {name: "k", serviceId: "sandbox-key", '
                                'serviceEnvironmentId: "sandbox-key-default", userId: "USER", data: "KEYDATA", %s}) '
                                '{ clientMutationId }',
    "removeAuthentication": 'removeAuthentication(input: {authenticationId: "AUTH", %s}) { clientMutationId }',
    "deleteAuthentication": 'deleteAuthentication(input: {authenticationId: "AUTH2", %s}) { clientMutationId }',
    "removeSolutionInstance": 'removeSolutionInstance(input: {solutionInstanceId: "INSTANCE", %s}) { clientMutationId }',
    "deleteSolutionInstance": 'deleteSolutionInstance(input: {solutionInstanceId: "INSTANCE2", %s}) { clientMutationId }',
    "removeExternalUser": 'removeExternalUser(input: {userId: "USER", %s}) { clientMutationId }',
}


@pytest.fixture
def key_services(app, live_server, tmp_path, sandbox_config):  # noqa: F811
    path = tmp_path / "services.yaml"
    path.write_text(KEY_SERVICES.format(live=live_server))
    sandbox_config(WIZARD_SERVICES_FILE=str(path))


def test_every_mutation_echoes_client_mutation_id(api, core, demo_solution, user, key_services):
    """Sent: echoed; not sent: null. In order, so that the removals come last."""
    from wizard.sandbox import api_key_for

    instances = [core.create_instance(user.id, "slack-alerts").id for _ in range(2)]
    auths = [accounts.create(user.id, "sandbox", "oauth2", {"access_token": "a"}).id for _ in range(2)]
    key_data = json.dumps(json.dumps({"api_key": api_key_for("acme")}))[1:-1]
    for name, template in MUTATIONS.items():
        doc = (template.replace("USER", user.id).replace("INSTANCE2", instances[1]).replace("INSTANCE", instances[0])
               .replace("AUTH2", auths[1]).replace("AUTH", auths[0]).replace("KEYDATA", key_data))
        if name not in ("removeExternalUser",):
            body = api("mutation { %s }" % (doc % "").replace("x-9", "x-8"))  # without: null
            assert "errors" not in body, (name, body)
            assert body["data"][name]["clientMutationId"] is None
            if name.startswith(("remove", "delete")):
                continue
        body = api("mutation { %s }" % (doc % f'clientMutationId: "cm-{name}"'))
        assert "errors" not in body, (name, body)
        assert body["data"][name]["clientMutationId"] == f"cm-{name}"
    assert db.session.scalar(text("select count(*) from external_users where id = :u"), {"u": user.id}) == 0


# -- users -----------------------------------------------------------------------------------------

def test_users_criteria_match_exactly_and_no_match_is_empty_edges(api):
    for ext, name, test in (("a-1", "Ada", True), ("b-2", "Bob", False), ("c-3", "Ada", False)):
        api('mutation($e: String!, $n: String!, $t: Boolean) { createExternalUser(input: '
            '{externalUserId: $e, name: $n, isTestUser: $t}) { userId } }', {"e": ext, "n": name, "t": test})

    def found(criteria):
        body = api(USERS, {"c": criteria})
        assert "errors" not in body, body
        return sorted(e["node"]["externalUserId"] for e in body["data"]["users"]["edges"])

    assert found({"externalUserId": "a-1"}) == ["a-1"]
    assert found({"externalUserId": "nobody"}) == []
    assert found({"name": "Ada"}) == ["a-1", "c-3"]
    assert found({"name": "Ada", "isTestUser": False}) == ["c-3"]
    assert found({"isTestUser": True}) == ["a-1"]
    assert found(None) == ["a-1", "b-2", "c-3"]
    user_id = api(USERS, {"c": {"externalUserId": "b-2"}})["data"]["users"]["edges"][0]["node"]["id"]
    assert found({"userId": user_id}) == ["b-2"]
    body = api('mutation($u: ID!) { updateExternalUser(input: {userId: $u, isTestUser: true}) '
               '{ user { id isTestUser name externalUserId } } }', {"u": user_id})
    assert body["data"]["updateExternalUser"]["user"] == {"id": user_id, "isTestUser": True, "name": "Bob",
                                                          "externalUserId": "b-2"}
    assert found({"isTestUser": True}) == ["a-1", "b-2"]


def test_viewer_details(api, user):
    token = identity.issue_user_token(user.id)
    assert api("{ viewer { details { username email name } } }", token=token)["data"]["viewer"]["details"] == \
        {"username": "acme-42", "email": "", "name": "Ada"}
    assert api("{ viewer { details { username } } }")["data"]["viewer"]["details"]["username"]


def test_remove_external_user_is_one_transaction(api, core, demo_solution, user, fred, monkeypatch):
    """A failure half-way removes nothing; then it removes everything of the user, and nothing of Fred's."""
    inst = core.create_instance(user.id, "slack-alerts")
    freds = core.create_instance(fred.id, "slack-alerts")
    accounts.create(user.id, "sandbox", "oauth2", {"access_token": "a"})
    identity.issue_user_token(user.id)
    identity.generate_code(user.id)
    fred_token = identity.issue_user_token(fred.id)

    def count(table, column, who):
        return db.session.scalar(text(f"select count(*) from {table} where {column} = :u"), {"u": who})

    tables = [("solution_instances", "owner_id"), ("authentications", "owner_id"), ("api_tokens", "user_id"),
              ("authorization_codes", "user_id"), ("external_users", "id")]
    before = [count(t, c, user.id) for t, c in tables]
    assert before == [1, 1, 1, 1, 1]

    from wizard.models import BrowserSession

    real_scalars = db.session.scalars

    def failing(stmt, *a, **kw):
        if "browser_sessions" in str(stmt):
            raise RuntimeError("the database went away")
        return real_scalars(stmt, *a, **kw)

    monkeypatch.setattr(db.session, "scalars", failing)
    body = api('mutation($u: ID!) { removeExternalUser(input: {userId: $u}) { clientMutationId } }', {"u": user.id})
    assert gql_errors(body) == ["INTERNAL_SERVER_ERROR"]
    monkeypatch.undo()
    db.session.rollback()
    assert [count(t, c, user.id) for t, c in tables] == before  # nothing removed
    assert core.get_instance(inst.id).owner_id == user.id
    assert BrowserSession is not None

    body = api('mutation($u: ID!) { removeExternalUser(input: {userId: $u}) { clientMutationId } }', {"u": user.id})
    assert "errors" not in body, body
    assert [count(t, c, user.id) for t, c in tables] == [0, 0, 0, 0, 0]
    assert core.get_instance(freds.id).owner_id == fred.id
    assert "errors" not in api("{ viewer { details { username } } }", token=fred_token)
    body = api('mutation($u: ID!) { removeExternalUser(input: {userId: $u}) { clientMutationId } }', {"u": user.id})
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["message"].startswith("userId:")


# -- viewer.solutionInstances: criteria, owner, paging ----------------------------------------------

@pytest.fixture
def five(core, demo_solution, user, fred):
    mine = [core.create_instance(user.id, "slack-alerts", f"n{i}").id for i in range(5)]
    core.create_instance(fred.id, "slack-alerts", "n0")
    return mine


def test_criteria_and_owner(api, five, user, fred):
    ada = identity.issue_user_token(user.id)
    assert ids(api(INSTANCES, token=ada)) == five
    assert ids(api(INSTANCES, {"c": {"owner": user.id}}, token=ada)) == five
    # another owner with a user token: nothing, never someone else's, and no error
    body = api(INSTANCES, {"c": {"owner": fred.id}}, token=ada)
    assert ids(body) == [] and body["data"]["viewer"]["solutionInstances"]["totalCount"] == 0
    assert len(ids(api(INSTANCES))) == 6  # master: everyone's
    assert len(ids(api(INSTANCES, {"c": {"owner": fred.id}}))) == 1
    assert ids(api(INSTANCES, {"c": {"name": "n0"}}, token=ada)) == [five[0]]
    assert ids(api(INSTANCES, {"c": {"id": five[2]}}, token=ada)) == [five[2]]
    assert ids(api(INSTANCES, {"c": {"ids": [five[1], five[3]]}}, token=ada)) == [five[1], five[3]]
    # Tray's sample app sends a single string for ids: GraphQL makes it a list
    body = api('{ viewer { solutionInstances(criteria: {ids: "%s"}) { edges { node { id } } } } }' % five[4], token=ada)
    assert ids(body) == [five[4]]
    assert ids(api(INSTANCES, {"c": {"solutionId": "nope"}}, token=ada)) == []


def test_paging_forward_and_backward_with_total_count(api, five, user):
    ada = identity.issue_user_token(user.id)
    first = api(INSTANCES, {"first": 2}, token=ada)["data"]["viewer"]["solutionInstances"]
    assert [e["node"]["id"] for e in first["edges"]] == five[:2] and first["totalCount"] == 5
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    nxt = api(INSTANCES, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token=ada)["data"]["viewer"][
        "solutionInstances"]
    assert [e["node"]["id"] for e in nxt["edges"]] == five[2:4] and nxt["totalCount"] == 5
    assert nxt["pageInfo"]["hasPreviousPage"]

    last = api(INSTANCES, {"last": 2}, token=ada)["data"]["viewer"]["solutionInstances"]
    assert [e["node"]["id"] for e in last["edges"]] == five[3:]
    assert last["pageInfo"]["hasPreviousPage"] and not last["pageInfo"]["hasNextPage"]
    back = api(INSTANCES, {"last": 2, "before": last["pageInfo"]["startCursor"]}, token=ada)["data"]["viewer"][
        "solutionInstances"]
    assert [e["node"]["id"] for e in back["edges"]] == five[1:3] and back["pageInfo"]["hasNextPage"]
    rest = api(INSTANCES, {"last": 2, "before": back["pageInfo"]["startCursor"]}, token=ada)["data"]["viewer"][
        "solutionInstances"]
    assert [e["node"]["id"] for e in rest["edges"]] == five[:1] and not rest["pageInfo"]["hasPreviousPage"]


@pytest.mark.parametrize("variables,field", [({"first": 0}, "first"), ({"last": 101}, "last"),
                                             ({"first": 1, "last": 1}, "last"), ({"before": "junk"}, "before")])
def test_bad_paging_is_bad_input_naming_the_argument(api, five, variables, field):
    body = api(INSTANCES, variables)
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["message"].startswith(field)


def test_without_first_or_last_the_whole_list_up_to_the_maximum(api, core, demo_solution, user, monkeypatch):
    from wizard.api import pagination

    monkeypatch.setattr(pagination, "MAX_LIST", 3)
    made = [core.create_instance(user.id, "slack-alerts").id for _ in range(4)]
    page = api(INSTANCES)["data"]["viewer"]["solutionInstances"]
    assert [e["node"]["id"] for e in page["edges"]] == made[:3]
    assert page["pageInfo"]["hasNextPage"] and page["totalCount"] == 4  # the truth about the rest
    monkeypatch.setattr(pagination, "MAX_LIST", 1000)
    assert len(api(INSTANCES)["data"]["viewer"]["solutionInstances"]["edges"]) == 4


# -- createUserAuthentication --------------------------------------------------------------------------

def test_import_an_api_key_account_stored_encrypted(api, user, key_services):
    from wizard.sandbox import api_key_for

    key = api_key_for("globex")
    body = api(IMPORT, {"i": {"name": "Globex key", "serviceId": "sandbox-key", "serviceEnvironmentId": "sandbox-key-default",
                              "data": {"api_key": key}, "userId": user.id, "clientMutationId": "k"}})
    assert "errors" not in body, body
    auth = accounts.get(body["data"]["createUserAuthentication"]["authenticationId"], owner_id=user.id)
    assert (auth.name, auth.service, auth.auth_type, auth.hidden) == ("Globex key", "sandbox-key", "api_key", False)
    assert accounts.credentials_of(auth) == {"api_key": key}
    assert key not in repr(db.session.execute(text("select * from authentications")).all())
    assert [a.id for a in accounts.list_accounts(user.id)] == [auth.id]


def test_a_hidden_import_is_kept_out_of_the_pickers(api, user, key_services):
    from wizard.sandbox import api_key_for

    token = identity.issue_user_token(user.id)
    body = api(IMPORT, {"i": {"name": "h", "serviceId": "sandbox-key", "serviceEnvironmentId": "sandbox-key",
                              "data": json.dumps({"api_key": api_key_for("acme")}), "hidden": True}}, token=token)
    auth_id = body["data"]["createUserAuthentication"]["authenticationId"]
    assert accounts.list_accounts(user.id) == []
    assert [a.id for a in accounts.list_accounts(user.id, include_hidden=True)] == [auth_id]
    listed = api("{ viewer { authentications { edges { node { id hidden } } } } }", token=token)
    assert [e["node"] for e in listed["data"]["viewer"]["authentications"]["edges"]] == [{"id": auth_id, "hidden": True}]


@pytest.mark.parametrize("change,field", [
    ({"serviceId": "nope"}, "serviceId"),
    ({"serviceEnvironmentId": "sandbox-default"}, "serviceEnvironmentId"),
    ({"data": "not json"}, "data"),
    ({"data": "[1, 2]"}, "data"),
    ({"data": {"api_key": ""}}, "data"),
    ({"data": {"api_key": "k", "extra": "x"}}, "data"),
    ({"data": {"api_key": "sbk_wrong"}}, "data"),       # the service's test call refuses it
    ({"userId": None}, "userId"),                      # master token: whose account?
])
def test_import_refusals_name_the_field_and_store_nothing(api, user, key_services, change, field):
    i = {"name": "k", "serviceId": "sandbox-key", "serviceEnvironmentId": "sandbox-key-default",
         "data": {"api_key": "sbk_x"}, "userId": user.id, **change}
    body = api(IMPORT, {"i": i})
    assert gql_errors(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["message"].startswith(field)
    assert db.session.scalar(text("select count(*) from authentications")) == 0


def test_fred_cannot_import_for_ada(api, user, fred, key_services):
    token = identity.issue_user_token(fred.id)
    body = api(IMPORT, {"i": {"name": "k", "serviceId": "sandbox-key", "serviceEnvironmentId": "sandbox-key-default",
                              "data": {"api_key": "x"}, "userId": user.id}}, token=token)
    assert gql_errors(body) == ["FORBIDDEN"]
    assert db.session.scalar(text("select count(*) from authentications")) == 0


def test_authentication_fields_of_trays_schema(api, user):
    accounts.create(user.id, "sandbox", "oauth2", {"access_token": "a"}, name="Work")
    node = api("{ viewer { authentications { edges { node { id name customFields created "
               "service { id name version title icon } serviceEnvironment { id name title } } } } } }")[
        "data"]["viewer"]["authentications"]["edges"][0]["node"]
    assert node["service"] == {"id": "sandbox", "name": "sandbox", "version": "1", "title": "Sandbox", "icon": ""}
    assert node["serviceEnvironment"] == {"id": "sandbox-default", "name": "default", "title": "Sandbox"}
    assert node["customFields"] is None and node["created"].endswith("Z")


# -- the wizard and dialog URLs take Tray's extra parameters ----------------------------------------

def test_dialog_urls_accept_skip_title_field_and_skip_auth_settings(client, user):
    code = identity.generate_code(user.id)
    resp = client.get(f"/external/auth/create/emb-1?code={code}&serviceId=sandbox&skipTitleField=true"
                      f"&skipAuthSettings=true&unknown=1")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/external/auth/s/")


def test_the_wizard_shows_a_hidden_account_only_where_the_isv_chose_it(client, core, demo_solution, user):
    """hidden: true keeps an imported account out of the pickers, except on the slot the ISV set
    it on (the wizard must show what the instance uses)."""
    from wizard_support import Wizard

    chosen = accounts.create(user.id, "sandbox", "oauth2", {"access_token": "a"}, name="Chosen by the ISV", hidden=True)
    accounts.create(user.id, "sandbox", "oauth2", {"access_token": "b"}, name="Other hidden", hidden=True)
    accounts.create(user.id, "sandbox", "oauth2", {"access_token": "c"}, name="Visible one")
    wiz = Wizard(client, core, user)
    with_value = core.create_instance(user.id, "slack-alerts", auth_values={"external_sandbox_authentication": chosen.id})
    without = core.create_instance(user.id, "slack-alerts")
    wiz.open(without.id)
    assert "Visible one" in wiz.page and "Chosen by the ISV" not in wiz.page and "Other hidden" not in wiz.page
    wiz.open(with_value.id, "start=1")
    assert "Visible one" in wiz.page and "Chosen by the ISV" in wiz.page and "Other hidden" not in wiz.page


@pytest.mark.parametrize("mutation", [
    'removeExternalUser(input: {userId: "ADA"}) { clientMutationId }',
    'updateExternalUser(input: {userId: "ADA", isTestUser: true}) { clientMutationId }',
])
def test_a_user_token_cannot_change_or_remove_users(api, user, fred, mutation):
    token = identity.issue_user_token(fred.id)
    body = api("mutation { %s }" % mutation.replace("ADA", user.id), token=token)
    assert gql_errors(body) == ["FORBIDDEN"] and body["errors"][0]["extensions"]["name"] == "PreconditionError"
    assert identity.get_user(user.id).is_test_user is False


# -- tags and customFields in the solution format -------------------------------------------------

def test_tags_and_custom_fields_are_read_from_the_definition(api):
    definition = ("id: tagged\ntitle: Tagged\ntags: [crm, sync, crm]\n"
                  "customFields:\n  image: https://acme.example/i.svg\n  order: 3\n  beta: true\n")
    assert "errors" not in api('mutation($d: String!) { publishSolutionVersion(input: {definition: $d}) '
                               '{ solution { id } } }', {"d": definition})
    node = api("{ viewer { solutions { edges { node { tags customFields { key value } } } } } }")[
        "data"]["viewer"]["solutions"]["edges"][0]["node"]
    assert node == {"tags": ["crm", "sync"], "customFields": [
        {"key": "image", "value": "https://acme.example/i.svg"}, {"key": "order", "value": "3"},
        {"key": "beta", "value": "true"}]}


@pytest.mark.parametrize("extra,says", [
    ("tags: crm\n", "line 3: tags must be a list"),
    ("tags: [crm, '']\n", "line 3: tags must be a list"),
    ("customFields: [a, b]\n", "line 3: customFields must be a mapping"),
    ("customFields:\n  image: {url: x}\n", "line 4: customFields.image must be a string"),
])
def test_bad_tags_or_custom_fields_name_the_line(api, extra, says):
    body = api('mutation($d: String!) { publishSolutionVersion(input: {definition: $d}) { solution { id } } }',
               {"d": "id: tagged\ntitle: Tagged\n" + extra})
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    assert any(e.startswith(says) for e in body["errors"][0]["extensions"]["errors"]), body["errors"][0]
