"""The validation webhook in Chromium: the ISV's backend refuses a value on Next and the wizard
shows its message on that field, keeps what was typed, and goes on once the value is accepted.
The page's script plays no part: the server asks the webhook (tests/test_webhooks_validation.py
has the plain form post)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser_support import wizard_url
from journey import click
from webhook_support import receiver, validator  # noqa: F401  (fixtures)
from wizard_support import simple_solution

pytestmark = pytest.mark.browser


def test_the_webhooks_message_shows_on_the_right_field(page, live_server, core, user, validator):
    validator.validation_answer = lambda data: (
        {"errors": {"channel": "Acme has no channel #nope."}} if data["configValues"].get("channel") == "#nope"
        else {"errors": {}})
    core.publish(simple_solution())
    inst = core.create_instance(user.id, "notes")
    page.goto(wizard_url(live_server, inst.id))
    expect(page.locator("body")).to_have_attribute("data-wizard-ready", "true")
    channel = page.get_by_label("Channel")
    channel.fill("#nope")
    click(page.locator("#wizard-next"))

    expect(page.locator("#channel-error")).to_have_text("Acme has no channel #nope.")
    expect(channel).to_have_attribute("aria-invalid", "true")
    expect(channel).to_have_attribute("aria-describedby", "channel-error")
    expect(page.locator("#error-summary")).to_contain_text("Acme has no channel #nope.")
    expect(channel).to_have_value("#nope")  # nothing typed is lost
    assert validator.validation_requests[-1]["payload"]["data"]["screen"]["number"] == 1

    channel.fill("#ops")
    click(page.locator("#wizard-next"))
    expect(page.locator("h1#screen-title")).to_have_text("Details")


def test_no_answer_shows_a_message_and_next_again_retries(app, page, live_server, core, user, validator):
    validator.validation_status = 503
    core.publish(simple_solution())
    inst = core.create_instance(user.id, "notes")
    page.goto(wizard_url(live_server, inst.id))
    expect(page.locator("body")).to_have_attribute("data-wizard-ready", "true")
    page.get_by_label("Channel").fill("#ops")
    click(page.locator("#wizard-next"))
    expect(page.locator("#wizard-problem")).to_contain_text("could not be checked right now")
    expect(page.get_by_label("Channel")).to_have_value("#ops")
    validator.validation_status = 200
    click(page.locator("#wizard-next"))
    expect(page.locator("h1#screen-title")).to_have_text("Details")
