"""Steps of the end user's journey, shared by the browser tests. `surface` is where the wizard
is: a popup Page or the modal's FrameLocator (both have the same locator methods)."""
from __future__ import annotations

from playwright.sync_api import expect

FRAME = 'iframe[data-config-wizard="frame"]'
AUTH = "external_sandbox_authentication"


def open_demo(page, host: str, mode: str = "popup", validation: str = "off"):
    page.goto(f"{host}/demo")
    expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    page.check(f'input[name="mode"][value="{mode}"]')
    page.select_option("#validation", validation)


def events(page, type_: str):
    return page.locator(f'#event-log li[data-type="{type_}"]')


def launch(page, context, mode: str, button):
    """Click a Configure/Edit button; return the wizard's surface once its first page is there."""
    if mode == "popup":
        with context.expect_page() as info:
            button.click()
        popup = info.value
        popup.wait_for_url("**/configure/*/s/**")
        return popup
    button.click()
    return page.frame_locator(FRAME)


def configure(page, context, mode: str, solution_title: str = "Sandbox alerts"):
    return launch(page, context, mode, page.get_by_role("button", name=f"Configure {solution_title}"))


def heading(surface, text: str):
    """Wait for a wizard page: its title, its script set up (events, validation hooks) and, in a
    frame, the frame resized to the page (so that nothing moves under the next click)."""
    expect(surface.locator("h1#screen-title")).to_have_text(text)
    expect(surface.locator("body")).to_have_attribute("data-wizard-ready", "true")
    settled(surface)


def settled(surface):
    """In a frame, wait until the host has applied the wizard's last `resize`: a frame that
    shrinks after a click point was computed scrolls its content under the pointer."""
    owner = getattr(surface, "owner", None)  # a FrameLocator has one; a popup Page does not
    if owner is None:
        return
    height = surface.locator("html").evaluate("e => Math.ceil(e.getBoundingClientRect().height)")
    expect(owner).to_have_css("height", f"{height}px")


def connect_sandbox(surface, context, workspace: str | None = None, *, closes: bool = True):
    """Connect a new Sandbox account through the OAuth popup: the consent page, Allow. `closes`:
    the popup, having told the wizard, closes itself (300 ms later); until it has, the next
    Connect would open its page in that same named window (window.open's "wizard-connect"), and
    no new page would come (a slow machine: the wizard reloaded and was clicked within 300 ms)."""
    with context.expect_page() as info:
        surface.locator(f"#{AUTH}-connect").click()
    consent = info.value
    expect(consent.locator("h1")).to_contain_text("wants to access your Sandbox workspace")
    if workspace:
        consent.get_by_label("Workspace", exact=True).select_option(label=workspace)
    if not closes:
        consent.get_by_role("button", name="Allow").click()
        return consent
    with consent.expect_event("close"):
        consent.get_by_role("button", name="Allow").click()
    return consent


def pick_account(surface, title: str = "Connect"):
    account = surface.locator(f'input[type="radio"][name="{AUTH}"]').first
    expect(account).to_be_visible()  # the wizard reloaded with the new account
    heading(surface, title)
    account.check()


def click(target):
    """Click a control of a framed wizard page where it is now. A page taller than the ISV's modal
    scrolls the modal's body (in the host page) to show the control; for a cross-origin frame
    Chromium does that scroll asynchronously, so a click point computed at once can land beside
    the control. Scrolled first, then clicked once its box has stopped moving."""
    target.scroll_into_view_if_needed()
    box = None
    for _ in range(50):
        now = target.bounding_box()
        if now is not None and now == box:
            break
        box = now
        target.page.wait_for_timeout(20)
    target.click()


def next_(surface):
    click(surface.locator("#wizard-next"))


def fill_where_to_post(surface, channel="#alerts", level="Everything", keywords=("deploy", "outage"), threshold="7"):
    surface.get_by_label("Channel").select_option(label=channel)
    surface.get_by_label("Alert level").select_option(label=level)
    for k in keywords:
        surface.get_by_role("checkbox", name=k).check()
    surface.get_by_label("Minimum severity").fill(threshold)


EXPECTED = {
    "external_channel": "C2",
    "external_level": "all",
    "external_keywords": ["deploy", "outage"],
    "external_threshold": 7,
    "external_digest_email": "ops@example.com",
}
