"""The `time` slot type (HH:MM), end to end: the definition, the API, the wizard and the review.
It was added as one module, wizard/slot_types/timeofday.py: this file proves that is enough."""
from __future__ import annotations

import json
import re

import pytest
from support import gql_errors
from wizard_support import Wizard

from wizard import identity
from wizard.solutions import DefinitionError, check_value, parse_definition
from wizard.solutions.values import SlotValueError

SOLUTION = {
    "id": "quiet-hours",
    "title": "Quiet hours",
    "screens": [{"title": "When", "slots": [
        {"externalId": "quiet_from", "title": "Quiet from", "type": "time", "required": True, "default": "22:00"},
        {"externalId": "quiet_until", "title": "Quiet until", "type": "time"},
    ]}],
}
UPDATE = ("mutation($input: UpdateSolutionInstanceInput!) { updateSolutionInstance(input: $input) "
          "{ solutionInstance { id configValues { externalId value } } } }")


def slot(**over):
    return {"externalId": "t", "title": "Start", "type": "time", **over}


@pytest.mark.parametrize("good", ["00:00", "09:30", "23:59"])
def test_times_of_day_pass(good):
    assert check_value(slot(), good) == good


@pytest.mark.parametrize("bad", ["9:30", "24:00", "12:60", "09:30:00", "0930", 930, None, ""])
def test_other_values_are_refused_naming_the_slot(bad):
    with pytest.raises(SlotValueError, match=r"Start must be a time like 09:30"):
        check_value(slot(), bad)


def test_a_definition_declares_it_and_its_default_is_checked():
    d = parse_definition(json.dumps(SOLUTION))
    assert d["config"][0]["type"] == "time" and d["config"][0]["default"] == "22:00"
    broken = json.loads(json.dumps(SOLUTION))
    broken["screens"][0]["slots"][0]["default"] = "10pm"
    with pytest.raises(DefinitionError, match=r"slot 'quiet_from': default: Quiet from must be a time"):
        parse_definition(json.dumps(broken))
    broken["screens"][0]["slots"][0] = {"externalId": "x", "type": "time", "options": ["09:00"]}
    with pytest.raises(DefinitionError, match=r"options only apply to select and multiselect, not time"):
        parse_definition(json.dumps(broken))


def test_the_api_takes_a_time_and_refuses_a_wrong_one(api, core, user):
    core.publish(json.dumps(SOLUTION))
    inst = core.create_instance(user.id, "quiet-hours")
    token = identity.issue_user_token(user.id)
    body = api(UPDATE, {"input": {"solutionInstanceId": inst.id, "configValues": [
        {"externalId": "quiet_until", "value": json.dumps("7:00")}]}}, token=token)
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("configValues.quiet_until: Quiet until must be a time")
    body = api(UPDATE, {"input": {"solutionInstanceId": inst.id, "configValues": [
        {"externalId": "quiet_until", "value": json.dumps("07:00")}]}}, token=token)
    assert "errors" not in body, body
    assert core.get_instance(inst.id).config_values["quiet_until"] == "07:00"
    # Tray's Json: a time is text, so a bare string that is not JSON text is taken as it is
    body = api(UPDATE, {"input": {"solutionInstanceId": inst.id, "configValues": [
        {"externalId": "quiet_until", "value": "06:45"}]}}, token=token)
    assert "errors" not in body, body
    assert core.get_instance(inst.id).config_values["quiet_until"] == "06:45"


def test_the_wizard_shows_a_time_input_checks_it_and_the_review_shows_it(client, core, user):
    w = Wizard(client, core, user)
    w.publish(SOLUTION)
    inst = w.instance("quiet-hours")
    w.open(inst.id)
    assert re.search(r'id="quiet_from"[^>]*type="time"[^>]*value="22:00"', w.page)  # the default, prefilled
    assert re.search(r'id="quiet_until"[^>]*type="time"', w.page)
    w.post({"quiet_from": "22:00", "quiet_until": "7:00"})
    assert w.resp.status_code == 422 and "Quiet until must be a time like 09:30" in w.page
    w.post({"quiet_from": "21:30", "quiet_until": "07:00"})
    assert w.path.endswith("/review")
    # the review writes times as the user's language does (English: 12-hour clock)
    assert re.search(r'<dd data-slot="quiet_from">9:30\sPM</dd>', w.page)
    assert re.search(r'<dd data-slot="quiet_until">7:00\sAM</dd>', w.page)
    w.finish()
    assert core.get_instance(inst.id).config_values == {"quiet_from": "21:30", "quiet_until": "07:00"}
    w.open(inst.id)  # editing again: the stored times are prefilled
    assert re.search(r'id="quiet_until"[^>]*type="time"[^>]*value="07:00"', w.page)
