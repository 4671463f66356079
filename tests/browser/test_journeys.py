"""Issue 3's journeys through the demo ISV page, cross-site (host http://localhost:<port>, wizard
http://127.0.0.1:<port>, third-party cookies refused): Configure -> connect a Sandbox account in
the OAuth popup -> pick a channel from the dynamic dropdown -> typed fields -> review -> finish,
in iframe (modal) and popup modes; resume after closing half-way; customValidation."""
from __future__ import annotations

import logging
import re

import pytest
from playwright.sync_api import expect

from browser_support import PHONE, fresh_instance, run_axe, shoot
from journey import (
    EXPECTED, FRAME, click, configure, connect_sandbox, events, fill_where_to_post, heading, launch, next_,
    open_demo, pick_account,
)

pytestmark = pytest.mark.browser


def only_instance_id(page) -> str:
    row = page.locator("#instances li[data-instance]")
    expect(row).to_have_count(1)
    return row.get_attribute("data-instance")


@pytest.mark.parametrize("mode", ["modal", "popup"])
def test_whole_journey(page, context, host, demo_solution, mode, caplog):
    caplog.set_level(logging.DEBUG)  # the live server runs in this process: its logs land here
    seen = []
    context.on("request", lambda r: seen.append(r.url))
    open_demo(page, host, mode)
    surface = configure(page, context, mode)
    heading(surface, "Connect")
    wizard_url = next(u for u in seen if "/configure/" in u and "code=" in u)  # the entry URL, code included
    expect(events(page, "tray.configPopup.ready")).to_have_count(1)

    connect_sandbox(surface, context)
    pick_account(surface)
    next_(surface)

    heading(surface, "Where to post")
    fill_where_to_post(surface)
    next_(surface)
    heading(surface, "Details")
    surface.get_by_label("Digest email").fill("ops@example.com")
    next_(surface)

    heading(surface, "Review and finish")
    expect(surface.locator('dd[data-slot="external_channel"]')).to_have_text("#alerts")
    if mode == "popup":
        with surface.expect_event("close"):  # the SDK closes the popup on finish
            click(surface.locator("#wizard-finish"))
    else:
        click(surface.locator("#wizard-finish"))
        expect(page.locator(FRAME)).to_have_count(0)  # and removes the frame

    finish = events(page, "tray.configPopup.finish")
    expect(finish).to_have_count(1)
    expect(events(page, "tray.configPopup.ready")).to_have_count(1)  # once per opening, not per page
    expect(finish).to_contain_text('"enabled":true')
    expect(events(page, "tray.configPopup.error")).to_have_count(0)
    expect(page.locator("#instances .badge")).to_have_text("Enabled")

    inst = fresh_instance(only_instance_id(page))
    assert inst.enabled
    assert inst.config_values == EXPECTED
    assert set(inst.auth_values) == {"external_sandbox_authentication"}
    assert_no_secret_logged(caplog, inst, wizard_url)
    if mode == "modal":  # the demo page with an integration and a filled event log
        run_axe(page, "demo-page-after-finish")
        shoot(page, "demo-page-after-finish", sizes=(("desktop", {"width": 1100, "height": 800}), ("phone", PHONE)))


def assert_no_secret_logged(caplog, inst, wizard_url: str):
    """The whole journey's log lines (requests, Authlib at DEBUG, the app) carry none of the
    account's tokens, the entry code or the wizard session reference."""
    from wizard import accounts

    creds = accounts.credentials_of(accounts.get(inst.auth_values["external_sandbox_authentication"]))
    code = re.search(r"[?&]code=([^&]+)", wizard_url).group(1)
    secrets = [creds["access_token"], creds["refresh_token"], code]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/connect/callback" in logged and "/finish" in logged  # the journey was logged ...
    for secret in secrets:
        assert len(secret) > 15 and secret not in logged  # ... without a secret
    assert not re.search(r"/s/(?!\[redacted\])[A-Za-z0-9_-]{20,}", logged)


def test_resume_after_closing_half_way(page, context, host, demo_solution):
    """The user closes the popup on the third screen; Edit (a new code) opens at the first
    unfinished screen with everything kept."""
    open_demo(page, host, "popup")
    popup = configure(page, context, "popup")
    connect_sandbox(popup, context)
    pick_account(popup)
    next_(popup)
    fill_where_to_post(popup)
    next_(popup)
    heading(popup, "Details")
    first_url = popup.url
    popup.close()  # the user closes the window
    expect(events(page, "tray.configPopup.cancel")).to_have_attribute("data-reason", "closed")
    instance_id = only_instance_id(page)
    assert not fresh_instance(instance_id).enabled

    popup = launch(page, context, "popup", page.get_by_role("button", name="Edit Sandbox alerts"))
    heading(popup, "Details")  # the first unfinished screen
    assert popup.url != first_url  # a new session
    click(popup.locator("#wizard-back"))
    heading(popup, "Where to post")
    expect(popup.get_by_label("Channel").locator("option:checked")).to_have_text("#alerts")
    expect(popup.get_by_label("Alert level")).to_have_value("all")
    expect(popup.get_by_role("checkbox", name="deploy")).to_be_checked()
    expect(popup.get_by_role("checkbox", name="billing")).not_to_be_checked()
    expect(popup.get_by_label("Minimum severity")).to_have_value("7")
    next_(popup)
    popup.get_by_label("Digest email").fill("ops@example.com")
    next_(popup)
    with popup.expect_event("close"):
        click(popup.locator("#wizard-finish"))
    expect(events(page, "tray.configPopup.finish")).to_have_count(1)
    inst = fresh_instance(instance_id)
    assert inst.enabled and inst.config_values == EXPECTED


def test_custom_validation_rejects_then_accepts(page, context, host, demo_solution):
    open_demo(page, host, "modal", validation="on")
    wizard = configure(page, context, "modal")
    connect_sandbox(wizard, context)
    pick_account(wizard)
    next_(wizard)
    heading(wizard, "Where to post")
    fill_where_to_post(wizard)
    next_(wizard)
    heading(wizard, "Details")

    email = wizard.get_by_label("Digest email")
    email.fill("ops@blocked.example")
    next_(wizard)
    error = wizard.locator("#external_digest_email-client-error")
    expect(error).to_have_text("Acme does not send digests to blocked.example addresses.")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", re.compile(r"\bexternal_digest_email-client-error\b"))
    expect(email).to_be_focused()  # focus moves to the first error
    heading(wizard, "Details")  # it did not move on

    email.fill("ops@example.com")
    next_(wizard)
    heading(wizard, "Review and finish")
    click(wizard.locator("#wizard-finish"))  # Finish asks the page too
    expect(events(page, "tray.configPopup.finish")).to_have_count(1)
    # One validate per Next/Finish: Connect, Where to post, Details (refused), Details, Review.
    expect(events(page, "tray.configPopup.validate")).to_have_count(5)
    inst = fresh_instance(only_instance_id(page))
    assert inst.enabled and inst.config_values["external_digest_email"] == "ops@example.com"


def test_custom_validation_timeout_shows_a_retry(page, context, host, demo_solution, app):
    app.config["WIZARD_VALIDATION_TIMEOUT_MS"] = 1500  # the live server shares the app object
    try:
        open_demo(page, host, "popup", validation="silent")
        popup = configure(page, context, "popup")
        connect_sandbox(popup, context)
        pick_account(popup)
        next_(popup)
        expect(popup.locator("#wizard-busy")).to_have_text("Checking your answers with the application…")
        timeout = popup.locator("#validation-timeout")
        expect(timeout).to_contain_text("did not answer in time")
        expect(popup.locator("#validation-retry")).to_be_focused()
        heading(popup, "Connect")  # it does not move on silently
        error = events(page, "tray.configPopup.error")
        expect(error).to_have_count(1)
        expect(error).to_contain_text('"code":"validation_timeout"')

        page.select_option("#validation", "on")  # the page answers from now on
        popup.locator("#validation-retry").click()
        heading(popup, "Where to post")
    finally:
        app.config["WIZARD_VALIDATION_TIMEOUT_MS"] = 10000


def test_oauth_connect_when_the_consent_page_cuts_the_opener(page, context, host, demo_solution, app):
    """Issue 4: the consent page sends Cross-Origin-Opener-Policy: same-origin, so the popup loses
    window.opener; the framed wizard still learns the result by asking the server."""
    app.config["SANDBOX_CONSENT_COOP"] = True
    try:
        open_demo(page, host, "modal")
        wizard = configure(page, context, "modal")
        heading(wizard, "Connect")
        consent = connect_sandbox(wizard, context, closes=False)  # it cannot tell the wizard: it stays
        expect(consent.locator("[data-no-opener]")).to_be_visible()  # "You can close this window"
        # No message can reach the wizard; it finds out by polling and reloads with the account.
        pick_account(wizard)
        consent.close()
        next_(wizard)
        heading(wizard, "Where to post")
        expect(wizard.get_by_label("Channel").locator("option")).to_contain_text(["#general", "#alerts", "#deploys"])
        fill_where_to_post(wizard)
        next_(wizard)
        heading(wizard, "Details")
        wizard.get_by_label("Digest email").fill("ops@example.com")
        next_(wizard)
        heading(wizard, "Review and finish")
        click(wizard.locator("#wizard-finish"))
        expect(events(page, "tray.configPopup.finish")).to_have_count(1)
        inst = fresh_instance(only_instance_id(page))
        assert inst.enabled and inst.config_values == EXPECTED
    finally:
        app.config["SANDBOX_CONSENT_COOP"] = False


def test_denied_then_allowed_from_the_popups_own_try_again(page, context, host, demo_solution):
    """Issue 4: consent denied leaves a clear message in the framed wizard; the popup's own
    "Try again" then succeeds, and the wizard, still listening, picks the account up."""
    open_demo(page, host, "modal")
    wizard = configure(page, context, "modal")
    heading(wizard, "Connect")
    with context.expect_page() as info:
        wizard.locator("#external_sandbox_authentication-connect").click()
    popup = info.value
    popup.get_by_role("button", name="Deny").click()
    expect(popup.locator("#connect-error")).to_contain_text("You did not allow access to Sandbox")
    status = wizard.locator("#field-external_sandbox_authentication .connect-status")
    expect(status).to_contain_text("You did not allow access to Sandbox")
    expect(status.get_by_role("button", name="Try again")).to_be_visible()
    expect(events(page, "tray.configPopup.error")).to_have_count(1)

    popup.get_by_role("button", name="Try again").click()
    expect(popup.locator("h1")).to_contain_text("wants to access your Sandbox workspace")
    popup.get_by_role("button", name="Allow").click()
    pick_account(wizard)  # the wizard reloaded with the new account
    expect(events(page, "tray.configPopup.error")).to_have_count(1)  # the old failure is not reported again
