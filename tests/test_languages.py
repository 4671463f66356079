"""Issue 12, languages: the catalogues cover every marked text, the language is chosen by `lang`,
the session, Accept-Language, then WIZARD_DEFAULT_LANGUAGE; Arabic is right-to-left; solution
texts per language; dates and numbers follow the locale; and the pseudo-locale tour: every page
and error state rendered in `eo`, where each translated text is ⟦wrapped⟧, shows no text outside
the markers but the ISV's and the user's."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from _connect_support import KEY_SERVICES, Dance, message_of, sandbox_config  # noqa: F401  (fixture)
from i18n_support import LANGUAGES, PSEUDO, TRANSLATIONS, extracted, strings_of, untranslated
from wizard import accounts, identity
from wizard_support import Wizard, body_attr, simple_solution

sys.path.insert(0, str(Path(__file__).parent / "browser"))
from every_type import EVERY_TYPE  # noqa: E402

PLACEHOLDER = re.compile(r"%\(\w+\)s")


# -- the catalogues ----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_marked_text_is_translated_with_its_placeholders(lang):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    wanted = extracted()
    assert len(wanted) > 200
    missing, broken = [], []
    for msgid in wanted:
        message = catalog.get(msgid)
        # a plural needs every form of the language (fr and es have three: n = 1, millions, others)
        strings = list(message.string if message else ()) if isinstance(msgid, tuple) else (
            [message.string] if message and message.string else [])
        if not strings or not all(strings) or (message and message.fuzzy):
            missing.append(msgid)
            continue
        want = set(PLACEHOLDER.findall(msgid if isinstance(msgid, str) else msgid[1]))
        if any(set(PLACEHOLDER.findall(s)) - want for s in strings) or (
                isinstance(msgid, str) and set(PLACEHOLDER.findall(strings[0])) != want):
            broken.append((msgid, strings))
    assert not missing, f"{lang}: untranslated (run `make messages` and translate): {missing}"
    assert not broken, f"{lang}: placeholders differ: {broken}"


# -- choosing the language --------------------------------------------------------------------

def test_lang_then_the_session_then_accept_language_then_the_default(client, core, user, app):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    inst = w.instance("notes")
    w.open(inst.id, "lang=de-AT")  # a regional tag: its language
    assert '<html lang="de" dir="ltr">' in w.page and ">Weiter</button>" in w.page
    w.get(f"{w.base}/screen/1")  # no lang: the session keeps it, whatever the browser asks
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    w.get(f"{w.base}/screen/1")
    assert ">Weiter</button>" in w.page
    w.open(inst.id)  # a new session without lang: the browser's language
    assert '<html lang="fr" dir="ltr">' in w.page and ">Suivant</button>" in w.page
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "tlh, xx;q=0.5"  # nothing we speak
    w.open(inst.id, "lang=zz")  # nor this
    assert '<html lang="en" dir="ltr">' in w.page
    app.config["WIZARD_DEFAULT_LANGUAGE"] = "es"
    try:
        w.open(inst.id)
        assert '<html lang="es" dir="ltr">' in w.page and ">Siguiente</button>" in w.page
    finally:
        app.config["WIZARD_DEFAULT_LANGUAGE"] = "en"
        client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")


def test_arabic_is_right_to_left_with_the_steps_and_buttons_in_arabic(client, core, user):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    w.open(w.instance("notes").id, "lang=ar")
    assert '<html lang="ar" dir="rtl">' in w.page
    assert "الخطوة 1 من 3" in w.page and ">التالي</button>" in w.page and ">إلغاء</a>" in w.page


def test_value_errors_and_the_error_event_text_are_translated_beside_a_stable_code(client, core, user):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    inst = w.instance("notes")
    w.open(inst.id, "lang=de")
    w.post({"channel": "#a"})
    w.post({"threshold": "11"})
    assert w.resp.status_code == 422 and "Threshold darf höchstens 10 sein" in w.page
    w.post({"threshold": "2.5"})
    assert "Threshold muss eine ganze Zahl sein" in w.page
    resp = client.get(f"/configure/{inst.id}?code=not-a-code&lang=de")
    assert resp.status_code == 403
    page = resp.get_data(as_text=True)
    # tray.configPopup.error: err in the user's language, code as always
    assert body_attr(page, "data-error-code") == "invalid_code"
    assert body_attr(page, "data-error-message") == (
        "Dieser Link ist ungültig. Fordern Sie in der Anwendung einen neuen an.")
    # API clients keep English (their messages are for developers)
    api = client.get(f"/configure/{inst.id}?code=not-a-code&lang=de", headers={"Accept": "application/json"})
    assert api.get_json()["message"] == "This link is not valid. Ask the application for a new one."


def test_dates_and_numbers_on_the_review_follow_the_language(client, core, user):
    w = Wizard(client, core, user)
    w.publish({"id": "when", "title": "When", "config": [
        {"externalId": "day", "title": "Day", "type": "date"},
        {"externalId": "ratio", "title": "Ratio", "type": "number"},
        {"externalId": "at", "title": "At", "type": "time"},
    ]})
    inst = w.instance("when")
    for lang, day, ratio, at in [("de", "31. Januar 2026", "1.234,5", "21:30"),
                                 ("fr", "31 janvier 2026", "1\u202f234,5", "21:30"),
                                 ("en", "January 31, 2026", "1,234.5", "9:30\u202fPM")]:
        w.open(inst.id, f"lang={lang}")
        w.post({"day": "2026-01-31", "ratio": "1234.5", "at": "21:30"}, screen=1)
        assert w.path.endswith("/review"), w.page
        for slot, text in (("day", day), ("ratio", ratio), ("at", at)):
            assert f'<dd data-slot="{slot}">{text}</dd>' in w.page, (lang, slot)


def test_solution_texts_per_language_with_english_as_the_fallback(client, core, user, api):
    w = Wizard(client, core, user)
    w.publish({"id": "multi", "title": {"en": "Alerts", "de": "Warnungen"},
               "screens": [{"title": {"en": "Basics", "ar": "الأساسيات"}, "slots": [
                   {"externalId": "channel", "type": "select", "required": True,
                    "title": {"en": "Channel", "de": "Kanal", "ar": "القناة"}, "help": {"de": "Wohin"},
                    "options": [{"value": "a", "text": {"en": "All", "de": "Alle"}}, {"value": "b"}]}]}]})
    inst = w.instance("multi")
    w.open(inst.id, "lang=de")
    assert "Warnungen" in w.page and ">Kanal" in w.page and ">Wohin<" in w.page and ">Alle</option>" in w.page
    assert "Basics" in w.page  # no German given: English
    w.open(inst.id, "lang=ar")
    assert "الأساسيات" in w.page and "القناة" in w.page and "Alerts" in w.page
    # The API answers strings where Tray's does: the English text.
    data = api('{ viewer { solutions { edges { node { title } } } } }')
    assert {e["node"]["title"] for e in data["data"]["viewer"]["solutions"]["edges"]} == {"Alerts"}


def test_a_solution_text_must_be_text_or_languages():
    from wizard.solutions import DefinitionError, parse_definition

    with pytest.raises(DefinitionError) as err:
        parse_definition('{"id": "x", "title": {"de": 3}, "config": [{"externalId": "a", "title": {}}]}')
    assert any("title must be text, or a mapping of language codes" in e for e in err.value.errors)


# -- the pseudo-locale tour -------------------------------------------------------------------

def _clean(page: str, data) -> None:
    bad = untranslated(page, data)
    assert not bad, f"text left untranslated: {bad}"


def test_pseudo_locale_every_screen_slot_type_and_error_state(client, core, user, monkeypatch):
    """Each screen type and slot type of EVERY_TYPE, empty and with every error the rules give,
    the review (with the core's refusal), done, cancel, and the error pages, in the pseudo-locale."""
    w = Wizard(client, core, user)
    w.publish(EVERY_TYPE)
    inst = w.instance(EVERY_TYPE["id"])
    typed = {"Ops", "Heads up:", "ops@example.com", "https://status.example.com", "x" * 41, "not an address",
             "ftp://nope", "abc", "99", "1.5", "2026-13-45", "25:99", "#general", "#alerts", "#deploys",
             "severity", "level", "title", "{not json", "{\"no\": \"source\"}", "{\"source\": \"acme\"}"}
    from babel.dates import format_date, format_time
    from datetime import date, time

    # the user's date and time as the locale writes them (CLDR's words, not ours)
    typed |= {format_date(date(2026, 12, 1), "long", locale=PSEUDO), format_time(time(21, 30), "short", locale=PSEUDO)}
    data = strings_of(EVERY_TYPE) | typed | {"Acme Corp", "Sandbox", "Acme (ops)", "WS"}
    w.open(inst.id, f"lang={PSEUDO}")
    _clean(w.page, data)  # the auth screen, no account
    w.post({})
    assert w.resp.status_code == 422
    _clean(w.page, data)  # its error
    auth = accounts.create(user.id, "sandbox", "oauth2", {"t": 1}, name="WS")
    stale = accounts.create(user.id, "sandbox", "oauth2", {"t": 2}, name="Acme Corp")
    accounts.mark_needs_reconnect(stale)
    w.get(f"{w.base}/screen/1")
    _clean(w.page, data)  # accounts, one to reconnect, rename
    w.post({"sandbox_auth": auth.id, "rename_" + auth.id: ""}, action=f"rename:{auth.id}")
    _clean(w.page, data)  # "enter a name"
    w.post({"sandbox_auth": auth.id})
    # text kinds: every refusal
    w.post({"team": "x" * 41, "contact": "not an address", "site": "ftp://nope"})
    assert w.resp.status_code == 422
    _clean(w.page, data)
    w.post({"team": "Ops", "hook_secret": "s", "contact": "ops@example.com", "site": "https://status.example.com"})
    # numbers and choices: every refusal, and dynamic options that cannot be loaded
    from wizard.flow import context

    monkeypatch.setattr(context, "fetch_dynamic_options",
                        lambda *a, **k: (_ for _ in ()).throw(context.OptionsError("down")))
    w.get(f"{w.base}/screen/3")
    _clean(w.page, data | {"down"})
    w.post({"ratio": "abc", "retries": "1.5", "start": "2026-13-45", "quiet_from": "25:99", "level": "zzz"})
    assert w.resp.status_code == 422
    _clean(w.page, data | {"down", "zzz", "'zzz'"})
    monkeypatch.setattr(context, "fetch_dynamic_options",
                        lambda *a, **k: [{"value": "C1", "text": "#general"}, {"value": "C2", "text": "#alerts"}])
    w.post({"ratio": "0.5", "retries": "3", "active": "y", "start": "2026-12-01", "quiet_from": "21:30",
            "level": "high", "topics": ["deploy"], "channel": "C2"})
    # structured: json and mapping errors, rows added
    w.post({"payload": "{not json"})
    _clean(w.page, data)
    w.post({"payload": '{"no": "source"}'})
    _clean(w.page, data | {"'source' is a required property"})
    w.post({"payload": '{"source": "acme"}'}, action="add_row:field_map")
    _clean(w.page, data)
    w.post({"payload": '{"source": "acme"}', "field_map-0-lhs": "severity", "field_map-0-rhs": ""})
    _clean(w.page, data)
    w.post({"payload": '{"source": "acme"}', "field_map-0-lhs": "severity", "field_map-0-rhs": "level"})
    assert w.path.endswith("/review")
    _clean(w.page, data)
    # the core refuses: a required value is set by the application
    from wizard.core import MissingValues, embedded_core

    def refuse(*a, **k):
        raise MissingValues(["hidden_one"])

    for name in ("save_values", "save_and_enable"):  # whichever Finish calls
        if hasattr(type(embedded_core()), name):
            monkeypatch.setattr(type(embedded_core()), name, refuse)
    w.finish()
    assert w.resp.status_code == 409
    _clean(w.page, data | {"hidden_one"})
    monkeypatch.undo()
    w.finish()
    assert w.path.endswith("/done")
    _clean(w.page, data)
    other = w.instance(EVERY_TYPE["id"])
    w.open(other.id, f"lang={PSEUDO}")
    w.get(f"{w.base}/cancel")
    _clean(w.page, data)
    # error pages: a bad code, an ended session, a page that does not exist, a form without CSRF
    for url in (f"/configure/{inst.id}?code=nope&lang={PSEUDO}", f"{w.base.replace(other.id, inst.id)}/screen/1",
                f"/nowhere?lang={PSEUDO}"):
        resp = client.get(url, headers={"Accept-Language": PSEUDO})
        assert resp.status_code in (403, 404)
        _clean(resp.get_data(as_text=True), data)
    resp = client.post(f"{w.base}/screen/1", data={"wizard_screen": "1"})
    assert resp.status_code == 400
    _clean(resp.get_data(as_text=True), data)


def test_pseudo_locale_connect_pages_dialog_and_sandbox(live_server, user, core, demo_solution, tmp_path,
                                                        sandbox_config):
    """The auth-only dialog, its error page, the credential form and its error, the sandbox's
    consent, error and keys pages, the connect result page."""
    services = tmp_path / "services.yaml"
    services.write_text(KEY_SERVICES.format(live=live_server))
    sandbox_config(WIZARD_SERVICES_FILE=str(services))
    data = {"Sandbox", "Sandbox Key", "Acme Corp", "Globex", "Initech", "Wizard sandbox", "Configuration wizard",
            "Alerts", "slack-alerts", "X-Api-Key"}
    d = Dance(live_server)
    d.http.headers["Accept-Language"] = PSEUDO
    inst = core.create_instance(user.id, "slack-alerts", "Alerts")
    resp = d.get(f"/external/auth/create/emb-1/{inst.id}/external_sandbox_authentication"
                 f"?code={identity.generate_code(user.id)}")
    page = d.get(resp.headers["Location"])
    _clean(page.text, data)  # the dialog
    start = re.search(r'data-start-url="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    consent_url = d.start(start)
    consent = d.get(consent_url)
    assert consent.status_code == 200
    _clean(consent.text, data | {"Wizard sandbox"})  # the consent page (the client's name is data)
    done = d.finish(d.consent(consent_url, allow=False))
    assert message_of(done.text)["error"]
    _clean(done.text, data)  # the result page, denied
    _clean(d.get("/sandbox/keys").text, data | {"acme", "globex", "initech"} | set(re.findall(
        r"<code>([^<]+)</code>", d.pages[-1])))
    _clean(d.get("/sandbox/oauth/authorize?client_id=nope").text, data | {"invalid_client", "invalid_request"})
    # the dialog's error page, and the credential form with its error
    _clean(d.get(f"/external/auth/create/emb-1?code={identity.generate_code(user.id)}&serviceId=nope").text, data)
    resp = d.get(f"/external/auth/create/emb-1?code={identity.generate_code(user.id)}&serviceId=sandbox-key")
    page = d.get(resp.headers["Location"])
    start = re.search(r'data-start-url="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    form = d.get(start)
    _clean(form.text, data)
    from _connect_support import csrf_of

    refused = d.http.post(live_server + start, data={"csrf_token": csrf_of(form.text), "api_key": "sbk_wrong"},
                          timeout=15)
    assert refused.status_code == 400
    _clean(refused.text, data)


def test_wtforms_own_messages_and_the_credential_form_speak_the_language(live_server, user, core, tmp_path,
                                                                       sandbox_config):
    """Flask-WTF hands WTForms its own catalogue in the request's language (WTF_I18N_ENABLED)."""
    from _connect_support import csrf_of, wizard_session
    from test_connect_credentials import KEYED

    services = tmp_path / "services.yaml"
    services.write_text(KEY_SERVICES.format(live=live_server))
    sandbox_config(WIZARD_SERVICES_FILE=str(services))
    core.publish(KEYED)
    inst = core.create_instance(user.id, "keyed")
    path = f"/connect/{inst.id}/s/{wizard_session(user.id, inst.id)}/key_auth?lang=de"
    d = Dance(live_server)
    form = d.get(path)
    assert "API-Schlüssel" in form.text and "Ihr Sandbox Key-Konto verbinden" in form.text
    empty = d.http.post(live_server + path, data={"csrf_token": csrf_of(form.text), "api_key": ""}, timeout=15)
    assert "Geben Sie API-Schlüssel ein." in empty.text  # ours
    long = d.http.post(live_server + path, data={"csrf_token": csrf_of(form.text), "api_key": "k" * 4001}, timeout=15)
    assert "Feld kann nicht länger als 4000 Zeichen sein." in long.text  # WTForms' own


def test_each_request_finds_its_own_language_even_in_one_app_context(app):
    """The catalogue found once per request (i18n.catalogue) is forgotten at the next request's
    start, as Flask-Babel's locale is: requests that share an app context (tests, CLI) each speak
    their own language."""
    from wizard.i18n import catalogue, localize
    from wizard.texts import T

    with app.app_context():
        for lang, expected in (("de", "Weiter"), ("fr", "Suivant"), ("en", "Next"), ("de", "Weiter")):
            with app.test_request_context(f"/?lang={lang}"):
                app.preprocess_request()
                assert localize(T("Next")) == expected and catalogue().tag == lang


def test_python_templates_and_texts_translate_through_one_catalogue(app):
    """`_`/`ngettext` in Python, `_`/`gettext`/`ngettext`/`{% trans %}` in a template and a `T`
    shown on a page give the same text in the request's language; escaping as Jinja's newstyle
    gettext (the variables, not the translation)."""
    from flask import render_template_string

    from wizard.i18n import _, catalogue, ngettext
    from wizard.texts import T

    source = ("{{ _('Next') }}|{{ gettext('Next') }}|{% trans %}Next{% endtrans %}|{{ t }}|{{ [t]|join }}|"
              "{{ ngettext('Please check this field', 'Please check these %(num)s fields', 1) }}|"
              "{{ ngettext('Please check this field', 'Please check these %(num)s fields', 3) }}|"
              "{% trans n=3 %}Please check this field{% pluralize %}Please check these {{ n }} fields{% endtrans %}|"
              "{{ _('Account connected: %(account)s', account=who) }}")
    for lang in ("de", "ar", "en"):
        with app.test_request_context(f"/?lang={lang}"):
            app.preprocess_request()
            one, three = (ngettext("Please check this field", "Please check these %(num)s fields", n) for n in (1, 3))
            account = _("Account connected: %(account)s", account="<b>")
            expected = "|".join([_("Next")] * 5 + [one, three, three, account.replace("<b>", "&lt;b&gt;")])
            assert render_template_string(source, t=T("Next"), who="<b>") == expected
            assert catalogue().tag == lang
            if lang == "de":
                assert (_("Next"), three) == ("Weiter", "Bitte prüfen Sie diese 3 Felder")
