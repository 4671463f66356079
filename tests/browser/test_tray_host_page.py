"""A host page written the way Tray's public samples write theirs, unchanged but for the wizard's
host: the popup is opened inside the click with `window.open(undefined, '_blank', ...)` and given
its `location` once the backend has answered; one `message` listener with no origin check closes
the popup on finish, cancel and error; `tray.configPopup.client.validation` is posted with target
'*'. The page is served by the suite's second server from an origin the test allows
(`allowed_other`), so the production app serves nothing for it."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from browser_support import fresh_instance, wizard_url
from journey import click

pytestmark = pytest.mark.browser

SOLUTION = {
    "id": "tray-host",
    "title": "Tray host",
    "config": [{"externalId": "external_note", "title": "Note", "type": "string", "required": True}],
}

# As in trayio/embedded-edition-sample-app (src/lib/configWindow.js), with the backend's answer
# (the wizard URL) written into the page instead of fetched.
TRAY_HOST = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme integrations</title></head>
<body><main><h1>Acme integrations</h1><button id="configure">Configure</button>
<ul id="log"></ul></main>
<script>
var WIZARD_URL = %(url)s;
var log = function (text) {
  var li = document.createElement("li"); li.textContent = text; document.getElementById("log").appendChild(li);
};
var openConfigWindow = function () {
  // Must open window from user interaction code otherwise it is likely to be blocked by a popup blocker
  var configWindow = window.open(undefined, '_blank', 'width=500,height=500,scrollbars=no');
  var configFinished = false;
  var onmessage = function (e) {
    if (!e.data || !e.data.type) return;
    log(e.data.type);
    if (e.data.type === 'tray.configPopup.error') {
      log('error: ' + e.data.err);
      configWindow.close();
    }
    if (e.data.type === 'tray.configPopup.cancel') {
      configWindow.close();
    }
    if (e.data.type === 'tray.configPopup.finish') {
      configFinished = true;
      configWindow.close();
    }
    if (e.data.type === 'tray.configPopup.validate') {
      configWindow.postMessage({type: 'tray.configPopup.client.validation', data: {inProgress: true}}, '*');
      setTimeout(function () {
        var errors = {};
        e.data.data.visibleValues.forEach(function (externalId) {
          if (e.data.data.configValues[externalId] === 'bad') { errors[externalId] = 'Acme refuses "bad".'; }
        });
        configWindow.postMessage({type: 'tray.configPopup.client.validation',
                                  data: {inProgress: false, errors: errors}}, '*');
      }, 300);
    }
  };
  window.addEventListener('message', onmessage);
  var checkWindow = function () {
    if (configWindow.closed) {
      log(configFinished ? 'closed after finish' : 'closed unfinished');
      window.removeEventListener('message', onmessage);
    } else {
      setTimeout(checkWindow, 200);
    }
  };
  checkWindow();
  return configWindow;
};
document.getElementById('configure').addEventListener('click', function () {
  var configWindow = openConfigWindow();
  // the backend answers the URL a moment later
  setTimeout(function () { configWindow.location = WIZARD_URL; }, 100);
});
</script></body></html>"""


@pytest.fixture
def tray_instance(core, user):
    core.publish(SOLUTION)
    return core.create_instance(user.id, SOLUTION["id"])


def host_page(other_server, url: str, name: str) -> str:
    return other_server.add(f"/{name}", TRAY_HOST % {"url": json.dumps(url)})


def open_wizard(page, context, allowed_other, path):
    page.goto(allowed_other + path)
    with context.expect_page() as info:
        page.locator("#configure").click()
    popup = info.value
    popup.wait_for_url("**/configure/*/s/**")
    expect(popup.locator("body")).to_have_attribute("data-wizard-ready", "true")
    return popup


def logged(page):
    return page.locator("#log li")


@pytest.mark.parametrize("custom_validation", [False, True])
def test_a_tray_host_page_runs_a_journey_to_finish(page, context, live_server, other_server, allowed_other,
                                                   tray_instance, custom_validation):
    params = {"customValidation": "true"} if custom_validation else {}
    path = host_page(other_server, wizard_url(live_server, tray_instance.id, **params), f"host-{custom_validation}")
    popup = open_wizard(page, context, allowed_other, path)
    expect(logged(page).filter(has_text="tray.configPopup.ready")).to_have_count(1)
    note = popup.get_by_label("Note")
    if custom_validation:
        note.fill("bad")
        click(popup.locator("#wizard-next"))
        expect(popup.locator("#external_note-client-error")).to_have_text('Acme refuses "bad".')
        expect(logged(page).filter(has_text="tray.configPopup.validate")).to_have_count(1)
    note.fill("fine")
    click(popup.locator("#wizard-next"))
    expect(popup.locator("h1#screen-title")).to_have_text("Review and finish")
    with popup.expect_event("close"):  # the sample's listener closes it on finish
        click(popup.locator("#wizard-finish"))
    expect(logged(page).filter(has_text="tray.configPopup.finish")).to_have_count(1)
    expect(logged(page).filter(has_text="closed after finish")).to_have_count(1)
    expect(logged(page).filter(has_text="tray.configPopup.error")).to_have_count(0)
    inst = fresh_instance(tray_instance.id)
    assert inst.enabled and inst.config_values == {"external_note": "fine"}
    if custom_validation:  # validated on Next and again on Finish
        expect(logged(page).filter(has_text="tray.configPopup.validate")).to_have_count(3)


def test_the_sample_listener_closes_the_popup_on_cancel(page, context, live_server, other_server, allowed_other,
                                                        tray_instance):
    path = host_page(other_server, wizard_url(live_server, tray_instance.id), "host-cancel")
    popup = open_wizard(page, context, allowed_other, path)
    with popup.expect_event("close"):
        click(popup.locator("#wizard-cancel"))
    expect(logged(page).filter(has_text="tray.configPopup.cancel")).to_have_count(1)
    expect(logged(page).filter(has_text="closed unfinished")).to_have_count(1)
    assert not fresh_instance(tray_instance.id).enabled


def test_the_sample_listener_closes_the_popup_on_error(page, context, live_server, other_server, allowed_other,
                                                       tray_instance):
    used = wizard_url(live_server, tray_instance.id)
    from urllib.parse import parse_qs, urlsplit

    from wizard import identity

    identity.consume_code(parse_qs(urlsplit(used).query)["code"][0])  # the code is used up before the page opens it
    path = host_page(other_server, used, "host-error")
    page.goto(allowed_other + path)
    with context.expect_page() as info:
        page.locator("#configure").click()
    popup = info.value
    popup.wait_for_event("close")
    expect(logged(page).filter(has_text="error: This link has already been used")).to_have_count(1)
    expect(logged(page).filter(has_text="closed unfinished")).to_have_count(1)


# As in the sample app's iframe component (src/components/ConfigWizard.js): a "Loading..." overlay
# hidden on tray.configPopup.ready, the frame removed on finish, cancel or error.
TRAY_IFRAME_HOST = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme integrations</title></head>
<body><main><h1>Acme integrations</h1><div id="loading">Loading...</div>
<iframe id="wizard" title="Configure" style="width:100%%;height:600px;border:0" src=%(url)s></iframe>
<ul id="log"></ul></main>
<script>
window.addEventListener('message', function (e) {
  if (!e.data || !e.data.type) return;
  var li = document.createElement('li'); li.textContent = e.data.type; document.getElementById('log').appendChild(li);
  if (e.data.type === 'tray.configPopup.ready') { document.getElementById('loading').style.display = 'none'; }
  if (['tray.configPopup.finish', 'tray.configPopup.cancel', 'tray.configPopup.error'].indexOf(e.data.type) !== -1) {
    var frame = document.getElementById('wizard'); if (frame) frame.remove();
  }
});
</script></body></html>"""


def test_a_tray_iframe_host_hides_its_overlay_on_ready_and_removes_the_frame_on_finish(
        page, live_server, other_server, allowed_other, tray_instance):
    path = other_server.add("/iframe-host", TRAY_IFRAME_HOST % {
        "url": json.dumps(wizard_url(live_server, tray_instance.id))})
    page.goto(allowed_other + path)
    expect(page.locator("#loading")).to_be_hidden()
    frame = page.frame_locator("#wizard")
    frame.get_by_label("Note").fill("framed")
    click(frame.locator("#wizard-next"))
    expect(frame.locator("h1#screen-title")).to_have_text("Review and finish")
    click(frame.locator("#wizard-finish"))
    expect(page.locator("#wizard")).to_have_count(0)
    expect(logged(page).filter(has_text="tray.configPopup.finish")).to_have_count(1)
    assert fresh_instance(tray_instance.id).config_values == {"external_note": "framed"}
