"""Value rules by slot type: the one implementation the API and the wizard share."""
import pytest

from wizard.solutions import check_value, drop_unshown, missing_required, parse_definition
from wizard.solutions.values import SlotValueError, parse_json_text

SLOTS = {
    "string": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "[a-z]+"},
    "text": {"type": "text", "maxLength": 10},
    "secret": {"type": "secret", "minLength": 4},
    "email": {"type": "email"},
    "url": {"type": "url"},
    "number": {"type": "number", "min": 0.5, "max": 2},
    "integer": {"type": "integer", "min": 1, "max": 10},
    "boolean": {"type": "boolean"},
    "date": {"type": "date"},
    "select": {"type": "select", "options": [{"value": "a", "text": "A"}, {"value": 2, "text": "Two"}]},
    "multiselect": {"type": "multiselect", "options": [{"value": "x", "text": "x"}, {"value": "y", "text": "y"}]},
    "json": {"type": "json", "schema": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}},
    "mapping": {"type": "mapping", "lhs": {"options": [{"value": "a", "text": "a"}]}, "rhs": {}},
}
GOOD = {
    "string": "abc", "text": "line\nline", "secret": "s3cret", "email": "ada@example.com",
    "url": "https://example.com/x", "number": 1.5, "integer": 7, "boolean": False, "date": "2026-02-28",
    "select": 2, "multiselect": ["y", "x"], "json": {"n": 3}, "mapping": [{"lhs": "a", "rhs": "anything"}],
}
BAD = {
    "string": ["a", "abcdef", "ABC", 5], "text": ["x" * 11, None], "secret": ["abc", 1234],
    "email": ["ada", "ada@", "a b@c.d"], "url": ["ftp://x.example", "example.com", "https://"],
    "number": ["1", 0.1, 3, True, float("nan")], "integer": [7.5, 0, 11, "7", True],
    "boolean": ["true", 1, None], "date": ["2026-02-30", "28/02/2026", 20260228],
    "select": ["b", ["a"], None], "multiselect": ["x", ["x", "x"], ["z"]],
    "json": [{"n": "3"}, [], {}], "mapping": [{"lhs": "a", "rhs": "b"}, [{"lhs": "zz", "rhs": "b"}], [{"lhs": "a"}]],
}


def slot(t):
    return {"externalId": f"f_{t}", "title": t.title(), **SLOTS[t]}


@pytest.mark.parametrize("t", sorted(SLOTS))
def test_good_value_passes(t):
    assert check_value(slot(t), GOOD[t]) == GOOD[t]


@pytest.mark.parametrize("t, value", [(t, v) for t, vs in sorted(BAD.items()) for v in vs])
def test_bad_value_is_refused_with_the_slot_title(t, value):
    with pytest.raises(SlotValueError) as exc:
        check_value(slot(t), value)
    assert t.title() in str(exc.value)


def test_integer_accepts_whole_floats_as_ints():
    assert check_value(slot("integer"), 7.0) == 7 and isinstance(check_value(slot("integer"), 7.0), int)


def test_json_text_parsing():
    assert parse_json_text("x", '"#general"') == "#general"
    with pytest.raises(SlotValueError, match="configValues\\[x\\]"):
        parse_json_text("x", "#general")


DEF = parse_definition("""
id: cond
title: Cond
config:
  - {externalId: level, type: select, options: [all, errors], default: errors}
  - {externalId: words, type: multiselect, options: [a, b], showIf: {level: all}, required: true}
  - {externalId: deeper, type: string, showIf: {words: [a]}, required: true}
  - {externalId: sys, type: string, hidden: true, required: true}
""")


def test_show_if_chain_and_stale_values_dropped():
    values = {"level": "errors", "words": ["a"], "deeper": "x"}
    assert drop_unshown(DEF, values) == {"level": "errors"}
    assert drop_unshown(DEF, {"level": "all", "words": ["a"], "deeper": "x"}) == {"level": "all", "words": ["a"], "deeper": "x"}


def test_missing_required_split_visible_and_hidden():
    assert missing_required(DEF, {}, {}) == ["sys"]  # words hidden while level=errors (default)
    assert missing_required(DEF, {"level": "all"}, {}, hidden=False) == ["words"]
    assert missing_required(DEF, {"level": "all"}, {}, hidden=True) == ["sys"]
