"""Issue 12: whole journeys in German and in Arabic (keyboard only, right-to-left), the language
passed by the host SDK (`ConfigWizard.open({lang})`, the demo page's Language), the consent popup
and the wizard speaking it; screenshots of the Arabic screens at popup size (test-artifacts/)."""
from __future__ import annotations

import pytest
from wizard.i18n import _
from playwright.sync_api import expect

from browser_support import POPUP, fresh_instance, run_axe, shoot
from journey import AUTH, EXPECTED, events, heading, next_, open_demo, pick_account
from test_keyboard import connect_with_the_keyboard, finish_with_the_keyboard, tab_to

pytestmark = pytest.mark.browser


def translator(app, lang):
    def t(text, **params):
        with app.test_request_context(f"/?lang={lang}"):
            return _(text, **params)
    return t


def open_in(page, context, host, lang):
    """The demo page, its Language set, then Configure: the SDK passes `lang`."""
    open_demo(page, host, "popup")
    page.select_option("#language", lang)
    with context.expect_page() as info:
        page.get_by_role("button", name="Configure Sandbox alerts").click()
    wizard = info.value
    wizard.wait_for_url("**/configure/*/s/**")
    return wizard


def test_a_german_journey_to_finish(page, context, host, demo_solution, app):
    t = translator(app, "de")
    seen = []
    context.on("request", lambda r: seen.append(r.url))
    wizard = open_in(page, context, host, "de")
    heading(wizard, "Verbinden")  # the solution's own German title (solutions/slack-alerts.yaml)
    assert any("/configure/" in u and "lang=de" in u for u in seen)  # ConfigWizard.open({lang})
    expect(wizard.locator("html")).to_have_attribute("lang", "de")
    expect(wizard.locator("#step-count")).to_have_text("Schritt 1 von 4")
    expect(wizard.locator("#wizard-next")).to_have_text("Weiter")

    with context.expect_page() as info:
        wizard.locator(f"#{AUTH}-connect").click()
    consent = info.value
    expect(consent.locator("html")).to_have_attribute("lang", "de")  # the popup speaks it too
    expect(consent.locator("h1")).to_contain_text("möchte auf Ihren Sandbox-Arbeitsbereich zugreifen")
    consent.get_by_role("button", name="Erlauben").click()
    pick_account(wizard, "Verbinden")
    next_(wizard)

    heading(wizard, "Wohin posten")
    expect(wizard.locator("p.wizard-header__solution")).to_contain_text("Sandbox-Warnungen")
    wizard.get_by_label("Kanal").select_option(label="#alerts")
    wizard.get_by_label("Warnstufe").select_option(label="Alles")
    for keyword in ("Deployment", "Ausfall"):
        wizard.get_by_role("checkbox", name=keyword).check()
    wizard.get_by_label("Mindestschweregrad").fill("70")
    next_(wizard)  # a value error, in German
    expect(wizard.locator("#error-summary h2")).to_have_text("Bitte prüfen Sie dieses Feld")
    expect(wizard.locator("#external_threshold-error")).to_contain_text("darf höchstens")
    wizard.get_by_label("Mindestschweregrad").fill("7")
    next_(wizard)
    heading(wizard, "Details")
    wizard.get_by_label("E-Mail für die Zusammenfassung").fill("ops@example.com")
    next_(wizard)

    heading(wizard, t("Review and finish"))
    expect(wizard.locator('dd[data-slot="external_threshold"]')).to_have_text("7")
    run_axe(wizard, "de-journey-review")
    with wizard.expect_event("close"):
        wizard.get_by_role("button", name="Abschließen").click()
    expect(events(page, "tray.configPopup.finish")).to_have_count(1)
    inst = fresh_instance(page.locator("#instances li[data-instance]").get_attribute("data-instance"))
    assert inst.enabled and inst.config_values == EXPECTED


def test_an_arabic_journey_right_to_left_with_the_keyboard_alone(page, context, host, demo_solution, app):
    t = translator(app, "ar")
    wizard = open_in(page, context, host, "ar")
    wizard.set_viewport_size(POPUP)
    heading(wizard, "الربط")  # the solution's own Arabic title
    expect(wizard.locator("html")).to_have_attribute("dir", "rtl")
    expect(wizard.locator("html")).to_have_attribute("lang", "ar")
    # Mirrored: the first step on the right, Next at the left end of the bar, Cancel at the right.
    steps = wizard.locator("#wizard-steps li")
    assert steps.first.bounding_box()["x"] > steps.last.bounding_box()["x"]
    assert wizard.locator("#wizard-next").bounding_box()["x"] < wizard.locator("#wizard-cancel").bounding_box()["x"]
    expect(wizard.locator("#wizard-next")).to_have_text("التالي")
    shoot(wizard, "ar-journey-connect", sizes=(("popup", POPUP),))

    def consent_in_arabic(consent):
        expect(consent.locator("html")).to_have_attribute("dir", "rtl")
        expect(consent.get_by_role("button", name=t("Allow"))).to_be_visible()
        consent.set_viewport_size(POPUP)
        shoot(consent, "ar-journey-consent", sizes=(("popup", POPUP),))

    connect_with_the_keyboard(wizard, context, consent_in_arabic, title="الربط")

    heading(wizard, "مكان النشر")
    tab_to(wizard, "#external_channel")
    wizard.keyboard.press("ArrowDown")  # — اختر — -> #general
    wizard.keyboard.press("ArrowDown")  # -> #alerts
    expect(wizard.locator("#external_channel")).to_have_value("C2")
    tab_to(wizard, "#external_threshold")
    wizard.keyboard.press("Control+a")
    wizard.keyboard.type("70")
    wizard.keyboard.press("Enter")
    expect(wizard.locator("#external_threshold")).to_be_focused()  # focus on the first error
    expect(wizard.locator("#external_threshold-error")).to_contain_text("يجب ألا يزيد")
    shoot(wizard, "ar-journey-error", sizes=(("popup", POPUP),))
    wizard.keyboard.press("Control+a")
    wizard.keyboard.type("5")
    wizard.keyboard.press("Enter")

    heading(wizard, "التفاصيل")
    tab_to(wizard, "#external_digest_email")
    wizard.keyboard.type("kb@example.com")
    wizard.keyboard.press("Enter")

    heading(wizard, t("Review and finish"))
    expect(wizard.locator("#step-count")).to_have_text("الخطوة 4 من 4")
    run_axe(wizard, "ar-journey-review")
    shoot(wizard, "ar-journey-review", sizes=(("popup", POPUP),))
    finish_with_the_keyboard(page, wizard)


def test_the_error_event_carries_the_translated_text_and_a_stable_code(page, live_server, app):
    """tray.configPopup.error: `err` in the user's language, `code` (and data.code) as always."""
    page.goto(f"{live_server}/demo")
    frame_page = f"{live_server}/configure/nope?code=bad&lang=fr"
    got = page.evaluate("""(url) => new Promise((resolve) => {
        window.addEventListener("message", (e) => resolve(e.data));
        const f = document.createElement("iframe"); f.src = url; document.body.appendChild(f);
    })""", frame_page)
    assert got["type"] == "tray.configPopup.error"
    assert got["code"] == got["data"]["code"] == "invalid_code"
    assert got["err"] == got["error"] == translator(app, "fr")(
        "This link is not valid. Ask the application for a new one.")
