"""Solution definitions: parsing, errors that name the line and slot, defaults, screens, diff."""
import json

import pytest

from wizard.solutions import DefinitionError, parse_definition

MINIMAL = """
id: demo
title: Demo
auth:
  - {externalId: acct, service: sandbox}
config:
  - {externalId: name, type: string, required: true}
"""


def errors_of(text, **kw):
    with pytest.raises(DefinitionError) as exc:
        parse_definition(text, **kw)
    return exc.value.errors


def test_default_screens_one_per_auth_then_config():
    d = parse_definition(MINIMAL)
    assert [s["slots"] for s in d["screens"]] == [["acct"], ["name"]]
    assert d["autoEnable"] is True and d["auth"][0]["required"] is True


def test_json_and_yaml_give_the_same_definition():
    import yaml

    assert parse_definition(json.dumps(yaml.safe_load(MINIMAL))) == parse_definition(MINIMAL)


def test_errors_name_line_and_slot():
    text = "id: demo\ntitle: Demo\nscreens:\n  - title: A\n    slots:\n      - externalId: lvl\n        type: integer\n        default: loud\n"
    errs = errors_of(text)
    assert errs == ["line 8: slot 'lvl': default: lvl must be a number"], errs


@pytest.mark.parametrize("text, fragment", [
    ("id: Bad Id\ntitle: x", "id must match"),
    ("id: a\n", "title is required"),
    ("id: a\ntitle: t\nconfig:\n  - {externalId: x, type: colour}", "unknown type 'colour'"),
    ("id: a\ntitle: t\nconfig:\n  - {externalId: x, type: select}", "needs options"),
    ("id: a\ntitle: t\nconfig:\n  - {externalId: x, type: string}\n  - {externalId: x, type: string}", "used twice"),
    ("id: a\ntitle: t\nconfig:\n  - {externalId: x, type: string, showIf: {nope: 1}}", "unknown config slot 'nope'"),
    ("id: a\ntitle: t\nconfig:\n  - {externalId: x, type: select, options: {source: s.c, auth: ghost}}", "must name an auth slot"),
    ("id: a\ntitle: t\nconfig:\n  - {externalId: x, type: json, schema: {type: 12}}", "not a valid JSON Schema"),
    ("id: a\ntitle: t\nconfig:\n  - {externalId: x, type: string, pattern: '('}", "regular expression"),
    ("id: a\ntitle: t\nscreens:\n  - title: s\n    slots: [ghost]", "neither an auth slot nor a config slot"),
    ("id: a\ntitle: t\nconfig:\n  - {externalId: x, type: string, colour: red}", "unknown key 'colour'"),
    ("id: a\ntitle: t\n  bad: [", "invalid YAML"),
    ("{\"id\": 1,", "invalid JSON"),
    ("- just\n- a list", "must be a mapping"),
    ("id: a\ntitle: t\nconfig:\n  - {externalId: x, type: secret, default: sk_live_1}", "secret slot cannot have a default"),
])
def test_invalid_definitions_are_refused_with_a_reason(text, fragment):
    assert any(fragment in e for e in errors_of(text)), errors_of(text)


def test_unknown_service_is_refused_when_registry_given():
    assert any("unknown service 'sandbox'" in e for e in errors_of(MINIMAL, known_services={"slack"}))


def test_hidden_slot_needs_no_screen_and_demo_solution_parses():
    d = parse_definition("id: a\ntitle: t\nconfig:\n  - {externalId: h, type: url, hidden: true, default: 'https://x.example'}\n")
    assert d["config"][0]["hidden"] and d["screens"] == [
        {"title": "Settings", "description": "", "slots": ["h"], "i18n": {"title": {"msgid": "Settings", "params": {}}}}]
    with open("solutions/slack-alerts.yaml") as f:
        demo = parse_definition(f.read())
    assert demo["config"][0]["options"] == {"source": "sandbox.channels", "auth": "external_sandbox_authentication"}


@pytest.mark.parametrize("text,fragment", [
    ("{" + '"a": {' * 5000 + "}" * 5001, "invalid JSON: nested too deeply"),
    ("{" + '"a": {' * 500 + "}" * 501, "line 1: nested too deeply (more than 64 levels)"),
    ("[" * 5000 + "]" * 5000, "line 1: nested too deeply"),
    ("title: x\nscreens: " + "[" * 5000 + "]" * 5000, "line 2: nested too deeply"),
    # "billion laughs": nine aliases per level; refused before anything follows them
    ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)),
     "line 2: YAML aliases (*a) are not supported"),
])
def test_hostile_definitions_are_refused_quickly_not_crashed(text, fragment):
    import time
    started = time.monotonic()
    with pytest.raises(DefinitionError) as exc:
        parse_definition(text)
    assert fragment in str(exc.value)
    assert time.monotonic() - started < 5
