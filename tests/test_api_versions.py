"""API: solutionVersionDiff says what changed between two versions (master token only), from the
same comparison the wizard's upgrade mode asks from (wizard.solutions.versions)."""
from __future__ import annotations

import json

import pytest
from support import gql_errors

from wizard import identity
from wizard.solutions import parse_definition, versions

DIFF = """query($s: ID!, $f: Int!, $t: Int!) { solutionVersionDiff(solutionId: $s, from: $f, to: $t) {
  solutionId from to
  added { externalId kind title screen changes { field } }
  removed { externalId kind title screen }
  changed { externalId kind title screen changes { field before after added removed } } } }"""

V1 = {"id": "notes", "title": "Notes",
      "auth": [{"externalId": "ws", "service": "sandbox", "title": "Workspace", "scopes": ["chat:write"]}],
      "screens": [{"title": "Connect", "slots": ["ws"]},
                  {"title": "Basics", "slots": [
                      {"externalId": "alpha", "title": "Alpha", "type": "string", "required": True},
                      {"externalId": "level", "title": "Level", "type": "select", "options": [
                          {"value": "all", "text": "Everything"}, {"value": "errors", "text": "Errors"}]},
                      {"externalId": "old", "title": "Old", "type": "boolean"}]}]}


def v2() -> dict:
    d = json.loads(json.dumps(V1))
    d["auth"][0]["scopes"] = ["chat:write", "channels:read"]
    basics = d["screens"][1]["slots"]
    basics[1]["options"] = [{"value": "errors", "text": "Errors"}, {"value": "warnings", "text": "Warnings"}]
    basics[1]["required"] = True
    del basics[2]
    basics.append({"externalId": "bravo", "title": "Bravo", "type": "integer", "required": True})
    return d


@pytest.fixture
def two_versions(core):
    core.publish(V1)
    core.publish(v2())


def test_diff_names_slots_added_removed_and_changed_with_what_changed(api, two_versions):
    body = api(DIFF, {"s": "notes", "f": 1, "t": 2})
    assert "errors" not in body, body
    d = body["data"]["solutionVersionDiff"]
    assert (d["solutionId"], d["from"], d["to"]) == ("notes", 1, 2)
    assert d["added"] == [{"externalId": "bravo", "kind": "config", "title": "Bravo", "screen": 2, "changes": []}]
    assert d["removed"] == [{"externalId": "old", "kind": "config", "title": "Old", "screen": 2}]
    changed = {c["externalId"]: c for c in d["changed"]}
    assert set(changed) == {"ws", "level"} and changed["ws"]["kind"] == "auth"
    scopes, = changed["ws"]["changes"]
    assert scopes["field"] == "scopes" and scopes["added"] == ['"channels:read"'] and scopes["removed"] == []
    assert json.loads(scopes["before"]) == ["chat:write"]
    level = {c["field"]: c for c in changed["level"]["changes"]}
    assert list(level) == ["options", "required"]  # what takes values first, wording last
    assert [json.loads(v) for v in level["options"]["added"]] == ["warnings"]
    assert [json.loads(v) for v in level["options"]["removed"]] == ["all"]
    assert (json.loads(level["required"]["before"]), json.loads(level["required"]["after"])) == (False, True)


def test_diff_backwards_swaps_added_and_removed(api, two_versions):
    d = api(DIFF, {"s": "notes", "f": 2, "t": 1})["data"]["solutionVersionDiff"]
    assert [a["externalId"] for a in d["added"]] == ["old"]
    assert [r["externalId"] for r in d["removed"]] == ["bravo"]


def test_same_version_has_no_changes_and_wording_counts_last(api, core, two_versions):
    d = api(DIFF, {"s": "notes", "f": 2, "t": 2})["data"]["solutionVersionDiff"]
    assert (d["added"], d["removed"], d["changed"]) == ([], [], [])
    d3 = v2()
    d3["screens"][1]["slots"][0]["title"] = "Alpha name"
    core.publish(d3)
    d = api(DIFF, {"s": "notes", "f": 2, "t": 3})["data"]["solutionVersionDiff"]
    assert [(c["externalId"], [f["field"] for f in c["changes"]]) for c in d["changed"]] == [("alpha", ["title"])]
    assert d["changed"][0]["title"] == "Alpha name"


def test_user_specific_versions_are_compared_too(api, core, user, two_versions):
    inst = core.create_instance(user.id, "notes", "")
    d4 = v2()
    d4["screens"][1]["slots"].append({"externalId": "vip", "title": "VIP", "type": "string"})
    version = core.publish(d4, for_instance_id=inst.id)
    d = api(DIFF, {"s": "notes", "f": 2, "t": version.version})["data"]["solutionVersionDiff"]
    assert [a["externalId"] for a in d["added"]] == ["vip"]


@pytest.mark.parametrize("solution,f,t", [("nope", 1, 2), ("notes", 1, 9), ("notes", 0, 1)])
def test_unknown_solution_or_version_is_not_found(api, two_versions, solution, f, t):
    body = api(DIFF, {"s": solution, "f": f, "t": t})
    assert gql_errors(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["reason"] == "not_found"


def test_a_user_token_may_not_ask(api, user, two_versions):
    token = identity.issue_user_token(user.id)
    body = api(DIFF, {"s": "notes", "f": 1, "t": 2}, token=token)
    assert gql_errors(body) == ["FORBIDDEN"] and body.get("data") is None


# -- the rule upgrade mode asks from ---------------------------------------------------------------

def _defs():
    return parse_definition(json.dumps(V1)), parse_definition(json.dumps(v2()))


def test_needing_input_asks_what_is_new_what_no_longer_fits_and_reconnects():
    old, new = _defs()
    asked = versions.needing_input(old, new, {"alpha": "kept", "level": "all"}, {"ws": "acct-1"})
    assert asked == {"bravo": versions.ADDED, "level": versions.CHANGED, "ws": versions.RECONNECT}
    # a choice still offered stays as it is; an account already granted the scope is not asked
    asked = versions.needing_input(old, new, {"alpha": "kept", "level": "errors"}, {"ws": "acct-1"},
                                   lacking_scopes=lambda auth_id, scopes: [])
    assert asked == {"bravo": versions.ADDED}


def test_needing_input_asks_a_slot_now_required_without_a_value():
    old, new = _defs()
    asked = versions.needing_input(old, new, {"alpha": "kept"}, {"ws": "a"}, lacking_scopes=lambda a, s: [])
    assert asked == {"bravo": versions.ADDED, "level": versions.REQUIRED}
