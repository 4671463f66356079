"""Cross-site for real: the control test proving Chromium refuses unpartitioned third-party
cookies in these tests, so the journeys that pass elsewhere in the suite pass without them."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PROBE = """<!doctype html><title>cookie probe</title>
<script>document.cookie = "probe_script=1; SameSite=None; Secure; Path=/";</script>
<p id="cookies"></p>
<script>
  document.getElementById("cookies").textContent = document.cookie || "(none)";
  fetch("/__echo-cookies").then(r => r.text()).then(t => {
    document.getElementById("cookies").dataset.echo = t || "(none)";
  });
</script>"""


@pytest.fixture
def probe(other_server):
    # An ordinary cookie, SameSite=None; Secure (allowed on http://127.0.0.1: a trustworthy origin),
    # set by a response header and by script.
    other_server.add("/cookie-probe", PROBE, headers={"Set-Cookie": "probe_header=1; SameSite=None; Secure; Path=/"})
    other_server.add("/cookie-host", f'<!doctype html><title>host</title><iframe title="probe" '
                                     f'src="{other_server.origin("127.0.0.1")}/cookie-probe"></iframe>')
    return other_server


def test_the_same_cookie_is_kept_first_party(page, probe):
    """The control's control: the probe's cookies are valid when the probe is the top page."""
    page.goto(probe.origin("127.0.0.1") + "/cookie-probe")
    cookies = page.locator("#cookies")
    expect(cookies).to_have_attribute("data-echo", "probe_header=1; probe_script=1")
    expect(cookies).to_have_text("probe_header=1; probe_script=1")


def test_third_party_cookies_are_refused_in_a_cross_site_frame(page, probe, context):
    """CONTROL: framed by http://localhost:<port> (another site), 127.0.0.1's cookies are refused:
    neither the Set-Cookie header nor document.cookie stores one, and the server gets none back."""
    page.goto(probe.origin("localhost") + "/cookie-host")
    frame = page.frame_locator('iframe[title="probe"]')
    expect(frame.locator("#cookies")).to_have_attribute("data-echo", "(none)")
    expect(frame.locator("#cookies")).to_have_text("(none)")
    assert [c["name"] for c in context.cookies()] == []
