"""The host SDK (static/embed.js) against a scripted peer on another origin: every branch of
docs/events.md's "host SDK", including messages the real wizard never sends (spoofs, resize, auth)."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from browser_pages import HOST, PEER, SPOOF

pytestmark = pytest.mark.browser


@pytest.fixture
def sdk(other_server, live_server):
    host_origin = other_server.origin("localhost")
    peer = other_server.origin("127.0.0.1") + "/peer"
    other_server.add("/sdk-host", HOST.format(live=live_server, peer=peer))
    other_server.add("/peer", PEER.format(host_origin=host_origin))
    other_server.add("/spoof", SPOOF.format())
    return other_server


@pytest.fixture
def host_page(page, sdk):
    page.goto(sdk.origin("localhost") + "/sdk-host")
    return page


def log(page, type_):
    return page.locator(f'#log li[data-type="{type_}"]')


def received(peer_page) -> list[dict]:
    return [json.loads(t) for t in peer_page.locator("#got li").all_text_contents()]


def test_popup_opens_inside_the_click_before_the_url_is_known(host_page, context):
    host_page.evaluate("window.holdUrl = true")
    with context.expect_page() as info:
        host_page.click("#popup")
    popup = info.value
    assert host_page.evaluate("window.openedInClick") is True
    assert popup.url == "about:blank"  # opened in the click, navigated later
    host_page.evaluate("window.releaseUrl()")
    popup.wait_for_url("**/peer?mode=popup#wizardHost=*")
    expect(log(host_page, "ready")).to_have_count(1)
    assert popup.evaluate("window.opener !== null")


def test_a_script_without_a_click_is_blocked(page, sdk):
    """Control for the test above: Chromium's popup blocker is on in this suite."""
    sdk.add("/naive", "<!doctype html><title>naive</title><script>"
                      "window.result = window.open('about:blank', 'x') ? 'opened' : 'blocked';</script>")
    page.goto(sdk.origin("localhost") + "/naive")
    assert page.evaluate("window.result") == "blocked"


def test_finish_closes_the_popup_and_routes_the_data(host_page, context):
    with context.expect_page() as info:
        host_page.click("#popup")
    popup = info.value
    expect(log(host_page, "ready")).to_have_count(1)
    popup.evaluate("send({type: 'tray.configPopup.ready', data: {solutionInstanceId: 'inst-1'}})")  # next page
    with popup.expect_event("close"):
        popup.evaluate("send({type: 'tray.configPopup.finish', data: {solutionInstanceId: 'inst-1', enabled: true}})")
    expect(log(host_page, "finish")).to_have_text('finish {"solutionInstanceId":"inst-1","enabled":true}')
    expect(log(host_page, "ready")).to_have_count(1)  # once per opening
    assert host_page.evaluate("window.handle.isOpen()") is False


def test_a_popup_closed_by_the_user_is_a_cancel(host_page, context):
    with context.expect_page() as info:
        host_page.click("#popup")
    popup = info.value
    expect(log(host_page, "ready")).to_have_count(1)
    popup.close()
    expect(log(host_page, "cancel")).to_have_text('cancel {"solutionInstanceId":"inst-1","reason":"closed"}')
    expect(log(host_page, "finish")).to_have_count(0)


def test_opening_twice_gives_each_event_once(host_page, context):
    for round_ in (1, 2):
        with context.expect_page() as info:
            host_page.click("#popup")
        popup = info.value
        expect(log(host_page, "ready")).to_have_count(round_)
        with popup.expect_event("close"):
            popup.evaluate("send({type: 'tray.configPopup.finish', data: {solutionInstanceId: 'inst-1', enabled: true}})")
        expect(log(host_page, "finish")).to_have_count(round_)
    # A round trip through the page proves nothing more is queued: still exactly two of each.
    host_page.evaluate("() => new Promise(r => setTimeout(r, 0))")
    expect(log(host_page, "ready")).to_have_count(2)
    expect(log(host_page, "finish")).to_have_count(2)
    expect(log(host_page, "cancel")).to_have_count(0)


def test_url_failure_closes_the_popup_and_reports_an_error(host_page, context):
    host_page.evaluate("window.holdUrl = true")
    with context.expect_page() as info:
        host_page.click("#popup")
    popup = info.value
    with popup.expect_event("close"):
        host_page.evaluate("window.failUrl()")
    expect(log(host_page, "error")).to_contain_text('"code":"url_failed"')
    expect(log(host_page, "cancel")).to_have_count(0)


def test_validation_answers_in_progress_then_the_errors_to_the_wizard_origin_only(host_page, context, sdk):
    host_page.evaluate("() => { window.validationAnswer = (d) => new Promise(r => { window.answer = r; }); }")
    with context.expect_page() as info:
        host_page.click("#popup")
    popup = info.value
    expect(log(host_page, "ready")).to_have_count(1)
    popup.evaluate("send({type: 'tray.configPopup.validate', data: {visibleValues: ['a'], configValues: {a: 1}}})")
    got = popup.locator("#got li")
    expect(got).to_have_count(1)
    assert received(popup) == [{"type": "tray.configPopup.client.validation", "data": {"inProgress": True}}]
    expect(log(host_page, "validate")).to_have_text('validate {"visibleValues":["a"],"configValues":{"a":1}}')
    host_page.evaluate("window.answer({a: 'Not that one.', empty: '', nothing: null})")
    expect(got).to_have_count(2)
    assert received(popup)[1] == {"type": "tray.configPopup.client.validation",
                                  "data": {"inProgress": False, "errors": {"a": "Not that one."}}}
    assert {li.get_attribute("data-origin") for li in got.all()} == {sdk.origin("localhost")}


def test_a_superseded_validation_is_not_answered(host_page, context):
    """Retry after a timeout: only the newest request gets an answer."""
    host_page.evaluate("() => { window.answers = []; window.validationAnswer = () => new Promise(r => window.answers.push(r)); }")
    with context.expect_page() as info:
        host_page.click("#popup")
    popup = info.value
    expect(log(host_page, "ready")).to_have_count(1)
    for _ in range(2):
        popup.evaluate("send({type: 'tray.configPopup.validate', data: {visibleValues: [], configValues: {}}})")
    expect(log(host_page, "validate")).to_have_count(2)
    host_page.evaluate("window.answers[0]({x: 'stale'}); window.answers[1]({})")
    got = popup.locator("#got li")
    expect(got).to_have_count(3)  # two inProgress, one answer
    assert received(popup)[2]["data"] == {"inProgress": False, "errors": {}}


def test_modal_is_an_accessible_dialog_that_traps_focus_and_cancels_on_escape(host_page):
    host_page.click("#modal")
    dialog = host_page.get_by_role("dialog", name="Configure Peer")
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    frame = host_page.frame_locator('iframe[title="Configure Peer"]')
    expect(frame.locator("h1")).to_have_text("Peer")
    expect(log(host_page, "ready")).to_have_count(1)
    # The page behind is inert while the dialog is open.
    assert host_page.evaluate("document.querySelector('main').inert") is True
    # Resize events size the frame.
    host_page.frames[-1].evaluate("send({type: 'tray.configPopup.resize', data: {height: 432}})")
    expect(host_page.locator('iframe[title="Configure Peer"]')).to_have_attribute("style", "display: block; width: 100%; border: 0px; height: 432px;")
    # Focus stays in the dialog: Tab goes from the close button into the frame and round again.
    close = dialog.get_by_role("button", name="Close")
    close.focus()
    host_page.keyboard.press("Tab")
    host_page.wait_for_function("document.activeElement.tagName === 'IFRAME'")
    host_page.keyboard.press("Tab")  # past the peer's only button: back to the close button
    expect(close).to_be_focused()
    host_page.keyboard.press("Shift+Tab")
    host_page.wait_for_function("document.activeElement.tagName === 'IFRAME'")
    close.focus()
    host_page.keyboard.press("Escape")
    expect(log(host_page, "cancel")).to_have_text('cancel {"solutionInstanceId":"inst-1","reason":"escape"}')
    expect(host_page.get_by_role("dialog")).to_have_count(0)
    expect(host_page.locator("#modal")).to_be_focused()  # focus goes back where it was
    assert host_page.evaluate("document.querySelector('main').inert") is False


def test_modal_finish_removes_the_frame(host_page):
    host_page.click("#modal")
    expect(log(host_page, "ready")).to_have_count(1)
    host_page.frames[-1].evaluate("send({type: 'tray.configPopup.finish', data: {solutionInstanceId: 'inst-1', enabled: false}})")
    expect(log(host_page, "finish")).to_have_count(1)
    expect(host_page.locator("iframe")).to_have_count(0)


def test_inline_iframe_in_a_container(host_page):
    host_page.click("#inline")
    expect(host_page.locator("#box iframe")).to_have_count(1)
    expect(log(host_page, "ready")).to_have_count(1)
    host_page.frames[-1].evaluate("send({type: 'tray.configPopup.cancel', data: {solutionInstanceId: 'inst-1'}})")
    # A cancel without a reason (a Tray-era wizard) gets the one for the wizard's own Cancel.
    expect(log(host_page, "cancel")).to_have_text('cancel {"solutionInstanceId":"inst-1","reason":"cancel"}')
    expect(host_page.locator("#box iframe")).to_have_count(0)


def test_the_wizard_url_names_this_pages_origin_in_its_fragment(host_page, sdk):
    """The hint the wizard uses to post to this page alone (docs/events.md, "Origins")."""
    host_page.click("#inline")
    expect(log(host_page, "ready")).to_have_count(1)
    src = host_page.locator("#box iframe").get_attribute("src")
    assert src.endswith("/peer?mode=iframe#wizardHost=" + sdk.origin("localhost").replace(":", "%3A").replace("/", "%2F"))


@pytest.mark.parametrize("button, closes", [("#modal", True), ("#popup", True), ("#inline", False)])
def test_the_wizards_escape_event_cancels_a_modal_or_popup_with_reason_escape(host_page, context, button, closes):
    if button == "#popup":
        with context.expect_page() as info:
            host_page.click(button)
        peer = info.value
    else:
        host_page.click(button)
        peer = None
    expect(log(host_page, "ready")).to_have_count(1)
    peer_frame = peer or host_page.frames[-1]
    peer_frame.evaluate("send({type: 'tray.configPopup.escape', data: {solutionInstanceId: 'inst-1'}})")
    if closes:
        expect(log(host_page, "cancel")).to_have_text('cancel {"solutionInstanceId":"inst-1","reason":"escape"}')
        assert host_page.evaluate("window.handle.isOpen()") is False
    else:  # an inline iframe is part of the page: nothing to close
        host_page.wait_for_timeout(300)
        expect(log(host_page, "cancel")).to_have_count(0)
        assert host_page.evaluate("window.handle.isOpen()") is True


def test_messages_from_a_foreign_origin_or_a_foreign_window_are_ignored(host_page, sdk):
    host_page.click("#inline")
    expect(log(host_page, "ready")).to_have_count(1)
    finish = "spoof({type: 'tray.configPopup.finish', data: {solutionInstanceId: 'inst-1', enabled: true}})"
    # Another window of the wizard's own origin (right origin, wrong source) ...
    # ... and a window of another origin (wrong origin): both framed by the host page.
    for origin in (sdk.origin("127.0.0.1"), sdk.origin("other.localhost")):
        host_page.evaluate("""(src) => new Promise(r => { const f = document.createElement('iframe');
            f.title = 'spoof'; f.src = src; f.onload = r; document.body.appendChild(f); })""", origin + "/spoof")
        spoof = host_page.frames[-1]
        assert spoof.url.startswith(origin)
        spoof.evaluate(finish)
        spoof.evaluate("spoof({type: 'tray.configPopup.validate', data: {visibleValues: [], configValues: {}}})")
    # The genuine frame is still heard, and only it.
    wizard = next(f for f in host_page.frames if f.url.startswith(sdk.origin("127.0.0.1") + "/peer"))
    wizard.evaluate("send({type: 'tray.configPopup.error', err: 'real', error: 'real', data: {code: 'x'}})")
    expect(log(host_page, "error")).to_have_count(1)
    expect(log(host_page, "finish")).to_have_count(0)
    expect(log(host_page, "validate")).to_have_count(0)
    expect(host_page.locator("#box iframe")).to_have_count(1)


def test_auth_dialog_routes_its_three_events(host_page, context):
    with context.expect_page() as info:
        host_page.click("#auth")
    popup = info.value
    popup.wait_for_url("**/peer?mode=popup#wizardHost=*")
    popup.evaluate("send({type: 'tray.authPopup.error', error: 'denied', err: 'denied'})")
    expect(log(host_page, "error")).to_contain_text('"message":"denied"')
    # The configuration wizard's events mean nothing to the auth dialog.
    popup.evaluate("send({type: 'tray.configPopup.finish', data: {}})")
    with popup.expect_event("close"):
        popup.evaluate("send({type: 'tray.authpopup.finish', authType: 'oauth', authId: 'auth-9'})")
    expect(log(host_page, "finish")).to_have_text('finish {"authType":"oauth","authId":"auth-9"}')

    with context.expect_page() as info:
        host_page.click("#auth")
    popup = info.value
    popup.wait_for_url("**/peer?mode=popup#wizardHost=*")
    with popup.expect_event("close"):
        popup.evaluate("send({type: 'tray.authpopup.close'})")
    expect(log(host_page, "cancel")).to_have_text('cancel {"reason":"cancel"}')
    expect(log(host_page, "finish")).to_have_count(1)


def test_a_long_title_never_overflows_the_modal(host_page):
    """Issue 27: an instance's name is up to 100 characters (MAX_INSTANCE_NAME); the demo puts it
    in the modal's title, which ends in an ellipsis beside an untouched close button."""
    host_page.set_viewport_size({"width": 390, "height": 844})
    long_title = "Configure " + "Wörterbuch-Synchronisation " * 4
    host_page.evaluate("(t) => { window.handle = ConfigWizard.open(options('modal', {title: t})); }", long_title)
    dialog = host_page.get_by_role("dialog", name=long_title)
    expect(dialog).to_be_visible()
    title = dialog.locator("span").first
    close = dialog.get_by_role("button", name="Close")
    t, c, d = title.bounding_box(), close.bounding_box(), dialog.bounding_box()
    assert t["x"] + t["width"] <= c["x"] + 0.5  # the title ends before the close button
    assert c["x"] + c["width"] <= d["x"] + d["width"] + 0.5 and c["width"] >= 40  # which is whole
    assert d["x"] + d["width"] <= 390
    assert title.evaluate("e => e.scrollWidth > e.clientWidth")  # cut, with an ellipsis
    assert title.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"
