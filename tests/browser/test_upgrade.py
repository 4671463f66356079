"""Issue 14's journeys: upgrading an instance to a newer version in real Chromium.

- a required slot added: only it is asked, marked New; Finish (through ConfigWizard.update on an
  ISV page of another site) moves the instance to the new version, the old values intact, and
  the page's onFinish gets {version, upgraded};
- a select's options changed so that the old choice is gone: only that slot is asked;
- an auth slot asking for one more scope: reconnect asked, through the sandbox OAuth provider;
- a user-specific version: only that instance sees it and is asked;
- Cancel mid-upgrade: the instance keeps its version and values;
- a version published mid-journey: what was typed is kept, the change told, a value that no
  longer fits shown with its error.

With WIZARD_DOC_SHOTS=1 the first journey also writes the README's screenshots
(docs/screenshot-upgrade.png, docs/screenshot-upgrade-review.png) from what it renders.
"""
from __future__ import annotations

import copy
import json
import os

import pytest
from playwright.sync_api import expect

from browser_support import POPUP, ROOT, fresh_instance, run_axe, shoot, wizard_url
from journey import FRAME, click, heading, next_

pytestmark = pytest.mark.browser

V1 = {"id": "notes", "title": "Acme notes", "screens": [
    {"title": "Basics", "slots": [
        {"externalId": "alpha", "title": "Alpha", "type": "string", "required": True},
        {"externalId": "level", "title": "Alert level", "type": "select", "required": True, "options": [
            {"value": "all", "text": "Everything"}, {"value": "errors", "text": "Errors only"}]}]},
    {"title": "Details", "slots": [
        {"externalId": "threshold", "title": "Minimum severity", "type": "integer", "min": 1, "max": 10}]}]}
VALUES = {"alpha": "first", "level": "all", "threshold": 4}

HOST = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ISV page</title>
<script src="{live}/static/embed.js"></script></head>
<body><main><h1>Integrations</h1>
<button id="update" type="button">Update Acme notes</button>
<ol id="log"></ol></main>
<script>
  function log(type, data) {{
    var li = document.createElement("li");
    li.dataset.type = type;
    li.textContent = JSON.stringify(data || {{}});
    document.getElementById("log").appendChild(li);
  }}
  document.getElementById("update").addEventListener("click", function () {{
    ConfigWizard.update({{
      url: window.WIZARD_URL, mode: "modal", title: "Update Acme notes",
      onFinish: function (d) {{ log("finish", d); }},
      onCancel: function (d) {{ log("cancel", d); }},
      onError: function (e) {{ log("error", e); }}
    }});
  }});
</script></body></html>"""


def v2_with_bravo() -> dict:
    d = copy.deepcopy(V1)
    d["screens"][0]["slots"].append({"externalId": "bravo", "title": "Bravo", "type": "string", "required": True,
                                     "help": "The new setting of version 2."})
    return d


@pytest.fixture
def on_v1(core, user):
    core.publish(V1)
    inst = core.create_instance(user.id, "notes", "My notes", config_values=VALUES)
    core.set_enabled(inst.id, True)
    return inst


@pytest.fixture
def isv_page(page, other_server, allowed_other, live_server):
    """An ISV page on another site that opens the wizard with ConfigWizard.update (modal)."""
    other_server.add("/integrations", HOST.format(live=live_server))

    def open_update(instance_id: str):
        page.goto(allowed_other + "/integrations")
        page.evaluate("url => { window.WIZARD_URL = url; }", wizard_url(live_server, instance_id))
        page.get_by_role("button", name="Update Acme notes").click()
        return page.frame_locator(FRAME)

    return open_update


def frame_of(page):
    """The wizard's Frame inside the modal (axe runs in a Frame, not a FrameLocator)."""
    return page.locator(FRAME).element_handle().content_frame()


def logged(page, type_: str):
    return page.locator(f'#log li[data-type="{type_}"]')


def doc_shot(page, name: str) -> None:
    """The README's screenshot, when asked for (WIZARD_DOC_SHOTS=1): the page at popup size."""
    if os.environ.get("WIZARD_DOC_SHOTS") == "1":
        page.set_viewport_size(POPUP)
        page.screenshot(path=str(ROOT / "docs" / f"{name}.png"), full_page=True)


def test_a_required_slot_added_is_the_only_question_and_finish_moves_the_instance(page, context, core, on_v1,
                                                                                   isv_page, live_server):
    core.publish(v2_with_bravo())
    assert fresh_instance(on_v1.id).flags.requiresUserInputToUpdateVersion
    seen = []
    context.on("request", lambda r: seen.append(r.url))
    wizard = isv_page(on_v1.id)
    heading(wizard, "Basics")
    assert any("/configure/" in u and "code=" in u and "upgrade=true" in u for u in seen)  # update() asked for it
    expect(wizard.locator("#upgrade-intro")).to_contain_text("Acme notes was updated.")
    expect(wizard.locator("#step-count")).to_have_text("Step 1 of 2")  # Basics (Bravo only), Review
    expect(wizard.locator("#field-alpha")).to_have_count(0)
    expect(wizard.locator("#field-level")).to_have_count(0)
    bravo = wizard.get_by_label("Bravo")
    expect(bravo).to_be_visible()
    expect(wizard.locator("#bravo-new")).to_have_text("New Added in this update.")
    expect(bravo).to_have_attribute("aria-describedby", "bravo-new bravo-help")
    run_axe(frame_of(page), "upgrade-screen")

    bravo.fill("second")
    next_(wizard)
    heading(wizard, "Review and finish")
    expect(wizard.locator('dd[data-slot="bravo"]')).to_have_text("second")
    staying = wizard.locator("#review-staying-section")
    expect(staying.locator("h2")).to_have_text("Staying as they are")
    expect(staying.locator('dd[data-slot="alpha"]')).to_have_text("first")
    expect(staying.locator('dd[data-slot="level"]')).to_have_text("Everything")
    expect(staying.locator('dd[data-slot="threshold"]')).to_have_text("4")
    expect(staying.get_by_role("link", name="Edit Details")).to_be_visible()
    run_axe(frame_of(page), "upgrade-review")
    assert fresh_instance(on_v1.id).version == 1  # still running version 1 until Finish

    click(wizard.locator("#wizard-finish"))
    expect(page.locator(FRAME)).to_have_count(0)
    expect(logged(page, "finish")).to_have_count(1)
    finished = json.loads(logged(page, "finish").text_content())
    assert finished == {"solutionInstanceId": on_v1.id, "enabled": True, "version": 2, "upgraded": True}
    data = fresh_instance(on_v1.id)
    assert data.version == 2 and data.enabled
    assert data.config_values == {**VALUES, "bravo": "second"}


def test_the_upgrade_pages_at_popup_size(page, core, on_v1, live_server):
    """The screens of the README's version section, rendered for real (WIZARD_DOC_SHOTS=1 writes
    them to docs/), and checked by axe at popup size."""
    core.publish(v2_with_bravo())
    page.set_viewport_size(POPUP)
    page.goto(wizard_url(live_server, on_v1.id))
    heading(page, "Basics")
    run_axe(page, "upgrade-screen-popup")
    shoot(page, "upgrade-screen")
    doc_shot(page, "screenshot-upgrade")
    page.get_by_label("Bravo").fill("second")
    next_(page)
    heading(page, "Review and finish")
    run_axe(page, "upgrade-review-popup")
    shoot(page, "upgrade-review")
    doc_shot(page, "screenshot-upgrade-review")
    page.get_by_role("link", name="Edit Basics").click()  # change a setting that stays, anyway
    heading(page, "Basics")
    expect(page.get_by_label("Alpha")).to_have_value("first")
    expect(page.get_by_label("Bravo")).to_have_value("second")
    expect(page.locator("#step-count")).to_have_text("Step 1 of 2")


def test_a_choice_that_is_gone_is_asked_again(page, core, on_v1, live_server):
    d = copy.deepcopy(V1)
    d["screens"][0]["slots"][1]["options"] = [{"value": "errors", "text": "Errors only"},
                                              {"value": "warnings", "text": "Warnings and errors"}]
    core.publish(d)
    page.goto(wizard_url(live_server, on_v1.id))
    heading(page, "Basics")
    expect(page.locator("#field-alpha")).to_have_count(0)
    expect(page.locator("#level-new")).to_contain_text("Changed in this update: your earlier answer no longer fits.")
    level = page.get_by_label("Alert level")
    expect(level.locator("option")).to_have_text(["— Choose —", "Errors only", "Warnings and errors"])
    expect(level).to_have_value("")  # "Everything" is gone: nothing chosen
    next_(page)
    expect(page.locator("#level-error")).to_be_visible()  # still required
    level.select_option(label="Warnings and errors")
    next_(page)
    heading(page, "Review and finish")
    expect(page.locator("#review-staying-section dd[data-slot='alpha']")).to_have_text("first")
    click(page.locator("#wizard-finish"))
    expect(page.locator("h1")).to_have_text("All set")
    expect(page.locator("body")).to_have_attribute("data-upgraded", "true")
    data = fresh_instance(on_v1.id)
    assert data.version == 2 and data.config_values == {**VALUES, "level": "warnings"}


SCOPED = {"id": "posts", "title": "Acme posts", "auth": [
    {"externalId": "ws", "service": "sandbox", "title": "Your Sandbox workspace", "scopes": ["profile"]}],
    "screens": [{"title": "Connect", "slots": ["ws"]},
                {"title": "Message", "slots": [{"externalId": "prefix", "title": "Prefix", "type": "string"}]}]}


def allow(context, link, *, expect_scope: str | None = None):
    """Click a Connect/Reconnect link; Allow on the sandbox's consent page in its popup."""
    with context.expect_page() as info:
        link.click()
    consent = info.value
    expect(consent.locator("h1")).to_contain_text("wants to access your Sandbox workspace")
    if expect_scope:
        expect(consent.get_by_label(expect_scope)).to_be_checked()
    consent.get_by_role("button", name="Allow").click()


def test_an_auth_slot_asking_for_a_new_scope_asks_to_reconnect(page, context, core, user, live_server):
    from wizard import accounts

    core.publish(SCOPED)
    inst = core.create_instance(user.id, "posts", "")
    page.goto(wizard_url(live_server, inst.id))
    heading(page, "Connect")
    allow(context, page.locator("#ws-connect"))
    account = page.locator('input[type="radio"][name="ws"]').first
    expect(account).to_be_visible()
    heading(page, "Connect")
    account.check()
    next_(page)
    heading(page, "Message")
    page.get_by_label("Prefix").fill("[acme]")
    next_(page)
    heading(page, "Review and finish")
    click(page.locator("#wizard-finish"))
    expect(page.locator("h1")).to_have_text("All set")
    auth_id = fresh_instance(inst.id).auth_values["ws"]
    assert "chat:write" not in accounts.get(auth_id).scopes

    d = copy.deepcopy(SCOPED)
    d["auth"][0]["scopes"] = ["profile", "chat:write"]
    core.publish(d)
    assert fresh_instance(inst.id).flags.requiresUserInputToUpdateVersion
    page.goto(wizard_url(live_server, inst.id))
    heading(page, "Connect")
    expect(page.locator("#step-count")).to_have_text("Step 1 of 2")  # Message stays as it is
    expect(page.locator("#ws-new")).to_contain_text("This update needs more access to the account")
    expect(page.locator('input[type="radio"][name="ws"]').first).to_be_checked()  # the account chosen before
    next_(page)  # without reconnecting: refused, saying what is missing
    expect(page.locator("#ws-error")).to_contain_text("needs more from this account (chat:write)")
    run_axe(page, "upgrade-reconnect")
    allow(context, page.locator("#ws-0-reconnect"), expect_scope="Post messages to channels")
    heading(page, "Connect")  # reloaded once the popup reported the reconnection
    expect(page.locator("#ws-error")).to_have_count(0)
    next_(page)
    heading(page, "Review and finish")
    expect(page.locator("#review-staying-section dd[data-slot='prefix']")).to_have_text("[acme]")
    click(page.locator("#wizard-finish"))
    expect(page.locator("h1")).to_have_text("All set")
    data = fresh_instance(inst.id)
    assert data.version == 2 and data.auth_values == {"ws": auth_id} and data.config_values == {"prefix": "[acme]"}
    assert "chat:write" in accounts.get(auth_id).scopes


def test_a_user_specific_version_is_seen_and_asked_by_its_instance_only(page, core, user, on_v1, live_server):
    other = core.create_instance(user.id, "notes", "Other notes", config_values=VALUES)
    core.publish(v2_with_bravo(), for_instance_id=on_v1.id)
    assert fresh_instance(other.id).flags.hasNewerVersion is False

    page.goto(wizard_url(live_server, other.id))  # the other instance: edits version 1, nothing new
    heading(page, "Basics")
    expect(page.locator("#upgrade-intro")).to_have_count(0)
    expect(page.get_by_label("Alpha")).to_have_value("first")
    expect(page.locator("#field-bravo")).to_have_count(0)

    page.goto(wizard_url(live_server, on_v1.id))  # its own: asked for Bravo only
    heading(page, "Basics")
    expect(page.locator("#upgrade-intro")).to_be_visible()
    expect(page.locator("#field-alpha")).to_have_count(0)
    page.get_by_label("Bravo").fill("mine")
    next_(page)
    heading(page, "Review and finish")
    click(page.locator("#wizard-finish"))
    expect(page.locator("h1")).to_have_text("All set")
    assert fresh_instance(on_v1.id).version == 2
    untouched = fresh_instance(other.id)
    assert untouched.version == 1 and untouched.config_values == VALUES


def test_cancel_mid_upgrade_changes_nothing(page, core, on_v1, isv_page):
    core.publish(v2_with_bravo())
    wizard = isv_page(on_v1.id)
    heading(wizard, "Basics")
    wizard.get_by_label("Bravo").fill("not yet")
    next_(wizard)
    heading(wizard, "Review and finish")
    click(wizard.locator("#wizard-cancel"))
    expect(page.locator(FRAME)).to_have_count(0)
    expect(logged(page, "cancel")).to_have_count(1)
    expect(logged(page, "finish")).to_have_count(0)
    data = fresh_instance(on_v1.id)
    assert data.version == 1 and data.enabled and data.config_values == VALUES
    assert data.flags.requiresUserInputToUpdateVersion  # still waiting for the user


def test_a_version_published_mid_journey_keeps_what_was_typed(page, core, on_v1, live_server):
    page.goto(wizard_url(live_server, on_v1.id))
    heading(page, "Basics")  # editing version 1: every setting
    page.get_by_label("Alpha").fill("typed")
    page.get_by_label("Alert level").select_option(label="Errors only")
    next_(page)
    heading(page, "Details")
    page.get_by_label("Minimum severity").fill("12")  # too high: refused, as typed

    d = v2_with_bravo()
    d["screens"][1]["slots"][0]["max"] = 20  # version 2 takes it
    core.publish(d)  # the ISV publishes while the user is on Details
    next_(page)
    heading(page, "Basics")  # back where the new version needs something
    news = page.locator("#wizard-news")
    expect(news).to_contain_text("This integration was updated while you were filling it in. What you entered is kept.")
    expect(news).to_contain_text("New: Bravo.")
    expect(page.get_by_label("Alpha")).to_have_value("typed")
    expect(page.get_by_label("Alert level")).to_have_value("errors")
    expect(page.locator("#bravo-new")).to_be_visible()
    run_axe(page, "upgrade-mid-journey")
    page.get_by_label("Bravo").fill("b")
    next_(page)
    heading(page, "Details")
    expect(page.get_by_label("Minimum severity")).to_have_value("12")
    next_(page)
    heading(page, "Review and finish")
    click(page.locator("#wizard-finish"))
    expect(page.locator("h1")).to_have_text("All set")
    data = fresh_instance(on_v1.id)
    assert data.version == 2
    assert data.config_values == {"alpha": "typed", "level": "errors", "threshold": 12, "bravo": "b"}


def test_a_typed_value_that_no_longer_fits_is_shown_with_its_error(page, core, on_v1, live_server):
    page.goto(wizard_url(live_server, on_v1.id))
    heading(page, "Basics")
    page.get_by_label("Alpha").fill("kept")
    page.get_by_label("Alert level").select_option(label="Errors only")
    next_(page)
    heading(page, "Details")
    d = copy.deepcopy(V1)
    d["screens"][0]["slots"][1]["options"] = [{"value": "all", "text": "Everything"},
                                              {"value": "warnings", "text": "Warnings"}]
    core.publish(d)
    page.get_by_label("Minimum severity").fill("6")
    next_(page)
    heading(page, "Basics")
    expect(page.locator("#wizard-news")).to_contain_text("Check Alert level: what you entered no longer fits.")
    expect(page.get_by_label("Alpha")).to_have_value("kept")
    expect(page.locator("#level-error")).to_be_visible()
    page.get_by_label("Alert level").select_option(label="Warnings")
    next_(page)
    heading(page, "Details")
    expect(page.get_by_label("Minimum severity")).to_have_value("6")


def test_the_demo_page_offers_update_and_tells_the_new_version(page, core, host):
    """The demo ISV page: an instance with a newer version has Update (ConfigWizard.update)."""
    from wizard.demo import isv

    core.publish(V1)
    inst = core.create_instance(isv.demo_user().id, "notes", "Demo notes", config_values=VALUES)
    core.publish(v2_with_bravo())
    page.goto(f"{host}/demo")
    expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    page.check('input[name="mode"][value="modal"]')
    expect(page.locator(f'#instances li[data-instance="{inst.id}"]')).to_contain_text("update available")
    page.get_by_role("button", name="Update Demo notes").click()
    wizard = page.frame_locator(FRAME)
    heading(wizard, "Basics")
    wizard.get_by_label("Bravo").fill("demo")
    next_(wizard)
    heading(wizard, "Review and finish")
    click(wizard.locator("#wizard-finish"))
    expect(page.locator(FRAME)).to_have_count(0)
    finish = page.locator('#event-log li[data-type="tray.configPopup.finish"]')
    expect(finish).to_contain_text('"upgraded":true')
    expect(page.get_by_text("Demo notes now runs version 2.")).to_be_visible()
    expect(page.get_by_role("button", name="Update Demo notes")).to_have_count(0)
    assert fresh_instance(inst.id).version == 2
