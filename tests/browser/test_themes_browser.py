"""Issue 12, themes: a journey in an ISV's theme (Tray-style URL with its embeddedId) to Finish,
at popup size. Chromium computes the theme's colours on the primary button and the page, loads
the logo from this origin, applies the custom CSS, and still refuses inline script and every
other origin (the custom CSS asks for one); axe-core finds no WCAG 2.2 A/AA violation on any
themed screen. The review's screenshot is the README's (`make screenshots` copies it to docs/)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser_support import POPUP, run_axe, shoot
from journey import click, connect_sandbox, fill_where_to_post, heading, next_, pick_account
from theme_support import ACME_COLORS, png
from wizard import identity
from wizard.themes import store

pytestmark = pytest.mark.browser

CUSTOM_CSS = """
.brand__name { letter-spacing: .05em; text-transform: uppercase; }
/* Another origin: the pages' CSP (img-src 'self' data:) must refuse it. */
.skip-link { background-image: url(https://evil.example/x.png); }
"""

# Recorded from the first script of every document (Playwright's init scripts run before the
# page's own and are not subject to its CSP): each CSP violation the page reports.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push({directive: e.effectiveDirective, blocked: e.blockedURI}));
"""


def rgb(hex_color: str) -> str:
    h = hex_color.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))


def violations(page) -> list[dict]:
    return page.evaluate("() => window.__csp")


def assert_themed(page, live_server: str):
    """The page wears the Acme theme: title, brand, page colours, logo from this origin (each
    check waits for the stylesheets and the image to arrive)."""
    expect(page).to_have_title(re.compile(r" · Acme Connect$"))
    expect(page.locator(".brand__name")).to_have_text("Acme Connect")
    expect(page.locator("html")).to_have_css("background-color", rgb(ACME_COLORS["background"]))
    expect(page.locator("html")).to_have_css("color", rgb(ACME_COLORS["text"]))
    logo = page.locator("img.brand__logo")
    expect(logo).to_be_visible()
    page.wait_for_function("() => document.querySelector('img.brand__logo').complete")
    loaded = logo.evaluate("img => ({w: img.naturalWidth, src: img.currentSrc})")
    assert loaded["w"] == 32, loaded
    assert re.fullmatch(re.escape(live_server) + r"/themes/acme/logo-[0-9a-f]{16}\.png", loaded["src"])


def test_a_themed_journey_to_finish(page, context, live_server, demo_solution, user, core):
    store.update("acme", product_name="Acme Connect", colors=ACME_COLORS, corner_radius=14,
                 custom_css=CUSTOM_CSS, logo=png())
    inst = core.create_instance(user.id, "slack-alerts", "Alerts")
    context.add_init_script(RECORD_VIOLATIONS)
    answered, failed = [], []  # requests to other origins: none may be answered
    context.on("response", lambda r: answered.append(r.url) if not r.url.startswith(live_server) else None)
    context.on("requestfailed", lambda r: failed.append((r.url, r.failure)) if not r.url.startswith(live_server) else None)
    page.set_viewport_size(POPUP)

    page.goto(f"{live_server}/external/solutions/acme/configure/{inst.id}?code={identity.generate_code(user.id)}")
    heading(page, "Connect")
    assert_themed(page, live_server)
    card = page.locator(".card").first
    expect(card).to_have_css("background-color", rgb(ACME_COLORS["surface"]))
    expect(card).to_have_css("border-top-left-radius", "14px")
    # The custom CSS applies ...
    expect(page.locator(".brand__name")).to_have_css("text-transform", "uppercase")
    # ... but the other origin it names is refused by the page's CSP, and never requested.
    page.wait_for_function("() => window.__csp.some(v => v.blocked.startsWith('https://evil.example'))")
    assert {"directive": "img-src", "blocked": "https://evil.example/x.png"} in violations(page)
    # Inline script stays forbidden: one written into the page does not run.
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.inlineRan = true'; document.body.append(s); }""")
    page.wait_for_function("() => window.__csp.some(v => v.directive === 'script-src-elem')")
    assert page.evaluate("() => window.inlineRan") is None
    run_axe(page, "themed-auth-screen")

    connect_sandbox(page, context)  # the consent popup: Allow
    pick_account(page)
    next_(page)

    heading(page, "Where to post")
    primary = page.locator("#wizard-next")
    expect(primary).to_have_css("background-color", rgb(ACME_COLORS["primary"]))
    expect(primary).to_have_css("color", rgb(ACME_COLORS["textOnPrimary"]))
    expect(primary).to_have_css("border-top-left-radius", "10.5px")  # controls: 3/4 of the corner radius
    run_axe(page, "themed-screen")
    next_(page)  # nothing filled: errors in the theme's error colour
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator(".field-error").first).to_have_css("color", rgb(ACME_COLORS["error"]))
    run_axe(page, "themed-screen-errors")
    fill_where_to_post(page)
    next_(page)
    heading(page, "Details")
    page.get_by_label("Digest email").fill("ops@example.com")
    next_(page)

    heading(page, "Review and finish")
    assert_themed(page, live_server)
    run_axe(page, "themed-review")
    shoot(page, "themed-review")
    click(page.locator("#wizard-finish"))
    expect(page.locator("h1#screen-title")).to_have_text("All set")
    assert_themed(page, live_server)
    run_axe(page, "themed-done")

    page.goto(f"{live_server}/external/solutions/acme/configure/{inst.id}?code=used-up")
    expect(page.locator("#error-code")).to_have_text("invalid_code")
    assert_themed(page, live_server)
    run_axe(page, "themed-error-page")
    assert answered == [], answered
    assert failed and set(failed) == {("https://evil.example/x.png", "csp")}, failed


def test_the_oauth_popup_of_a_themed_wizard_wears_the_theme(page, context, live_server, demo_solution, user, core):
    store.update("acme", product_name="Acme Connect", colors=ACME_COLORS, logo=png())
    inst = core.create_instance(user.id, "slack-alerts", "Alerts")
    page.set_viewport_size(POPUP)
    page.goto(f"{live_server}/external/solutions/acme/configure/{inst.id}?code={identity.generate_code(user.id)}")
    heading(page, "Connect")
    with context.expect_page() as info:
        page.locator("#external_sandbox_authentication-connect").click()
    consent = info.value
    consent.set_viewport_size(POPUP)
    expect(consent.locator("h1")).to_have_text("Acme Connect wants to access your Sandbox workspace")
    assert_themed(consent, live_server)
    run_axe(consent, "themed-sandbox-consent")
    consent.get_by_role("button", name="Deny").click()  # the popup's result page, in its error state
    expect(consent.locator("h1")).to_contain_text("Not connected")
    assert_themed(consent, live_server)
    run_axe(consent, "themed-connect-result")
