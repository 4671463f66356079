"""The journey through the screens: progress, resume, review, finish and its failures."""
from __future__ import annotations

import re
from urllib.parse import urlsplit


from wizard.core import CoreUnavailable
from wizard.models import WizardProgress
from wizard.extensions import db
from wizard_support import Wizard, body_attr, checked_values, inst, simple_solution, wiz  # noqa: F401  (fixtures)


def test_a_solution_without_auth_slots_from_start_to_finish(wiz, inst, core):
    wiz.open(inst.id)
    assert "Step 1 of 3" in wiz.page and 'aria-current="step"' in wiz.page
    wiz.post({"wizard_name": "My notes", "channel": "#ops", "level": "errors"})
    assert wiz.path.endswith("/screen/2")
    wiz.post({"threshold": "7", "api_key": "s3cr3t-value"})
    assert wiz.path.endswith("/review")
    assert "#ops" in wiz.page and "Errors only" in wiz.page and "7" in wiz.page
    assert "••••••" in wiz.page and "s3cr3t-value" not in wiz.page
    resp = wiz.finish()
    assert resp.status_code == 200 and wiz.path.endswith("/done")
    assert body_attr(wiz.page, "data-wizard-page") == "done"
    assert body_attr(wiz.page, "data-enabled") == "true"
    data = core.get_instance(inst.id)
    assert data.enabled is True
    assert data.name == "My notes"
    assert data.config_values == {"channel": "#ops", "level": "errors", "threshold": 7, "api_key": "s3cr3t-value"}


def test_next_with_errors_stays_and_shows_them(wiz, inst):
    wiz.open(inst.id)
    resp = wiz.post({"channel": "   "})
    assert resp.status_code == 422 and wiz.path.endswith("/screen/1")
    assert 'id="error-summary"' in wiz.page
    assert 'id="channel-error"' in wiz.page and "Channel is required." in wiz.page
    assert 'aria-invalid="true"' in wiz.page
    assert 'aria-describedby="channel-error"' in wiz.page
    assert "<title>Error: " in wiz.page


def test_back_keeps_what_was_typed_even_when_invalid(wiz, inst):
    wiz.open(inst.id)
    wiz.post({"channel": "#ops"})
    wiz.post({"threshold": "99"}, action="back")
    assert wiz.path.endswith("/screen/1")
    wiz.get(f"{wiz.base}/screen/2")
    assert 'value="99"' in wiz.page and "Threshold must be at most 10" in wiz.page


def test_finish_goes_back_to_input_left_on_a_screen_instead_of_dropping_it(wiz, inst, core):
    wiz.open(inst.id)
    wiz.post({"channel": "#ops"})
    wiz.post({"threshold": "4"})  # valid and stored
    wiz.get(f"{wiz.base}/screen/2")
    wiz.post({"threshold": "99"}, action="back")  # then changed, invalid, and left by Back
    wiz.finish()
    assert wiz.path.endswith("/screen/2")
    assert 'value="99"' in wiz.page and "Threshold must be at most 10" in wiz.page
    assert "You left changes on this step." in wiz.page
    assert core.get_instance(inst.id).enabled is False


def test_showif_hides_and_drops_stale_values(wiz, inst, core):
    wiz.open(inst.id)
    assert 'id="field-keywords"' in wiz.page
    assert 'data-show-if="{&#34;level&#34;: [&#34;all&#34;]}"' in wiz.page
    # Rendered hidden while the condition does not hold (the script shows it live).
    assert 'data-slot="keywords"' in wiz.page and _hidden(wiz.page, "keywords")
    wiz.post({"channel": "#ops", "level": "all", "keywords": ["deploy"]})
    assert wiz.path.endswith("/screen/2")
    wiz.get(f"{wiz.base}/screen/1")
    assert not _hidden(wiz.page, "keywords")
    wiz.post({"channel": "#ops", "level": "errors", "keywords": ["deploy"]})
    prog = db.session.get(WizardProgress, inst.id)
    db.session.refresh(prog)
    assert "keywords" not in prog.data["config"]
    wiz.post({"threshold": "3"})
    wiz.finish()
    assert "keywords" not in core.get_instance(inst.id).config_values


def test_a_field_that_appears_is_shown_before_moving_on(wiz, inst):
    wiz.open(inst.id)
    wiz.post({"channel": "#ops", "level": "all"})  # no script: keywords was hidden when rendered
    assert wiz.path.endswith("/screen/1")
    assert "More settings apply now" in wiz.page and not _hidden(wiz.page, "keywords")
    wiz.post({"channel": "#ops", "level": "all"})
    assert wiz.path.endswith("/screen/2")


def test_resume_after_leaving_half_way(wiz, inst, client):
    wiz.open(inst.id)
    wiz.post({"wizard_name": "Half", "channel": "#later", "level": "all", "keywords": ["outage"]})
    assert wiz.path.endswith("/screen/2")
    # The window is closed; later the ISV page opens the wizard again with a new code.
    later = Wizard(client, wiz.core, wiz.owner)
    later.open(inst.id)
    assert later.path.endswith("/screen/2")  # the first unfinished screen
    later.get(f"{later.base}/screen/1")
    assert 'value="#later"' in later.page and 'value="Half"' in later.page
    assert checked_values(later.page, "keywords") == {"outage"}


def test_editing_an_enabled_instance_opens_prefilled(wiz, core, client):
    inst = wiz.instance("notes", config_values={"channel": "#prod", "threshold": 8, "api_key": "old-secret"})
    core.set_enabled(inst.id, True)
    wiz.open(inst.id)
    assert wiz.path.endswith("/screen/1")
    assert 'value="#prod"' in wiz.page
    wiz.get(f"{wiz.base}/screen/2")
    assert 'value="8"' in wiz.page
    assert "old-secret" not in wiz.page and "Saved. Leave empty to keep it." in wiz.page
    wiz.post({"threshold": "9", "api_key": ""})
    wiz.finish()
    data = core.get_instance(inst.id)
    assert data.config_values["api_key"] == "old-secret" and data.config_values["threshold"] == 9


def test_secret_never_appears_in_any_page_after_saving(wiz, inst, client):
    secret = "zz-top-secret-42"
    wiz.open(inst.id)
    wiz.post({"channel": "#a"})
    wiz.post({"api_key": secret})
    pages = [wiz.page]
    for path in ("/screen/1", "/screen/2", "/review", "/cancel"):
        pages.append(client.get(wiz.base + path).get_data(as_text=True))
    # a failing screen re-rendered after a secret was typed does not echo it either
    wiz.get(f"{wiz.base}/screen/2")
    wiz.post({"threshold": "0", "api_key": "another-" + secret})
    pages.append(wiz.page)
    wiz.get(f"{wiz.base}/screen/2")
    wiz.post({"threshold": "4", "api_key": ""})
    wiz.finish()
    pages.append(wiz.page)
    again = Wizard(client, wiz.core, wiz.owner)
    again.open(inst.id)
    pages.append(again.page)
    pages.append(client.get(again.base + "/screen/2").get_data(as_text=True))
    for page in pages:
        assert secret not in page
    assert wiz.core.get_instance(inst.id).config_values["api_key"] == secret
    prog = db.session.get(WizardProgress, inst.id)
    assert secret not in str(prog.data)


def test_review_lists_every_value_with_links_back(wiz, inst):
    wiz.open(inst.id)
    wiz.post({"channel": "#ops", "level": "all", "keywords": ["deploy", "outage"]})
    wiz.post({"threshold": "2"})
    assert wiz.path.endswith("/review")
    assert "deploy, outage" in wiz.page and "Everything" in wiz.page
    assert f'href="{wiz.base}/screen/1"' in wiz.page and f'href="{wiz.base}/screen/2"' in wiz.page
    assert "Not set" in wiz.page  # the secret was left empty
    assert 'id="wizard-finish"' in wiz.page


def test_finish_revalidates_and_sends_back_to_the_first_failing_screen(wiz, inst):
    wiz.open(inst.id)
    # Skip screen 1 by going straight to 2 and the review.
    wiz.get(f"{wiz.base}/screen/2")
    wiz.post({"threshold": "3"})
    resp = wiz.finish()
    assert resp.status_code == 200 and wiz.path.endswith("/screen/1")
    assert "Channel is required." in wiz.page
    assert wiz.core.get_instance(inst.id).enabled is False


def test_finish_twice_enables_once_and_answers_both(wiz, inst, client, core):
    wiz.open(inst.id)
    wiz.post({"channel": "#ops"})
    wiz.post({"threshold": "3"})
    from wizard_support import csrf_of

    token = csrf_of(wiz.page)
    first = client.post(f"{wiz.base}/finish", data={"csrf_token": token})
    second = client.post(f"{wiz.base}/finish", data={"csrf_token": token})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"].endswith("/done")
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert body_attr(page, "data-wizard-page") == "done"
    assert core.get_instance(inst.id).enabled is True


def _finish_twice_at_once(live_server, base, token):
    """Two Finish POSTs released at the same moment over real HTTP; their answers."""
    import threading

    import requests

    start = threading.Barrier(2)
    answers = []

    def finish():
        start.wait()
        answers.append(requests.post(f"{live_server}{base}/finish", data={"csrf_token": token},
                                     allow_redirects=False, timeout=30))

    threads = [threading.Thread(target=finish) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_two_finishes_at_once_save_and_enable_once(wiz, inst, core, live_server, monkeypatch):
    """A double click or a second tab, over real HTTP and truly at the same time: the core is
    asked once; both answers lead to the same calm /done page."""
    import time

    from wizard.core.embedded import EmbeddedCore
    from wizard_support import csrf_of

    wiz.open(inst.id)
    wiz.post({"channel": "#ops"})
    wiz.post({"threshold": "3"})
    token = csrf_of(wiz.page)
    calls = []
    real = EmbeddedCore.save_and_enable  # what Finish asks the core (save, enable: one transaction)

    def slow_enable(self, *args, **kw):
        calls.append(args)
        time.sleep(0.5)  # the second Finish arrives while the first is talking to the core
        return real(self, *args, **kw)

    monkeypatch.setattr(EmbeddedCore, "save_and_enable", slow_enable)
    answers = _finish_twice_at_once(live_server, wiz.base, token)
    assert len(calls) == 1
    assert [a.status_code for a in answers] == [303, 303]
    assert {urlsplit(a.headers["Location"]).path for a in answers} == {f"{wiz.base}/done"}
    db.session.expire_all()  # the live server's commits, not this session's earlier reads
    assert core.get_instance(inst.id).enabled is True


def test_two_finishes_at_once_that_fail_both_say_why(wiz, inst, core, live_server, monkeypatch):
    """When the one Finish that talks to the core fails, its twin (the response the browser
    shows after a double click) gives the same error, not a silent review page."""
    import time

    from wizard.core.embedded import EmbeddedCore
    from wizard_support import csrf_of

    wiz.open(inst.id)
    wiz.post({"channel": "#ops"})
    wiz.post({"threshold": "3"})
    calls = []

    def unreachable(self, *args, **kw):
        calls.append(args)
        time.sleep(0.5)
        raise CoreUnavailable("connection refused")

    monkeypatch.setattr(EmbeddedCore, "save_and_enable", unreachable)
    answers = _finish_twice_at_once(live_server, wiz.base, csrf_of(wiz.page))
    assert len(calls) == 1
    assert [a.status_code for a in answers] == [503, 503]
    assert all(body_attr(a.text, "data-error-code") == "core_unavailable" for a in answers)
    assert all("could not be reached" in a.text for a in answers)

def test_core_refusing_keeps_every_value_and_says_why(client, core, user):
    w = Wizard(client, core, user)
    d = simple_solution()
    d["screens"][1]["slots"].append({"externalId": "tenant", "title": "Tenant", "type": "string",
                                     "hidden": True, "required": True})
    w.publish(d)
    inst = w.instance("notes")
    w.open(inst.id)
    w.post({"channel": "#kept"})
    w.post({"threshold": "6"})
    resp = w.finish()
    assert resp.status_code == 409 and w.path.endswith("/finish")
    assert body_attr(w.page, "data-error-code") == "missing_values"
    assert body_attr(w.page, "data-wizard-page") == "review"
    assert "Tenant" in w.page and "set by the application" in w.page
    assert 'id="error-summary"' in w.page and "Try again" in w.page
    assert core.get_instance(inst.id).enabled is False
    # Nothing lost: the progress still has every value, and the screens are prefilled.
    w.get(f"{w.base}/screen/1")
    assert 'value="#kept"' in w.page
    # The ISV sets its value; the retry succeeds.
    core.save_values(inst.id, config_values={"tenant": "t-1"})
    w.finish()
    assert w.path.endswith("/done") and core.get_instance(inst.id).enabled is True


class DownCore:
    """A core that does not answer."""

    def __init__(self, real):
        self.real = real

    def get_instance(self, iid):
        return self.real.get_instance(iid)

    def instance_read(self):
        return self.real.instance_read()

    def save_values(self, *a, **kw):
        raise CoreUnavailable("connection refused")

    def set_enabled(self, *a, **kw):
        raise CoreUnavailable("connection refused")

    def save_and_enable(self, *a, **kw):
        raise CoreUnavailable("connection refused")

    def upgrade(self, *a, **kw):
        raise CoreUnavailable("connection refused")


def test_core_unreachable_keeps_every_value(wiz, inst, app, core):
    wiz.open(inst.id)
    wiz.post({"channel": "#ops"})
    wiz.post({"threshold": "4", "api_key": "k-1"})
    app.extensions["wizard_core"] = DownCore(core)
    resp = wiz.finish()
    assert resp.status_code == 503
    assert body_attr(wiz.page, "data-error-code") == "core_unavailable"
    assert "could not be reached" in wiz.page and "Your answers are kept" in wiz.page
    app.extensions.pop("wizard_core")
    resp = wiz.finish()
    assert wiz.path.endswith("/done")
    assert core.get_instance(inst.id).config_values == {"channel": "#ops", "threshold": 4, "api_key": "k-1"}


def test_core_unreachable_during_next_keeps_what_was_typed(wiz, inst, app, core):
    wiz.open(inst.id)
    wiz.post({"channel": "#ops"})

    class Dead:
        remote = False  # an embedded core whose database stopped answering

        def get_instance(self, iid):
            raise CoreUnavailable("down")

        def instance_read(self):
            return None  # (its instances are not read with the session)

    app.extensions["wizard_core"] = Dead()
    resp = wiz.post({"threshold": "7", "api_key": "typed-secret"})
    assert resp.status_code == 503
    assert body_attr(wiz.page, "data-error-code") == "core_unavailable"
    app.extensions.pop("wizard_core")
    wiz.get(f"{wiz.base}/screen/2")
    assert 'value="7"' in wiz.page  # the typed threshold is back (the default is 5)
    assert "typed-secret" not in wiz.page  # a secret is never sent back
    db.session.expire_all()
    draft = db.session.get(WizardProgress, inst.id).data["drafts"]["2"]
    assert "api_key" not in draft and draft["threshold"] == ["7"]


def test_core_unreachable_on_entry_is_a_clear_error(wiz, inst, app, client):
    class Dead:
        remote = False  # an embedded core whose database stopped answering

        def get_instance(self, iid):
            raise CoreUnavailable("down")

        def instance_read(self):
            return None  # (its instances are not read with the session)

    app.extensions["wizard_core"] = Dead()
    resp = client.get(f"/configure/{inst.id}?code={wiz.code()}")
    assert resp.status_code == 503
    assert body_attr(resp.get_data(as_text=True), "data-error-code") == "core_unavailable"


def test_auto_enable_false_saves_without_enabling(client, core, user):
    w = Wizard(client, core, user)
    w.publish(simple_solution(autoEnable=False))
    inst = w.instance("notes")
    w.open(inst.id)
    w.post({"channel": "#x"})
    w.post({})
    w.finish()
    assert body_attr(w.page, "data-enabled") == "false"
    data = core.get_instance(inst.id)
    assert data.enabled is False and data.config_values["channel"] == "#x"


def test_skip_title_field(wiz, inst):
    wiz.open(inst.id)
    assert 'name="wizard_name"' in wiz.page
    wiz.open(inst.id, "skipTitleField=true")
    assert 'name="wizard_name"' not in wiz.page


def steps_listed(page: str) -> int:
    nav = re.search(r'<ol class="steps" id="wizard-steps">(.*?)</ol>', page, re.S).group(1)
    return nav.count("<li")


def test_the_step_counter_and_the_progress_list_count_the_same_steps(wiz, inst):
    """Review is a step of the progress list, so it is one of the counter's too."""
    wiz.open(inst.id)
    assert steps_listed(wiz.page) == 3 and "Step 1 of 3" in wiz.page
    wiz.post({"channel": "#ops"})
    assert steps_listed(wiz.page) == 3 and "Step 2 of 3" in wiz.page
    wiz.post({"threshold": "7"})
    assert wiz.path.endswith("/review")
    assert steps_listed(wiz.page) == 3 and "Step 3 of 3" in wiz.page and "Last step" not in wiz.page


def steps_of(page: str) -> list[str]:
    nav = re.search(r'<ol class="steps" id="wizard-steps">(.*?)</ol>', page, re.S).group(1)
    return [re.sub(r"\s+", " ", li).strip() for li in re.findall(r"<li.*?</li>", nav, re.S)]


def test_the_progress_list_marks_the_screen_shown_and_links_the_others(wiz, inst):
    """The screen shown is marked current and not linked; a done screen says so to screen
    readers; on the review every screen is linked and Review is current."""
    wiz.open(inst.id)
    first, second, review = steps_of(wiz.page)
    # the ISV's titles direction-isolated (issue 27)
    assert first == '<li class="" aria-current="step"><bdi>Basics</bdi></li>'
    assert second == f'<li class=""><a href="{wiz.base}/screen/2"><bdi>Details</bdi></a></li>'
    assert review == "<li>Review</li>"
    wiz.post({"channel": "#ops"})
    first, second, review = steps_of(wiz.page)
    assert first == (f'<li class="is-done"><a href="{wiz.base}/screen/1"><bdi>Basics</bdi></a>'
                     '<span class="visually-hidden"> (done)</span></li>')
    assert second == '<li class="" aria-current="step"><bdi>Details</bdi></li>'
    wiz.post({"threshold": "7"})
    first, second, review = steps_of(wiz.page)
    assert first.startswith(f'<li class="is-done"><a href="{wiz.base}/screen/1"><bdi>Basics</bdi></a>')
    assert second.startswith(f'<li class="is-done"><a href="{wiz.base}/screen/2"><bdi>Details</bdi></a>')
    assert review == '<li aria-current="step">Review</li>'


def test_show_restricts_the_screens(wiz, inst):
    wiz.open(inst.id, "show=[2]")
    assert wiz.path.endswith("/screen/2") and "Step 1 of 2" in wiz.page
    assert wiz.client.get(f"{wiz.base}/screen/1").status_code == 303  # not an active screen
    wiz.post({"threshold": "3"})
    assert wiz.path.endswith("/review") and "Basics" not in wiz.page


def test_start_opens_at_a_screen(wiz, inst):
    wiz.open(inst.id, "start=2")
    assert wiz.path.endswith("/screen/2") and "Step 2 of 3" in wiz.page


def test_cancel_page_tells_the_host_and_keeps_progress(wiz, inst, client):
    wiz.open(inst.id)
    wiz.post({"channel": "#c"})
    page = client.get(f"{wiz.base}/cancel").get_data(as_text=True)
    assert body_attr(page, "data-wizard-page") == "cancel"
    assert client.get(f"{wiz.base}/screen/1").get_data(as_text=True).count('value="#c"') == 1


def test_upgrade_asks_only_for_what_is_new(client, core, user):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    inst = w.instance("notes", config_values={"channel": "#a"})
    d = simple_solution()
    d["screens"].append({"title": "New things", "slots": [
        {"externalId": "region", "title": "Region", "type": "string", "required": True}]})
    core.publish(d)
    assert core.get_instance(inst.id).flags.requiresUserInputToUpdateVersion
    w.open(inst.id)
    assert "New things" in w.page and "Step 1 of 2" in w.page and "Basics" not in w.page
    w.post({"region": "eu"})
    w.finish()
    data = core.get_instance(inst.id)
    assert data.version == 2 and data.config_values["region"] == "eu" and data.config_values["channel"] == "#a"
    assert data.enabled is True


def _hidden(page: str, slot: str) -> bool:
    import re

    m = re.search(r'<div class="field[^"]*" id="field-' + re.escape(slot) + r'"[^>]*>', page, re.S)
    assert m, slot
    return bool(re.search(r"\shidden>$|\shidden\s", m.group(0)))


def test_twin_of_a_refused_finish_links_the_missing_slots_and_stores_no_session_reference(wiz, inst, live_server,
                                                                                           monkeypatch):
    import json
    import time

    from wizard.core import MissingValues
    from wizard.core.embedded import EmbeddedCore
    from wizard_support import csrf_of

    wiz.open(inst.id)
    wiz.post({"channel": "#ops"})
    wiz.post({"threshold": "3"})

    def refuse(self, *args, **kw):
        time.sleep(0.5)
        raise MissingValues(["channel"])

    monkeypatch.setattr(EmbeddedCore, "save_and_enable", refuse)
    answers = _finish_twice_at_once(live_server, wiz.base, csrf_of(wiz.page))
    assert [a.status_code for a in answers] == [409, 409]
    for a in answers:
        assert body_attr(a.text, "data-error-code") == "missing_values"
        # the error names the slot and links its screen, in the twin's answer too
        assert re.search(rf'<li><a href="{re.escape(wiz.base)}/screen/1">[^<]+</a>: This is required.</li>', a.text)
    db.session.expire_all()
    stored = json.dumps(db.session.get(WizardProgress, inst.id).data)
    assert "finish_error" in stored and wiz.base.split("/s/")[1] not in stored
