"""Issue 25, the operator console in real Chromium, by keyboard alone, axe-core on every page:

- an operator signs in through the sandbox IdP (OpenID Connect), finds a user by externalUserId,
  opens their instance (the secret slot masked), disables it (a registered endpoint receives
  `instance.disabled`, signed), enables it; creates a user-specific version with one new
  required field and releases it; the end user's next ConfigWizard.update asks only that field;
  the console then shows the instance on the new version; the audit log holds one row per action;
- a dead delivery is retried from the console and arrives;
- a low-contrast theme is refused naming the pair; a good one shows in the preview, then on the
  wizard.

With WIZARD_DOC_SHOTS=1 the journey writes the README's console screenshots to docs/.
"""
from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from browser_support import ROOT, fresh_instance, run_axe
from journey import FRAME, click, heading, next_
from browser_support import wizard_url
from test_upgrade import HOST, logged
from webhook_support import endpoint, receiver  # noqa: F401  (fixtures)
from wizard import identity
from wizard.console.models import AuditEntry
from wizard.extensions import db
from wizard.webhooks import delivery
from wizard.webhooks.models import DEAD, WebhookDelivery

pytestmark = pytest.mark.browser

# Published as YAML text: the installation manager shows this text; the last screen's slots
# end the document, so that a slot is added by typing at its end.
V1 = """id: notes
title: Acme notes
screens:
  - title: Basics
    slots:
      - externalId: alpha
        title: Alpha
        type: string
        required: true
      - externalId: api_key
        title: API key
        type: secret
"""
NEW_SLOT = "      - externalId: team\n        title: Team\n        type: string\n        required: true\n"
SECRET = "sk-live-very-secret-42"


def doc_shot(page, name: str) -> None:
    if os.environ.get("WIZARD_DOC_SHOTS") == "1":
        page.screenshot(path=str(ROOT / "docs" / f"{name}.png"), full_page=True)


def tab_to(page, target, limit: int = 80):
    """Move the focus with Tab alone until it is on `target` (a Locator)."""
    handle = target.element_handle()
    for _ in range(limit):
        if page.evaluate("e => e === document.activeElement", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def press(page, target, key: str = "Enter"):
    tab_to(page, target)
    page.keyboard.press(key)


def choose(page, select, label: str, limit: int = 10):
    """Pick an option of a <select> with the keyboard: focus it by Tab, then ArrowDown."""
    tab_to(page, select)
    for _ in range(limit):
        if select.evaluate("s => s.options[s.selectedIndex].label") == label:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {label!r}")


def type_into(page, target, text: str):
    tab_to(page, target)
    page.keyboard.press("Control+a")
    page.keyboard.type(text)


def audit_actions() -> list[str]:
    db.session.rollback()
    return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


def sign_in_with_the_sandbox(page, live_server, person: str = "Alex Admin <admin@sandbox.example>"):
    page.goto(live_server + "/console/")
    expect(page.locator("h1")).to_have_text("Sign in to the operator console")
    run_axe(page, "console-sign-in")
    doc_shot(page, "screenshot-console-sign-in")
    press(page, page.get_by_role("button", name="Sign in with the Sandbox (development)"))
    expect(page.locator("h1")).to_have_text("Sign in to Operator console")  # the sandbox IdP
    run_axe(page, "console-idp")
    choose(page, page.get_by_label("Sign in as"), person)
    press(page, page.get_by_role("button", name="Allow"))
    expect(page.locator("h1")).to_have_text("Overview")


@pytest.fixture
def ada(core):
    core.publish(V1)
    user = identity.create_user("ada-7", "Ada Lovelace")
    inst = core.create_instance(user.id, "notes", "Ada's notes", config_values={"alpha": "first", "api_key": SECRET})
    core.set_enabled(inst.id, True)
    return inst


def test_the_operator_journey(page, context, live_server, core, ada, receiver, endpoint,  # noqa: F811
                              other_server, allowed_other):
    delivery.drain("t")
    receiver.received.clear()
    sign_in_with_the_sandbox(page, live_server)
    run_axe(page, "console-overview")
    doc_shot(page, "screenshot-console-overview")

    press(page, page.get_by_role("link", name="Users"))
    expect(page.locator("h1")).to_have_text("Users")
    type_into(page, page.get_by_label("externalUserId, name or id"), "ada-7")
    page.keyboard.press("Enter")
    expect(page.locator("#users tbody tr")).to_have_count(1)
    run_axe(page, "console-users")
    press(page, page.get_by_role("link", name="ada-7"))
    expect(page.locator("h1")).to_have_text("User ada-7")
    run_axe(page, "console-user")
    press(page, page.get_by_role("link", name="Ada's notes"))
    expect(page.locator("h1")).to_have_text("Instance Ada's notes")
    values = page.locator("#instance-values")
    expect(values).to_contain_text("********")
    assert SECRET not in page.content()
    run_axe(page, "console-instance")
    doc_shot(page, "screenshot-console-instance")

    press(page, page.get_by_role("button", name="Disable"))
    expect(page.locator("#console-note")).to_have_text("The instance is disabled.")
    expect(page.locator("#instance-enabled")).to_have_text("no")
    delivery.drain("t")
    disabled = [e for e in receiver.taken() if e["type"] == "instance.disabled"]
    assert len(disabled) == 1 and disabled[0]["payload"]["data"]["solutionInstanceId"] == ada.id
    assert disabled[0]["headers"]["webhook-signature"].startswith("v1,") and not receiver.rejected
    press(page, page.get_by_role("button", name="Enable"))
    expect(page.locator("#instance-enabled")).to_have_text("yes")
    delivery.drain("t")
    assert [e["type"] for e in receiver.taken()] == ["instance.disabled", "instance.enabled"]

    press(page, page.get_by_role("link", name="Create a user-specific version"))
    definition = page.get_by_label("Definition (YAML)")
    expect(definition).to_have_value(V1)
    run_axe(page, "console-version")
    tab_to(page, definition)
    page.keyboard.press("Control+End")
    page.keyboard.type(NEW_SLOT)
    press(page, page.get_by_role("button", name="Check"))
    expect(page.locator("#definition-checked")).to_contain_text("added: team")
    run_axe(page, "console-version-checked")
    doc_shot(page, "screenshot-console-version")
    press(page, page.get_by_role("button", name="Release"))
    expect(page.locator("#console-note")).to_contain_text("user-specific version is released")
    expect(page.locator("#instance-version")).to_have_text("1")
    expect(page.locator("#instance-newest")).to_have_text("2")
    data = fresh_instance(ada.id)
    assert data.version == 1 and data.flags.requiresUserInputToUpdateVersion

    console_page = page
    end_user = context.new_page()  # the end user, on the ISV's page of another site: ConfigWizard.update
    other_server.add("/integrations", HOST.format(live=live_server))
    end_user.goto(allowed_other + "/integrations")
    end_user.evaluate("url => { window.WIZARD_URL = url; }", wizard_url(live_server, ada.id))
    end_user.get_by_role("button", name="Update Acme notes").click()
    wizard = end_user.frame_locator(FRAME)
    heading(wizard, "Basics")
    expect(wizard.locator("#field-alpha")).to_have_count(0)
    expect(wizard.locator("#field-api_key")).to_have_count(0)
    wizard.get_by_label("Team").fill("core")
    next_(wizard)
    heading(wizard, "Review and finish")
    click(wizard.locator("#wizard-finish"))
    expect(end_user.locator(FRAME)).to_have_count(0)
    expect(logged(end_user, "finish")).to_have_count(1)

    console_page.reload()
    expect(console_page.locator("#instance-version")).to_have_text("2")
    expect(console_page.locator("#instance-flags")).to_contain_text("hasNewerVersion: no")
    data = fresh_instance(ada.id)
    assert data.version == 2 and data.config_values == {"alpha": "first", "api_key": SECRET, "team": "core"}

    press(console_page, console_page.get_by_role("link", name="Audit log"))
    expect(console_page.locator("#audit tbody tr")).to_have_count(4)
    run_axe(console_page, "console-audit")
    assert audit_actions() == ["sign_in", "instance.disable", "instance.enable", "version.release"]
    assert SECRET not in console_page.content()


@pytest.fixture
def give_up_at_once(app):
    """A failed delivery is dead at its first failure (as after WIZARD_WEBHOOK_GIVE_UP's day)."""
    before = app.config["WIZARD_WEBHOOK_GIVE_UP"]
    app.config["WIZARD_WEBHOOK_GIVE_UP"] = 0
    yield
    app.config["WIZARD_WEBHOOK_GIVE_UP"] = before


def test_a_dead_delivery_is_retried_from_the_console_and_arrives(page, live_server, core, ada, receiver,  # noqa: F811
                                                                 endpoint, give_up_at_once):
    delivery.drain("t")
    receiver.fail_first = 1
    core.set_enabled(ada.id, False)
    delivery.drain("t")
    db.session.rollback()
    row = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.status == DEAD))
    assert row is not None and receiver.received[-1]["answered"] == 500
    sign_in_with_the_sandbox(page, live_server, "Sam Support <support@sandbox.example>")
    press(page, page.get_by_role("link", name="Webhooks"))
    choose(page, page.get_by_label("Status"), "Dead")
    press(page, page.get_by_role("button", name="Filter"))
    # the filtered page, not the list before it (both may hold one row: axe on a page that is
    # navigating away loses its context)
    expect(page).to_have_url(re.compile(r"[?&]status=dead"))
    page.wait_for_load_state()
    expect(page.locator("#deliveries tbody tr")).to_have_count(1)
    run_axe(page, "console-webhooks")
    doc_shot(page, "screenshot-console-webhooks")
    press(page, page.get_by_role("button", name=f"Retry delivery {row.id}"))
    expect(page.locator("#delivery-status")).to_have_text("pending")
    run_axe(page, "console-delivery")
    delivery.drain("t")
    page.reload()
    expect(page.locator("#delivery-status")).to_have_text("delivered")
    arrived = [e for e in receiver.taken() if e["type"] == "instance.disabled"]
    assert len(arrived) == 1 and arrived[0]["attempt"] >= 2
    assert audit_actions() == ["sign_in", "delivery.retry"]


def test_a_theme_refused_for_contrast_then_previewed_and_worn_by_the_wizard(page, live_server, core, ada):
    sign_in_with_the_sandbox(page, live_server)
    press(page, page.get_by_role("link", name="Themes"))
    type_into(page, page.get_by_label("embeddedId", exact=True), "acme")
    type_into(page, page.get_by_label("Product name"), "Acme Connect")
    type_into(page, page.get_by_label("Primary", exact=True), "#c8d4e4")  # white text on it: too light
    press(page, page.get_by_role("button", name="Preview"))
    expect(page.locator("#console-problem")).to_contain_text("textOnPrimary / primary")
    expect(page.locator("#contrast")).to_contain_text("too little contrast")
    expect(page.locator("#theme-preview")).to_have_count(0)
    run_axe(page, "console-theme-refused")
    type_into(page, page.get_by_label("Primary", exact=True), "#7a1fbf")
    press(page, page.get_by_role("button", name="Preview"))
    preview = page.frame_locator("#theme-preview")  # the first screen of the solution published (V1)
    expect(preview.locator("h1")).to_have_text("Basics")
    # the live wizard templates: the header's step list, the slot parts, the error summary; inert
    expect(preview.locator("#wizard-steps li")).to_have_text(["Basics", "Review"])
    expect(preview.locator('[data-slot="alpha"] input')).to_have_attribute("aria-invalid", "true")
    expect(preview.locator('[data-slot="api_key"] input')).to_have_attribute("type", "password")
    expect(preview.locator("#error-summary")).to_contain_text("An example of an error message.")
    expect(preview.locator("#wizard-form")).to_have_attribute("inert", "")
    expect(preview.locator(".button--primary")).to_have_css("background-color", "rgb(122, 31, 191)")
    run_axe(page, "console-theme-preview")
    doc_shot(page, "screenshot-console-theme")
    from wizard.themes import store

    db.session.rollback()
    assert store.get("acme") is None  # previewed, not saved
    press(page, page.get_by_role("button", name="Save theme"))
    expect(page.locator("#console-note")).to_have_text("The theme is saved.")
    user_id = fresh_instance(ada.id).owner_id
    page.goto(f"{live_server}/external/solutions/acme/configure/{ada.id}?code={identity.generate_code(user_id)}")
    expect(page.locator(".brand__name")).to_have_text("Acme Connect")
    expect(page.locator(".button--primary").first).to_have_css("background-color", "rgb(122, 31, 191)")
    assert audit_actions() == ["sign_in", "theme.save"]
    assert re.search(r"Acme Connect$", page.title())


def test_every_other_console_page_passes_axe(page, live_server, core, ada):
    """The pages the journeys above do not open, each checked by axe-core too."""
    core.publish(V1.replace("title: Acme notes", "title: Acme notes 2"))
    sign_in_with_the_sandbox(page, live_server)
    owner = fresh_instance(ada.id).owner_id
    for path, name in [("/console/instances", "instances"), ("/console/instances?enabled=yes&needs_upgrade=no", "instances-filtered"),
                       ("/console/solutions", "solutions"), ("/console/solutions/notes?from=1&to=2", "solution-diff"),
                       (f"/console/users/{owner}/remove", "user-remove"), (f"/console/instances/{ada.id}/remove", "instance-remove"),
                       ("/console/operators", "operators"),
                       ("/console/themes", "themes"), ("/console/audit?action=sign_in", "audit-filtered")]:
        page.goto(live_server + path)
        expect(page.locator("h1")).to_be_visible()
        run_axe(page, f"console-{name}")
    page.goto(live_server + "/console/webhooks")
    type_into(page, page.get_by_label("URL"), "http://127.0.0.1:9/in")
    press(page, page.get_by_role("button", name="Add endpoint"))
    expect(page.locator("#secret")).to_have_value(re.compile(r"^whsec_"))
    run_axe(page, "console-endpoint-secret")
