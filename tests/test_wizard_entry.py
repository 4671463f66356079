"""Entering the wizard and the session's binding, from the attacker's side too."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit


from wizard.extensions import db
from wizard.models import AuthorizationCode, utcnow
from wizard_support import Wizard, body_attr, csrf_of, inst, simple_solution, wiz  # noqa: F401  (fixtures)


def test_entry_redirects_to_a_session_url_without_the_code(wiz, inst, client):
    code = wiz.code()
    resp = client.get(f"/configure/{inst.id}?code={code}&customValidation=true&start=2&lang=de&show=[1,2]")
    assert resp.status_code == 303
    loc = resp.headers["Location"]
    assert code not in loc and "code=" not in loc
    parts = urlsplit(loc)
    assert re.fullmatch(rf"/configure/{inst.id}/s/[A-Za-z0-9_-]{{40,64}}/", parts.path)
    q = parse_qs(parts.query)
    assert q["customValidation"] == ["true"] and q["start"] == ["2"] and q["lang"] == ["de"]
    assert q["show"] == ["[1,2]"]
    assert "wizard_sid" not in resp.headers.get("Set-Cookie", "")  # the session lives in the URL
    assert resp.headers["Referrer-Policy"] == "no-referrer"


def test_entry_opens_the_first_screen_and_may_be_framed_by_allowed_origins(wiz, inst, app):
    resp = wiz.open(inst.id)
    assert resp.status_code == 200 and wiz.path.endswith("/screen/1")
    csp = resp.headers["Content-Security-Policy"]
    for origin in app.config["WIZARD_ALLOWED_ORIGINS"]:
        assert origin in csp.split("frame-ancestors", 1)[1]
    assert "<h1" in wiz.page and wiz.page.count("<h1") == 1
    assert body_attr(wiz.page, "data-wizard-page") == "screen"
    assert body_attr(wiz.page, "data-instance-id") == inst.id


def test_tray_embedded_alias_path(wiz, inst, client, app):
    resp = client.get(f"/external/solutions/emb-1/configure/{inst.id}?code={wiz.code()}")
    assert resp.status_code == 303 and "/s/" in resp.headers["Location"]
    app.config["WIZARD_EMBEDDED_ID"] = "acme"
    try:
        resp = client.get(f"/external/solutions/other/configure/{inst.id}?code={wiz.code()}")
        assert resp.status_code == 404
        resp = client.get(f"/external/solutions/acme/configure/{inst.id}?code={wiz.code()}")
        assert resp.status_code == 303
    finally:
        app.config["WIZARD_EMBEDDED_ID"] = None


def test_no_code_is_a_clear_error_page(inst, client):
    resp = client.get(f"/configure/{inst.id}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 403
    assert body_attr(page, "data-error-code") == "invalid_code"
    assert "Traceback" not in page and "authorization code" in page


def test_a_code_is_accepted_once(wiz, inst, client):
    code = wiz.code()
    assert client.get(f"/configure/{inst.id}?code={code}").status_code == 303
    again = client.get(f"/configure/{inst.id}?code={code}")
    page = again.get_data(as_text=True)
    assert again.status_code == 403
    assert body_attr(page, "data-error-code") == "invalid_code"
    assert body_attr(page, "data-wizard-page") == "error"
    assert body_attr(page, "data-instance-id") == inst.id
    assert "already been used" in page


def test_one_code_in_two_requests_at_the_same_moment_opens_one_wizard(wiz, inst, live_server):
    """Two requests over real HTTP present one code. On PostgreSQL a third connection first
    holds the code's row lock until both requests are waiting on it, so that they truly
    overlap; then exactly one gets a wizard and the other the "already used" page."""
    import threading
    import time

    import requests
    from sqlalchemy import text

    code = wiz.code()
    holder = None
    if db.engine.dialect.name == "postgresql":
        holder = db.engine.connect()
        holder.begin()
        holder.execute(text("SELECT 1 FROM authorization_codes FOR UPDATE"))
    answers = []

    def present():
        answers.append(requests.get(f"{live_server}/configure/{inst.id}?code={code}", allow_redirects=False, timeout=30))

    threads = [threading.Thread(target=present) for _ in range(2)]
    for t in threads:
        t.start()
    if holder is not None:
        deadline = time.monotonic() + 15
        waiting = 0
        while waiting < 2 and time.monotonic() < deadline:
            with db.engine.connect() as probe:
                waiting = probe.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                             "AND datname = current_database()")).scalar()
            time.sleep(0.05)
        assert waiting == 2  # both requests are inside the UPDATE, at the same moment
        holder.rollback()
        holder.close()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [303, 403]
    assert "already been used" in next(a.text for a in answers if a.status_code == 403)


def test_an_expired_code_is_refused(wiz, inst, client):
    code = wiz.code()
    db.session.query(AuthorizationCode).update({"expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    resp = client.get(f"/configure/{inst.id}?code={code}")
    assert resp.status_code == 403
    assert body_attr(resp.get_data(as_text=True), "data-error-code") == "expired_code"


def test_unknown_instance_is_404(wiz, client):
    resp = client.get(f"/configure/nope?code={wiz.code()}")
    assert resp.status_code == 404
    assert body_attr(resp.get_data(as_text=True), "data-error-code") == "not_found"


def test_fred_cannot_open_adas_instance_with_his_own_code(wiz, inst, client, fred):
    resp = client.get(f"/configure/{inst.id}?code={wiz.code(fred)}")
    assert resp.status_code == 403
    assert body_attr(resp.get_data(as_text=True), "data-error-code") == "forbidden"


def test_a_session_cannot_reach_another_instance(wiz, inst, client):
    other = wiz.instance("notes")
    wiz.open(inst.id)
    sid_path = wiz.base.split("/s/")[1]
    for url in (f"/configure/{other.id}/s/{sid_path}/", f"/configure/{other.id}/s/{sid_path}/screen/1",
                f"/configure/{other.id}/s/{sid_path}/review"):
        resp = client.get(url)
        assert resp.status_code == 403, url
        assert body_attr(resp.get_data(as_text=True), "data-error-code") == "forbidden"
    resp = client.post(f"/configure/{other.id}/s/{sid_path}/finish", data={"csrf_token": csrf_of(wiz.page)})
    assert resp.status_code == 403
    assert core_enabled(wiz, other.id) is False


def test_a_session_of_fred_cannot_reach_adas_instance(wiz, inst, client, fred):
    freds = wiz.instance("notes", owner=fred)
    w2 = Wizard(client, wiz.core, fred)
    w2.open(freds.id)
    sid = w2.base.split("/s/")[1]
    assert client.get(f"/configure/{inst.id}/s/{sid}/screen/1").status_code == 403


def test_an_unknown_session_reference_is_refused(inst, client):
    resp = client.get(f"/configure/{inst.id}/s/{'x' * 43}/screen/1")
    assert resp.status_code == 403
    assert body_attr(resp.get_data(as_text=True), "data-error-code") == "session_expired"


def test_a_new_code_replaces_the_old_session(wiz, inst, client):
    wiz.open(inst.id)
    old = wiz.base
    wiz.open(inst.id)
    assert wiz.base != old
    # the newer session ends the old tab's (issue 10): one session per instance at a time
    assert client.get(f"{old}/screen/1").status_code == 403
    assert client.get(f"{wiz.base}/screen/1").status_code == 200


def test_an_old_tabs_finish_says_the_session_ended_in_the_users_language(wiz, inst, client):
    """Issue 27: a Finish (or Next) from a tab whose session a newer code ended is not "this form
    has expired": it is `session_expired`, in the session's language, saying what to do."""
    wiz.open(inst.id, "lang=de")
    old, old_page = wiz.base, wiz.page
    wiz.open(inst.id, "lang=de")  # the same instance opened again elsewhere
    for url, data in ((f"{old}/finish", {"wizard_screen": "review"}),
                      (f"{old}/screen/1", {"wizard_screen": "1", "wizard_action": "next", "channel": "x"})):
        resp = client.post(url, data={"csrf_token": csrf_of(old_page), **data}, headers={"Accept-Language": "de"})
        page = resp.get_data(as_text=True)
        assert resp.status_code == 403, url
        assert body_attr(page, "data-error-code") == "session_expired"
        assert body_attr(page, "data-instance-id") == inst.id
        assert "Schließen Sie dieses Fenster" in page and "abgelaufen" not in page
    # a form with a forged token inside a live session is still the CSRF refusal
    resp = client.post(f"{wiz.base}/finish", data={"csrf_token": "forged", "wizard_screen": "review"})
    assert resp.status_code == 400 and body_attr(resp.get_data(as_text=True), "data-error-code") == "error"


def test_missing_csrf_token_is_400(wiz, inst):
    wiz.open(inst.id)
    page = wiz.page
    resp = wiz.post({"channel": "x"}, csrf=False)
    assert resp.status_code == 400
    assert "expired or was not sent by the wizard" in resp.get_data(as_text=True)
    wiz.page = page
    assert wiz.post({"channel": "x"}).status_code == 200  # with the token it goes on
    assert wiz.path.endswith("/screen/2")


def test_a_csrf_token_of_another_session_is_refused(wiz, inst, client):
    wiz.open(inst.id)
    token = csrf_of(wiz.page)
    other = Wizard(client, wiz.core, wiz.owner)
    other.open(inst.id)
    resp = client.post(f"{other.base}/screen/1", data={"csrf_token": token, "wizard_screen": "1", "channel": "x"})
    assert resp.status_code == 400


def test_tampered_current_screen_field_is_400(wiz, inst, client):
    wiz.open(inst.id)
    resp = client.post(f"{wiz.base}/screen/1", data={"csrf_token": csrf_of(wiz.page), "wizard_screen": "2",
                                                     "wizard_action": "next", "channel": "x"})
    assert resp.status_code == 400
    assert body_attr(resp.get_data(as_text=True), "data-error-code") == "bad_request"


def test_script_in_definition_and_values_is_inert(client, core, user):
    evil = "<script>alert(1)</script>"
    w = Wizard(client, core, user)
    w.publish({
        "id": "evil", "title": "T" + evil,
        "screens": [{"title": "S" + evil, "description": "D" + evil, "slots": [
            {"externalId": "a", "title": "A" + evil, "type": "string", "help": "H" + evil, "placeholder": "P\"" + evil},
            {"externalId": "b", "title": "B", "type": "select", "options": [{"value": "x", "text": "O" + evil}]},
        ]}],
    })
    inst = w.instance("evil")
    w.open(inst.id)
    assert "<script>alert" not in w.page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in w.page
    w.post({"a": '"><script>alert(2)</script>', "b": "x"})
    w.get(f"{w.base}/review")
    assert "<script>alert" not in w.page
    assert "&lt;script&gt;alert(2)" in w.page
    assert len(re.findall(r"<script", w.page)) == 1  # only the page's own script tag


def core_enabled(wiz, iid):
    return wiz.core.get_instance(iid).enabled


def test_only_the_first_page_after_entry_announces_ready(client, core, user):
    """docs/events.md: tray.configPopup.ready when the first screen is shown; later pages (and a
    reload) do not say it again; a new entry (a new code) does."""
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    inst = w.instance("notes")
    w.open(inst.id)
    assert body_attr(w.page, "data-announce-ready") == "true"
    w.get(f"{w.base}/screen/1")
    assert body_attr(w.page, "data-announce-ready") == "false"
    w.post({"channel": "#ops"})
    assert body_attr(w.page, "data-announce-ready") == "false"
    w.open(inst.id)
    assert body_attr(w.page, "data-announce-ready") == "true"
