"""The engine on its own: plain Python, no Flask, no database."""
from __future__ import annotations

import pytest

from wizard.flow.engine import BadScreen, Options, WizardEngine
from wizard.solutions import validate_definition

DEF = validate_definition({
    "id": "e", "title": "E",
    "screens": [
        {"title": "One", "slots": [
            {"externalId": "mode", "type": "select", "options": [{"value": "simple"}, {"value": "expert"}],
             "default": "simple"},
        ]},
        {"title": "Expert", "slots": [
            {"externalId": "depth", "type": "integer", "required": True, "showIf": {"mode": "expert"}},
        ]},
        {"title": "Hidden only", "slots": [{"externalId": "base", "type": "url", "hidden": True,
                                            "default": "https://x.example"}]},
        {"title": "Last", "slots": [{"externalId": "note", "type": "string"}]},
    ],
})


def engine(config=None, **kw):
    return WizardEngine(DEF, config=config or {}, auth={}, **kw)


def test_active_screens_follow_the_values_on_every_call():
    e = engine()
    assert [s.number for s in e.active()] == [1, 4]  # 2 hidden by showIf, 3 has only hidden slots
    e.config["mode"] = "expert"
    assert [s.number for s in e.active()] == [1, 2, 4]
    assert e.next(e.get(1)).number == 2 and e.prev(e.get(4)).number == 2 and e.count == 3


def test_shown_slots_worked_out_once_per_values_still_follow_every_change():
    """The engine keeps the shown slots per values of the slots conditions name: a value changed
    in the store (directly or by merge), or given for one call, is seen at once."""
    e = engine()
    two = e.screens()[1]
    assert e.shown_slots(two) == []
    assert [s["externalId"] for s in e.shown_slots(two, {"mode": "expert"})] == ["depth"]
    assert e.shown_slots(two) == []  # the values given for one call are not the store's
    e.merge(e.validate_screen(e.get(1), {"mode": "expert"}, {}))
    assert [s["externalId"] for s in e.shown_slots(two)] == ["depth"] and e.count == 3
    e.config["mode"] = "simple"
    assert e.shown_slots(two) == [] and e.count == 2
    e.shown_slots(two).append("changed by a caller")  # a copy: the kept answer stays
    assert e.shown_slots(two) == []
    e.active().clear()  # a copy too
    assert [s.number for s in e.active()] == [1, 4]
    # a multiselect's list, and a value that cannot be a key, count as values too
    multi = validate_definition({"id": "m", "title": "M", "screens": [{"title": "S", "slots": [
        {"externalId": "tags", "type": "multiselect", "options": [{"value": "a"}, {"value": "b"}]},
        {"externalId": "more", "type": "string", "showIf": {"tags": ["b"]}}]}]})
    m = WizardEngine(multi, config={}, auth={})
    screen = m.screens()[0]
    assert [s["externalId"] for s in m.shown_slots(screen)] == ["tags"]
    m.config["tags"] = ["a", "b"]
    assert [s["externalId"] for s in m.shown_slots(screen)] == ["tags", "more"]
    m.config["tags"] = [{"not": "hashable"}]
    assert [s["externalId"] for s in m.shown_slots(screen)] == ["tags"]


def test_show_start_and_first_unfinished():
    e = engine(done=[1], options=Options(show=[1, 4]))
    assert [s.number for s in e.active()] == [1, 4]
    assert e.first_unfinished().number == 4 and e.entry().number == 4
    e = engine(options=Options(start=2))
    assert e.entry().number == 4  # screen 2 is not active: the next active one after it
    assert engine(done=[1, 4]).entry() is None  # everything done: the review


def test_current_screen_mismatch_is_refused():
    e = engine()
    e.check_current("1", e.get(1))
    with pytest.raises(BadScreen):
        e.check_current("4", e.get(1))
    with pytest.raises(BadScreen):
        e.check_current(None, e.get(1))


def test_validate_screen_uses_the_value_rules_and_drops_hidden_values():
    e = engine({"mode": "expert", "depth": 3})
    r = e.validate_screen(e.get(2), {"depth": "x"}, {})
    assert r.errors == {"depth": "depth must be a number"}
    r = e.validate_screen(e.get(1), {"mode": "simple"}, {})
    assert r.ok
    e.merge(r)
    assert "depth" not in e.config  # hidden by its condition now: no stale value


def test_validate_all_returns_the_first_failing_screen():
    e = engine({"mode": "expert"})
    screen, errors = e.validate_all()
    assert screen.number == 2 and errors == {"depth": "depth is required."}
    e.config["depth"] = 4
    assert e.validate_all() == (None, {})


def test_name_field_on_the_first_active_screen_unless_skipped():
    e = engine(options=Options(show=[4]))
    assert e.shows_name_field(e.get(4))
    assert not engine(options=Options(skip_title=True)).shows_name_field(engine().get(1))


def test_options_from_query_parameters():
    o = Options.from_args({"customValidation": "true", "start": "2", "show": "[3,1]", "skipTitleField": "true",
                           "lang": "fr", "upgrade": "false"})
    assert (o.custom_validation, o.start, o.show, o.skip_title, o.lang, o.upgrade) == (True, 2, [1, 3], True, "fr", False)
    assert Options.from_args({"show": "1,2"}).show == [1, 2]
    assert Options.from_args({"show": "[\"x\"]", "start": "y"}).show is None
    assert Options.from_dict(o.to_dict()) == o


def test_upgrade_mode_asks_what_is_new_keeps_the_rest_and_lets_a_screen_be_edited():
    new = validate_definition({**{k: DEF[k] for k in ("id", "title")}, "screens": [
        {"title": "One", "slots": [
            {"externalId": "mode", "type": "select", "options": [{"value": "simple"}, {"value": "expert"}],
             "default": "simple"},
            {"externalId": "color", "title": "Color", "type": "string", "required": True}]},
        {"title": "Last", "slots": [{"externalId": "note", "type": "string"}]}]})
    e = WizardEngine(new, config={"mode": "simple", "note": "n"}, auth={}, upgrade_from=DEF)
    assert e.store.asked == {"color": "added"} and e.upgrade_reason("color") == "added"
    assert [s.number for s in e.active()] == [1]
    assert [s["externalId"] for s in e.visible_slots(e.get(1))] == ["color"]
    assert [(s.number, [x["externalId"] for x in slots]) for s, slots in e.staying()] == [(1, ["mode"]), (2, ["note"])]
    result = e.validate_screen(e.get(1), {"color": None}, {})
    assert result.errors == {"color": "Color is required."} and "mode" not in result.config  # mode stays
    assert e.edit(2).number == 2 and [s.number for s in e.active()] == [1, 2]
    assert [s.number for s, _ in e.staying()] == [1]
    assert e.edit(7) is None
