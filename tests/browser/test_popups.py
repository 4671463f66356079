"""Issue 5, popups, with the real wizard behind the demo page and Chromium's popup blocker on:
the SDK opens the popup inside the click, a popup closed by the user is a cancel, and opening
the wizard twice in a row gives each event once."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from journey import click, configure, events, heading, open_demo

pytestmark = pytest.mark.browser


def test_the_popup_opens_inside_the_click_past_the_blocker(page, context, host, demo_solution):
    open_demo(page, host, "popup")
    popup = configure(page, context, "popup")  # the URL comes later, from the demo backend
    heading(popup, "Connect")
    assert popup.evaluate("window.opener !== null")
    expect(events(page, "tray.configPopup.ready")).to_have_count(1)
    expect(events(page, "tray.configPopup.error")).to_have_count(0)


def test_a_popup_closed_by_the_user_is_a_cancel(page, context, host, demo_solution):
    open_demo(page, host, "popup")
    popup = configure(page, context, "popup")
    heading(popup, "Connect")
    popup.close()
    cancel = events(page, "tray.configPopup.cancel")
    expect(cancel).to_have_count(1)
    expect(cancel).to_have_attribute("data-reason", "closed")
    expect(cancel).to_contain_text('"solutionInstanceId":"')


@pytest.mark.parametrize("mode", ["popup", "modal"])
def test_opening_twice_in_a_row_gives_each_event_once(mode, page, context, host, demo_solution):
    open_demo(page, host, mode)
    for round_ in (1, 2):
        wizard = configure(page, context, mode)
        heading(wizard, "Connect")
        expect(events(page, "tray.configPopup.ready")).to_have_count(round_)
        if mode == "popup":
            with wizard.expect_event("close"):  # the wizard's Cancel; the SDK closes the window
                click(wizard.locator("#wizard-cancel"))
        else:
            click(wizard.locator("#wizard-cancel"))
            expect(page.locator('iframe[data-config-wizard="frame"]')).to_have_count(0)
        expect(events(page, "tray.configPopup.cancel")).to_have_count(round_)
    # The second Configure reopened the unfinished instance (issue 27): one instance, not two.
    expect(page.locator("#instances li[data-instance]")).to_have_count(1)
    expect(events(page, "demo.reopened")).to_have_count(1)
    # Nothing is left listening: the counts stay at exactly one per opening.
    page.evaluate("() => new Promise(r => setTimeout(r, 0))")
    expect(events(page, "tray.configPopup.ready")).to_have_count(2)
    expect(events(page, "tray.configPopup.cancel")).to_have_count(2)
