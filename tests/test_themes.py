"""Themes per embeddedId (issue 12): the contrast rule, the API, the CLI, the pages that wear a
theme, and its assets from the attacker's side. The browser test is tests/browser/test_themes_browser.py."""
from __future__ import annotations

import base64
import json
import re

import pytest
from hypothesis import given, settings, strategies as st

from support import gql_errors
from theme_support import ACME_COLORS, png
from wizard import identity
from wizard.themes import rules, store
from wizard.themes.rules import ThemeError

THEME = """query($e: ID!) { theme(embeddedId: $e) { embeddedId isDefault productName cornerRadius customCss
  colors { primary textOnPrimary background surface text error } logoUrl logoContentType stylesheetUrl } }"""
UPDATE = """mutation($i: UpdateThemeInput!) { updateTheme(input: $i) { clientMutationId theme {
  embeddedId isDefault productName cornerRadius customCss colors { primary background }
  logoUrl logoContentType stylesheetUrl } } }"""


def _acme(**extra):
    return store.update("acme", product_name="Acme Connect", colors=ACME_COLORS, corner_radius=14, **extra)


def _link(page: str, pattern: str) -> str:
    m = re.search(pattern, page)
    assert m, f"no {pattern} in the page"
    return m.group(1)


# -- the contrast rule ----------------------------------------------------------------------------

def test_contrast_follows_wcag_relative_luminance():
    assert rules.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert rules.contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    # #767676 is the lightest grey with 4.5:1 on white; #777777 just misses it.
    assert rules.contrast("#767676", "#ffffff") >= 4.5 > rules.contrast("#777777", "#ffffff")
    assert rules.ratio_text(rules.contrast("#777777", "#ffffff")) == "4.4"  # rounded down, never up to a pass
    assert rules.contrast("#f00", "#ffffff") == pytest.approx(3.998, abs=1e-3)


def test_the_default_look_passes_and_a_failing_theme_is_refused_naming_each_pair_and_ratio():
    assert rules.contrast_failures(rules.DEFAULT.colors) == []
    with pytest.raises(ThemeError) as exc:
        rules.check(rules.DEFAULT, colors={"primary": "#8ab4f8"})
    assert exc.value.field == "colors" and exc.value.reason == "insufficient_contrast"
    assert "primary / background: 1.9:1, needs 3:1" in exc.value.message
    assert "primary / surface: 2.1:1, needs 3:1" in exc.value.message
    assert "textOnPrimary / primary: 2.1:1, needs 4.5:1" in exc.value.message
    with pytest.raises(ThemeError, match=r"text / surface: 4.4:1, needs 4.5:1"):
        rules.check(rules.DEFAULT, colors={"text": "#777777"})
    with pytest.raises(ThemeError, match=r"error / background: "):
        rules.check(rules.DEFAULT, colors={"error": "#ff6b6b"})


@pytest.mark.parametrize("colors, field", [
    ({"primary": "blue"}, "colors.primary"), ({"primary": "#12345"}, "colors.primary"),
    ({"primary": "#1f5fbf; background: url(x)"}, "colors.primary"), ({"accent": "#000000"}, "colors"),
])
def test_colours_are_hex_and_known(colors, field):
    with pytest.raises(ThemeError) as exc:
        rules.check(rules.DEFAULT, colors=colors)
    assert exc.value.field == field


def test_other_fields_are_checked():
    with pytest.raises(ThemeError, match="cornerRadius"):
        rules.check(rules.DEFAULT, corner_radius=99)
    with pytest.raises(ThemeError, match="productName"):
        rules.check(rules.DEFAULT, product_name="x" * 81)
    with pytest.raises(ThemeError, match="customCss"):
        rules.check(rules.DEFAULT, custom_css="a{}\x00")
    with pytest.raises(ThemeError, match="customCss"):
        rules.check(rules.DEFAULT, custom_css="a{}" * 20000)
    assert rules.check(rules.DEFAULT, colors={"primary": "#06C"}).colors["primary"] == "#0066cc"


def test_a_logo_is_png_or_jpeg_by_its_bytes_and_svg_is_refused():
    assert rules.check_logo(png()) == "image/png"
    assert rules.check_logo(b"\xff\xd8\xff\xe0" + b"\x00" * 20) == "image/jpeg"
    with pytest.raises(ThemeError, match="SVG"):
        rules.check_logo(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    with pytest.raises(ThemeError, match="PNG or JPEG"):
        rules.check_logo(b"GIF89a" + b"\x00" * 20)
    with pytest.raises(ThemeError, match="at most"):
        rules.check_logo(b"\x89PNG\r\n\x1a\n" + b"\x00" * rules.MAX_LOGO_BYTES)


COLOR = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({name: COLOR for name in rules.COLOR_NAMES}))
def test_every_derived_colour_of_an_accepted_theme_keeps_its_contrast(colors):
    """Muted text, borders, hover, alerts and links come from the six colours: whatever the ISV
    picks, once the theme is taken, what the wizard derives stays readable."""
    try:
        theme = rules.check(rules.DEFAULT, colors=colors)
    except ThemeError:
        return
    p = palette = rules.palette(theme)
    text = [("--muted", "--bg"), ("--muted", "--surface"), ("--link", "--bg"), ("--link", "--surface"),
            ("--on-accent", "--accent-dark"), ("--info-text", "--accent-soft"), ("--danger-text", "--danger-soft"),
            ("--ok-text", "--ok-soft"), ("--ok", "--surface"), ("--text", "--danger-soft")]
    for fg, bg in text:
        assert rules.contrast(p[fg], p[bg]) >= 4.5, (fg, bg, palette)
    for fg, bg in (("--border-strong", "--surface"), ("--border-strong", "--bg")):
        assert rules.contrast(p[fg], p[bg]) >= 3, (fg, bg, palette)


# -- the API --------------------------------------------------------------------------------------

def test_the_api_shows_the_default_then_updates_and_serves_the_assets(api, client):
    body = api(THEME, {"e": "acme"})
    theme = body["data"]["theme"]
    assert theme["isDefault"] is True and theme["productName"] == "" and theme["stylesheetUrl"] is None
    assert theme["colors"] == rules.DEFAULT_COLORS

    logo = png()
    body = api(UPDATE, {"i": {"embeddedId": "acme", "productName": "Acme Connect", "colors": ACME_COLORS,
                              "cornerRadius": 14, "customCss": ".brand__name { letter-spacing: .02em; }",
                              "logo": base64.b64encode(logo).decode(), "clientMutationId": "m1"}})
    out = body["data"]["updateTheme"]
    assert out["clientMutationId"] == "m1"
    theme = out["theme"]
    assert theme["isDefault"] is False and theme["productName"] == "Acme Connect"
    assert theme["colors"] == {"primary": "#0b6e4f", "background": "#fbf7ef"}
    assert theme["logoContentType"] == "image/png"
    assert re.fullmatch(r"/themes/acme/logo-[0-9a-f]{16}\.png", theme["logoUrl"])
    assert re.fullmatch(r"/themes/acme/[0-9a-f]{16}\.css", theme["stylesheetUrl"])

    resp = client.get(theme["logoUrl"])
    assert resp.status_code == 200 and resp.data == logo and resp.mimetype == "image/png"
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    css = client.get(theme["stylesheetUrl"])
    assert css.mimetype == "text/css" and css.headers["Cache-Control"].startswith("public, max-age=31536000")
    text = css.get_data(as_text=True)
    assert "--accent: #0b6e4f;" in text and "--radius: 14px;" in text
    assert text.index("--accent") < text.index(".brand__name { letter-spacing: .02em; }")

    # A change is a new URL; the old one is gone (never served stale under a cached name).
    new = api(UPDATE, {"i": {"embeddedId": "acme", "cornerRadius": 4}})["data"]["updateTheme"]["theme"]
    assert new["stylesheetUrl"] != theme["stylesheetUrl"] and new["productName"] == "Acme Connect"
    assert client.get(theme["stylesheetUrl"]).status_code == 404
    assert client.get(new["stylesheetUrl"]).status_code == 200

    # "" removes the logo; reset goes back to the default look.
    assert api(UPDATE, {"i": {"embeddedId": "acme", "logo": ""}})["data"]["updateTheme"]["theme"]["logoUrl"] is None
    assert client.get(theme["logoUrl"]).status_code == 404
    back = api(UPDATE, {"i": {"embeddedId": "acme", "reset": True}})["data"]["updateTheme"]["theme"]
    assert back["productName"] == "" and back["colors"]["primary"] == rules.DEFAULT_COLORS["primary"]


def test_the_api_refuses_a_theme_failing_contrast_naming_the_pair_and_saves_nothing(api):
    api(UPDATE, {"i": {"embeddedId": "acme", "productName": "Acme Connect"}})
    body = api(UPDATE, {"i": {"embeddedId": "acme", "productName": "Renamed",
                              "colors": {"primary": "#8ab4f8", "textOnPrimary": "#ffffff"}}})
    assert body["data"] is None
    err = body["errors"][0]
    assert err["extensions"]["code"] == "BAD_USER_INPUT" and err["extensions"]["name"] == "PreconditionError"
    assert err["extensions"]["reason"] == "insufficient_contrast"
    assert err["message"].startswith("colors: too little contrast (WCAG 2.2 AA): ")
    assert "primary / background: 1.9:1, needs 3:1" in err["message"]
    assert "textOnPrimary / primary: 2.1:1, needs 4.5:1" in err["message"]
    assert api(THEME, {"e": "acme"})["data"]["theme"]["productName"] == "Acme Connect"


@pytest.mark.parametrize("field, value, named", [
    ("logo", "not base64!", "logo: must be base64"),
    ("logo", base64.b64encode(b"<svg onload='alert(1)'/>").decode(), "logo: SVG is not taken"),
    ("cornerRadius", -1, "cornerRadius: "),
    ("embeddedId", "../etc", "embeddedId: "),
])
def test_the_api_names_the_field_it_refuses(api, field, value, named):
    body = api(UPDATE, {"i": {"embeddedId": "acme", field: value}})
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith(named)


def test_themes_are_the_master_tokens_only(api, user):
    token = identity.issue_user_token(user.id)
    assert gql_errors(api(THEME, {"e": "acme"}, token=token)) == ["FORBIDDEN"]
    assert gql_errors(api(UPDATE, {"i": {"embeddedId": "acme", "productName": "Evil"}}, token=token)) == ["FORBIDDEN"]
    assert gql_errors(api(THEME, {"e": "acme"}, token=None)) == ["UNAUTHENTICATED"]
    assert store.get("acme") is None


# -- the CLI --------------------------------------------------------------------------------------

def test_the_cli_sets_shows_and_resets_a_theme(runner, tmp_path):
    out = runner.invoke(args=["themes", "set", "acme", "--name", "Acme Connect", "--primary", "#0b6e4f",
                              "--background", "#fbf7ef", "--radius", "12"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["productName"] == "Acme Connect"
    (tmp_path / "logo.png").write_bytes(png())
    assert runner.invoke(args=["themes", "logo", "acme", str(tmp_path / "logo.png")]).exit_code == 0
    (tmp_path / "brand.css").write_text(".card { box-shadow: none; }")
    assert runner.invoke(args=["themes", "css", "acme", str(tmp_path / "brand.css")]).exit_code == 0
    shown = json.loads(runner.invoke(args=["themes", "show", "acme"]).output)
    assert shown["colors"]["primary"] == "#0b6e4f" and shown["cornerRadius"] == 12
    assert shown["logoContentType"] == "image/png" and shown["customCss"] == ".card { box-shadow: none; }"
    assert runner.invoke(args=["themes", "list"]).output == "acme\tAcme Connect\n"
    assert runner.invoke(args=["themes", "reset", "acme"]).output == "removed\n"
    assert store.get("acme") is None


def test_the_cli_refuses_a_theme_failing_contrast_naming_the_pair(runner):
    out = runner.invoke(args=["themes", "set", "acme", "--primary", "#ffdd00"])
    assert out.exit_code == 1
    assert "error: colors: too little contrast (WCAG 2.2 AA): " in out.output
    assert "textOnPrimary / primary: 1.3:1, needs 4.5:1" in out.output
    assert "primary / background: 1.2:1, needs 3:1" in out.output
    assert store.get("acme") is None
    assert runner.invoke(args=["themes", "logo", "acme"]).exit_code == 1  # neither a file nor --remove


# -- the pages ------------------------------------------------------------------------------------

@pytest.fixture
def instance(core, demo_solution, user):
    return core.create_instance(user.id, "slack-alerts", "Alerts")


def _open(client, user, path: str):
    resp = client.get(f"{path}?code={identity.generate_code(user.id)}", follow_redirects=True)
    assert resp.status_code == 200, resp.text[:300]
    return resp.get_data(as_text=True)


def test_a_tray_style_url_wears_its_embedded_ids_theme_on_every_page_of_the_session(client, user, instance):
    row = _acme(logo=png())
    page = _open(client, user, f"/external/solutions/acme/configure/{instance.id}")
    assert re.search(r"<title>[^<]* · Acme Connect</title>", page)
    css = _link(page, r'<link rel="stylesheet" href="(/themes/acme/[0-9a-f]{16}\.css)">')
    assert page.index("/static/wizard.") < page.index(css)  # the theme overrides the base stylesheet
    assert f'src="/themes/acme/logo-{row.logo_hash}.png"' in page
    assert '<span class="brand__name">Acme Connect</span>' in page
    # Another page of the same session (the session remembers the embeddedId): the review.
    base = _link(page, r'action="(/configure/[^"]+/s/[^/"]+)/')
    review = client.get(f"{base}/review").get_data(as_text=True)
    assert css in review and "Acme Connect</title>" in review


def test_the_popups_theme_cookie_never_dresses_another_isvs_wizard(client, user, instance):
    """The connect popup's cookie (its consent and result pages) names the last theme; a plain
    wizard page, whose session has no theme, keeps the default look all the same."""
    _acme()
    client.set_cookie("wizard_theme", "acme")
    page = _open(client, user, f"/configure/{instance.id}")
    assert "/themes/acme/" not in page and "Acme Connect" not in page


def test_plain_urls_wear_the_theme_of_wizard_embedded_id_else_the_default(app, client, user, instance):
    _acme()
    page = _open(client, user, f"/configure/{instance.id}")
    assert "/themes/" not in page and 'class="brand"' not in page
    assert re.search(r"<title>[^<]* · Configuration wizard</title>", page)
    app.config["WIZARD_EMBEDDED_ID"] = "acme"
    try:
        page = _open(client, user, f"/configure/{instance.id}")
        assert "/themes/acme/" in page and "Acme Connect</title>" in page
        # Error pages too: a code that is no good.
        error = client.get(f"/configure/{instance.id}?code=nope")
        assert error.status_code == 403 and "/themes/acme/" in error.text
        assert "<title>403 · Acme Connect</title>" in error.text
    finally:
        app.config["WIZARD_EMBEDDED_ID"] = None


def test_the_auth_only_dialog_and_error_pages_wear_the_theme(client, user, instance):
    _acme()
    page = _open(client, user, f"/external/auth/create/acme/{instance.id}/external_sandbox_authentication")
    assert "/themes/acme/" in page and "Acme Connect</title>" in page
    error = client.get(f"/external/solutions/acme/configure/{instance.id}?code=nope")
    assert "/themes/acme/" in error.text and "Acme Connect" in error.text
    other = _open(client, user, f"/external/auth/create/other/{instance.id}/external_sandbox_authentication")
    assert "/themes/" not in other


def test_the_sandbox_consent_page_names_the_product(app, client):
    from wizard.sandbox.provider import CLIENT_ID, ensure_client, redirect_uri

    _acme()
    ensure_client()
    app.config["WIZARD_EMBEDDED_ID"] = "acme"
    try:
        page = client.get("/sandbox/oauth/authorize", query_string={
            "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect_uri(app.config),
            "scope": "channels:read", "state": "s", "code_challenge": "x" * 43,
            "code_challenge_method": "S256"}).get_data(as_text=True)
    finally:
        app.config["WIZARD_EMBEDDED_ID"] = None
    assert "Acme Connect wants to access your Sandbox workspace" in page
    # The consent page's form opened a cookie session; the theme's stylesheet, which holds
    # nothing of it, is cacheable all the same.
    assert client.get_cookie("wizard_sid") is not None
    css = client.get(_link(page, r'href="(/themes/acme/[0-9a-f]{16}\.css)"'))
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"


# -- from the attacker's side ---------------------------------------------------------------------

def test_custom_css_never_reaches_a_page_and_the_pages_csp_is_unchanged(client, user, instance):
    """Custom CSS is a stylesheet of its own: text that would close a <style> and open a script in
    a page is only CSS text, never in the HTML; the pages' CSP still admits no inline script and
    no other origin."""
    payload = "</style><script>window.pwned=1</script><style>"
    _acme(custom_css=f".card {{ background: url(https://evil.example/x.png); }} {payload}")
    resp = client.get(f"/external/solutions/acme/configure/{instance.id}?code={identity.generate_code(user.id)}",
                      follow_redirects=True)
    assert payload not in resp.text and "evil.example" not in resp.text
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    assert "style-src 'self';" in csp and "img-src 'self' data:;" in csp
    css = client.get(_link(resp.text, r'href="(/themes/acme/[0-9a-f]+\.css)"'))
    assert css.mimetype == "text/css" and payload in css.text
    assert css.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_assets_of_other_or_unknown_themes_are_not_found(client):
    _acme(logo=png())
    row = store.get("acme")
    assert client.get(f"/themes/other/logo-{row.logo_hash}.png").status_code == 404
    assert client.get(f"/themes/acme/logo-{row.logo_hash}.jpg").status_code == 404
    assert client.get("/themes/acme/0000000000000000.css").status_code == 404
    assert client.get("/themes/nobody/0000000000000000.css").status_code == 404


def test_every_end_user_page_is_built_on_the_themed_base():
    """base.html carries the theme (title, stylesheet, brand): every page an end user sees extends
    it, directly or through the wizard's layout; only the demo ISV page is the ISV's own. The
    operator console's pages are not end users' (they extend console/base.html, which extends
    base.html in the default look), nor is the development API explorer (GraphiQL's page, for
    the ISV's developers)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    pages = [p for p in root.rglob("*.html") if not p.name.startswith("_") and "slots" not in p.parts
             and p.parent.name not in ("demo", "console", "api") and p.name != "base.html"]
    assert len(pages) >= 13
    for page in pages:
        first = page.read_text().lstrip().splitlines()[0]
        assert first in ('{% extends "base.html" %}', '{% extends "wizard/layout.html" %}'), page


def test_an_error_page_after_a_failed_transaction_still_renders_in_the_default_look(app):
    """The theme is read from the database; when the request's transaction has failed, the error
    page is shown anyway (in the default look), not a second error."""
    from sqlalchemy import text
    from flask import render_template
    from wizard.extensions import db

    with app.test_request_context("/external/solutions/acme/configure/x"):
        with pytest.raises(Exception):
            db.session.execute(text("SELECT * FROM no_such_table"))
        page = render_template("error.html", status=500, machine_code="internal", message="m")
    assert "<title>500 · Configuration wizard</title>" in page
