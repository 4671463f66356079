"""Issue 27: an instance's name has one documented maximum (wizard.solutions.values
MAX_INSTANCE_NAME), refused with a message by the API, the CLI and the core alike; spaces around
a name are dropped, never kept."""
from __future__ import annotations

import pytest

from wizard.core import InvalidValues
from wizard.solutions.values import MAX_INSTANCE_NAME, instance_name_problem
from test_api_instances import CREATE, ada_token  # noqa: F401  (fixture)

UPDATE = ("mutation($input: UpdateSolutionInstanceInput!) { updateSolutionInstance(input: $input) "
          "{ solutionInstance { id name } } }")
LONG = "x" * (MAX_INSTANCE_NAME + 1)


def test_the_rule():
    assert MAX_INSTANCE_NAME == 100
    assert instance_name_problem("a" * MAX_INSTANCE_NAME) is None
    assert instance_name_problem(f"  {'a' * MAX_INSTANCE_NAME}  ") is None  # spaces around do not count
    assert str(instance_name_problem(LONG)) == "The name may have at most 100 characters (this one has 101)."
    assert instance_name_problem("a\x00b") is not None


def test_the_core_refuses_a_long_name_and_strips_spaces(core, demo_solution, user):
    with pytest.raises(InvalidValues) as exc:
        core.create_instance(user.id, "slack-alerts", LONG)
    assert exc.value.fields == {"instanceName": "The name may have at most 100 characters (this one has 101)."}
    inst = core.create_instance(user.id, "slack-alerts", "  Alerts  ")
    assert inst.name == "Alerts"
    with pytest.raises(InvalidValues):
        core.save_values(inst.id, name=LONG)
    assert core.get_instance(inst.id).name == "Alerts"  # nothing was written


def test_the_api_refuses_it_with_a_message_naming_the_field(api, demo_solution, user, ada_token):
    body = api(CREATE, {"input": {"solutionId": "slack-alerts", "instanceName": LONG}}, token=ada_token)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "instanceName: The name may have at most 100 characters (this one has 101)."
    node = api(CREATE, {"input": {"solutionId": "slack-alerts", "instanceName": " Mine "}},
               token=ada_token)["data"]["createSolutionInstance"]["solutionInstance"]
    assert node["name"] == "Mine"
    body = api(UPDATE, {"input": {"solutionInstanceId": node["id"], "instanceName": LONG}}, token=ada_token)
    assert body["errors"][0]["message"].startswith("instanceName: The name may have at most 100 characters")


def test_the_cli_refuses_it(runner, demo_solution, user):
    out = runner.invoke(args=["instances", "create", user.id, "slack-alerts", "--name", LONG])
    assert out.exit_code == 1
    assert "at most 100 characters" in out.output
