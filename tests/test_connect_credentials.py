"""api_key and basic connections, and where credentials must never show up: the database, pages,
API answers and logs."""
from __future__ import annotations

import logging
import re

import pytest
import requests
from sqlalchemy import text

from _connect_support import (  # noqa: F401  (fixtures)
    KEY_SERVICES, SLOT, Dance, connect_sandbox, csrf_of, dance, instance, message_of, sandbox_config, sid, start_path,
    wizard_session,
)
from wizard import accounts
from wizard.extensions import db
from wizard.sandbox import api_key_for
from wizard.connect.options import fetch_options

KEYED = """
id: keyed
title: Keyed
auth:
  - {externalId: key_auth, service: sandbox-key, title: Sandbox by API key}
  - {externalId: basic_auth, service: sandbox-basic, title: Sandbox by password}
screens:
  - {title: Accounts, slots: [key_auth, basic_auth]}
"""


@pytest.fixture
def keyed(app, live_server, tmp_path, sandbox_config, core, user):
    """Two services of the ISV's YAML file that point at the sandbox API, and an instance using them."""
    path = tmp_path / "services.yaml"
    path.write_text(KEY_SERVICES.format(live=live_server))
    sandbox_config(WIZARD_SERVICES_FILE=str(path))
    core.publish(KEYED)
    inst = core.create_instance(user.id, "keyed")
    return inst, wizard_session(user.id, inst.id)


def _post_form(d: Dance, path: str, data: dict):
    page = d.get(path)
    assert page.status_code == 200 and 'type="password"' in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    resp = d.http.post(d.live + path, data={"csrf_token": csrf_of(page.text), **data}, allow_redirects=False,
                       timeout=15)
    d.pages.append(resp.text)
    return resp


def test_an_api_key_is_checked_before_it_is_saved(live_server, keyed, user):
    inst, sid = keyed
    path = f"/connect/{inst.id}/s/{sid}/key_auth"
    d = Dance(live_server)
    wrong = _post_form(d, path, {"api_key": "sbk_not-a-key"})
    assert wrong.status_code == 400 and "These credentials did not work" in wrong.text
    assert "sbk_not-a-key" not in wrong.text  # a secret field never echoes
    assert accounts.list_accounts(user.id) == []
    status = requests.get(live_server + path + "/status", timeout=10).json()
    assert status["status"] == "error" and "refused the credentials" in status["message"]

    key = api_key_for("globex")
    ok = _post_form(d, path, {"api_key": key})
    assert ok.status_code == 200
    msg = message_of(ok.text)
    auth = accounts.get(msg["authId"], owner_id=user.id)
    assert (auth.service, auth.auth_type, auth.name) == ("sandbox-key", "api_key", "Globex")
    assert accounts.credentials_of(auth) == {"api_key": key}
    assert requests.get(live_server + path + "/status", timeout=10).json()["status"] == "done"
    assert fetch_options("sandbox-key.channels", owner_id=user.id, auth_id=auth.id)[1] == {"value": "C2", "text": "#ops"}
    assert not any(key in page for page in d.pages)
    raw = db.session.execute(text("SELECT * FROM authentications WHERE id = :id"), {"id": auth.id}).one()
    assert key not in " ".join(str(v) for v in raw)


def test_the_credential_form_needs_its_csrf_token(live_server, keyed, user):
    inst, sid = keyed
    resp = requests.post(f"{live_server}/connect/{inst.id}/s/{sid}/key_auth",
                         data={"api_key": api_key_for("acme")}, timeout=10)
    assert resp.status_code == 400 and accounts.list_accounts(user.id) == []


def test_basic_credentials(live_server, keyed, user):
    inst, sid = keyed
    path = f"/connect/{inst.id}/s/{sid}/basic_auth"
    d = Dance(live_server)
    assert _post_form(d, path, {"username": "acme", "password": "wrong"}).status_code == 400
    ok = _post_form(d, path, {"username": "initech", "password": api_key_for("initech")})
    auth = accounts.get(message_of(ok.text)["authId"])
    assert (auth.auth_type, auth.name) == ("basic", "Initech")
    assert accounts.credentials_of(auth) == {"username": "initech", "password": api_key_for("initech")}


def test_oauth_tokens_are_in_no_row_page_api_answer_or_log_line(live_server, start_path, user, api, caplog):
    caplog.set_level(logging.DEBUG)
    d, msg = connect_sandbox(live_server, start_path)
    options = fetch_options("sandbox.channels", owner_id=user.id, auth_id=msg["authId"])
    auth = accounts.get(msg["authId"])
    creds = accounts.credentials_of(auth)
    secrets_ = [creds["access_token"], creds["refresh_token"]]
    assert all(len(s) > 20 for s in secrets_)

    raw = db.session.execute(text("SELECT * FROM authentications WHERE id = :id"), {"id": auth.id}).one()
    row = " ".join(str(v) for v in raw)
    assert not any(s in row for s in secrets_)

    status = requests.get(live_server + start_path + "/status", timeout=10).text
    pages = d.pages + [status, repr(options)]
    answer = api("query($u: ID) { authentications(criteria: {owner: $u}) { edges { node { id name service { name title } } } } }",
                 {"u": user.id})
    assert answer["data"]["authentications"]["edges"][0]["node"]["id"] == auth.id
    pages.append(repr(answer))
    assert not any(s in page for s in secrets_ for page in pages)

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/connect/callback" in logged  # the journey was logged ...
    for s in secrets_:
        assert s not in logged  # ... without its tokens (Authlib logs issued tokens at DEBUG)
    assert not re.search(r"code=(?!\[redacted\])", logged)


def test_a_credential_form_saves_to_its_own_target(live_server, keyed, user):
    """The reconnect form (?auth=X) updates X; the new-account form, even when opened after it
    in the same session, creates a new account and leaves X alone."""
    inst, sid = keyed
    path = f"/connect/{inst.id}/s/{sid}/key_auth"
    d = Dance(live_server)
    first = accounts.get(message_of(_post_form(d, path, {"api_key": api_key_for("acme")}).text)["authId"])
    new_form = d.get(path)  # the new-account form is opened ...
    d.get(path + f"?auth={first.id}")  # ... then the reconnect form (its attempt is the latest) ...
    again = d.http.post(d.live + path, data={"csrf_token": csrf_of(new_form.text), "api_key": api_key_for("globex")},
                        allow_redirects=False, timeout=15)  # ... and the new-account form is sent
    second = message_of(again.text)["authId"]
    assert second and second != first.id
    assert sorted(a.name for a in accounts.list_accounts(user.id)) == ["Acme Corp", "Globex"]
    # and reconnecting X with another workspace's key is refused, X keeps its key
    wrong = _post_form(d, path + f"?auth={first.id}", {"api_key": api_key_for("initech")})
    assert wrong.status_code == 400 and "another Sandbox Key account" in wrong.text
    db.session.expire_all()
    assert accounts.credentials_of(accounts.get(first.id)) == {"api_key": api_key_for("acme")}
