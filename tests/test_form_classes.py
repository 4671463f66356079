"""A screen's form class is made once per app and kept (flow.forms.form_class): the same slots
and choices give the same class; other choices (another user's fetched options or accounts),
other slots or the name field give another; what one form holds never reaches the next."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from wizard.flow import forms

SLOTS = [
    {"externalId": "channel", "title": "Channel", "type": "select", "kind": "config"},
    {"externalId": "note", "title": "Note", "type": "string", "kind": "config", "maxLength": 20},
    {"externalId": "account", "title": "Account", "kind": "auth", "service": "slack"},
]


def maps(channels, accounts):
    return {"channel": {"options": forms.OptionMap([{"value": v, "text": t} for v, t in channels])},
            "account": {"auth": forms.OptionMap([{"value": v, "text": t} for v, t in accounts])}}


def choices(form, name):
    return [(c.value, c.label) for c in form[name].iter_choices()]


def test_same_slots_and_choices_same_class_and_forms_stay_apart(app):
    with app.test_request_context("/"):
        m = maps([("c1", "General")], [("a1", "Mine")])
        first = forms.build_form(SLOTS, m, name_field=False, data={"note": "first"})
        second = forms.build_form(SLOTS, maps([("c1", "General")], [("a1", "Mine")]), name_field=False,
                                  formdata=MultiDict({"note": "typed"}))
        assert type(first) is type(second)
        first["note"].errors = ["wrong"]
        assert second["note"].data == "typed" and not second["note"].errors
        assert forms.build_form(SLOTS, m, name_field=False)["note"].data is None


def test_other_choices_are_never_served_from_a_kept_class(app):
    with app.test_request_context("/"):
        alice = forms.build_form(SLOTS, maps([("c1", "General")], [("a1", "Alice's")]), name_field=False)
        bob = forms.build_form(SLOTS, maps([("c2", "Random")], [("b1", "Bob's")]), name_field=False)
        renamed = forms.build_form(SLOTS, maps([("c1", "Renamed")], [("a1", "Alice's")]), name_field=False)
        assert choices(bob, "channel")[1:] == [("c2", "Random")] and choices(bob, "account") == [("b1", "Bob's")]
        assert choices(alice, "channel")[1:] == [("c1", "General")]
        assert choices(renamed, "channel")[1:] == [("c1", "Renamed")]
        again = forms.build_form(SLOTS, maps([("c1", "General")], [("a1", "Alice's")]), name_field=False)
        assert type(again) is type(alice) and choices(again, "account") == [("a1", "Alice's")]


def test_other_slots_or_the_name_field_make_another_class(app):
    with app.test_request_context("/"):
        m = maps([], [])
        base = type(forms.build_form(SLOTS, m, name_field=False))
        assert forms.NAME_FIELD in forms.build_form(SLOTS, m, name_field=True)
        assert type(forms.build_form(SLOTS[:2], m, name_field=False)) is not base
        # equal slots that are other objects (another version's, another language's): not the kept class
        copied = [dict(s, title=s["title"] + " (de)") for s in SLOTS]
        other = forms.build_form(copied, m, name_field=False)
        assert type(other) is not base and other["note"].label.text == "Note (de)"


def test_kept_classes_are_bounded_and_not_kept_for_a_remote_core(app, monkeypatch):
    with app.test_request_context("/"):
        monkeypatch.setattr(forms, "FORM_CLASSES_MAX", 3)
        for i in range(7):
            forms.build_form(SLOTS, maps([(f"c{i}", "x")], []), name_field=False)
        assert 1 <= len(app.extensions["wizard_form_classes"]) <= 3
        app.config["WIZARD_CORE_URL"] = "http://core.invalid"
        try:
            one = forms.build_form(SLOTS, maps([], []), name_field=True)
            two = forms.build_form(SLOTS, maps([], []), name_field=True)
        finally:
            del app.config["WIZARD_CORE_URL"]
        assert type(one) is not type(two)
