"""API: solution instances with both kinds of token; values of every slot type; enabling;
version flags; user-specific versions; upgrade; pagination; secrets never answered."""
from __future__ import annotations

import json

import pytest
from support import gql_errors
from sqlalchemy import text

from wizard import accounts, identity
from wizard.extensions import db

NODE = """id name enabled owner created version newestVersion definition newestDefinition
  solutionVersionFlags { hasNewerVersion requiresUserInputToUpdateVersion requiresSystemInputToUpdateVersion }
  authValues { externalId authId } configValues { externalId value } solution { id title version }"""
CREATE = ("mutation($input: CreateSolutionInstanceInput!) { createSolutionInstance(input: $input) "
          "{ solutionInstance { %s } clientMutationId } }" % NODE)
UPDATE = ("mutation($input: UpdateSolutionInstanceInput!) { updateSolutionInstance(input: $input) "
          "{ solutionInstance { %s } } }" % NODE)
UPGRADE = ("mutation($input: UpgradeSolutionInstanceInput!) { upgradeSolutionInstance(input: $input) "
           "{ solutionInstance { %s } } }" % NODE)
DELETE = ("mutation($id: ID!) { deleteSolutionInstance(input: {solutionInstanceId: $id, clientMutationId: \"c1\"}) "
          "{ clientMutationId } }")
LIST = ("query($c: SolutionInstanceCriteria, $first: Int, $after: String) { solutionInstances(criteria: $c, "
        "first: $first, after: $after) { edges { cursor node { %s } } pageInfo { hasNextPage endCursor } } }" % NODE)
PUBLISH = ("mutation($d: String!, $i: ID) { publishSolutionVersion(input: {definition: $d, solutionInstanceId: $i}) "
           "{ solution { id version } } }")


def cv(**values) -> list[dict]:
    return [{"externalId": k, "value": json.dumps(v)} for k, v in values.items()]


def values_of(node) -> dict:
    return {v["externalId"]: json.loads(v["value"]) for v in node["configValues"]}


@pytest.fixture
def ada_token(user):
    return identity.issue_user_token(user.id)


@pytest.fixture
def fred_token(fred):
    return identity.issue_user_token(fred.id)


def create(api, token, solution="slack-alerts", **input):
    body = api(CREATE, {"input": {"solutionId": solution, **input}}, token=token)
    assert "errors" not in body, body
    return body["data"]["createSolutionInstance"]["solutionInstance"]


def get(api, instance_id, token=None):
    kw = {"token": token} if token else {}
    edges = api(LIST, {"c": {"id": instance_id}}, **kw)["data"]["solutionInstances"]["edges"]
    return edges[0]["node"] if edges else None


# -- create, list, update, delete with both tokens ----------------------------------------------

def test_user_token_creates_lists_updates_and_deletes_its_own_instance(api, demo_solution, user, ada_token):
    node = create(api, ada_token, instanceName="My alerts", configValues=cv(external_threshold=7))
    assert (node["name"], node["enabled"], node["owner"], node["version"]) == ("My alerts", False, user.id, 1)
    assert node["solution"] == {"id": "slack-alerts", "title": "Sandbox alerts", "version": 1}
    assert values_of(node) == {"external_threshold": 7}
    assert json.loads(node["definition"])["id"] == "slack-alerts"

    listed = api(LIST, {"c": {"solutionId": "slack-alerts"}}, token=ada_token)["data"]["solutionInstances"]
    assert [e["node"]["id"] for e in listed["edges"]] == [node["id"]]

    upd = api(UPDATE, {"input": {"solutionInstanceId": node["id"], "instanceName": "Renamed",
                                 "configValues": cv(external_level="all", external_keywords=["deploy"])}},
              token=ada_token)["data"]["updateSolutionInstance"]["solutionInstance"]
    assert upd["name"] == "Renamed"
    assert values_of(upd) == {"external_level": "all", "external_keywords": ["deploy"], "external_threshold": 7}

    assert api(DELETE, {"id": node["id"]}, token=ada_token)["data"]["deleteSolutionInstance"] == {"clientMutationId": "c1"}
    assert get(api, node["id"]) is None


def test_master_token_acts_on_any_users_instance(api, demo_solution, user, fred, ada_token):
    body = api(CREATE, {"input": {"solutionId": "slack-alerts"}})
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["message"].startswith("userId")
    node = api(CREATE, {"input": {"solutionId": "slack-alerts", "userId": user.id}})[
        "data"]["createSolutionInstance"]["solutionInstance"]
    assert node["owner"] == user.id
    other = api(CREATE, {"input": {"solutionId": "slack-alerts", "userId": fred.id}})[
        "data"]["createSolutionInstance"]["solutionInstance"]

    everyone = api(LIST)["data"]["solutionInstances"]["edges"]
    assert {e["node"]["id"] for e in everyone} == {node["id"], other["id"]}
    only_fred = api(LIST, {"c": {"owner": fred.id}})["data"]["solutionInstances"]["edges"]
    assert [e["node"]["id"] for e in only_fred] == [other["id"]]

    upd = api(UPDATE, {"input": {"solutionInstanceId": node["id"], "enabled": True}})
    assert upd["data"]["updateSolutionInstance"]["solutionInstance"]["enabled"] is True
    assert api(DELETE, {"id": other["id"]})["data"]["deleteSolutionInstance"]["clientMutationId"] == "c1"
    assert get(api, other["id"]) is None
    # the user still sees its own, which the master changed
    assert get(api, node["id"], ada_token)["enabled"] is True


def test_create_with_unknown_solution_is_bad_input(api, demo_solution, ada_token):
    body = api(CREATE, {"input": {"solutionId": "nope"}}, token=ada_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("solutionId:")


def test_client_mutation_id_is_echoed(api, demo_solution, ada_token):
    body = api(CREATE, {"input": {"solutionId": "slack-alerts", "clientMutationId": "m-1"}}, token=ada_token)
    assert body["data"]["createSolutionInstance"]["clientMutationId"] == "m-1"


# -- Fred: another user's instance, from every side -----------------------------------------------

def test_another_users_instance_can_be_neither_read_nor_changed(api, core, demo_solution, user, fred, ada_token,
                                                                 fred_token):
    mine = create(api, ada_token, instanceName="Ada's", configValues=cv(external_threshold=3))
    before = core.get_instance(mine["id"])

    # listing: by id, by solution, by owner
    assert api(LIST, {"c": {"id": mine["id"]}}, token=fred_token)["data"]["solutionInstances"]["edges"] == []
    assert api(LIST, {"c": {"solutionId": "slack-alerts"}}, token=fred_token)["data"]["solutionInstances"]["edges"] == []
    body = api(LIST, {"c": {"owner": user.id}}, token=fred_token)
    assert gql_errors(body) == ["FORBIDDEN"] and user.id not in json.dumps(body["errors"])

    unknown = api(UPDATE, {"input": {"solutionInstanceId": "0" * 32, "enabled": True}}, token=fred_token)
    attempts = [
        api(UPDATE, {"input": {"solutionInstanceId": mine["id"], "instanceName": "pwned", "enabled": True}},
            token=fred_token),
        api(UPDATE, {"input": {"solutionInstanceId": mine["id"], "configValues": cv(external_threshold=9)}},
            token=fred_token),
        api(UPGRADE, {"input": {"solutionInstanceId": mine["id"]}}, token=fred_token),
        api(DELETE, {"id": mine["id"]}, token=fred_token),
        api(PUBLISH, {"d": "id: slack-alerts\ntitle: x\n", "i": mine["id"]}, token=fred_token),
    ]
    for body in attempts[:4]:
        assert gql_errors(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["reason"] == "not_found"
        # answered exactly as an unknown id is: nothing tells Fred the instance exists
        assert body["errors"][0]["message"].replace(mine["id"], "X") == \
            unknown["errors"][0]["message"].replace("0" * 32, "X")
        assert "Ada" not in json.dumps(body)
    assert gql_errors(attempts[4]) == ["FORBIDDEN"]

    # Fred cannot create an instance for Ada either
    body = api(CREATE, {"input": {"solutionId": "slack-alerts", "userId": user.id}}, token=fred_token)
    assert gql_errors(body) == ["FORBIDDEN"]

    after = core.get_instance(mine["id"])
    assert (after.name, after.enabled, after.config_values, after.version) == \
           (before.name, before.enabled, before.config_values, before.version)


def test_fred_cannot_link_adas_authentication_to_his_instance(api, demo_solution, user, fred, fred_token):
    adas = accounts.create(user.id, "sandbox", "oauth2", {"access_token": "a"}, name="Ada's workspace")
    body = api(CREATE, {"input": {"solutionId": "slack-alerts", "authValues": [
        {"externalId": "external_sandbox_authentication", "authId": adas.id}]}}, token=fred_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("authValues.external_sandbox_authentication:")
    assert db.session.scalar(text("select count(*) from solution_instances")) == 0


def test_auth_values_are_set_and_removed(api, demo_solution, user, ada_token):
    auth = accounts.create(user.id, "sandbox", "oauth2", {"access_token": "a"})
    slot = "external_sandbox_authentication"
    node = create(api, ada_token, authValues=[{"externalId": slot, "authId": auth.id}])
    assert node["authValues"] == [{"externalId": slot, "authId": auth.id}]
    upd = api(UPDATE, {"input": {"solutionInstanceId": node["id"], "authValues": [{"externalId": slot, "authId": ""}]}},
              token=ada_token)["data"]["updateSolutionInstance"]["solutionInstance"]
    assert upd["authValues"] == []


# -- values of every slot type --------------------------------------------------------------------

TYPED = {
    "id": "typed",
    "title": "Every type",
    "config": [
        {"externalId": "s_string", "type": "string", "maxLength": 5},
        {"externalId": "s_text", "type": "text", "minLength": 3},
        {"externalId": "s_secret", "type": "secret"},
        {"externalId": "s_email", "type": "email"},
        {"externalId": "s_url", "type": "url"},
        {"externalId": "s_number", "type": "number", "max": 1.5},
        {"externalId": "s_integer", "type": "integer", "min": 1, "max": 10},
        {"externalId": "s_boolean", "type": "boolean"},
        {"externalId": "s_date", "type": "date"},
        {"externalId": "s_select", "type": "select", "options": [{"value": "a"}, {"value": "b"}]},
        {"externalId": "s_multiselect", "type": "multiselect", "options": [{"value": "a"}, {"value": "b"}]},
        {"externalId": "s_json", "type": "json",
         "schema": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}},
        {"externalId": "s_mapping", "type": "mapping", "lhs": {"options": [{"value": "x"}]}},
    ],
}
GOOD_AND_BAD = [
    ("s_string", "short", "far too long"),
    ("s_text", "long enough", "ab"),
    ("s_secret", "hunter22", 42),
    ("s_email", "ada@example.com", "not-an-email"),
    ("s_url", "https://acme.example/hook", "ftp://acme.example"),
    ("s_number", 1.25, 2.5),
    ("s_integer", 7, 7.5),
    ("s_boolean", True, "yes"),
    ("s_date", "2026-01-31", "2026-02-30"),
    ("s_select", "b", "c"),
    ("s_multiselect", ["a", "b"], ["a", "z"]),
    ("s_json", {"n": 3}, {"n": "three"}),
    ("s_mapping", [{"lhs": "x", "rhs": "anything"}], [{"lhs": "x"}]),
]


@pytest.fixture
def typed(core, user):
    core.publish(json.dumps(TYPED))
    return core.create_instance(user.id, "typed")


@pytest.mark.parametrize("slot,good,bad", GOOD_AND_BAD, ids=[g[0] for g in GOOD_AND_BAD])
def test_a_wrong_value_of_each_slot_type_is_bad_input_naming_the_slot(api, core, typed, ada_token, slot, good, bad):
    body = api(UPDATE, {"input": {"solutionInstanceId": typed.id, "configValues": cv(**{slot: bad})}}, token=ada_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    err = body["errors"][0]
    assert err["message"].startswith(f"configValues.{slot}: ")
    assert err["extensions"]["reason"] == "invalid_values" and list(err["extensions"]["fields"]) == [slot]
    assert slot not in core.get_instance(typed.id).config_values  # nothing stored

    body = api(UPDATE, {"input": {"solutionInstanceId": typed.id, "configValues": cv(**{slot: good})}}, token=ada_token)
    assert "errors" not in body, body
    assert core.get_instance(typed.id).config_values[slot] == good


def test_value_that_is_not_json_text_or_unknown_slot_is_bad_input(api, typed, ada_token):
    body = api(UPDATE, {"input": {"solutionInstanceId": typed.id,
                                  "configValues": [{"externalId": "s_string", "value": "bare words"}]}}, token=ada_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["message"].startswith("configValues.s_string:")
    body = api(UPDATE, {"input": {"solutionInstanceId": typed.id, "configValues": cv(s_typo="x")}}, token=ada_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["message"].startswith("configValues.s_typo:")
    body = api(UPDATE, {"input": {"solutionInstanceId": typed.id,
                                  "configValues": cv(s_string="a") + cv(s_string="b")}}, token=ada_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"] and "twice" in body["errors"][0]["message"]


def test_a_value_nested_absurdly_deep_is_bad_input_not_a_crash(api, core, typed, ada_token):
    deep = "[" * 5000 + "]" * 5000
    body = api(UPDATE, {"input": {"solutionInstanceId": typed.id,
                                  "configValues": [{"externalId": "s_json", "value": deep}]}}, token=ada_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["message"].startswith("configValues.s_json:")
    assert "s_json" not in core.get_instance(typed.id).config_values


def test_a_refused_update_changes_nothing_not_even_enabled(api, core, typed, ada_token):
    core.save_values(typed.id, config_values={"s_string": "abc"})
    core.set_enabled(typed.id, True, error_on_missing=False)
    body = api(UPDATE, {"input": {"solutionInstanceId": typed.id, "enabled": False,
                                  "configValues": cv(s_integer="many")}}, token=ada_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    after = core.get_instance(typed.id)
    assert after.enabled is True and after.config_values["s_string"] == "abc"


def test_null_removes_a_value(api, core, typed, ada_token):
    core.save_values(typed.id, config_values={"s_string": "abc"})
    api(UPDATE, {"input": {"solutionInstanceId": typed.id, "configValues": [{"externalId": "s_string", "value": "null"}]}},
        token=ada_token)
    assert "s_string" not in core.get_instance(typed.id).config_values


def test_secret_values_are_never_answered_and_the_mask_keeps_them(api, core, typed, ada_token):
    node = api(UPDATE, {"input": {"solutionInstanceId": typed.id, "configValues": cv(s_secret="hunter22", s_string="a")}},
               token=ada_token)["data"]["updateSolutionInstance"]["solutionInstance"]
    assert values_of(node) == {"s_secret": "********", "s_string": "a"}
    for token in (ada_token, None):  # neither the user nor the ISV gets it back
        assert "hunter22" not in json.dumps(api(LIST, **({"token": token} if token else {})))
    # a read-modify-write round trip sends the mask back: the secret is kept
    api(UPDATE, {"input": {"solutionInstanceId": typed.id, "configValues": node["configValues"]}}, token=ada_token)
    assert core.get_instance(typed.id).config_values["s_secret"] == "hunter22"
    # and the database holds it encrypted
    assert "hunter22" not in repr(db.session.execute(text("select config_values from solution_instances")).all())


# -- enabling ---------------------------------------------------------------------------------------

def test_enabling_with_error_on_missing_values_names_them(api, core, demo_solution, user, ada_token):
    node = create(api, ada_token)
    body = api(UPDATE, {"input": {"solutionInstanceId": node["id"], "enabled": True,
                                  "errorOnEnablingWithMissingValues": True}}, token=ada_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    err = body["errors"][0]
    assert err["extensions"]["reason"] == "missing_values"
    assert err["extensions"]["missing"] == ["external_sandbox_authentication", "external_channel"]
    assert "external_sandbox_authentication" in err["message"] and "external_channel" in err["message"]
    assert core.get_instance(node["id"]).enabled is False

    # with the values it enables
    auth = accounts.create(user.id, "sandbox", "oauth2", {"access_token": "a"})
    body = api(UPDATE, {"input": {"solutionInstanceId": node["id"], "enabled": True,
                                  "errorOnEnablingWithMissingValues": True,
                                  "authValues": [{"externalId": "external_sandbox_authentication", "authId": auth.id}],
                                  "configValues": cv(external_channel="C1")}}, token=ada_token)
    assert body["data"]["updateSolutionInstance"]["solutionInstance"]["enabled"] is True


@pytest.mark.parametrize("flag", [False, None])
def test_enabling_without_the_flag_enables_anyway(api, core, demo_solution, ada_token, flag):
    node = create(api, ada_token)
    input = {"solutionInstanceId": node["id"], "enabled": True}
    if flag is not None:
        input["errorOnEnablingWithMissingValues"] = flag
    body = api(UPDATE, {"input": input}, token=ada_token)
    assert body["data"]["updateSolutionInstance"]["solutionInstance"]["enabled"] is True
    assert core.get_instance(node["id"]).enabled is True
    body = api(UPDATE, {"input": {"solutionInstanceId": node["id"], "enabled": False}}, token=ada_token)
    assert body["data"]["updateSolutionInstance"]["solutionInstance"]["enabled"] is False


def test_disabling_and_removing_a_required_value_in_one_call(api, core, demo_solution, user, ada_token):
    node = create(api, ada_token)
    auth = accounts.create(user.id, "sandbox", "oauth2", {"access_token": "a"})
    api(UPDATE, {"input": {"solutionInstanceId": node["id"], "enabled": True, "errorOnEnablingWithMissingValues": True,
                           "authValues": [{"externalId": "external_sandbox_authentication", "authId": auth.id}],
                           "configValues": cv(external_channel="C1")}}, token=ada_token)
    remove = [{"externalId": "external_channel", "value": "null"}]
    # an enabled instance may not lose it ...
    body = api(UPDATE, {"input": {"solutionInstanceId": node["id"], "configValues": remove}}, token=ada_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["missing"] == ["external_channel"]
    # ... but disabling it in the same call lets it go
    body = api(UPDATE, {"input": {"solutionInstanceId": node["id"], "enabled": False, "configValues": remove}},
               token=ada_token)
    assert "errors" not in body, body
    after = core.get_instance(node["id"])
    assert after.enabled is False and "external_channel" not in after.config_values


# -- versions -------------------------------------------------------------------------------------

V1 = {"id": "flags", "title": "Flags", "config": [{"externalId": "a", "type": "string", "required": True}]}


def with_slot(**slot) -> str:
    return json.dumps({**V1, "config": V1["config"] + [slot]})


FLAG_CASES = {
    # published change -> (flags after publish, version the instance runs)
    "optional slot: silent upgrade": (dict(externalId="o", type="boolean"), (False, False, False), 2),
    "required slot with default: silent upgrade": (dict(externalId="d", type="integer", required=True, default=3),
                                                   (False, False, False), 2),
    "visible required slot: user input": (dict(externalId="u", type="string", required=True), (True, True, False), 1),
    "hidden required slot: system input": (dict(externalId="h", type="url", required=True, hidden=True),
                                           (True, False, True), 1),
}


@pytest.mark.parametrize("case", list(FLAG_CASES))
def test_version_flags_are_set_only_in_their_case(api, core, user, ada_token, case):
    slot, flags, runs = FLAG_CASES[case]
    core.publish(json.dumps(V1))
    inst = core.create_instance(user.id, "flags", config_values={"a": "x"})
    node = get(api, inst.id, ada_token)
    assert list(node["solutionVersionFlags"].values()) == [False, False, False]
    api(PUBLISH, {"d": with_slot(**slot)})
    node = get(api, inst.id, ada_token)
    f = node["solutionVersionFlags"]
    assert (f["hasNewerVersion"], f["requiresUserInputToUpdateVersion"], f["requiresSystemInputToUpdateVersion"]) == flags
    assert (node["version"], node["newestVersion"]) == (runs, 2)
    assert json.loads(node["newestDefinition"])["config"][-1]["externalId"] == slot["externalId"]


def test_upgrade_names_missing_slots_then_moves_to_the_new_version(api, core, user, ada_token):
    core.publish(json.dumps(V1))
    inst = core.create_instance(user.id, "flags", config_values={"a": "x"})
    api(PUBLISH, {"d": with_slot(externalId="u", type="integer", required=True, max=5)})
    body = api(UPGRADE, {"input": {"solutionInstanceId": inst.id}}, token=ada_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["missing"] == ["u"]
    body = api(UPGRADE, {"input": {"solutionInstanceId": inst.id, "configValues": cv(u=9)}}, token=ada_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["message"].startswith("configValues.u:")
    assert core.get_instance(inst.id).version == 1
    node = api(UPGRADE, {"input": {"solutionInstanceId": inst.id, "configValues": cv(u=4)}},
               token=ada_token)["data"]["upgradeSolutionInstance"]["solutionInstance"]
    assert node["version"] == 2 and values_of(node) == {"a": "x", "u": 4}
    assert not node["solutionVersionFlags"]["hasNewerVersion"]


def test_user_specific_version_changes_only_its_own_instance(api, core, user, fred, ada_token):
    core.publish(json.dumps(V1))
    mine = core.create_instance(user.id, "flags", config_values={"a": "x"})
    other = core.create_instance(fred.id, "flags", config_values={"a": "y"})
    body = api(PUBLISH, {"d": with_slot(externalId="h", type="string", required=True, hidden=True), "i": mine.id})
    assert body["data"]["publishSolutionVersion"]["solution"] == {"id": "flags", "version": 2}

    node = get(api, mine.id)
    assert node["newestVersion"] == 2 and node["solutionVersionFlags"]["requiresSystemInputToUpdateVersion"]
    theirs = get(api, other.id)
    assert theirs["newestVersion"] == 1 and not theirs["solutionVersionFlags"]["hasNewerVersion"]
    # the solution's shared version is still 1
    assert theirs["solution"]["version"] == 1

    # the ISV supplies the hidden value; only Ada's instance moves
    node = api(UPGRADE, {"input": {"solutionInstanceId": mine.id, "configValues": cv(h="isv")}})[
        "data"]["upgradeSolutionInstance"]["solutionInstance"]
    assert node["version"] == 2
    assert core.get_instance(other.id).version == 1


def test_user_specific_version_must_be_of_the_instances_solution(api, core, user):
    core.publish(json.dumps(V1))
    mine = core.create_instance(user.id, "flags")
    body = api(PUBLISH, {"d": json.dumps({"id": "other", "title": "Other"}), "i": mine.id})
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["reason"] == "invalid_definition"


# -- pagination -----------------------------------------------------------------------------------

def test_instances_are_paginated_in_a_stable_order(api, demo_solution, user, fred, ada_token):
    ids = [create(api, ada_token, instanceName=f"n{i}")["id"] for i in range(5)]
    api(CREATE, {"input": {"solutionId": "slack-alerts", "userId": fred.id}})  # not Ada's: never on her pages
    pages, after = [], None
    while True:
        page = api(LIST, {"first": 2, "after": after}, token=ada_token)["data"]["solutionInstances"]
        pages.append([e["node"]["id"] for e in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sum(pages, []) == ids
    # a deleted row at the page boundary does not shift the next page
    first = api(LIST, {"first": 2}, token=ada_token)["data"]["solutionInstances"]
    api(DELETE, {"id": ids[1]}, token=ada_token)
    nxt = api(LIST, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token=ada_token)["data"]["solutionInstances"]
    assert [e["node"]["id"] for e in nxt["edges"]] == ids[2:4]
    # the master sees Ada's four left and Fred's one
    assert len(api(LIST, {"first": 10})["data"]["solutionInstances"]["edges"]) == 5


def test_bad_cursor_is_bad_input(api, demo_solution, ada_token):
    body = api(LIST, {"after": "garbage"}, token=ada_token)
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["message"].startswith("after")


def test_hidden_slots_are_set_by_the_master_token_only(api, demo_solution, user, ada_token):
    """external_api_base is hidden in the demo solution: values only the ISV sets."""
    inst = create(api, ada_token)
    update = {"solutionInstanceId": inst["id"], "configValues": cv(external_api_base="https://evil.example")}
    body = api(UPDATE, {"input": update}, token=ada_token)
    assert gql_errors(body) == ["FORBIDDEN"] and "external_api_base" in body["errors"][0]["message"]
    body = api(CREATE, {"input": {"solutionId": "slack-alerts",
                                  "configValues": cv(external_api_base="https://evil.example")}}, token=ada_token)
    assert gql_errors(body) == ["FORBIDDEN"]
    body = api(UPDATE, {"input": {**update, "configValues": cv(external_api_base="https://api.acme.example/v2")}})
    assert "errors" not in body, body
    assert values_of(get(api, inst["id"]))["external_api_base"] == "https://api.acme.example/v2"
