"""Issue 27, the wizard's own answers: post/redirect/get for every POST that shows its screen
again (what was typed and its errors kept in the saved progress), the review's list of what is
still needed (Finish only once nothing is, still checked on the server), the instance's name
under the one rule of the API and the CLI, and what the user or the ISV wrote direction-isolated."""
from __future__ import annotations

import html
import re

from wizard.solutions.values import MAX_INSTANCE_NAME
from wizard_support import Wizard, body_attr, csrf_of, inst, simple_solution, wiz  # noqa: F401  (fixtures)


def test_a_refused_next_redirects_to_its_screen_which_shows_the_typed_values_and_errors(wiz, inst):
    wiz.open(inst.id)
    screen = wiz.base + "/screen/1"
    resp = wiz.post({"channel": "   ", "level": "all", "keywords": ["deploy"]}, follow=False)
    assert resp.status_code == 303 and resp.headers["Location"] == screen  # never a page answering a POST
    shown = wiz.get(screen)
    assert shown.status_code == 422
    assert 'id="error-summary"' in wiz.page and "Channel is required." in wiz.page
    assert re.search(r'<option selected value="all">|<option value="all" selected>', wiz.page)
    assert re.search(r'value="deploy"[^>]*checked|checked[^>]*value="deploy"', wiz.page)
    again = wiz.get(screen)  # a reload: the draft again, checked anew
    assert again.status_code == 200 and "Channel is required." in wiz.page
    assert re.search(r'value="deploy"[^>]*checked|checked[^>]*value="deploy"', wiz.page)
    # Next with the value goes on, and the draft is gone
    wiz.post({"channel": "#ops", "level": "errors"})
    assert wiz.path.endswith("/screen/2")
    wiz.get(screen)
    assert "Channel is required." not in wiz.page and 'value="#ops"' in wiz.page


def test_add_row_and_a_condition_that_now_holds_redirect_too(client, core, user):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    inst_ = w.instance("notes")
    w.open(inst_.id)
    resp = w.post({"channel": "#ops", "level": "all"}, follow=False)  # keywords appear: shown first
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/screen/1")
    w.get(resp.headers["Location"])
    assert "More settings apply now" in w.page and 'value="#ops"' in w.page
    assert 'id="error-summary"' not in w.page  # the new field is not an error yet


def test_the_instance_name_in_the_wizard_follows_the_one_rule(wiz, inst, core):
    wiz.open(inst.id)
    assert f'maxlength="{MAX_INSTANCE_NAME}"' in wiz.page
    wiz.post({"wizard_name": "x" * (MAX_INSTANCE_NAME + 1), "channel": "#ops"})
    assert wiz.path.endswith("/screen/1")
    page = html.unescape(wiz.page)
    assert 'id="wizard_name-error"' in wiz.page and "at most 100 characters (this one has 101)" in page
    assert re.search(r'<li><a href="#field-wizard_name"[^>]*>The name may have at most 100', page)
    assert 'aria-invalid="true"' in re.search(r'<input[^>]*id="wizard_name"[^>]*>', wiz.page).group(0)
    wiz.post({"wizard_name": "  Ops notes  ", "channel": "#ops"})
    assert wiz.path.endswith("/screen/2")
    wiz.post({"threshold": "7"})
    wiz.finish()
    assert core.get_instance(inst.id).name == "Ops notes"


def test_the_review_lists_what_is_still_needed_and_finish_waits(wiz, inst, core, client):
    wiz.open(inst.id)
    wiz.get(f"{wiz.base}/review")  # straight to the review: Channel (required) is missing
    needed = re.search(r'<div class="alert alert--error" id="review-missing">(.*?)</div>', wiz.page, re.S)
    assert needed, wiz.page
    links = re.findall(r'<a href="([^"]+)"><bdi>([^<]+)</bdi></a>: ([^<]+)</li>', needed.group(1))
    assert links == [(f"{wiz.base}/screen/1?field=channel", "Channel", "Channel is required.")]
    assert 'id="wizard-finish"' not in wiz.page
    # the server still refuses a Finish posted anyway: back to the screen, nothing enabled
    resp = client.post(f"{wiz.base}/finish", data={"csrf_token": csrf_of(wiz.page), "wizard_screen": "review"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/screen/1")
    assert core.get_instance(inst.id).enabled is False
    wiz.get(resp.headers["Location"])
    wiz.post({"channel": "#ops"})
    wiz.post({"threshold": "7"})
    assert wiz.path.endswith("/review") and 'id="review-missing"' not in wiz.page and 'id="wizard-finish"' in wiz.page


def test_what_the_user_or_the_isv_wrote_is_direction_isolated(wiz, inst):
    wiz.open(inst.id, "lang=ar")
    assert body_attr(wiz.page, "data-wizard-page") == "screen"
    assert '<h1 id="screen-title"><bdi>Basics</bdi></h1>' in wiz.page
    assert '<p class="wizard-header__solution"><bdi>Notes sync</bdi>' in wiz.page
    assert re.search(r'<label for="channel"><bdi>Channel</bdi>', wiz.page)
    assert re.search(r'<input[^>]*dir="auto"[^>]*id="channel"|<input[^>]*id="channel"[^>]*dir="auto"', wiz.page)
    wiz.post({"channel": "#general", "wizard_name": "تنبيهات #1"})
    wiz.post({"threshold": "7"})
    assert '<dd data-slot="channel"><bdi>#general</bdi></dd>' in wiz.page
    assert "<dd><bdi>تنبيهات #1</bdi></dd>" in wiz.page
    assert "<dt><bdi>Channel</bdi></dt>" in wiz.page
