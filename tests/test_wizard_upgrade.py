"""Upgrade mode through the test client: only what the newer version needs is asked (marked New),
the rest is listed on the review with an Edit link, the instance runs its version until Finish,
and a version published mid-journey keeps what was typed. (The browser journeys are in
tests/browser/test_upgrade.py.)"""
from __future__ import annotations

import copy
import html
import json
import re

import pytest

from webhook_support import receiver, validator  # noqa: F401  (fixtures)
from wizard_support import Wizard, body_attr, simple_solution


def with_bravo(d: dict) -> dict:
    d = copy.deepcopy(d)
    d["screens"][0]["slots"].append({"externalId": "bravo", "title": "Bravo", "type": "string", "required": True})
    return d


@pytest.fixture
def w(client, core, user):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    return w


@pytest.fixture
def v1(w, core):
    inst = w.instance("notes", config_values={"channel": "#alpha", "threshold": 3, "api_key": "s3cret"})
    core.set_enabled(inst.id, True)
    return inst


def test_only_the_new_slot_is_asked_marked_new_and_the_rest_stays(w, core, v1):
    core.publish(with_bravo(simple_solution()))
    page = w.open(v1.id).get_data(as_text=True)
    assert 'id="field-bravo"' in page and 'id="field-channel"' not in page and 'id="field-threshold"' not in page
    assert re.search(r'id="bravo-new"[^>]*>\s*<span class="badge badge--new">New</span>\s*Added in this update', page)
    assert "<bdi>Notes sync</bdi> was updated." in page and "Step 1 of 2" in page
    assert core.get_instance(v1.id).version == 1  # nothing moves before Finish
    review = w.post({"bravo": "b"}).get_data(as_text=True)
    assert "Staying as they are" in review
    assert re.search(r'<dd data-slot="channel" data-staying="true"><bdi>#alpha</bdi></dd>', review)
    assert f'href="{w.base}/screen/2/edit"' in review
    payload = json.loads(html.unescape(re.search(r'data-review-values="([^"]*)"', review).group(1)))
    assert payload["visibleValues"] == ["bravo", "channel", "level", "threshold", "api_key"]  # what Finish saves
    assert payload["configValues"] == {"bravo": "b", "channel": "#alpha", "level": "errors", "threshold": 3}
    assert core.get_instance(v1.id).version == 1
    done = w.finish().get_data(as_text=True)
    assert body_attr(done, "data-version") == "2" and body_attr(done, "data-upgraded") == "true"
    data = core.get_instance(v1.id)
    assert data.version == 2 and data.enabled
    assert data.config_values == {"channel": "#alpha", "threshold": 3, "api_key": "s3cret", "bravo": "b"}


def test_edit_brings_a_staying_screen_back_with_all_its_slots(w, core, v1):
    core.publish(with_bravo(simple_solution()))
    w.open(v1.id)
    w.post({"bravo": "b"})
    page = w.get(f"{w.base}/screen/1/edit").get_data(as_text=True)
    assert w.path.endswith("/screen/1")
    assert 'id="field-channel"' in page and 'value="#alpha"' in page and 'id="field-bravo"' in page
    w.post({"channel": "#changed", "level": "errors", "bravo": "b"})
    w.finish()
    assert core.get_instance(v1.id).config_values["channel"] == "#changed"


def test_an_option_that_is_gone_is_asked_with_what_changed(w, core, user):
    inst = w.instance("notes", config_values={"channel": "#a", "level": "all"})
    d = simple_solution()
    d["screens"][0]["slots"][1]["options"] = [{"value": "errors", "text": "Errors only"},
                                              {"value": "warn", "text": "Warnings"}]
    d["screens"][0]["slots"][1]["required"] = True
    core.publish(d)
    page = w.open(inst.id, "upgrade=true").get_data(as_text=True)
    assert 'id="field-level"' in page and 'id="field-channel"' not in page
    assert "Changed in this update: your earlier answer no longer fits." in page


def test_cancel_changes_nothing(w, core, v1):
    core.publish(with_bravo(simple_solution()))
    w.open(v1.id)
    w.post({"bravo": "typed"})
    page = w.get(f"{w.base}/cancel").get_data(as_text=True)
    assert body_attr(page, "data-wizard-page") == "cancel"
    data = core.get_instance(v1.id)
    assert data.version == 1 and data.config_values == {"channel": "#alpha", "threshold": 3, "api_key": "s3cret"}


def test_a_version_published_mid_journey_keeps_what_was_typed(w, core, v1):
    page = w.open(v1.id).get_data(as_text=True)
    assert 'value="#alpha"' in page  # editing, on version 1
    w.post({"channel": "#typed", "level": "all", "keywords": ["deploy"]})
    d = with_bravo(simple_solution())
    d["screens"][0]["slots"][2]["options"] = [{"value": "outage"}]  # the keyword typed is gone
    core.publish(d)
    page = w.post({"threshold": "8"}).get_data(as_text=True)  # Next on screen 2, under version 2 now
    assert w.path.endswith("/screen/1"), w.path
    assert "This integration was updated while you were filling it in" in page
    assert "New: Bravo." in page and "Check Keywords: what you entered no longer fits." in page
    assert 'value="#typed"' in page  # kept as typed
    assert re.search(r'id="keywords-error"', page)  # the choice that no longer fits, with its error
    page = w.post({"channel": "#typed", "level": "all", "keywords": ["outage"], "bravo": "b"}).get_data(as_text=True)
    w.finish()
    data = core.get_instance(v1.id)
    assert data.version == 2
    assert data.config_values == {"channel": "#typed", "level": "all", "keywords": ["outage"], "threshold": 8,
                                  "api_key": "s3cret", "bravo": "b"}


def test_a_version_published_mid_journey_in_german_names_only_what_changed(w, core, user):
    """Titles given per language are compared in the user's language on both sides: a German
    user is told only of the new slot, and the screen already done stays done."""
    d = simple_solution(id="multi")
    d["screens"][0]["slots"][0]["title"] = {"en": "Channel", "de": "Kanal"}
    d["screens"][1]["slots"][0]["title"] = {"en": "Threshold", "de": "Schwelle"}
    core.publish(d)
    inst = w.instance("multi", config_values={"channel": "#alpha", "threshold": 3})
    page = w.open(inst.id, query="lang=de").get_data(as_text=True)
    assert "Kanal" in page
    w.post({"channel": "#typed", "level": "errors"})
    core.publish(with_bravo(d))
    page = w.post({"threshold": "8"}).get_data(as_text=True)  # Next on screen 2, under version 2 now
    assert "Neu: Bravo." in page
    assert "Geändert" not in page and "Changed" not in page
    assert 'value="#typed"' in page


def test_slots_not_asked_cannot_be_posted_past_the_upgrade(w, core, v1):
    """From the attacker's side: fields of slots that stay as they are, added to the upgrade
    screen's POST, are ignored (the form has only what is asked)."""
    core.publish(with_bravo(simple_solution()))
    w.open(v1.id)
    w.post({"bravo": "b", "channel": "#hijacked", "threshold": "9"})
    w.finish()
    data = core.get_instance(v1.id)
    assert data.version == 2 and data.config_values["channel"] == "#alpha" and data.config_values["threshold"] == 3


def test_edit_of_a_screen_that_does_not_exist_goes_back_to_the_wizard(w, core, v1):
    core.publish(with_bravo(simple_solution()))
    w.open(v1.id)
    w.get(f"{w.base}/screen/9/edit")
    assert w.path.endswith("/screen/1")


def test_a_second_version_published_during_an_upgrade_keeps_the_answers_given(w, core, v1):
    core.publish(with_bravo(simple_solution()))
    w.open(v1.id)
    review = w.post({"bravo": "typed"}).get_data(as_text=True)
    assert "Staying as they are" in review
    d3 = with_bravo(simple_solution())
    d3["screens"][1]["slots"].append({"externalId": "charlie", "title": "Charlie", "type": "string", "required": True})
    core.publish(d3)
    page = w.get(f"{w.base}/").get_data(as_text=True)  # the wizard again, now towards version 3
    assert w.path.endswith("/screen/2"), w.path  # Basics was answered and did not change: done
    assert "New: Charlie." in page and 'id="field-charlie"' in page and 'id="field-threshold"' not in page
    assert "Step 2 of 3" in page
    page = w.get(f"{w.base}/screen/1").get_data(as_text=True)
    assert 'value="typed"' in page and 'id="field-channel"' not in page
    w.get(f"{w.base}/screen/2")
    w.post({"charlie": "c"})
    w.finish()
    data = core.get_instance(v1.id)
    assert data.version == 3 and data.config_values["bravo"] == "typed" and data.config_values["charlie"] == "c"
    assert data.config_values["channel"] == "#alpha"


def test_finishing_without_an_upgrade_says_so_in_the_finish_event(w, core, v1):
    w.open(v1.id)
    w.post({"channel": "#alpha", "level": "errors"})
    w.post({"threshold": "3"})
    done = w.finish().get_data(as_text=True)
    assert body_attr(done, "data-version") == "1" and body_attr(done, "data-upgraded") == "false"
    assert "now runs its new version" not in done


def test_a_setting_that_stays_refused_by_the_validation_webhook_is_shown_on_its_field(w, core, v1, validator):
    """The ISV's webhook refuses a value that stays as it is: Finish reopens its screen, with the
    message on the field, instead of sending the user to a screen that does not show it."""
    core.publish(with_bravo(simple_solution()))
    w.open(v1.id)
    w.post({"bravo": "b"})
    validator.validation_answer = lambda data: (
        {"errors": {"threshold": "Too low for this plan."}} if data["trigger"] == "finish" else {})
    w.finish()
    assert w.path.endswith("/screen/2") and "Too low for this plan." in html.unescape(w.page)
    assert 'id="field-threshold"' in w.page and 'value="3"' in w.page
    assert core.get_instance(v1.id).version == 1
    validator.validation_answer = lambda data: {}
    w.post({"threshold": "7"})
    w.finish()
    data = core.get_instance(v1.id)
    assert data.version == 2 and data.config_values["threshold"] == 7
