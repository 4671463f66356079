"""Issue 27: post/redirect/get in the wizard, so Back, Forward and reload always work after a
refused Next (no "Confirm Form Resubmission", ERR_CACHE_MISS); the review lists the required
fields still missing, with links to them, and offers Finish only when nothing is missing."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from journey import click, configure, connect_sandbox, fill_where_to_post, heading, next_, open_demo, pick_account

pytestmark = pytest.mark.browser


def not_an_error_page(wizard):
    assert not wizard.url.startswith("chrome-error://"), wizard.url
    expect(wizard.locator("body")).to_have_attribute("data-wizard-ready", "true")


def test_back_forward_and_reload_after_a_refused_next(page, context, host, demo_solution):
    open_demo(page, host, "popup")
    wizard = configure(page, context, "popup")
    connect_sandbox(wizard, context)
    pick_account(wizard)
    next_(wizard)
    heading(wizard, "Where to post")
    fill_where_to_post(wizard)
    next_(wizard)
    heading(wizard, "Details")
    details_url = wizard.url
    wizard.get_by_label("Digest email").fill("not-an-email")
    next_(wizard)  # refused
    heading(wizard, "Details")
    error = wizard.locator("#external_digest_email-error")
    expect(error).to_contain_text("must be an email address")
    expect(wizard.get_by_label("Digest email")).to_have_value("not-an-email")
    assert wizard.url == details_url  # redirected to the screen's own address (a GET)

    wizard.reload()  # what was typed and its error survive a reload, with no resubmission
    heading(wizard, "Details")
    expect(error).to_contain_text("must be an email address")
    expect(wizard.get_by_label("Digest email")).to_have_value("not-an-email")

    # History holds GETs only: the screen before the refused Next (the same address), then the
    # screen before it; and forward again. Each is the page, never "Confirm Form Resubmission".
    wizard.go_back()
    not_an_error_page(wizard)
    heading(wizard, "Details")
    expect(wizard.get_by_label("Digest email")).to_have_value("not-an-email")  # kept as typed
    wizard.go_back()
    not_an_error_page(wizard)
    heading(wizard, "Where to post")
    expect(wizard.get_by_label("Minimum severity")).to_have_value("7")
    wizard.go_forward()
    not_an_error_page(wizard)
    heading(wizard, "Details")
    wizard.go_forward()
    not_an_error_page(wizard)
    heading(wizard, "Details")
    expect(wizard.get_by_label("Digest email")).to_have_value("not-an-email")  # still kept
    expect(error).to_contain_text("must be an email address")

    wizard.get_by_label("Digest email").fill("ops@example.com")
    next_(wizard)
    heading(wizard, "Review and finish")
    wizard.go_back()
    not_an_error_page(wizard)
    heading(wizard, "Details")


def test_the_review_lists_what_is_missing_and_finish_waits_for_it(page, context, host, demo_solution):
    open_demo(page, host, "popup")
    wizard = configure(page, context, "popup")
    connect_sandbox(wizard, context)
    pick_account(wizard)
    next_(wizard)
    heading(wizard, "Where to post")
    wizard.goto(wizard.url.rsplit("/screen/", 1)[0] + "/review")  # straight to the review
    heading(wizard, "Review and finish")
    missing = wizard.locator("#review-missing")
    expect(missing).to_be_visible()
    expect(missing.locator("li")).to_have_count(1)
    link = missing.get_by_role("link", name="Channel")
    expect(link).to_be_visible()
    expect(wizard.locator("#wizard-finish")).to_have_count(0)  # no Finish while something is missing
    click(link)
    heading(wizard, "Where to post")
    expect(wizard.get_by_label("Channel")).to_be_focused()
    fill_where_to_post(wizard)
    next_(wizard)
    heading(wizard, "Details")
    next_(wizard)
    heading(wizard, "Review and finish")
    expect(wizard.locator("#review-missing")).to_have_count(0)
    with wizard.expect_event("close"):
        click(wizard.locator("#wizard-finish"))
