"""Issue 5, origins: only allowed origins may frame the wizard (CSP frame-ancestors), the wizard
ignores messages from foreign origins and foreign windows, and it never posts to "*" - only to
the allowed origin of the page that embeds it."""
from __future__ import annotations


import pytest
from playwright.sync_api import expect

from browser_support import wizard_url
from journey import click

pytestmark = pytest.mark.browser

SIMPLE = {
    "id": "simple-origins",
    "title": "Simple",
    "config": [{"externalId": "note", "title": "Note", "type": "string", "required": True}],
}
FRAMER = '<!doctype html><html lang="en"><title>framer</title><iframe title="wizard" src="{src}"></iframe></html>'


@pytest.fixture
def simple_instance(core, user):
    core.publish(SIMPLE)
    return core.create_instance(user.id, SIMPLE["id"])


def test_an_origin_not_allowed_cannot_frame_the_wizard(page, other_server, live_server, allowed_other, simple_instance):
    # Control: an allowed origin frames it.
    other_server.add("/framer-1", FRAMER.format(src=wizard_url(live_server, simple_instance.id)))
    page.goto(allowed_other + "/framer-1")
    expect(page.frame_locator('iframe[title="wizard"]').locator("h1")).to_have_text("Settings")

    # http://evil.localhost:<other port> is not in WIZARD_ALLOWED_ORIGINS: the frame is refused.
    other_server.add("/framer-2", FRAMER.format(src=wizard_url(live_server, simple_instance.id)))
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as msg:
        page.goto(other_server.origin("evil.localhost") + "/framer-2")
    assert "violates" in msg.value.text and "blocked" in msg.value.text
    # Chromium logs the violation before it swaps the frame for its error page: wait for the swap.
    for _ in range(200):
        if page.frames[1].url.startswith("chrome-error://"):
            break
        page.wait_for_timeout(50)
    assert page.frames[1].url.startswith("chrome-error://")
    expect(page.frame_locator('iframe[title="wizard"]').locator("#wizard-form")).to_have_count(0)


def test_nobody_frames_the_demo_page(page, other_server, host, allowed_other):
    other_server.add("/demo-framer", FRAMER.format(src=f"{host}/demo"))
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as msg:
        page.goto(allowed_other + "/demo-framer")
    assert "'none'" in msg.value.text
    expect(page.frame_locator('iframe[title="wizard"]').locator("#event-log")).to_have_count(0)


VALIDATING_HOST = """<!doctype html><html lang="en"><title>host</title>
<iframe title="wizard" id="wizard" src="{src}"></iframe>
<iframe title="sibling-foreign" src="{foreign}/sibling"></iframe>
<iframe title="sibling-same-origin" src="{same}/sibling"></iframe>
<script>
  var wizard = document.getElementById("wizard");
  window.validations = 0;
  window.attacks = 0;
  window.addEventListener("message", function (e) {{
    if (e.data === "attacked") {{ window.attacks += 1; return; }}
    if (e.source !== wizard.contentWindow || e.data.type !== "tray.configPopup.validate") return;
    window.validations += 1;
    // The genuine parent stays silent; two other windows answer in its place.
    document.querySelectorAll('iframe[title^="sibling"]').forEach(function (f) {{
      f.contentWindow.postMessage("attack", "*");
    }});
  }});
  window.answer = function (errors) {{
    wizard.contentWindow.postMessage({{type: "tray.configPopup.client.validation",
                                       data: {{inProgress: false, errors: errors}}}}, "{wizard_origin}");
  }};
</script></html>"""

SIBLING = """<!doctype html><html lang="en"><title>sibling</title><script>
  window.addEventListener("message", function (e) {
    if (e.data !== "attack") return;
    var wizard = parent.frames[0];
    wizard.postMessage({type: "tray.configPopup.client.validation",
                        data: {inProgress: false, errors: {note: "EVIL from " + location.origin}}}, "*");
    wizard.postMessage({type: "tray.configPopup.client.validation", data: {inProgress: false, errors: {}}}, "*");
    parent.postMessage("attacked", "*");
  });
</script></html>"""


def test_validation_answers_from_foreign_windows_are_ignored(page, other_server, live_server, allowed_other,
                                                             simple_instance, app):
    """A sibling frame of another origin, and one of the host's own (allowed) origin, answer the
    wizard's validate: the wizard hears neither (only its parent), times out, and then hears its
    parent."""
    other_server.add("/sibling", SIBLING)
    other_server.add("/validating-host", VALIDATING_HOST.format(
        src=wizard_url(live_server, simple_instance.id, customValidation="true"),
        foreign=other_server.origin("evil.localhost"), same=allowed_other, wizard_origin=live_server))
    app.config["WIZARD_VALIDATION_TIMEOUT_MS"] = 1500
    try:
        page.goto(allowed_other + "/validating-host")
        wizard = page.frame_locator("#wizard")
        expect(wizard.locator("body")).to_have_attribute("data-wizard-ready", "true")
        wizard.get_by_label("Note").fill("hello")
        click(wizard.locator("#wizard-next"))
        page.wait_for_function("window.attacks === 2")
        expect(wizard.locator("#validation-timeout")).to_contain_text("did not answer in time")
        expect(wizard.locator("body")).not_to_contain_text("EVIL")
        expect(wizard.locator("h1#screen-title")).to_have_text("Settings")

        # Control: the parent itself is heard.
        wizard.locator("#validation-retry").click()
        page.wait_for_function("window.validations === 2")
        page.evaluate("window.answer({note: 'The parent says no.'})")
        expect(wizard.locator("#note-client-error")).to_have_text("The parent says no.")
    finally:
        app.config["WIZARD_VALIDATION_TIMEOUT_MS"] = 10000


OPENER = """<!doctype html><html lang="en"><title>opener</title>
<button id="open">Open</button>
<script>
  window.got = [];
  window.addEventListener("message", function (e) { window.got.push({origin: e.origin, type: e.data && e.data.type}); });
  document.getElementById("open").addEventListener("click", function () {
    window.open(document.body.dataset.url || "{url}", "wizard", "popup,width=500,height=600");
  });
</script></html>"""


@pytest.mark.parametrize("who", ["allowed", "evil"])
def test_a_spy_opener_hears_only_if_its_origin_is_allowed(who, page, context, other_server, live_server,
                                                        allowed_other, simple_instance):
    """Never "*": a page of an origin that is not allowed opens the wizard with a valid code and
    hears nothing, where an allowed one hears ready and cancel."""
    origin = allowed_other if who == "allowed" else other_server.origin("evil.localhost")
    other_server.add(f"/opener-{who}", OPENER.replace("{url}", wizard_url(live_server, simple_instance.id)))
    page.goto(f"{origin}/opener-{who}")
    with context.expect_page() as info:
        page.click("#open")
    popup = info.value
    expect(popup.locator("h1#screen-title")).to_have_text("Settings")
    click(popup.locator("#wizard-cancel"))
    expect(popup.locator("h1#screen-title")).to_have_text("Cancelled")
    expect(popup.locator("body")).to_have_attribute("data-wizard-ready", "true")
    # Messages from one window to another arrive in order: once this one is in, any earlier
    # post to this page would be too.
    popup.evaluate("window.opener.postMessage({type: 'sentinel'}, '*')")
    page.wait_for_function("window.got.some(m => m.type === 'sentinel')")
    got = [m["type"] for m in page.evaluate("window.got")]
    if who == "allowed":
        assert [t for t in got if t != "tray.configPopup.resize"] == [
            "tray.configPopup.ready", "tray.configPopup.cancel", "sentinel"]
    else:
        assert got == ["sentinel"]


SPY = """(() => {
  // Runs first in every frame; on the wizard's origin it wraps the windows the wizard posts to
  // (its opener and parent) and reports each postMessage call's target origin.
  if (location.origin !== "%(wizard)s") return;
  function wrap(real, role) {
    if (!real || real === window) return real;
    return new Proxy(real, {
      get(target, key) {
        if (key === "postMessage") {
          return function (message, targetOrigin, transfer) {
            window.__spy({role: role, type: message && message.type, targetOrigin: String(targetOrigin)});
            return target.postMessage(message, targetOrigin, transfer);
          };
        }
        const value = target[key];
        return typeof value === "function" ? value.bind(target) : value;
      }
    });
  }
  const opener = window.opener, parent = window.parent;
  Object.defineProperty(window, "opener", {get: () => wrap(opener, "opener"), configurable: true});
  Object.defineProperty(window, "parent", {get: () => wrap(parent, "parent"), configurable: true});
})();"""


@pytest.mark.parametrize("mode", ["modal", "popup"])
def test_spy_the_wizard_posts_only_to_allowed_origins(mode, page, context, host, live_server, demo_solution, app):
    """A spy wraps the wizard's opener/parent in every wizard frame and records each postMessage's
    target origin through a whole demo journey: never "*", always an allowed origin, and in a
    frame exactly the embedding page's origin."""
    from journey import configure, connect_sandbox, events, fill_where_to_post, heading, next_, open_demo, pick_account

    calls = []
    context.expose_binding("__spy", lambda source, call: calls.append(call))
    context.add_init_script(SPY % {"wizard": live_server})
    open_demo(page, host, mode)
    wizard = configure(page, context, mode)
    connect_sandbox(wizard, context)
    pick_account(wizard)
    next_(wizard)
    fill_where_to_post(wizard)
    next_(wizard)
    heading(wizard, "Details")
    next_(wizard)
    heading(wizard, "Review and finish")
    click(wizard.locator("#wizard-finish"))
    expect(events(page, "tray.configPopup.finish")).to_have_count(1)

    tray = [c for c in calls if (c["type"] or "").startswith("tray.")]
    assert {c["type"] for c in tray} >= {"tray.configPopup.ready", "tray.configPopup.finish"}
    assert all(c["targetOrigin"] != "*" for c in calls), calls
    allowed = set(app.config["WIZARD_ALLOWED_ORIGINS"])
    assert {c["targetOrigin"] for c in tray} <= allowed
    if mode == "modal":
        assert {c["targetOrigin"] for c in tray} == {host}  # location.ancestorOrigins names it
        # "ready" when the first screen is shown, not on each of the five pages (docs/events.md)
        assert [c["type"] for c in tray].count("tray.configPopup.ready") == 1
    # The OAuth popup reports to the wizard on the wizard's own origin only.
    assert {c["targetOrigin"] for c in calls if not (c["type"] or "").startswith("tray.")} <= {live_server}
