"""The render path keeps what it builds from a definition (its copy in a language, the screens'
form classes) in one cache keyed by names (wizard.flow.cache): a published version shows at once,
in every language, without anything to clear."""
from __future__ import annotations

import re

import pytest

from wizard_support import CSRF_RE, Wizard, checked_values, simple_solution

from wizard.flow import cache


def test_a_published_version_shows_at_once(client, core, user, app):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    first = w.instance("notes")
    w.open(first.id)
    assert "Channel" in w.page
    kept_before = len(cache.kept())
    # a new version renames the slot; an instance on it shows the new title on its first page
    second = simple_solution()
    second["screens"][0]["slots"][0]["title"] = "Slack channel"
    w.publish(second)
    newer = w.instance("notes")
    w.open(newer.id)
    assert "Slack channel" in w.page and ">Channel<" not in w.page
    assert len(cache.kept()) > kept_before  # its own entries, beside the old version's
    # the old version's pages are still its own
    w.open(first.id)
    assert w.path.endswith("/screen/1")


def test_every_key_is_made_of_names(client, core, user):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    w.open(w.instance("notes").id)
    w.get(f"{w.base}/screen/1?lang=de")
    keys = list(cache.kept()._entries)
    assert {key[0] for key in keys} >= {"definition", "form", "url"}

    def names(part):
        return isinstance(part, (str, int, bool, type(None))) or (isinstance(part, tuple) and all(map(names, part)))
    assert all(names(part) for key in keys for part in key), keys
    assert any(key[0] == "definition" and key[-1] == "de" for key in keys)


# -- the page plan: a screen's page rendered once, filled in on each request ----------------------

def _counting_templates(monkeypatch, app) -> list[str]:
    """The names of the templates loaded from now on (every render, include and extends loads one)."""
    loaded: list[str] = []
    get_template = app.jinja_env.get_template

    def counting(name, *args, **kw):
        loaded.append(getattr(name, "name", name))
        return get_template(name, *args, **kw)
    monkeypatch.setattr(app.jinja_env, "get_template", counting)
    return loaded


def test_a_screen_is_rendered_once_then_filled_in(client, core, user, fred, app, monkeypatch):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    w.open(w.instance("notes").id)
    w.post({"channel": "#mine", "level": "errors"})
    w.get(f"{w.base}/screen/1")
    first = w.page
    loaded = _counting_templates(monkeypatch, app)
    w.get(f"{w.base}/screen/1")
    assert loaded == [] and w.resp.status_code == 200
    # the same page, but for the CSRF token, which is this request's
    assert CSRF_RE.sub("", w.page) == CSRF_RE.sub("", first)
    # another user's page of the same screen: the same plan, with their own ids and values
    other = Wizard(app.test_client(), core, fred)
    other.open(other.instance("notes").id)
    other.post({"channel": "#theirs", "level": "errors"})
    loaded.clear()  # (its first page and screen 2 were shapes not seen yet)
    other.get(f"{other.base}/screen/1")
    assert loaded == []
    assert other.base in other.page and w.base not in other.page and 'value="#theirs"' in other.page
    assert f'data-instance-id="{other.base.split("/")[2]}"' in other.page


def test_errors_hidden_fields_and_values_are_this_requests_own(client, core, user, app, monkeypatch):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    w.open(w.instance("notes").id)
    w.post({"channel": "", "level": "errors"})  # refused: the page shows the error (post/redirect/get)
    assert w.resp.status_code == 422 and "field--invalid" in w.page and 'id="error-summary"' in w.page
    w.post({"channel": "", "level": "all", "keywords": "deploy"})
    loaded = _counting_templates(monkeypatch, app)
    assert w.resp.status_code == 422 and loaded == []  # the same shape: one error, on the channel
    # the keywords are shown now (their condition holds), with the typed choice
    assert " hidden" not in _wrapper(w.page, "keywords")
    assert checked_values(w.page, "keywords") == {"deploy"}
    w.post({"channel": "", "level": "errors"})
    assert _wrapper(w.page, "keywords").endswith(" hidden>") and checked_values(w.page, "keywords") == set()
    assert loaded == []


def _wrapper(page: str, name: str) -> str:
    """The start tag of a field's wrapper."""
    return re.search(r'<div class="field[^>]*id="field-' + name + '"[^>]*>', page).group(0)


def test_a_value_like_a_marker_or_html_is_written_as_text(client, core, user, app):
    from wizard.flow import plan
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    w.open(w.instance("notes").id)
    forged = "\ue000" + plan._TOKEN + ":0\ue001"  # what a marker of this process looks like
    typed = f'<b>"x"</b>{forged}'
    w.post({"channel": typed, "level": "errors"})
    w.get(f"{w.base}/screen/1")
    assert f'value="&lt;b&gt;&#34;x&#34;&lt;/b&gt;{forged}"' in w.page
    assert "<b>" not in w.page


def test_a_plan_holds_only_the_markers_it_issued():
    from markupsafe import Markup
    from wizard.flow import plan
    made = plan.make(lambda p: f"<p>{p.text(lambda c: c['x'])}</p>")
    assert made.page({"x": "<i>"}) == "<p>&lt;i&gt;</p>".encode()
    # the page is UTF-8: the literal HTML encoded once, each fill on each request
    dashed = plan.make(lambda p: f"<p>— {p.text(lambda c: c['x'])} ·</p>")
    assert dashed.page({"x": "ü 日本 \U0001F600"}).decode() == "<p>— ü 日本 \U0001F600 ·</p>"
    forged = Markup("\ue000" + plan._TOKEN + ":0\ue001")  # e.g. in an ISV's title: never taken for a fill
    with pytest.raises(RuntimeError):
        plan.make(lambda p: f"<p>{p.text(lambda c: c['x'])}{forged}</p>")
    with pytest.raises(RuntimeError):  # a marker changed by a filter
        plan.make(lambda p: f"<p>{str(p.text(lambda c: c['x'])).upper()}</p>")
    # another process's marker (another token) is text like any other
    other = "\ue000" + "0" * len(plan._TOKEN) + ":0\ue001"
    assert plan.make(lambda p: other).page({}) == other.encode()


def test_the_cache_stays_bounded_and_every_page_stays_right(client, core, user, app):
    kept = cache.kept()
    before = kept.max_entries
    kept.max_entries = 4
    try:
        w = Wizard(client, core, user)
        w.publish(simple_solution())
        w.open(w.instance("notes").id)
        for lang, word in (("de", "Weiter"), ("fr", "Suivant"), ("es", "Siguiente"), ("en", "Next"), ("de", "Weiter")):
            w.get(f"{w.base}/screen/1?lang={lang}")
            assert len(kept) <= 4 and f">{word}</button>" in w.page and "Channel" in w.page
    finally:
        kept.max_entries = before


def test_a_changed_theme_shows_at_once(client, core, user, app):
    from theme_support import ACME_COLORS
    from wizard.themes import store
    store.update("acme", product_name="Acme Connect", colors=ACME_COLORS, corner_radius=14)
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    iid = w.instance("notes").id
    resp = client.get(f"/external/solutions/acme/configure/{iid}?code={w.code()}", follow_redirects=True)
    w._keep(resp)
    w.get(w.resp.request.path)
    assert "Acme Connect</title>" in w.page
    store.update("acme", product_name="Acme Link", colors=ACME_COLORS, corner_radius=4)
    w.get(w.resp.request.path)
    assert "Acme Link</title>" in w.page and "Acme Connect" not in w.page


def test_the_plan_writes_what_the_templates_write(client, core, user, app, monkeypatch):
    """Each page as its plan fills it in is the page the templates write for that request."""
    from wizard.flow import render
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    w.open(w.instance("notes").id)

    def both(url):
        w.get(url)
        w.get(url)  # from the plan, kept by now
        planned = CSRF_RE.sub("", w.page)
        with monkeypatch.context() as m:
            m.setattr(render, "plan_key", lambda context: None)
            w.get(url)
        assert planned == CSRF_RE.sub("", w.page)
        return planned

    assert "<option selected" in both(f"{w.base}/screen/1")  # the default chosen
    w.post({"channel": "<x> \ue000", "level": "all", "keywords": ["deploy", "outage"]}, action="back")
    both(f"{w.base}/screen/1")  # a draft, with the keywords shown
    w.post({"channel": "", "level": "all", "keywords": "deploy"})
    page = both(f"{w.base}/screen/1")  # a draft with an error, checked again on each GET
    assert "field--invalid" in page and 'id="error-summary"' in page
    w.post({"channel": "#ok", "level": "errors"})
    w.post({"threshold": "3", "api_key": "s3cret"}, screen=2)
    page = both(f"{w.base}/screen/2")  # a secret kept
    assert 'id="api_key-saved"' in page
    page = both(f"{w.base}/screen/2?lang=ar")
    assert 'dir="rtl"' in page


def test_a_definition_s_own_options_are_kept_per_version_and_language(client, core, user, app):
    """A static option list's map (flow.render._options) is kept by the definition's name and the
    language: a new version's options and another language's texts show at once."""
    w = Wizard(client, core, user)
    first = simple_solution()
    first["screens"][0]["slots"][1]["options"] = [{"value": "all", "text": {"en": "Everything", "de": "Alles"}},
                                                  {"value": "errors", "text": "Errors only"}]
    w.publish(first)
    w.open(w.instance("notes").id)
    assert ">Everything<" in w.page and "Alles" not in w.page
    w.get(f"{w.base}/screen/1?lang=de")
    assert ">Alles<" in w.page and "Everything" not in w.page
    second = simple_solution()
    second["screens"][0]["slots"][1]["options"] = [{"value": "all", "text": "All of it"},
                                                   {"value": "errors", "text": "Errors only"},
                                                   {"value": "none", "text": "Nothing"}]
    w.publish(second)
    w.open(w.instance("notes").id)
    assert ">All of it<" in w.page and ">Nothing<" in w.page and "Everything" not in w.page
    assert "&#34;none&#34;: &#34;none&#34;" in w.page  # the choices' JSON values too
