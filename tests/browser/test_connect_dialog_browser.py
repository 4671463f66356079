"""The auth-only dialog in Chromium: an ISV page on another site opens it in a popup, the dialog
opens the connect popup, the person allows access on the sandbox's consent page, and the ISV page
receives tray.authpopup.finish (and nothing from any other origin)."""
from __future__ import annotations

import pytest

from _connect_support import sandbox_config  # noqa: F401  (fixture)
from wizard import identity

pytestmark = pytest.mark.browser

HOST_PAGE = """<!doctype html><html><body>
<button id="open">Connect</button>
<script>
window.received = [];
window.addEventListener("message", function (e) { window.received.push({origin: e.origin, data: e.data}); });
document.getElementById("open").addEventListener("click", function () {
  window.dialog = window.open(document.body.dataset.url, "dialog", "popup,width=500,height=600");
});
</script></body></html>"""


def open_dialog(page, host: str, dialog_url: str):
    """Serve the ISV page at an allowed origin on another site than the wizard, and click its
    Connect button: return the dialog's popup."""
    page.route(f"{host}/isv-page", lambda route: route.fulfill(
        content_type="text/html", body=HOST_PAGE.replace("<body>", f'<body data-url="{dialog_url}">')))
    page.goto(f"{host}/isv-page")
    with page.expect_popup() as dialog_info:
        page.click("#open")
    return dialog_info.value


def test_the_isv_page_receives_tray_authpopup_finish(page, host, live_server, user):
    code = identity.generate_code(user.id)
    dialog_url = f"{live_server}/external/auth/create/emb-1?code={code}&serviceId=sandbox&scopes[]=channels:read"
    dialog = open_dialog(page, host, dialog_url)
    dialog.wait_for_load_state()
    assert "/external/auth/s/" in dialog.url and "code=" not in dialog.url
    with dialog.expect_popup() as popup_info:
        dialog.click("#dialog-connect")
    consent = popup_info.value
    consent.wait_for_load_state()
    consent.click("input[name=allow]")
    page.wait_for_function("window.received.some(m => m.data.type === 'tray.authpopup.finish')")
    received = page.evaluate("window.received")
    finish = [m for m in received if m["data"]["type"] == "tray.authpopup.finish"]
    assert len(finish) == 1 and finish[0]["origin"] == live_server
    assert finish[0]["data"]["authType"] == "oauth" and finish[0]["data"]["authId"]
    from wizard import accounts

    assert accounts.get(finish[0]["data"]["authId"], owner_id=user.id).service == "sandbox"
    assert all(m["data"]["type"].startswith("tray.") for m in received)  # no internal message leaks out


def test_a_used_code_reports_tray_authpopup_error(page, host, live_server, user):
    code = identity.generate_code(user.id)
    identity.consume_code(code)
    dialog_url = f"{live_server}/external/auth/create/emb-1?code={code}&serviceId=sandbox"
    open_dialog(page, host, dialog_url)
    page.wait_for_function("window.received.length > 0")
    (message,) = page.evaluate("window.received")
    assert message["origin"] == live_server
    assert message["data"]["type"] == "tray.authPopup.error"
    assert "already been used" in message["data"]["error"] and message["data"]["err"] == message["data"]["error"]


def test_when_the_provider_cuts_the_opener_the_status_endpoint_tells(page, host, live_server, user, sandbox_config):
    sandbox_config(SANDBOX_CONSENT_COOP=True)  # the consent page severs window.opener
    code = identity.generate_code(user.id)
    dialog_url = f"{live_server}/external/auth/create/emb-1?code={code}&serviceId=sandbox"
    dialog = open_dialog(page, host, dialog_url)
    with dialog.expect_popup() as popup_info:
        dialog.click("#dialog-connect")
    consent = popup_info.value
    consent.wait_for_load_state()
    consent.click("input[name=allow]")
    consent.wait_for_url("**/connect/callback**")
    consent.locator("[data-no-opener]").wait_for(state="visible")  # "You can close this window"
    consent.close()
    page.wait_for_function("window.received.some(m => m.data.type === 'tray.authpopup.finish')")
