"""Issue 16: the wizard as a front end of a core in another process with its own database
(tests/split_support.py), in Chromium. Entry with a code from the core, the OAuth connect through
the sandbox (the front end's callback, the core's provider), the channel list fetched by the
core, an outage of the core in the middle (a clear page, nothing typed lost), Finish once it is
back: the instance is enabled on the core with its values and its account, and the front end's
database keeps none of it."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from journey import click, connect_sandbox, fill_where_to_post, heading, next_, pick_account
from split_support import front_end_rows

from wizard.extensions import db

pytestmark = pytest.mark.browser

EXPECTED = {"external_channel": "C2", "external_level": "all", "external_keywords": ["deploy", "outage"],
            "external_threshold": 7, "external_digest_email": "ops@example.com"}


def test_a_journey_across_a_front_end_and_a_separate_core(page, context, split, live_server, app):
    core = split
    external = f"split-browser-{uuid.uuid4().hex[:8]}"
    user, iid = core.user_with_instance(external)
    page.goto(f"{live_server}/configure/{iid}?code={core.code(user)}")
    heading(page, "Connect")

    connect_sandbox(page, context)
    pick_account(page)
    next_(page)
    heading(page, "Where to post")
    expect(page.get_by_label("Channel").locator("option", has_text="#alerts")).to_have_count(1)  # from the core
    fill_where_to_post(page)

    core.stop()  # the core goes down while the user is typing
    try:
        next_(page)
        expect(page.locator("#error-code")).to_have_text("core_unavailable")
        expect(page.get_by_role("alert")).to_contain_text("Nothing you entered was lost")
    finally:
        core.start()
    page.locator("#error-retry").click()
    heading(page, "Where to post")  # as typed before the outage
    expect(page.get_by_label("Minimum severity")).to_have_value("7")
    expect(page.get_by_role("checkbox", name="outage")).to_be_checked()
    next_(page)
    heading(page, "Details")
    page.get_by_label("Digest email").fill("ops@example.com")
    next_(page)
    heading(page, "Review and finish")
    expect(page.locator('dd[data-slot="external_channel"]')).to_have_text("#alerts")
    click(page.locator("#wizard-finish"))
    heading(page, "All set")

    # the core has it all: enabled, its values, an account of its own user
    found = core.instance(iid)
    assert found["enabled"] and found["config"] == EXPECTED
    auth_id = found["auth"]["external_sandbox_authentication"]
    [(owner, credentials)] = core.sql("SELECT owner_id, credentials FROM authentications WHERE id = :id", id=auth_id)
    assert owner == user
    # ... and told the ISV's webhooks, naming the user
    events = core.sql("SELECT type, payload FROM webhook_events WHERE subject = :s ORDER BY created", s=f"instance:{iid}")
    configured = [p for t, p in events if t == "instance.configured"]
    assert len(configured) == 1 and external in str(configured[0])

    # the front end's database: sessions, progress and OAuth state only, no values, tokens or credentials
    tokens = [t for row in core.sql("SELECT access_token, refresh_token FROM sandbox_tokens") for t in row if t]
    with app.app_context():
        db.session.expire_all()
        rows = front_end_rows(db)
    for table in ("solution_instances", "solution_versions", "solutions", "authentications", "external_users",
                  "authorization_codes", "api_tokens", "webhook_events", "sandbox_tokens"):
        assert rows.get(table, []) == [], table
    everything = " ".join(r for table in rows.values() for r in table)
    for secret in [*tokens, credentials, "ops@example.com"]:
        assert secret not in everything
    assert '"C2"' not in everything and "outage" not in everything
