"""A user who did not allow the scope a dropdown needs is told which permission is missing and
reconnects from the dropdown itself: consent without the scope, the message with Reconnect (no
Retry), Reconnect allowing it, then the options load. Real Chromium, the sandbox's consent page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from _connect_support import sandbox_config, sandbox_credentials  # noqa: F401  (fixture)
from browser_support import fresh_instance, run_axe, shoot, wizard_url
from journey import click, heading, next_
from test_option_scopes import loose

pytestmark = pytest.mark.browser

CHANNELS = "List the workspace's channels"
DEFINITION = {"id": "loose-alerts", "title": "Loose alerts", "auth": [
    {"externalId": "ws", "service": "loose", "title": "Your workspace", "scopes": ["channels:read"]}],
    "screens": [{"title": "Connect", "slots": ["ws"]}, {"title": "Channel", "slots": [
        {"externalId": "channel", "title": "Channel", "type": "select", "required": True,
         "options": {"source": "loose.channels", "auth": "ws"}}]}]}


def consent(context, link, *, channels: bool):
    """Click a Connect/Reconnect link; answer the sandbox's consent page in its popup."""
    with context.expect_page() as info:
        link.click()
    popup = info.value
    expect(popup.locator("h1")).to_contain_text("wants to access your Sandbox workspace")
    box = popup.get_by_label(CHANNELS)
    expect(box).to_be_checked()  # asked for
    if not channels:
        box.uncheck()
    popup.get_by_role("button", name="Allow").click()
    return popup


def test_consent_without_the_scope_then_reconnect_with_it_then_the_options_load(
        page, context, live_server, app, core, user, tmp_path, sandbox_config, monkeypatch):
    # A service that does not check granted scopes (its provider does not echo them), so that the
    # connection is made without the scope and only the API's 403 tells.
    sandbox_credentials(app, monkeypatch, "LOOSE")
    services = tmp_path / "services.yaml"
    services.write_text(loose(live_server))
    sandbox_config(WIZARD_SERVICES_FILE=str(services))
    from wizard.cli import known_services

    core.publish(DEFINITION, known_services=known_services())
    inst = core.create_instance(user.id, "loose-alerts", "")

    page.goto(wizard_url(live_server, inst.id))
    heading(page, "Connect")
    consent(context, page.locator("#ws-connect"), channels=False)
    account = page.locator('input[type="radio"][name="ws"]').first
    expect(account).to_be_visible()  # the wizard reloaded with the new account
    heading(page, "Connect")
    account.check()
    next_(page)

    heading(page, "Channel")
    note = page.locator("#channel-note")
    expect(note).to_contain_text(f"has not given the permission \u201c{CHANNELS}\u201d (channels:read)")
    expect(page.locator("#channel-retry")).to_have_count(0)
    expect(page.get_by_label("Channel").locator("option")).to_have_count(1)  # only "Choose"
    reconnect = page.get_by_role("link", name="Reconnect and allow it")
    run_axe(page, "options-missing-scope")
    shoot(page, "options-missing-scope")

    consent(context, reconnect, channels=True)
    heading(page, "Channel")  # reloaded once the popup reported the reconnection
    expect(page.locator("#channel-note")).to_have_count(0)
    page.get_by_label("Channel").select_option(label="#deploys")
    next_(page)
    heading(page, "Review and finish")
    expect(page.locator('dd[data-slot="channel"]')).to_have_text("#deploys")
    click(page.locator("#wizard-finish"))
    expect(page.locator("h1")).to_have_text("All set")
    done = fresh_instance(inst.id)
    assert done.config_values == {"channel": "C3"}
