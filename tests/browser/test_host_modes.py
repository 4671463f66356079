"""Issue 27, the host page's side of the journey: the demo offers the three modes of the SDK
(popup, modal iframe, inline iframe); in each, the wizard posts only to the host page's own
origin, so no browser has a post to drop with an origin-mismatch warning in the host's console;
every cancel carries one `reason` (`cancel`, `closed`, `escape`); Esc pressed anywhere inside the
wizard closes a modal or popup as Esc on the host page does.

How the posts are seen: Chromium with site isolation drops a cross-site post whose target origin
does not match without a console line that Playwright could read (Firefox prints the warning), so
an init script in the wizard's pages wraps its opener/parent and logs the target origin of each
post to the console, where the test reads it."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from journey import FRAME, click, configure, events, heading, next_, open_demo

pytestmark = pytest.mark.browser

INLINE = "#wizard-inline iframe"


def surface_of(page, wizard, mode):
    return page.frame_locator(INLINE) if mode == "iframe" else wizard


# In every wizard page (and only there): window.opener / window.parent replaced by a wrapper that
# logs each post's target origin, then posts as asked.
RECORD_POSTS = """(() => {
  if (location.hostname !== "127.0.0.1" || !location.pathname.startsWith("/configure/")) return;
  function wrap(w) {
    if (!w || w === window) return w;
    return {postMessage: function (m, origin) { console.log("wizard-post " + origin + " " + (m && m.type));
                                                w.postMessage(m, origin); },
            get closed() { return w.closed; }, focus: function () { w.focus(); }};
  }
  var opener = wrap(window.opener), parent = window.parent === window ? window : wrap(window.parent);
  Object.defineProperty(window, "opener", {get: function () { return opener; }});
  Object.defineProperty(window, "parent", {get: function () { return parent; }});
})();"""


def record_posts(context) -> list[tuple[str, str]]:
    posts = []
    context.add_init_script(RECORD_POSTS)

    def on_console(m):
        if m.text.startswith("wizard-post "):
            _, origin, type_ = m.text.split(" ", 2)
            posts.append((origin, type_))
    context.on("console", on_console)
    return posts


@pytest.mark.parametrize("mode", ["popup", "modal", "iframe"])
def test_each_mode_of_the_demo_posts_only_to_the_host_and_cancels_with_a_reason(
        mode, page, context, host, demo_solution):
    posts = record_posts(context)
    open_demo(page, host, mode)
    wizard = surface_of(page, configure(page, context, mode), mode)
    if mode == "iframe":  # in the page itself, not in a dialog
        expect(page.locator("#wizard-inline-panel")).to_be_visible()
        expect(page.get_by_role("dialog")).to_have_count(0)
    heading(wizard, "Connect")
    expect(events(page, "tray.configPopup.ready")).to_have_count(1)
    next_(wizard)  # refused (no account): another page, more events (resize)
    expect(wizard.locator("#error-summary")).to_be_visible()
    heading(wizard, "Connect")
    if mode == "popup":
        with wizard.expect_event("close"):
            click(wizard.locator("#wizard-cancel"))
    else:
        click(wizard.locator("#wizard-cancel"))
        expect(page.locator("iframe[data-config-wizard]")).to_have_count(0)
    cancel = events(page, "tray.configPopup.cancel")
    expect(cancel).to_have_count(1)
    expect(cancel).to_have_attribute("data-reason", "cancel")  # the wizard's own Cancel
    expect(page.locator("#wizard-inline-panel")).to_be_hidden()
    types = {t for _, t in posts}
    assert {"tray.configPopup.ready", "tray.configPopup.cancel"} <= types, posts
    assert {o for o, _ in posts} == {host}, posts  # the host's origin only: nothing to drop or warn about


def test_without_the_sdks_hint_a_popup_posts_to_every_allowed_origin(page, context, host, demo_solution, app):
    """Control for the test above: a host that opens the wizard by hand (no #wizardHost hint) gets
    one post per allowed origin, and the browser drops (and may warn about) all but its own."""
    posts = record_posts(context)
    open_demo(page, host, "popup")
    url = page.evaluate("() => fetch('/demo/api/instances', {method: 'POST', headers: {'Content-Type': 'application/json', "
                        "'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}, "
                        "body: JSON.stringify({solutionId: 'slack-alerts'})}).then(r => r.json()).then(j => j.url)")
    with context.expect_page() as info:
        page.evaluate("(url) => { window.manual = window.open(url, 'manual'); }", url)
    heading(info.value, "Connect")
    expect(events(page, "tray.configPopup.ready")).to_have_count(0)  # no SDK listening: fine
    ready_targets = {o for o, t in posts if t == "tray.configPopup.ready"}
    assert ready_targets == set(app.config["WIZARD_ALLOWED_ORIGINS"]) and len(ready_targets) > 1, posts


def test_a_hint_naming_an_origin_that_is_not_allowed_is_ignored(page, context, host, demo_solution, app, live_server):
    """From the attacker's side: a wizard URL whose #wizardHost names another origin posts to it
    never; the wizard falls back to its allowed origins."""
    posts = record_posts(context)
    open_demo(page, host, "popup")
    url = page.evaluate("() => fetch('/demo/api/instances', {method: 'POST', headers: {'Content-Type': 'application/json', "
                        "'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}, "
                        "body: JSON.stringify({solutionId: 'slack-alerts'})}).then(r => r.json()).then(j => j.url)")
    with context.expect_page() as info:
        page.evaluate("(url) => { window.open(url + '#wizardHost=' + encodeURIComponent('http://evil.localhost:1'), 'x'); }", url)
    heading(info.value, "Connect")
    assert posts and "http://evil.localhost:1" not in {o for o, _ in posts}, posts
    assert {o for o, _ in posts} <= set(app.config["WIZARD_ALLOWED_ORIGINS"])


@pytest.mark.parametrize("mode", ["modal", "popup"])
def test_escape_inside_the_wizard_closes_it_as_a_cancel_with_reason_escape(mode, page, context, host, demo_solution):
    open_demo(page, host, mode)
    wizard = configure(page, context, mode)
    heading(wizard, "Connect")
    wizard.locator("#wizard-next").focus()  # focus inside the wizard, not on the host's ×
    # Esc goes down only: the wizard answers on keydown and is gone (window closed, frame removed)
    # before a key-up could reach it, which would leave Playwright waiting for an answer.
    if mode == "popup":
        with wizard.expect_event("close"):
            wizard.keyboard.down("Escape")
    else:
        page.keyboard.down("Escape")
        expect(page.locator(FRAME)).to_have_count(0)
        expect(page.get_by_role("dialog")).to_have_count(0)
    cancel = events(page, "tray.configPopup.cancel")
    expect(cancel).to_have_count(1)
    expect(cancel).to_have_attribute("data-reason", "escape")


def test_escape_inside_a_field_of_a_later_screen_too(page, context, host, demo_solution):
    """Esc from a text field deep in the journey, in the modal."""
    from journey import connect_sandbox, fill_where_to_post, pick_account

    open_demo(page, host, "modal")
    wizard = configure(page, context, "modal")
    connect_sandbox(wizard, context)
    pick_account(wizard)
    next_(wizard)
    heading(wizard, "Where to post")
    fill_where_to_post(wizard)
    wizard.get_by_label("Minimum severity").focus()
    page.keyboard.down("Escape")  # down only, as above
    expect(page.locator(FRAME)).to_have_count(0)
    expect(events(page, "tray.configPopup.cancel")).to_have_attribute("data-reason", "escape")


def test_escape_in_an_inline_iframe_leaves_it_to_the_page(page, context, host, demo_solution):
    """An inline iframe is part of the page: Esc inside it is reported (onEvent) but closes nothing."""
    open_demo(page, host, "iframe")
    configure(page, context, "iframe")
    wizard = page.frame_locator(INLINE)
    heading(wizard, "Connect")
    wizard.locator("#wizard-next").focus()
    page.keyboard.press("Escape")
    expect(events(page, "tray.configPopup.escape")).to_have_count(1)  # the page heard it (onEvent)
    expect(page.locator(INLINE)).to_have_count(1)
    expect(events(page, "tray.configPopup.cancel")).to_have_count(0)
