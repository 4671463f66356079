"""A screen's form class is made once per (definition, language) and kept in the render
cache (flow.forms.form_class, flow.cache), without choices: every user of a screen gets the same
class and each form its own choices (another user's fetched options or accounts never reach it, nor
stay in the kept class); other slots, another version or language or the name field give another
class; what one form holds never reaches the next."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from wizard.flow import cache, forms

NAMES = ("version:1@2026-01-01T00:00:00", "en")

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
        first = forms.build_form(SLOTS, m, name_field=False, names=NAMES, data={"note": "first"})
        second = forms.build_form(SLOTS, maps([("c1", "General")], [("a1", "Mine")]), name_field=False, names=NAMES,
                                  formdata=MultiDict({"note": "typed"}))
        assert type(first) is type(second)
        first["note"].errors = ["wrong"]
        assert second["note"].data == "typed" and not second["note"].errors
        assert forms.build_form(SLOTS, m, name_field=False, names=NAMES)["note"].data is None


def test_each_form_gets_its_own_users_choices_and_the_kept_class_none(app):
    with app.test_request_context("/"):
        posted = MultiDict({"routes-0-lhs": "c1", "routes-1-lhs": "c2"})
        alice = forms.build_form(SLOTS, maps([("c1", "General")], [("a1", "Alice's")]), name_field=False, names=NAMES,
                                 formdata=posted)
        bob = forms.build_form(SLOTS, maps([("c2", "Random")], [("b1", "Bob's")]), name_field=False, names=NAMES)
        assert type(alice) is type(bob)  # one class per screen, whoever the user
        assert choices(alice, "channel")[1:] == [("c1", "General")] and choices(alice, "account") == [("a1", "Alice's")]
        assert choices(bob, "channel")[1:] == [("c2", "Random")] and choices(bob, "account") == [("b1", "Bob's")]
        assert choices(alice, "tags") == [("c1", "General")] and choices(bob, "tags") == [("c2", "Random")]
        assert [choices(e.form, "lhs")[1:] for e in alice["routes"].entries] == [[("c1", "General")]] * 2
        assert [choices(e.form, "lhs")[1:] for e in bob["routes"].entries] == [[("c2", "Random")]]
        kept = repr([vars(f) for f in vars(type(alice)).values() if hasattr(f, "kwargs")])
        assert not any(word in kept for word in ("General", "Random", "Alice", "Bob"))


def test_other_slots_versions_languages_or_the_name_field_make_another_class(app):
    with app.test_request_context("/"):
        m = maps([], [])
        base = type(forms.build_form(SLOTS, m, name_field=False, names=NAMES))
        assert forms.NAME_FIELD in forms.build_form(SLOTS, m, name_field=True, names=NAMES)
        assert type(forms.build_form(SLOTS[:2], m, name_field=False, names=NAMES)) is not base
        # another language's (or version's) slots: another class, with their own labels
        copied = [dict(s, title=s["title"] + " (de)") for s in SLOTS]
        other = forms.build_form(copied, m, name_field=False, names=(NAMES[0], "de"))
        assert type(other) is not base and other["note"].label.text == "Note (de)"
        assert type(forms.build_form(SLOTS, m, name_field=False, names=("version:2@2026-01-02T00:00:00", "en"))) is not base
        # slots from nowhere named: a class of their own, not kept
        assert type(forms.build_form(SLOTS, m, name_field=False)) is not base


def test_the_render_cache_is_bounded_and_keyed_by_names(app, monkeypatch):
    with app.test_request_context("/"):
        kept = cache.kept()
        monkeypatch.setattr(kept, "max_entries", 3)
        for version in range(7):
            forms.build_form(SLOTS, maps([], []), name_field=False, names=(f"version:{version}@x", "en"))
        assert len(kept) <= 3
        assert all(isinstance(part, (str, int, bool, tuple)) for key in kept._entries for part in key)


def test_a_kept_class_binds_its_fields_once_and_each_form_its_own_copy(app):
    """Forms of a kept class take copies of fields bound once (ScreenForm.Meta.bind_field): each
    copy is its own form's, what one form holds (data, errors, choices, rows) never reaches the
    next nor the kept fields, and its controls are what a freshly bound form writes."""
    chan = "chan-of-alice"  # longer than a random token, id or address holds by chance
    secret_words = ("Alice", "typed-by-alice", "wrong-for-alice", chan)
    with app.test_request_context("/"):
        alice = forms.build_form(SLOTS, maps([(chan, "Alice's channel")], [("a1", "Alice")]), name_field=True,
                                 names=NAMES, formdata=MultiDict({"note": "typed-by-alice", "channel": chan,
                                                                  "routes-0-lhs": chan, "routes-1-rhs": "x",
                                                                  "tags": chan, "wizard_name": "typed-by-alice"}))
        alice["note"].errors = ["wrong-for-alice"]
        bob = forms.build_form(SLOTS, maps([("c1", "General")], [("b1", "Bob's")]), name_field=True, names=NAMES,
                               data={"note": "bob"})
        assert type(alice) is type(bob)
        for name in ("note", "channel", "account", "tags", "routes", "wizard_name", "wizard_screen", "csrf_token"):
            assert alice[name] is not bob[name] and alice[name]._form is alice and bob[name]._form is bob
            assert alice[name].meta is alice.meta and bob[name].meta is bob.meta
        assert alice.csrf_token.csrf_impl is alice._csrf and bob.csrf_token.csrf_impl is bob._csrf
        assert bob["note"].data == "bob" and not bob["note"].errors and bob["note"].raw_data is None
        assert len(bob["routes"].entries) == 1 and bob["routes"].entries[0].form["lhs"].data is None
        html = "".join(str(f()) for f in bob if not hasattr(f, "entries"))
        assert not any(word in html for word in secret_words)
        kept = repr([vars(f) for _t, _u, f in vars(type(alice))["_bound"].values()])
        assert not any(word in kept for word in secret_words + ("General", "bob"))
        assert all(f._form is None for _t, _u, f in vars(type(alice))["_bound"].values())
        # the same controls as the fields of a class bound for this form alone
        fresh = forms.build_form(SLOTS, maps([("c1", "General")], [("b1", "Bob's")]), name_field=True,
                                 data={"note": "bob"})
        assert type(fresh) is not type(bob)
        assert [str(f()) for f in fresh if not hasattr(f, "entries")] == \
            [str(f()) for f in bob if not hasattr(f, "entries")]
