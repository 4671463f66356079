"""Accounts that know who they are, and a service with a {tenant}, in real Chromium: connecting
the same Sandbox workspace twice leaves one account (its name and date shown, pre-selected on a
new instance), another workspace adds a second one told apart; a {tenant} is typed in the popup,
which goes to that tenant's sandbox, whose API host then serves the options, also after a
refresh; a hostile tenant is refused in the popup before any request."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError, expect
from sqlalchemy import func, select, update

from _connect_support import sandbox_config, sandbox_credentials  # noqa: F401  (fixture)
from browser_support import run_axe, shoot, wizard_url
from journey import AUTH, heading, next_
from test_service_params import TENANT_SERVICE

pytestmark = pytest.mark.browser


def consent(context, link, workspace: str | None = None):
    """Click Connect; in the popup answer the sandbox's consent page; return the popup."""
    with context.expect_page() as info:
        link.click()
    popup = info.value
    expect(popup.locator("h1")).to_contain_text("wants to access your Sandbox workspace")
    if workspace:
        popup.get_by_label("Workspace", exact=True).select_option(label=workspace)
    popup.get_by_role("button", name="Allow").click()
    return popup


def closed(popup):
    """Wait until a popup that closes itself has closed: Connect's link targets the named window
    "wizard-connect", so a click while the last popup still stands would load into it instead of
    opening a new one."""
    if not popup.is_closed():
        popup.wait_for_event("close")


def radios(page):
    return page.locator(f'input[type="radio"][name="{AUTH}"]')


def test_the_same_identity_twice_is_one_account_another_is_a_second(page, context, live_server, core, user,
                                                                  demo_solution):
    from wizard import accounts
    from wizard.extensions import db
    from wizard.models import utcnow

    first = core.create_instance(user.id, "slack-alerts", "Alerts")
    page.goto(wizard_url(live_server, first.id))
    heading(page, "Connect")
    closed(consent(context, page.locator(f"#{AUTH}-connect")))
    expect(radios(page)).to_have_count(1)
    heading(page, "Connect")

    # the same workspace again: the popup says so and stays open to be read; still one account
    popup = consent(context, page.locator(f"#{AUTH}-connect"))
    expect(popup.locator("#connect-notice")).to_contain_text(
        "You had already connected this Sandbox account (Acme Corp): it was updated, not added again.")
    shoot(popup, "connect-already-connected", sizes=(("popup", {"width": 500, "height": 600}),))
    with popup.expect_event("close"):
        try:
            popup.get_by_role("button", name="Close this window").click()
        except PlaywrightError:
            # the button's own handler closes the window, which may happen before the click returns
            if not popup.is_closed():
                raise
    assert popup.is_closed()
    heading(page, "Connect")
    expect(radios(page)).to_have_count(1)
    today = utcnow().strftime("%B")  # "connected December 7, 2026": the month is enough to find
    expect(page.locator(f'label[for="{AUTH}-0"]')).to_have_text("Acme Corp")
    meta = page.locator(f"#{AUTH}-0-meta")  # the radio's description: when it was connected
    expect(meta).to_contain_text("connected")
    expect(meta).to_contain_text(today)
    expect(radios(page).first).to_have_attribute("aria-describedby", f"{AUTH}-0-meta")
    db.session.rollback()
    assert len(accounts.list_accounts(user.id)) == 1

    # a new instance: the only account is pre-selected
    second = core.create_instance(user.id, "slack-alerts", "Second")
    page.goto(wizard_url(live_server, second.id))
    heading(page, "Connect")
    expect(radios(page)).to_have_count(1)
    expect(radios(page).first).to_be_checked()
    run_axe(page, "accounts-one-preselected")

    # another identity: a second account, told apart by its name
    assert [p.url for p in context.pages] == [page.url]
    consent(context, page.locator(f"#{AUTH}-connect"), workspace="Globex")
    expect(radios(page)).to_have_count(2)
    heading(page, "Connect")
    texts = page.locator(f'fieldset label[for^="{AUTH}-"]').all_inner_texts()
    assert sorted(t.strip() for t in texts) == ["Acme Corp", "Globex"], texts
    expect(page.locator(f"#{AUTH}-1-meta")).to_contain_text("connected")
    shoot(page, "accounts-two-identities")
    db.session.rollback()
    assert len(accounts.list_accounts(user.id)) == 2

    # with two fitting accounts a new instance chooses none for the user
    third = core.create_instance(user.id, "slack-alerts", "Third")
    page.goto(wizard_url(live_server, third.id))
    heading(page, "Connect")
    expect(radios(page)).to_have_count(2)
    expect(page.locator(f'input[name="{AUTH}"]:checked')).to_have_count(0)


TENANT_DEFINITION = {"id": "tenant-alerts", "title": "Tenant alerts", "auth": [
    {"externalId": "ws", "service": "tenanted", "title": "Your Tenanted account", "scopes": ["channels:read"]}],
    "screens": [{"title": "Connect", "slots": ["ws"]}, {"title": "Channel", "slots": [
        {"externalId": "channel", "title": "Channel", "type": "select", "required": True,
         "options": {"source": "tenanted.channels", "auth": "ws"}}]}]}


@pytest.fixture
def tenant_instance(app, live_server, core, user, tmp_path, sandbox_config, monkeypatch):
    sandbox_credentials(app, monkeypatch, "TENANTED")
    path = tmp_path / "services.yaml"
    path.write_text(TENANT_SERVICE.format(live=live_server))
    sandbox_config(WIZARD_SERVICES_FILE=str(path))
    core.publish(TENANT_DEFINITION)
    return core.create_instance(user.id, "tenant-alerts", "")


def test_a_tenant_typed_in_the_popup_is_used_for_sign_in_options_and_refresh(page, context, live_server,
                                                                             tenant_instance, user):
    from wizard import accounts
    from wizard.extensions import db
    from wizard.models import Authentication, ConnectFlow, utcnow
    from wizard.sandbox.models import SandboxToken

    page.goto(wizard_url(live_server, tenant_instance.id))
    heading(page, "Connect")
    with context.expect_page() as info:
        page.locator("#ws-connect").click()
    popup = info.value
    field = popup.get_by_label("Tenant")
    expect(field).to_be_visible()
    run_axe(popup, "connect-params")

    # hostile values: refused in the popup, which stays on our page; nothing was started (a
    # 300-character value cannot even be typed here: the field takes 63; the server refuses a
    # longer one sent by other means, test_service_params.py)
    expect(field).to_have_attribute("maxlength", "63")
    for value in ("evil.example/#", "a.b", "..", "%2F", "caf\u00e9", "acme/../x"):
        field.fill(value)
        popup.get_by_role("button", name="Continue to Tenanted").click()
        expect(popup.locator(".field-error")).to_be_visible()
        assert popup.url.startswith(live_server + "/connect/"), popup.url
        field = popup.get_by_label("Tenant")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ConnectFlow)) == 0

    field.fill("acme-eu")
    with popup.expect_navigation():
        popup.get_by_role("button", name="Continue to Tenanted").click()
    assert popup.url.startswith(live_server + "/sandbox/t/acme-eu/oauth/authorize?"), popup.url
    expect(popup.locator("h1")).to_contain_text("wants to access your Sandbox workspace")
    popup.get_by_role("button", name="Allow").click()

    account = page.locator('input[type="radio"][name="ws"]').first
    expect(account).to_be_visible()
    heading(page, "Connect")
    expect(page.locator('label[for="ws-0"]')).to_have_text("Acme Corp @ acme-eu")
    expect(account).to_be_checked()
    next_(page)
    heading(page, "Channel")
    options = page.get_by_label("Channel").locator("option")
    expect(options).to_have_count(4)  # "Choose" and the tenant's three channels
    expect(options.nth(1)).to_have_text("#general @ acme-eu")

    # the token expires: the next page's options renew it at the tenant's token URL
    db.session.rollback()
    auth = accounts.list_accounts(user.id)[0]
    old = accounts.credentials_of(auth)["access_token"]
    db.session.execute(update(Authentication).where(Authentication.id == auth.id)
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    from flask import current_app
    current_app.extensions.pop("wizard_options_cache", None)
    page.reload()
    heading(page, "Channel")
    expect(page.get_by_label("Channel").locator("option").nth(2)).to_have_text("#alerts @ acme-eu")
    db.session.rollback()
    renewed = accounts.get(auth.id)
    assert renewed.status == "ok" and accounts.credentials_of(renewed)["access_token"] != old
    assert db.session.scalar(select(func.count()).select_from(SandboxToken)
                             .where(SandboxToken.tenant == "acme-eu")) == 2
