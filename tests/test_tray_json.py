"""Tray's `Json` values in both directions (docs/api.md): JSON text in a string, a bare
non-JSON string for string slots, a variable holding a non-string JSON value; output always JSON
text; a value that does not fit is BAD_USER_INPUT naming the slot, and nothing is stored."""
from __future__ import annotations

import json

import pytest
from support import gql_errors

from wizard import identity

DEFINITION = {
    "id": "json-types",
    "title": "Json types",
    "config": [
        {"externalId": "s_string", "type": "string"},
        {"externalId": "s_email", "type": "email"},
        {"externalId": "s_select", "type": "select", "options": [{"value": "a"}, {"value": "b"}]},
        {"externalId": "s_integer", "type": "integer", "max": 10, "default": 3},
        {"externalId": "s_boolean", "type": "boolean"},
        {"externalId": "s_multi", "type": "multiselect", "options": [{"value": "a"}, {"value": "b"}]},
        {"externalId": "s_json", "type": "json"},
        {"externalId": "s_secret", "type": "secret"},
    ],
}
FIELDS = "solutionInstance { configValues { externalId value } }"
BY_VARIABLE = ("mutation($id: ID!, $cv: [ConfigValue!]) { updateSolutionInstance(input: "
               "{solutionInstanceId: $id, configValues: $cv}) { %s } }" % FIELDS)


@pytest.fixture
def inst(core, user):
    core.publish(json.dumps(DEFINITION))
    return core.create_instance(user.id, "json-types")


@pytest.fixture
def token(user):
    return identity.issue_user_token(user.id)


def inline(instance_id: str, external_id: str, literal: str) -> str:
    return ('mutation { updateSolutionInstance(input: {solutionInstanceId: "%s", configValues: '
            '[{externalId: "%s", value: %s}]}) { %s } }' % (instance_id, external_id, literal, FIELDS))


def answered(body) -> dict:
    assert "errors" not in body, body
    return {v["externalId"]: v["value"] for v in body["data"]["updateSolutionInstance"]["solutionInstance"]["configValues"]}


# slot, what the variable holds, the value stored
BY_VARIABLE_CASES = [
    ("s_string", '"#general"', "#general"),             # JSON text of a string
    ("s_string", "#general", "#general"),               # bare string (not JSON text)
    ("s_email", "support@example.com", "support@example.com"),
    ("s_select", "b", "b"),
    ("s_integer", "7", 7),                              # JSON text of a number
    ("s_integer", 7, 7),                                # a variable holding a number
    ("s_boolean", "true", True),
    ("s_boolean", False, False),
    ("s_multi", '["a","b"]', ["a", "b"]),
    ("s_multi", ["a"], ["a"]),
    ("s_json", '{"a":1}', {"a": 1}),
    ("s_json", {"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}),
    ("s_json", '"text"', "text"),
]


@pytest.mark.parametrize("slot,sent,stored", BY_VARIABLE_CASES)
def test_variables_in_every_encoding(api, core, inst, token, slot, sent, stored):
    values = answered(api(BY_VARIABLE, {"id": inst.id, "cv": [{"externalId": slot, "value": sent}]}, token=token))
    assert core.get_instance(inst.id).config_values[slot] == stored
    assert values[slot] == json.dumps(stored)  # output is always JSON text
    assert json.loads(values[slot]) == stored


# slot, the GraphQL literal, the value stored
INLINE_CASES = [
    ("s_string", r'"\"#general\""', "#general"),
    ("s_email", '"support@example.com"', "support@example.com"),  # Tray's docs write it bare
    ("s_integer", '"7"', 7),
    ("s_boolean", '"true"', True),
    ("s_multi", r'"[\"a\"]"', ["a"]),
    ("s_json", r'"{\"a\":1}"', {"a": 1}),
    ("s_integer", "7", 7),                              # an Int literal: that number
    ("s_json", "{a: [1, 2]}", {"a": [1, 2]}),           # an object literal: that object
]


@pytest.mark.parametrize("slot,literal,stored", INLINE_CASES)
def test_inline_literals(api, core, inst, token, slot, literal, stored):
    values = answered(api(inline(inst.id, slot, literal), token=token))
    assert core.get_instance(inst.id).config_values[slot] == stored
    assert json.loads(values[slot]) == stored


def test_output_is_json_text_everywhere(api, core, inst, token):
    core.save_values(inst.id, config_values={"s_string": "7", "s_integer": 7, "s_secret": "hunter22"})
    body = api('{ viewer { solutionInstances { edges { node { configValues { externalId value } } } } '
               'solutions { edges { node { configSlots { externalId defaultValue } } } } } }', token=token)
    node = body["data"]["viewer"]["solutionInstances"]["edges"][0]["node"]
    values = {v["externalId"]: v["value"] for v in node["configValues"]}
    assert values == {"s_string": '"7"', "s_integer": "7", "s_secret": '"********"'}
    slots = {s["externalId"]: s["defaultValue"] for s in body["data"]["viewer"]["solutions"]["edges"][0]["node"]["configSlots"]}
    assert slots["s_integer"] == "3" and slots["s_string"] is None


def test_null_and_the_null_text_remove_a_value(api, core, inst, token):
    core.save_values(inst.id, config_values={"s_string": "x", "s_integer": 4})
    answered(api(BY_VARIABLE, {"id": inst.id, "cv": [{"externalId": "s_string", "value": None},
                                                     {"externalId": "s_integer", "value": "null"}]}, token=token))
    assert core.get_instance(inst.id).config_values == {}


def test_the_masked_secret_sent_back_keeps_the_secret(api, core, inst, token):
    core.save_values(inst.id, config_values={"s_secret": "hunter22"})
    for sent in ('"********"', "********"):
        answered(api(BY_VARIABLE, {"id": inst.id, "cv": [{"externalId": "s_secret", "value": sent}]}, token=token))
        assert core.get_instance(inst.id).config_values["s_secret"] == "hunter22"


# slot, what the variable holds
MISFITS = [
    ("s_integer", "seven"),            # bare string for a number slot: not JSON text
    ("s_integer", "7.5"),              # JSON text of a number that is not whole
    ("s_integer", 11),                 # a variable holding a number above max
    ("s_boolean", "yes"),
    ("s_boolean", "1"),                # JSON text of a number, not a boolean
    ("s_multi", "a"),                  # bare string for a list slot
    ("s_multi", '["a","z"]'),
    ("s_json", "[1"),                  # broken JSON for a JSON slot is not taken as a string
    ("s_string", "7"),                 # JSON text of a number for a string slot
    ("s_string", {"a": 1}),
    ("s_email", "not an email"),
    ("s_select", "c"),
]


@pytest.mark.parametrize("slot,sent", MISFITS)
def test_a_value_that_does_not_fit_is_bad_input_naming_the_slot_and_nothing_is_stored(api, core, inst, token, slot,
                                                                                       sent):
    core.save_values(inst.id, config_values={"s_string": "kept"})
    fits = {"externalId": "s_integer", "value": "5"} if slot != "s_integer" else {"externalId": "s_boolean", "value": "true"}
    body = api(BY_VARIABLE, {"id": inst.id, "cv": [fits, {"externalId": slot, "value": sent}]}, token=token)
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    error = body["errors"][0]
    assert error["message"].startswith(f"configValues.{slot}:")
    assert error["extensions"]["name"] == "PreconditionError"
    assert slot in error["extensions"]["fields"]
    assert core.get_instance(inst.id).config_values == {"s_string": "kept"}  # not even the value that fits


def test_create_takes_the_same_encodings(api, core, inst, token, demo_solution):
    body = api('mutation($cv: [ConfigValue!]) { createSolutionInstance(input: {solutionId: "json-types", '
               'instanceName: "x", configValues: $cv}) { solutionInstance { id configValues { externalId value } } } }',
               {"cv": [{"externalId": "s_email", "value": "ops@example.com"}, {"externalId": "s_integer", "value": 9}]},
               token=token)
    assert "errors" not in body, body
    new = core.get_instance(body["data"]["createSolutionInstance"]["solutionInstance"]["id"])
    assert new.config_values == {"s_email": "ops@example.com", "s_integer": 9}
    body = api('mutation { createSolutionInstance(input: {solutionId: "json-types", instanceName: "y", '
               'configValues: [{externalId: "s_integer", value: "many"}]}) { solutionInstance { id } } }', token=token)
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["message"].startswith("configValues.s_integer:")
