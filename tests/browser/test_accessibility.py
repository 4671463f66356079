"""Issue 5, accessibility: axe-core (WCAG 2.0/2.1/2.2 A and AA tags) on every screen kind - each
slot type, error states, the auth screen, the sandbox consent page and the connect result page,
review, done, cancel, error pages, the auth-only dialog and its credential form, the demo page and
its modal - with zero violations; focus goes
to the first error; help and errors are tied to their fields; screenshots of each screen at
popup size (500x600) and phone width (375x740) go to test-artifacts/screenshots/.

Issue 12: the tours run in English, German and Arabic (right-to-left; screenshots `ar-*`), and in
the pseudo-locale `eo`, where every page must show no text outside the ⟦translated⟧ markers but
the ISV's and the user's (what the script adds to the page included)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from _connect_support import KEY_SERVICES, sandbox_config  # noqa: F401  (fixture)
from browser_support import POPUP, run_axe, shoot, wizard_url
from every_type import EVERY_TYPE
from i18n_support import PSEUDO, strings_of, untranslated
from journey import click, configure, heading, next_, open_demo

TOUR_LANGUAGES = ["en", "de", "ar", PSEUDO]

pytestmark = pytest.mark.browser


@pytest.fixture
def every_type(core, user):
    core.publish(EVERY_TYPE)
    return core.create_instance(user.id, EVERY_TYPE["id"])


def _check(page, name: str, target=None, lang: str = "en", data=()):
    """axe on the page (or one of its frames), then the screenshots; in the pseudo-locale, the
    page as the browser has it (scripts included) must have no untranslated text."""
    name = name if lang == "en" else f"{lang}-{name}"  # the RTL screens: ar-*
    if lang == PSEUDO:
        bad = untranslated((target or page).content(), data)
        assert not bad, f"{name}: text left untranslated: {bad}"
    run_axe(target or page, name)
    shoot(page, name)


check = _check  # the English-only tours


@pytest.fixture
def t(app, request):
    """Our text in the tour's language (the ISV's stays as the solution wrote it)."""
    from wizard.i18n import _

    def translate(text, **params):
        with app.test_request_context(f"/?lang={request.node.callspec.params['lang']}"):
            return _(text, **params)
    return translate


def described_by(control) -> list[str]:
    return (control.get_attribute("aria-describedby") or "").split()


@pytest.mark.parametrize("lang", TOUR_LANGUAGES)
def test_every_screen_kind(page, context, live_server, every_type, user, core, lang, t):
    page.set_viewport_size(POPUP)
    data = strings_of(EVERY_TYPE) | {"Acme Corp", "Globex", "Initech", "Acme (ops)", "Sandbox", "Wizard sandbox", "#general", "#alerts",
                                     "#deploys", "not an address", "Ops", "Heads up:", "ops@example.com",
                                     "https://status.example.com", '{"no": "source"}', '{"source": "acme"}', "level"}
    from babel.dates import format_date
    from datetime import date

    data.add(format_date(date(2026, 12, 1), "long", locale=PSEUDO))  # the user's date, in CLDR's words

    def check(page_, name, target=None):
        _check(page_, name, target, lang, data)

    # An error page: a code that is not valid.
    page.goto(f"{live_server}/configure/{every_type.id}?code=not-a-code&lang={lang}")
    expect(page.locator("h1")).to_be_visible()
    check(page, "error-page")

    page.goto(wizard_url(live_server, every_type.id, lang=lang))
    heading(page, "Connect")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    check(page, "auth-screen-empty")
    next_(page)  # no account yet: an error
    expect(page.locator("#error-summary")).to_be_visible()
    check(page, "auth-screen-error")

    # The consent page, denied: the connect result page in its error state.
    with context.expect_page() as info:
        page.locator("#sandbox_auth-connect").click()
    consent = info.value
    expect(consent.get_by_role("button", name=t("Allow"))).to_be_visible()
    consent.set_viewport_size(POPUP)
    check(consent, "sandbox-consent")
    consent.get_by_role("button", name=t("Deny")).click()
    expect(consent.locator("h1")).to_contain_text(t("Not connected to %(service)s", service="Sandbox"))
    check(consent, "connect-result-error")
    consent.close()

    with context.expect_page() as info:
        page.locator("#sandbox_auth-connect").click()
    info.value.get_by_role("button", name=t("Allow")).click()
    account = page.locator('input[type="radio"][name="sandbox_auth"]').first
    expect(account).to_be_visible()
    heading(page, "Connect")
    account.check()
    check(page, "auth-screen-account")
    page.get_by_text(t("Rename"), exact=False).first.click()  # the rename form, open
    expect(page.get_by_label(t("New name for %(account)s", account="Acme Corp"))).to_be_visible()
    check(page, "auth-screen-rename")
    page.get_by_label(t("New name for %(account)s", account="Acme Corp")).fill("Acme (ops)")
    page.get_by_label(t("New name for %(account)s", account="Acme Corp")).press("Enter")  # saves the name, does not go Next
    expect(page.locator("#wizard-info")).to_have_text(t("The account is now called %(account)s.", account="Acme (ops)"))
    expect(page.locator('input[type="radio"][name="sandbox_auth"]').first).to_be_checked()
    next_(page)

    # Text kinds: string, text, secret, email, url.
    heading(page, "Text")
    check(page, "text-screen")
    page.get_by_label("Contact email").fill("not an address")
    next_(page)
    team = page.get_by_label("Team name")
    expect(team).to_be_focused()  # focus moves to the first error
    expect(team).to_have_attribute("aria-invalid", "true")
    assert described_by(team) == ["team-help", "team-error"]
    expect(page.locator("#team-help")).to_have_text("Shown in every message.")
    expect(page.locator("#team-error")).not_to_be_empty()
    assert "contact-error" in described_by(page.get_by_label("Contact email"))
    check(page, "text-screen-errors")
    team.fill("Ops")
    page.get_by_label("Message").fill("Heads up:")
    page.get_by_label("Webhook secret").fill("s3cret-value")
    page.get_by_label("Contact email").fill("ops@example.com")
    page.get_by_label("Status page").fill("https://status.example.com")
    next_(page)

    # Numbers and choices: number, integer, boolean, date, time, select, multiselect, dynamic select.
    heading(page, "Numbers and choices")
    expect(page.get_by_label("Retries")).to_have_value("3")  # the default
    check(page, "choices-screen")
    page.get_by_label("Sampling ratio").fill("5")
    next_(page)
    expect(page.get_by_label("Sampling ratio")).to_be_focused()
    expect(page.locator("#error-summary")).to_be_visible()
    check(page, "choices-screen-errors")
    page.get_by_label("Sampling ratio").fill("0.5")
    page.get_by_label("Send on weekends").check()
    page.get_by_label("Start date").fill("2026-12-01")
    page.get_by_label("Quiet from").fill("21:30")
    page.get_by_label("Level").select_option(label="High")
    page.get_by_role("checkbox", name="deploy").check()
    page.get_by_label("Channel").select_option(label="#alerts")
    next_(page)

    # Structured: json with a schema, mapping rows.
    heading(page, "Structured")
    check(page, "structured-screen")
    page.get_by_label("Extra payload").fill('{"no": "source"}')
    next_(page)
    expect(page.get_by_label("Extra payload")).to_be_focused()
    check(page, "structured-screen-errors")
    page.get_by_label("Extra payload").fill('{"source": "acme"}')
    page.get_by_role("button", name=t("Add row")).click()
    page.get_by_label(t("%(column)s, row %(row)s", column="Acme field", row=1)).select_option("severity")
    page.get_by_label(t("%(column)s, row %(row)s", column="Sandbox field", row=1)).fill("level")
    check(page, "structured-screen-mapping")
    next_(page)

    heading(page, t("Review and finish"))
    expect(page.locator("main")).not_to_contain_text("s3cret-value")  # secrets masked
    check(page, "review")
    click(page.locator("#wizard-finish"))
    heading(page, t("All set"))
    check(page, "done")
    values = core.get_instance(every_type.id).config_values
    assert values["field_map"] == [{"lhs": "severity", "rhs": "level"}] and values["payload"] == {"source": "acme"}
    assert values["quiet_from"] == "21:30"  # the time type, through Chromium's time input

    # Cancel page, on another instance.
    other = core.create_instance(user.id, EVERY_TYPE["id"])
    page.goto(wizard_url(live_server, other.id, lang=lang))
    heading(page, "Connect")
    click(page.locator("#wizard-cancel"))
    heading(page, t("Cancelled"))
    check(page, "cancel")


def test_the_demo_page_and_its_modal(page, context, host, demo_solution):
    open_demo(page, host, "modal")
    check(page, "demo-page")
    heading(configure(page, context, "modal"), "Connect")
    frame = next(f for f in page.frames if "/configure/" in f.url)
    check(page, "demo-modal")  # the host page with the dialog
    check(page, "demo-modal-wizard", target=frame)  # the wizard inside it


def test_focus_is_visible(page, live_server, every_type):
    """Every control reached with Tab shows a focus indicator (outline or ring)."""
    page.goto(wizard_url(live_server, every_type.id))
    heading(page, "Connect")
    seen = 0
    for _ in range(8):
        page.keyboard.press("Tab")
        style = page.evaluate("""() => { const el = document.activeElement; const s = getComputedStyle(el);
            return {tag: el.tagName, outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
                    ring: s.boxShadow !== 'none', visible: el.matches(':focus-visible')}; }""")
        if style["tag"] == "BODY":
            continue
        seen += 1
        assert style["visible"] and (style["outline"] or style["ring"]), style
    assert seen >= 4


@pytest.mark.parametrize("lang", TOUR_LANGUAGES)
def test_auth_dialog_credential_form_and_other_error_pages(page, live_server, user, tmp_path, sandbox_config, lang, t):
    """The rest of the screen kinds: the auth-only dialog (OAuth and API key), the credential
    form and its error state, the dialog's error page, a 404 and the sandbox's error page."""
    from wizard import identity

    services = tmp_path / "services.yaml"
    services.write_text(KEY_SERVICES.format(live=live_server))
    sandbox_config(WIZARD_SERVICES_FILE=str(services))
    page.set_viewport_size(POPUP)
    data = {"Sandbox", "Sandbox Key", "sbk_not-a-key", "invalid_client", "nobody"}

    def check(page_, name, target=None):
        _check(page_, name, target, lang, data)

    page.goto(f"{live_server}/external/auth/create/emb-1?code={identity.generate_code(user.id)}&serviceId=sandbox&lang={lang}")
    expect(page.locator("h1")).to_have_text(t("Connect your %(service)s account", service="Sandbox"))
    check(page, "auth-dialog")

    page.goto(f"{live_server}/external/auth/create/emb-1?code={identity.generate_code(user.id)}&serviceId=sandbox-key&lang={lang}")
    expect(page.locator("h1")).to_have_text(t("Connect your %(service)s account", service="Sandbox Key"))
    with page.expect_popup() as info:
        page.click("#dialog-connect")
    form = info.value
    form.set_viewport_size(POPUP)
    key = form.get_by_label(t("API key"))
    expect(key).to_have_attribute("type", "password")
    check(form, "credential-form")
    key.fill("sbk_not-a-key")
    key.press("Enter")
    expect(form.locator("[role=alert], .alert--error").first).to_contain_text(t("These credentials did not work: %(reason)s Nothing was saved.", reason="").split(":")[0])
    check(form, "credential-form-error")
    form.close()

    used = identity.generate_code(user.id)
    identity.consume_code(used)
    page.goto(f"{live_server}/external/auth/create/emb-1?code={used}&serviceId=sandbox&lang={lang}")
    expect(page.locator("h1")).to_be_visible()
    check(page, "auth-dialog-error")

    assert page.goto(f"{live_server}/no-such-page?lang={lang}").status == 404
    check(page, "not-found")

    assert page.goto(f"{live_server}/sandbox/oauth/authorize?response_type=code&client_id=nobody&lang={lang}").status == 400
    check(page, "sandbox-error")
