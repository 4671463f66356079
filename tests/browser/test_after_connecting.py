"""Issue 27, connecting an account in the wizard: afterwards focus is on the account just
connected and the slot's status region says so (not on <body>, in silence); a failure is shown as
an error, naming the permission in the service's words."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser_support import run_axe
from journey import AUTH, FRAME, configure, connect_sandbox, events, heading, next_, open_demo

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("mode", ["modal", "popup"])
def test_focus_and_an_announcement_go_to_the_account_just_connected(mode, page, context, host, demo_solution):
    open_demo(page, host, mode)
    wizard = configure(page, context, mode)
    heading(wizard, "Connect")
    connect_sandbox(wizard, context, workspace="Globex")
    radio = wizard.locator(f'input[type="radio"][name="{AUTH}"]')
    expect(radio).to_have_count(1)
    heading(wizard, "Connect")
    status = wizard.locator(f"#{AUTH}-connect-status")
    expect(status).to_have_text("Account connected: Globex")
    expect(status.locator("bdi")).to_have_text("Globex")  # the account's name, direction-isolated
    expect(status).to_have_attribute("role", "status")
    expect(radio).to_be_focused()
    assert "connected=" not in wizard.locator("body").evaluate("() => location.href")  # a reload says nothing again

    # A second account: focus goes to that one, not the first.
    connect_sandbox(wizard, context, workspace="Initech")
    expect(radio).to_have_count(2)
    expect(status).to_have_text("Account connected: Initech")
    focused = wizard.locator(f'input[type="radio"][name="{AUTH}"]:focus')
    expect(focused).to_have_count(1)
    label_for = focused.get_attribute("id")
    expect(wizard.locator(f'label[for="{label_for}"]')).to_have_text("Initech")
    run_axe(wizard if mode == "popup" else page.locator(FRAME).element_handle().content_frame(),
            "connect-after-second-account")


def test_an_account_connected_after_a_refused_next_is_the_one_chosen(page, context, host, demo_solution):
    """Next without an account is refused and the screen kept as typed; the account then connected
    in the popup is chosen, and Next goes on with it."""
    open_demo(page, host, "modal")
    wizard = configure(page, context, "modal")
    heading(wizard, "Connect")
    next_(wizard)
    expect(wizard.locator("#error-summary")).to_be_visible()
    heading(wizard, "Connect")
    connect_sandbox(wizard, context, workspace="Globex")
    radio = wizard.locator(f'input[type="radio"][name="{AUTH}"]')
    expect(radio).to_have_count(1)
    heading(wizard, "Connect")
    expect(radio).to_be_checked()
    expect(wizard.locator("#error-summary")).to_have_count(0)
    next_(wizard)
    heading(wizard, "Where to post")


def test_a_refused_permission_is_an_error_in_the_services_words(page, context, host, demo_solution):
    open_demo(page, host, "modal")
    wizard = configure(page, context, "modal")
    heading(wizard, "Connect")
    with context.expect_page() as info:
        wizard.locator(f"#{AUTH}-connect").click()
    consent = info.value
    consent.get_by_label("Post messages to channels").uncheck()
    consent.get_by_role("button", name="Allow").click()
    error = consent.locator("#connect-error")
    expect(error).to_contain_text("\u201cPost messages to channels\u201d (chat:write)")
    expect(error).to_have_class("alert alert--error")
    status = wizard.locator(f"#{AUTH}-connect-status")
    expect(status).to_contain_text("\u201cPost messages to channels\u201d (chat:write)")
    expect(status).to_have_class("connect-status alert alert--error")
    expect(events(page, "tray.configPopup.error")).to_have_count(1)
    run_axe(page.locator(FRAME).element_handle().content_frame(), "connect-failed-permission")
