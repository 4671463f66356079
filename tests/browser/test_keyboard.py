"""Issue 5: one whole journey with the keyboard alone (Tab, Space, Enter, arrows and typing; no
clicks): from the demo page's Configure button, through the OAuth consent popup, to Finish."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser_support import fresh_instance
from journey import AUTH, events, heading, open_demo

pytestmark = pytest.mark.browser


def tab_to(page, selector: str, limit: int = 40):
    """Press Tab until the focused element matches `selector`; it must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector):
            assert page.evaluate("() => document.activeElement.matches(':focus-visible')"), selector
            return
    raise AssertionError(f"Tab never reached {selector}")


def connect_with_the_keyboard(wizard, context, on_consent=lambda consent: None, title="Connect"):
    """The Connect screen: open the consent popup, Allow, choose the new account, Next."""
    tab_to(wizard, f"#{AUTH}-connect")
    with context.expect_page() as info:
        wizard.keyboard.press("Enter")
    consent = info.value
    expect(consent.locator('input[name="allow"]')).to_be_visible()
    on_consent(consent)
    tab_to(consent, 'input[name="allow"]')
    with consent.expect_event("close"):
        consent.keyboard.press("Enter")

    expect(wizard.locator(f'input[name="{AUTH}"]').first).to_be_visible()
    heading(wizard, title)
    tab_to(wizard, f'input[name="{AUTH}"]')
    wizard.keyboard.press("Space")
    expect(wizard.locator(f'input[name="{AUTH}"]').first).to_be_checked()
    tab_to(wizard, "#wizard-next")
    wizard.keyboard.press("Enter")


def test_a_whole_journey_with_the_keyboard_alone(page, context, host, demo_solution):
    open_demo(page, host, "popup")
    page.locator("body").focus()
    tab_to(page, 'button[aria-label="Configure Sandbox alerts"]')
    with context.expect_page() as info:
        page.keyboard.press("Enter")
    wizard = info.value
    heading(wizard, "Connect")
    connect_with_the_keyboard(wizard, context)

    heading(wizard, "Where to post")
    tab_to(wizard, "#external_channel")
    wizard.keyboard.press("ArrowDown")  # — Choose — -> #general
    wizard.keyboard.press("ArrowDown")  # -> #alerts
    expect(wizard.locator("#external_channel")).to_have_value("C2")
    tab_to(wizard, "#wizard-next")
    wizard.keyboard.press("Enter")

    heading(wizard, "Details")
    tab_to(wizard, "#external_digest_email")
    wizard.keyboard.type("kb@example.com")
    wizard.keyboard.press("Enter")  # Enter in a text field is Next

    heading(wizard, "Review and finish")
    finish_with_the_keyboard(page, wizard)


def finish_with_the_keyboard(page, wizard):
    """The review: Tab to Finish, Enter; the host page hears of it and the instance is enabled."""
    tab_to(wizard, "#wizard-finish")
    with wizard.expect_event("close"):
        wizard.keyboard.press("Enter")
    expect(events(page, "tray.configPopup.finish")).to_have_count(1)
    inst = fresh_instance(page.locator("#instances li[data-instance]").get_attribute("data-instance"))
    assert inst.enabled
    assert inst.config_values == {"external_channel": "C2", "external_level": "errors", "external_threshold": 5,
                                  "external_digest_email": "kb@example.com"}
