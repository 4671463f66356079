"""The wizard as a front end of a core in another process (issue 16), over real HTTP without a
browser: entry with the core's code, the OAuth dance on the front end's origin with the account
stored by the core, options listed by the core, an outage of the core, and what the front end's
database keeps (tests/browser/test_split_core.py runs the whole journey in Chromium)."""
from __future__ import annotations

import re
import uuid

import requests
from _connect_support import SLOT, Dance, message_of
from split_support import front_end_rows
from webhook_support import receiver, validator  # noqa: F401  (fixtures)

from wizard.extensions import db

CHANNELS = ("#general", "#alerts")


def enter(front: str, core, *, external: str | None = None):
    """A user and an instance on the core, and the wizard entered with the core's code:
    (http session, instance id, session id, user id, code)."""
    user, iid = core.user_with_instance(external or f"split-{uuid.uuid4().hex[:8]}")
    code = core.code(user)
    http = requests.Session()
    resp = http.get(f"{front}/configure/{iid}?code={code}", allow_redirects=False, timeout=30)
    assert resp.status_code == 303, resp.text
    sid = re.search(r"/s/([^/]+)/", resp.headers["Location"]).group(1)
    return http, iid, sid, user, code


def test_the_core_s_code_opens_the_wizard_once_and_only_for_its_user(split, live_server):
    http, iid, sid, user, code = enter(live_server, split)
    page = http.get(f"{live_server}/configure/{iid}/s/{sid}/", timeout=30)
    assert page.status_code == 200 and "Your Sandbox workspace" in page.text
    # single use, on the core
    again = requests.get(f"{live_server}/configure/{iid}?code={code}", allow_redirects=False, timeout=30)
    assert again.status_code == 403 and "already been used" in again.text
    # another user's code does not open this instance (attacker's side)
    fred, _ = split.user_with_instance(f"fred-{uuid.uuid4().hex[:8]}")
    stolen = requests.get(f"{live_server}/configure/{iid}?code={split.code(fred)}", allow_redirects=False, timeout=30)
    assert stolen.status_code == 403 and "not allowed" in stolen.text
    # a code made by the front end's own database is no code of the core's
    assert requests.get(f"{live_server}/configure/{iid}?code=forged", timeout=30).status_code == 403


def test_an_account_connected_on_the_front_end_is_stored_by_the_core(split, live_server, app):
    http, iid, sid, user, _ = enter(live_server, split)
    resp = Dance(live_server, http).run(f"/connect/{iid}/s/{sid}/{SLOT}")
    assert resp.status_code == 200, resp.text
    auth_id = message_of(resp.text)["authId"]
    # stored by the core, encrypted with the core's key, owned by the core's user
    [(owner, service, credentials)] = split.sql("SELECT owner_id, service, credentials FROM authentications "
                                                "WHERE id = :id", id=auth_id)
    assert (owner, service) == (user, "sandbox") and "access_token" not in credentials
    [(token,)] = split.sql("SELECT access_token FROM sandbox_tokens ORDER BY issued_at DESC LIMIT 1")
    # the wizard offers it, and the options of the next screen come from the core's call
    connect_page = http.get(f"{live_server}/configure/{iid}/s/{sid}/screen/1", timeout=30).text
    assert auth_id in connect_page
    with app.app_context():
        rows = front_end_rows(db)
    assert rows["authentications"] == [] and rows["external_users"] == [] and rows["solution_instances"] == []
    everything = " ".join(r for table in rows.values() for r in table)
    assert token not in everything and auth_id in everything  # the attempt names its result, nothing more


def test_options_come_from_the_core_and_an_outage_loses_nothing(split, live_server, app, validator):
    external = f"split-{uuid.uuid4().hex[:8]}"
    http, iid, sid, user, _ = enter(live_server, split, external=external)
    resp = Dance(live_server, http).run(f"/connect/{iid}/s/{sid}/{SLOT}")
    auth_id = message_of(resp.text)["authId"]
    page = http.get(f"{live_server}/configure/{iid}/s/{sid}/screen/1", timeout=30).text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    nxt = http.post(f"{live_server}/configure/{iid}/s/{sid}/screen/1", allow_redirects=False, timeout=30,
                    data={"csrf_token": csrf, "wizard_screen": "1", "wizard_action": "next", SLOT: auth_id})
    assert nxt.status_code == 303, nxt.text
    # the front end's validation webhook names the user it learnt from the core
    asked = validator.validation_requests[-1]["payload"]["data"]
    assert (asked["trigger"], asked["userId"], asked["externalUserId"]) == ("next", user, external)
    second = http.get(f"{live_server}/configure/{iid}/s/{sid}/screen/2", timeout=30).text
    for channel in CHANNELS:
        assert channel in second
    split.stop()
    try:
        down = http.post(f"{live_server}/configure/{iid}/s/{sid}/screen/2", allow_redirects=False, timeout=30,
                         data={"csrf_token": csrf, "wizard_screen": "2", "wizard_action": "next",
                               "external_channel": "C2", "external_level": "errors",
                               "external_threshold": "8"})
        assert down.status_code == 503
        assert "Nothing you entered was lost" in down.text and 'data-error-code="core_unavailable"' in down.text
    finally:
        split.start()
    back = http.get(f"{live_server}/configure/{iid}/s/{sid}/screen/2", timeout=30).text
    assert 'value="8"' in back  # the draft typed during the outage


def test_the_auth_dialog_of_a_front_end_sets_the_core_s_instance(split, live_server):
    """The auth-only dialog (Tray's /external/auth/create) with a code of the core: the account
    is stored by the core and becomes the instance's auth value there."""
    user, iid = split.user_with_instance(f"dialog-{uuid.uuid4().hex[:8]}")
    dance = Dance(live_server)
    resp = dance.get(f"/external/auth/create/emb-1/{iid}/{SLOT}?code={split.code(user)}")
    assert resp.status_code == 302, resp.text
    sid = re.fullmatch(r"/external/auth/s/([A-Za-z0-9_-]+)", resp.headers["Location"]).group(1)
    done = dance.run(f"/connect/dialog/s/{sid}")
    auth_id = message_of(done.text)["authId"]
    assert auth_id and split.instance(iid)["auth"] == {SLOT: auth_id}
    [(owner,)] = split.sql("SELECT owner_id FROM authentications WHERE id = :id", id=auth_id)
    assert owner == user


def test_reconnect_rename_and_foreign_accounts_through_a_front_end(split, live_server):
    http, iid, sid, user, _ = enter(live_server, split)
    start = f"/connect/{iid}/s/{sid}/{SLOT}"
    auth_id = message_of(Dance(live_server, http).run(start).text)["authId"]
    token = lambda: split.sql("SELECT credentials FROM authentications WHERE id = :id", id=auth_id)[0][0]  # noqa: E731
    before = token()
    # reconnecting the same workspace renews the core's credentials of the same account
    again = message_of(Dance(live_server, http).run(f"{start}?auth={auth_id}").text)
    assert again["authId"] == auth_id and token() != before
    # ... another workspace is refused by the core, nothing changes
    kept = token()
    other = message_of(Dance(live_server, http).run(f"{start}?auth={auth_id}", workspace="globex").text)
    assert other["authId"] is None and "another Sandbox account (Globex)" in other["error"]
    assert token() == kept
    # renaming goes to the core
    page = http.get(f"{live_server}/configure/{iid}/s/{sid}/screen/1", timeout=30).text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    renamed = http.post(f"{live_server}/connect/{iid}/s/{sid}/auth/{auth_id}/rename", timeout=30,
                        data={"name": "Ops workspace", "csrf_token": csrf})
    assert renamed.json() == {"authId": auth_id, "name": "Ops workspace"}
    assert split.sql("SELECT name FROM authentications WHERE id = :id", id=auth_id) == [("Ops workspace",)]
    # another user's account (on the core) cannot be chosen, renamed or reconnected from this session
    f_http, f_iid, f_sid, _, _ = enter(live_server, split, external=f"fred-{uuid.uuid4().hex[:8]}")
    freds = message_of(Dance(live_server, f_http).run(f"/connect/{f_iid}/s/{f_sid}/{SLOT}").text)["authId"]
    chosen = http.post(f"{live_server}/configure/{iid}/s/{sid}/screen/1", allow_redirects=False, timeout=30,
                       data={"csrf_token": csrf, "wizard_screen": "1", "wizard_action": "next", SLOT: freds})
    assert chosen.status_code == 303  # refused: post/redirect/get, the screen shows why
    assert http.get(f"{live_server}{chosen.headers['Location']}", timeout=30).status_code == 422
    assert http.post(f"{live_server}/connect/{iid}/s/{sid}/auth/{freds}/rename", timeout=30,
                     data={"name": "x", "csrf_token": csrf}).status_code == 404
    assert http.get(f"{live_server}{start}?auth={freds}", allow_redirects=False, timeout=30).status_code == 404
    assert split.sql("SELECT name FROM authentications WHERE id = :id", id=freds) != [("x",)]


def test_the_same_identity_connected_twice_through_a_front_end_is_one_account_on_the_core(split, live_server):
    http, iid, sid, user, _ = enter(live_server, split)
    first = message_of(Dance(live_server, http).run(f"/connect/{iid}/s/{sid}/{SLOT}").text)
    again = message_of(Dance(live_server, http).run(f"/connect/{iid}/s/{sid}/{SLOT}").text)
    assert again["authId"] == first["authId"] and "already connected" in again["notice"]
    other = message_of(Dance(live_server, http).run(f"/connect/{iid}/s/{sid}/{SLOT}", workspace="globex").text)
    assert other["authId"] != first["authId"]
    rows = split.sql("SELECT identity_id, identity_name FROM authentications WHERE owner_id = :u ORDER BY created",
                     u=user)
    assert [tuple(r) for r in rows] == [("id:acme", "Acme Corp"), ("id:globex", "Globex")]
