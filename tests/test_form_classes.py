"""A screen's form class is made once per app and kept (flow.forms.form_class), without choices:
every user of a screen gets the same class and each form its own choices (another user's fetched
options or accounts never reach it, nor stay in the kept class); other slots or the name field
give another class; what one form holds never reaches the next."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from wizard.flow import forms

SLOTS = [
    {"externalId": "channel", "title": "Channel", "type": "select", "kind": "config"},
    {"externalId": "note", "title": "Note", "type": "string", "kind": "config", "maxLength": 20},
    {"externalId": "account", "title": "Account", "kind": "auth", "service": "slack"},
    {"externalId": "tags", "title": "Tags", "type": "multiselect", "kind": "config"},
    {"externalId": "routes", "title": "Routes", "type": "mapping", "kind": "config",
     "lhs": {"title": "From", "options": []}, "rhs": {"title": "To"}},
]


def maps(channels, accounts):
    def omap(pairs):
        return forms.OptionMap([{"value": v, "text": t} for v, t in pairs])
    return {"channel": {"options": omap(channels)}, "account": {"auth": omap(accounts)},
            "tags": {"options": omap(channels)}, "routes": {"lhs": omap(channels)}}


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


def test_each_form_gets_its_own_users_choices_and_the_kept_class_none(app):
    with app.test_request_context("/"):
        posted = MultiDict({"routes-0-lhs": "c1", "routes-1-lhs": "c2"})
        alice = forms.build_form(SLOTS, maps([("c1", "General")], [("a1", "Alice's")]), name_field=False,
                                 formdata=posted)
        bob = forms.build_form(SLOTS, maps([("c2", "Random")], [("b1", "Bob's")]), name_field=False)
        assert type(alice) is type(bob)  # one class per screen, whoever the user
        assert choices(alice, "channel")[1:] == [("c1", "General")] and choices(alice, "account") == [("a1", "Alice's")]
        assert choices(bob, "channel")[1:] == [("c2", "Random")] and choices(bob, "account") == [("b1", "Bob's")]
        assert choices(alice, "tags") == [("c1", "General")] and choices(bob, "tags") == [("c2", "Random")]
        assert [choices(e.form, "lhs")[1:] for e in alice["routes"].entries] == [[("c1", "General")]] * 2
        assert [choices(e.form, "lhs")[1:] for e in bob["routes"].entries] == [[("c2", "Random")]]
        kept = repr([vars(f) for f in vars(type(alice)).values() if hasattr(f, "kwargs")])
        assert not any(word in kept for word in ("General", "Random", "Alice", "Bob"))


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
        for _ in range(7):  # other slot objects each time (other versions, languages)
            forms.build_form([dict(s) for s in SLOTS], maps([], []), name_field=False)
        assert 1 <= len(app.extensions["wizard_form_classes"]) <= 3
        app.config["WIZARD_CORE_URL"] = "http://core.invalid"
        try:
            one = forms.build_form(SLOTS, maps([], []), name_field=True)
            two = forms.build_form(SLOTS, maps([], []), name_field=True)
        finally:
            del app.config["WIZARD_CORE_URL"]
        assert type(one) is not type(two)
