"""Every slot type through the form: a valid submission is stored as its JSON value, an invalid
one stays on the screen with the value rules' message beside the field."""
from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from wizard import accounts
from wizard.extensions import db
from wizard.models import WizardProgress
from wizard_support import Wizard, checked_values, csrf_of

SLOTS = [
    {"externalId": "s_string", "title": "Label", "type": "string", "maxLength": 5, "help": "Short label",
     "placeholder": "abc"},
    {"externalId": "s_text", "title": "Notes", "type": "text"},
    {"externalId": "s_secret", "title": "Token", "type": "secret", "minLength": 3},
    {"externalId": "s_email", "title": "Mail", "type": "email"},
    {"externalId": "s_url", "title": "Hook", "type": "url"},
    {"externalId": "s_number", "title": "Ratio", "type": "number", "min": 0, "max": 1},
    {"externalId": "s_integer", "title": "Count", "type": "integer", "min": 1, "max": 10},
    {"externalId": "s_boolean", "title": "Active", "type": "boolean"},
    {"externalId": "s_date", "title": "Since", "type": "date"},
    {"externalId": "s_select", "title": "Size", "type": "select",
     "options": [{"value": 1, "text": "Small"}, {"value": 2, "text": "Big"}]},
    {"externalId": "s_multi", "title": "Tags", "type": "multiselect", "options": [{"value": "a"}, {"value": "b"}]},
    {"externalId": "s_json", "title": "Extra", "type": "json",
     "schema": {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}}},
    {"externalId": "s_map", "title": "Fields", "type": "mapping",
     "lhs": {"title": "Ours"}, "rhs": {"title": "Theirs", "options": [{"value": "name"}, {"value": "mail"}]}},
]

VALID = {
    "s_string": "hi", "s_text": "line 1\nline 2", "s_secret": "tok", "s_email": "a@b.example",
    "s_url": "https://x.example/h", "s_number": "0.5", "s_integer": "7", "s_boolean": "y",
    "s_date": "2026-01-31", "s_select": "2", "s_multi": ["a", "b"], "s_json": '{"x": 3}',
    "s_map-0-lhs": "full_name", "s_map-0-rhs": "name",
}
EXPECTED = {
    "s_string": "hi", "s_text": "line 1\nline 2", "s_secret": "tok", "s_email": "a@b.example",
    "s_url": "https://x.example/h", "s_number": 0.5, "s_integer": 7, "s_boolean": True, "s_date": "2026-01-31",
    "s_select": 2, "s_multi": ["a", "b"], "s_json": {"x": 3}, "s_map": [{"lhs": "full_name", "rhs": "name"}],
}


@pytest.fixture
def wiz(client, core, user):
    w = Wizard(client, core, user)
    w.publish({"id": "types", "title": "All types", "screens": [{"title": "Everything", "slots": SLOTS}]})
    return w


@pytest.fixture
def inst(wiz):
    return wiz.instance("types")


def test_every_type_renders_its_widget(wiz, inst):
    wiz.open(inst.id)
    p = wiz.page
    assert re.search(r'<input[^>]*id="s_string"[^>]*placeholder="abc"', p) or re.search(r'placeholder="abc"[^>]*id="s_string"', p)
    assert '<textarea' in p and 'id="s_text"' in p
    assert re.search(r'type="password"[^>]*|id="s_secret"[^>]*type="password"', p)
    assert re.search(r'id="s_email"[^>]*type="email"', p)
    assert re.search(r'id="s_url"[^>]*type="url"', p)
    assert re.search(r'id="s_integer"[^>]*max="10"[^>]*min="1"[^>]*step="1"[^>]*type="number"', p)
    assert re.search(r'id="s_boolean"[^>]*type="checkbox"', p)
    assert re.search(r'id="s_date"[^>]*type="date"', p)
    assert '<select' in p and '<option value="2">Big</option>' in p
    assert re.search(r'<input (?=[^>]*type="checkbox")(?=[^>]*name="s_multi")(?=[^>]*id="s_multi-0")(?=[^>]*value="a")', p)
    assert "<legend><bdi>Tags</bdi></legend>" in p and "<legend><bdi>Fields</bdi></legend>" in p
    assert 'name="s_map-0-lhs"' in p and 'value="add_row:s_map"' in p
    # help is linked to its control
    assert 'id="s_string-help"' in p and re.search(r'aria-describedby="s_string-help"[^>]*id="s_string"', p)


def test_valid_values_of_every_type_are_stored_as_json(wiz, inst, core):
    wiz.open(inst.id)
    wiz.post(VALID)
    assert wiz.path.endswith("/review"), wiz.page[:3000]
    wiz.finish()
    assert core.get_instance(inst.id).config_values == EXPECTED


@pytest.mark.parametrize("typed,integer,number", [
    (" 7 ", 7, "0.5"),          # spaces around are dropped, not kept
    ("+7", 7, " 1 "),
    ("٧", 7, "٠.٥"),            # Arabic-Indic digits are read as the digits they are
    ("۱۰", 10, "0"),            # Persian digits
    ("７", 7, "1.0"),           # full-width
])
def test_integers_and_numbers_take_what_a_person_means(wiz, inst, core, typed, integer, number):
    wiz.open(inst.id)
    wiz.post({**VALID, "s_integer": typed, "s_number": number})
    assert wiz.path.endswith("/review"), wiz.page[:3000]
    wiz.finish()
    values = core.get_instance(inst.id).config_values
    assert values["s_integer"] == integer and type(values["s_integer"]) is int
    assert values["s_number"] == float(number.replace("٠", "0").replace("٥", "5"))


INVALID = [
    ("s_string", "toolong", "Label must be at most 5 characters"),
    ("s_secret", "ab", "Token must be at least 3 characters"),
    ("s_email", "nope", "Mail must be an email address"),
    ("s_url", "ftp://x", "Hook must be a web address"),
    ("s_number", "2", "Ratio must be at most 1"),
    ("s_number", "abc", "Ratio must be a number"),
    ("s_integer", "2.5", "Count must be a whole number"),
    ("s_integer", "0", "Count must be at least 1"),
    # issue 27: only what a person means by a number (docs/solution-format.md)
    ("s_integer", "1e1", "Count must be a number"),
    ("s_integer", "1_0", "Count must be a number"),
    ("s_integer", "1 0", "Count must be a number"),
    ("s_integer", "0x5", "Count must be a number"),
    ("s_number", "1e-1", "Ratio must be a number"),
    ("s_number", "nan", "Ratio must be a number"),
    ("s_number", "٠٫٥", "Ratio must be a number"),  # the Arabic decimal separator is not taken
    ("s_integer", "9" * 5000, "Count must be a number"),  # past Python's int() limit: refused, not a 500
    ("s_date", "31/01/2026", "Since must be a date like 2026-01-31"),
    ("s_select", "3", "is not one of the choices for Size"),
    ("s_multi", ["a", "zz"], "is not one of the choices for Tags"),
    ("s_json", "{x:", "Extra is not valid JSON"),
    ("s_json", '{"y": 1}', "Extra does not match its schema"),
    ("s_map-0-rhs", "phone", "is not one of the choices for Fields row 1"),
]


@pytest.mark.parametrize("field,value,message", INVALID, ids=[f"{f}={v}" for f, v, _ in INVALID])
def test_invalid_values_stay_on_the_screen_with_the_message(wiz, inst, field, value, message):
    wiz.open(inst.id)
    resp = wiz.post({**VALID, field: value})
    assert resp.status_code == 422
    assert wiz.path.endswith("/screen/1")
    import html

    assert message in html.unescape(wiz.page)
    slot = field.split("-")[0]
    assert f'id="{slot}-error"' in wiz.page
    assert re.search(r'class="field field--\w+ field--invalid" id="field-' + slot + '"', wiz.page)
    # what was typed is shown again (never for secrets)
    if field not in ("s_secret",) and isinstance(value, str) and "{" not in value:
        assert html.escape(value) in wiz.page


def test_json_and_options_nested_absurdly_deep_are_refused_calmly(wiz, inst):
    deep = "[" * 5000 + "]" * 5000
    wiz.open(inst.id, query="show=" + deep)  # an unusable `show` is ignored, not a crash
    assert wiz.resp.status_code == 200 and wiz.path.endswith("/screen/1")
    resp = wiz.post({**VALID, "s_json": deep})
    assert resp.status_code == 422 and "Extra is nested too deeply." in wiz.page


def test_required_checkbox_group_and_select(client, core, user):
    w = Wizard(client, core, user)
    w.publish({"id": "req", "title": "Req", "screens": [{"title": "S", "slots": [
        {"externalId": "pick", "title": "Pick", "type": "select", "required": True, "options": [{"value": "x"}]},
        {"externalId": "many", "title": "Many", "type": "multiselect", "required": True, "options": [{"value": "x"}]},
        {"externalId": "m", "title": "M", "type": "mapping", "required": True},
    ]}]})
    inst = w.instance("req")
    w.open(inst.id)
    w.post({})
    for t in ("Pick", "Many", "M"):
        assert f"{t} is required." in w.page
    assert 'aria-required="true"' in w.page


def test_mapping_rows_are_added_and_removed_without_javascript(wiz, inst):
    wiz.open(inst.id)
    data = {**VALID, "s_map-0-lhs": "a", "s_map-0-rhs": "name"}
    wiz.post(data, action="add_row:s_map")
    assert wiz.resp.status_code == 200 and 'name="s_map-1-lhs"' in wiz.page
    assert 'id="s_map-0-lhs"' in wiz.page and 'value="a"' in wiz.page
    assert wiz.path.endswith("/screen/1")
    data.update({"s_map-1-lhs": "b", "s_map-1-rhs": "mail"})
    wiz.post(data, action="add_row:s_map")
    data.update({"s_map-2-lhs": "c", "s_map-2-rhs": "name"})
    wiz.post(data, action="remove_row:s_map:1")
    assert 'name="s_map-2-lhs"' not in wiz.page
    assert re.search(r'id="s_map-1-lhs" name="s_map-1-lhs" type="text" value="c"', wiz.page)
    assert not re.search(r'name="s_map-\d-lhs" type="text" value="b"', wiz.page)
    # rows renumbered 0..n-1; the screen keeps them as a draft if the window closes now
    wiz.get(f"{wiz.base}/screen/1")
    assert 'value="c"' in wiz.page
    wiz.post({**VALID, "s_map-0-lhs": "a", "s_map-0-rhs": "name", "s_map-1-lhs": "c", "s_map-1-rhs": "name"})
    assert wiz.path.endswith("/review")
    assert "a → name" in wiz.page and "c → name" in wiz.page


def test_json_keeps_parse_position_and_schema_message(wiz, inst):
    wiz.open(inst.id)
    wiz.post({**VALID, "s_json": '{\n "x": }'})
    assert "line 2" in wiz.page


def test_secret_left_empty_keeps_the_value_typed_earlier(wiz, inst, core):
    wiz.open(inst.id)
    wiz.post(VALID)
    wiz.get(f"{wiz.base}/screen/1")
    assert "Saved. Leave empty to keep it." in wiz.page and 'value="tok"' not in wiz.page
    wiz.post({**VALID, "s_secret": ""})
    wiz.finish()
    assert core.get_instance(inst.id).config_values["s_secret"] == "tok"
    prog = db.session.get(WizardProgress, inst.id)
    assert "tok" not in str(prog.data.get("config"))


def test_an_unchecked_boolean_is_false(wiz, inst, core):
    wiz.open(inst.id)
    data = dict(VALID)
    del data["s_boolean"]
    wiz.post(data)
    wiz.finish()
    assert core.get_instance(inst.id).config_values["s_boolean"] is False


# -- auth slots and dynamic options ----------------------------------------------------------------

AUTH_SOLUTION = {
    "id": "withauth", "title": "With auth",
    "auth": [{"externalId": "acct", "service": "sandbox", "title": "Your workspace"}],
    "screens": [
        {"title": "Connect", "slots": ["acct"]},
        {"title": "Where", "slots": [
            {"externalId": "channel", "title": "Channel", "type": "select",
             "options": {"source": "sandbox.channels", "auth": "acct"}},
        ]},
    ],
}


def open_auth_wizard(client, core, user):
    """The wizard opened on an instance of AUTH_SOLUTION (a sandbox account, then a channel)."""
    w = Wizard(client, core, user)
    w.publish(AUTH_SOLUTION)
    inst = w.instance("withauth")
    w.open(inst.id)
    return w, inst


def test_auth_slot_offers_the_users_accounts_only(client, core, user, fred):
    mine = accounts.create(user.id, "sandbox", "oauth2", {"t": 1}, name="Ada's workspace")
    stale = accounts.create(user.id, "sandbox", "oauth2", {"t": 2}, name="Old workspace")
    accounts.mark_needs_reconnect(stale)
    accounts.create(user.id, "other", "api_key", {"k": 1}, name="Elsewhere")
    freds = accounts.create(fred.id, "sandbox", "oauth2", {"t": 3}, name="Fred's workspace")
    w, inst = open_auth_wizard(client, core, user)
    assert "Ada&#39;s workspace" in w.page and "Old workspace" in w.page
    assert "needs reconnecting" in w.page
    assert "Elsewhere" not in w.page and "Fred" not in w.page
    assert "<legend><bdi>Your workspace</bdi>" in w.page
    iid, sid = inst.id, w.base.split("/s/")[1]
    # The connect popup (wizard.connect) is linked, with the status URL the script polls.
    assert f'href="/connect/{iid}/s/{sid}/acct?lang=en" target="wizard-connect"' in w.page
    assert f'data-status-url="/connect/{iid}/s/{sid}/acct/status"' in w.page
    assert f'href="/connect/{iid}/s/{sid}/acct?auth={stale.id}&amp;lang=en"' in w.page  # Reconnect
    w.post({})
    assert "Choose or connect Your workspace." in w.page
    w.post({"acct": freds.id})  # an attacker's crafted post with someone else's account
    assert w.resp.status_code == 422 and "cannot be used here" in w.page
    w.post({"acct": mine.id})
    assert w.path.endswith("/screen/2")


def test_dynamic_options_say_when_they_cannot_be_loaded(client, core, user, monkeypatch):
    mine = accounts.create(user.id, "sandbox", "oauth2", {"t": 1}, name="WS")
    w, inst = open_auth_wizard(client, core, user)
    # Before an account is chosen: a pointer back to the connect screen.
    w.get(f"{w.base}/screen/2")
    assert "Connect Your workspace first." in w.page and f'href="{w.base}/screen/1"' in w.page
    w.get(f"{w.base}/screen/1")
    w.post({"acct": mine.id})
    from wizard.flow import context

    def unavailable(source, owner_id, auth_id):
        raise context.OptionsError("down")

    monkeypatch.setattr(context, "fetch_dynamic_options", unavailable)
    w.get(f"{w.base}/screen/2")
    assert "The choices could not be loaded right now." in w.page and 'id="channel-retry"' in w.page
    w.post({"channel": "general"})
    assert w.resp.status_code == 422 and "could not be loaded" in w.page


def test_options_of_an_account_that_needs_reconnecting_point_to_reconnect(client, core, user, monkeypatch):
    """A refresh the provider refused: no Retry (it cannot help) but the reason and a way to the
    account's screen, where it is marked and offers Reconnect."""
    from wizard.connect import options as options_service

    mine = accounts.create(user.id, "sandbox", "oauth2", {"t": 1}, name="WS")
    w, inst = open_auth_wizard(client, core, user)
    w.post({"acct": mine.id})

    def revoked(source, owner_id, auth_id):
        accounts.mark_needs_reconnect(accounts.get(auth_id))
        raise options_service.OptionsUnavailable("WS needs reconnecting.", code="needs_reconnect")

    monkeypatch.setattr(options_service, "fetch_options", revoked)
    w.get(f"{w.base}/screen/2")
    assert "The choices could not be loaded: WS needs reconnecting." in w.page
    assert "Reconnect the account" in w.page and f'href="{w.base}/screen/1"' in w.page
    assert 'id="channel-retry"' not in w.page
    w.get(f"{w.base}/screen/1")
    assert "Reconnect" in w.page


def test_an_account_is_renamed_from_its_auth_screen_and_only_ones_own(client, core, user, fred):
    mine = accounts.create(user.id, "sandbox", "oauth2", {"t": 1}, name="WS")
    theirs = accounts.create(fred.id, "sandbox", "oauth2", {"t": 2}, name="Fred's")
    w, inst = open_auth_wizard(client, core, user)
    assert f'name="rename_{mine.id}"' in w.page and "Reconnect" in w.page  # every account offers both
    w.post({"acct": mine.id, f"rename_{mine.id}": "  Work space "}, action=f"rename:{mine.id}")
    assert w.resp.status_code == 200 and "The account is now called Work space." in w.page
    assert w.path.endswith("/screen/1") and 'checked' in w.page  # the choice is kept, nothing moved on
    db.session.expire_all()
    assert accounts.get(mine.id).name == "Work space"
    w.post({f"rename_{mine.id}": " "}, action=f"rename:{mine.id}")
    assert "Enter a name for the account." in w.page
    resp = w.post({f"rename_{theirs.id}": "mine now"}, action=f"rename:{theirs.id}")
    assert resp.status_code == 404
    db.session.expire_all()
    assert accounts.get(theirs.id).name == "Fred's"
    resp = w.post({f"rename_{mine.id}": "x"}, action=f"rename:{mine.id}", csrf=False)
    assert resp.status_code == 400  # the screen's CSRF token is required


def test_dynamic_options_are_fetched_with_the_chosen_account_and_enforced(client, core, user, monkeypatch):
    mine = accounts.create(user.id, "sandbox", "oauth2", {"t": 1}, name="WS")
    calls = []

    def fetch(source, owner_id, auth_id):
        calls.append((source, owner_id, auth_id))
        return [{"value": "C1", "text": "#general"}, {"value": "C2", "text": "#random"}]

    from wizard.flow import context

    monkeypatch.setattr(context, "fetch_dynamic_options", fetch)
    w, inst = open_auth_wizard(client, core, user)
    w.post({"acct": mine.id})
    assert '<option value="C2">#random</option>' in w.page
    assert calls[-1] == ("sandbox.channels", user.id, mine.id)
    w.post({"channel": "C9"})
    assert w.resp.status_code == 422 and "is not one of the choices" in w.page
    w.post({"channel": "C2"})
    assert w.path.endswith("/review") and "#random" in w.page
    w.finish()
    data = core.get_instance(inst.id)
    assert data.config_values == {"channel": "C2"} and data.auth_values == {"acct": mine.id}
    assert data.enabled


def test_an_account_connected_in_the_popup_is_preselected(client, core, user, app):
    mine = accounts.create(user.id, "sandbox", "oauth2", {"t": 1}, name="Fresh")
    w, inst = open_auth_wizard(client, core, user)
    from wizard.crypto import hash_secret
    from wizard.models import BrowserSession

    sid = w.base.split("/s/")[1]
    row = db.session.get(BrowserSession, hash_secret(sid))
    row.data = {**row.data, "wizard_connected": {"acct": mine.id}}
    db.session.commit()
    w.get(f"{w.base}/screen/1")
    assert checked_values(w.page, "acct") == {mine.id}
    db.session.refresh(row)
    assert "wizard_connected" not in row.data  # forgotten once used
    w.post({"acct": mine.id})
    assert w.path.endswith("/screen/2")
    assert csrf_of(w.page)


def test_an_account_connected_after_a_refused_next_is_chosen_too(client, core, user, app):
    """Next without an account is refused and what the screen held becomes its draft; the user
    then connects one in the popup: the page shows it chosen, not the draft's empty choice."""
    w, inst = open_auth_wizard(client, core, user)
    w.post({})
    assert w.resp.status_code == 422
    mine = accounts.create(user.id, "sandbox", "oauth2", {"t": 1}, name="Fresh")
    from wizard.crypto import hash_secret
    from wizard.models import BrowserSession

    row = db.session.get(BrowserSession, hash_secret(w.base.split("/s/")[1]))
    row.data = {**row.data, "wizard_connected": {"acct": mine.id}}  # what the popup's callback records
    db.session.commit()
    w.get(f"{w.base}/screen/1")
    assert checked_values(w.page, "acct") == {mine.id}
    assert "Please check this field" not in w.page
    w.get(f"{w.base}/screen/1")  # a reload still shows it (the draft holds it now)
    assert checked_values(w.page, "acct") == {mine.id}
    w.post({"acct": mine.id})
    assert w.path.endswith("/screen/2")


@pytest.mark.parametrize("params", [
    {"name": "a", "id": "b", "type": "text", "value": ""},
    {"value": 'say "hi" & <go>', "class_": "x", "for_": "y", "data_show_if": "{}", "aria_describedby": "a b"},
    {"checked": True, "readonly": False, "required": True, "maxlength": 300, "placeholder": Markup("<b>")},
    {"aria-required": "true", "data-x": "1", "value": 0, "min": 1.5},
    # a translated text is Markup (templates' _()): its quotes must not end the attribute
    {"aria_label": Markup('Column "A", row 2'), "value": Markup('a" onmouseover="x')},
])
def test_html_params_write_what_wtforms_writes(params):
    """wizard.controls.html_params writes the wizard's controls' attributes faster than WTForms'
    own: the same HTML, always."""
    from wtforms.widgets.core import html_params as wtforms_html_params

    from wizard import controls

    assert controls.html_params(**params) == wtforms_html_params(**params)
