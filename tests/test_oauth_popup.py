"""The OAuth 2 popup flow against the sandbox provider, over real HTTP."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests

from _connect_support import (  # noqa: F401  (fixtures)
    SLOT, Dance, connect_sandbox, csrf_for, dance, instance, message_of, sandbox_config, session_data, sid, start_path,
    wizard_session,
)
from wizard import accounts
from wizard.extensions import db


def _status(live_server, path):
    import requests

    answer = requests.get(live_server + path + "/status", headers={"Accept": "application/json"}, timeout=10).json()
    attempt = answer.pop("attempt")  # which attempt: the wizard ignores ones it has reported
    assert (attempt is None) == (answer["status"] == "none")
    return answer


def test_connecting_stores_an_encrypted_authentication_and_tells_the_wizard(live_server, start_path, sid, user, dance):
    authorize = dance.start(start_path)
    query = parse_qs(urlsplit(authorize).query)
    # state and PKCE S256 on the authorization request; the slot's scopes beside the service's
    assert query["state"] and query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert set(query["scope"][0].split()) == {"profile", "channels:read", "chat:write"}
    assert query["redirect_uri"] == [live_server + "/connect/callback"]
    assert dance.http.cookies.get("wizard_connect")  # the popup's binding

    resp = dance.finish(dance.consent(authorize))
    assert resp.status_code == 200
    msg = message_of(resp.text)
    assert msg["type"] == "wizard.connect.done" and msg["slot"] == SLOT and msg["error"] is None
    auth = accounts.get(msg["authId"], owner_id=user.id)
    assert (auth.service, auth.auth_type, auth.name, auth.status) == ("sandbox", "oauth2", "Acme Corp", "ok")
    assert set(auth.scopes) == {"profile", "channels:read", "chat:write"}
    creds = accounts.credentials_of(auth)
    assert creds["access_token"] and creds["refresh_token"]
    assert "wizard_connect" not in dance.http.cookies  # spent

    assert _status(live_server, start_path) == {"status": "done", "authId": auth.id, "message": ""}
    assert session_data(sid)["wizard_connected"] == {SLOT: auth.id}
    # the finish page posts to our own origin from an external script, never to "*"
    assert "'*'" not in resp.text and re.search(r'src="/static/connect\.[0-9a-f]{12}\.js"', resp.text)


def test_status_is_none_then_pending(live_server, start_path, dance):
    assert _status(live_server, start_path)["status"] == "none"
    dance.start(start_path)
    assert _status(live_server, start_path) == {"status": "pending", "authId": None, "message": ""}


def test_consent_denied_is_an_error_with_a_retry_and_nothing_saved(live_server, start_path, dance, user):
    resp = dance.finish(dance.consent(dance.start(start_path), allow=False))
    assert resp.status_code == 400
    msg = message_of(resp.text)
    assert msg["authId"] is None and "did not allow access to Sandbox" in msg["error"]
    assert "Try again" in resp.text
    status = _status(live_server, start_path)
    assert status["status"] == "error" and "did not allow" in status["message"]
    assert accounts.list_accounts(user.id) == []
    # retry from the popup: a new authorization request, and this time it works
    from _connect_support import csrf_of

    assert dance.http.post(live_server + "/connect/retry", allow_redirects=False).status_code == 400  # no CSRF token
    again = dance.http.post(live_server + "/connect/retry", data={"csrf_token": csrf_of(resp.text)},
                            allow_redirects=False)
    assert again.status_code == 302 and "/sandbox/oauth/authorize" in again.headers["Location"]
    done = dance.finish(dance.consent(again.headers["Location"]))
    assert message_of(done.text)["authId"]
    assert _status(live_server, start_path)["status"] == "done"


def test_a_wrong_state_is_rejected(live_server, start_path, dance, user):
    callback = dance.consent(dance.start(start_path))
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    query["state"] = ["forged-" + query["state"][0][:10]]
    forged = urlunsplit(parts._replace(query=urlencode({k: v[0] for k, v in query.items()})))
    resp = dance.finish(forged)
    assert resp.status_code == 400
    assert "could not be verified" in message_of(resp.text)["error"]
    assert accounts.list_accounts(user.id) == []


def test_a_victim_cannot_complete_the_attackers_flow(live_server, core, demo_solution, user, fred, instance, sid):
    # Fred starts a flow in his own wizard and stops at the provider's redirect back ...
    fred_inst = core.create_instance(fred.id, "slack-alerts")
    fred_sid = wizard_session(fred.id, fred_inst.id)
    attacker = Dance(live_server)
    callback = attacker.consent(attacker.start(f"/connect/{fred_inst.id}/s/{fred_sid}/{SLOT}"), workspace="globex")
    # ... and gets Ada, who has a pending flow of her own, to open his callback URL.
    victim = Dance(live_server)
    victim.start(f"/connect/{instance.id}/s/{sid}/{SLOT}")
    resp = victim.finish(callback)
    assert resp.status_code == 400 and message_of(resp.text)["authId"] is None
    # a browser with no flow at all gets nowhere either
    assert Dance(live_server).finish(callback).status_code == 400
    assert accounts.list_accounts(user.id) == [] and accounts.list_accounts(fred.id) == []


def test_a_failing_test_call_is_shown_and_not_saved(live_server, start_path, dance, user, sandbox_config):
    callback = dance.consent(dance.start(start_path))
    sandbox_config(SANDBOX_FAULT="error")  # the provider's API fails the /me check
    resp = dance.finish(callback)
    assert resp.status_code == 400
    msg = message_of(resp.text)
    assert "did not pass its test" in msg["error"] and "HTTP 500" in msg["error"]
    assert accounts.list_accounts(user.id) == []
    assert _status(live_server, start_path)["status"] == "error"


def test_the_start_route_is_bound_to_the_session_instance_and_slot(live_server, core, user, fred, instance, sid):
    http = Dance(live_server)
    fred_inst = core.create_instance(fred.id, "slack-alerts")
    # another instance through Ada's session
    assert http.get(f"/connect/{fred_inst.id}/s/{sid}/{SLOT}").status_code == 403
    # a session id nobody issued
    assert http.get(f"/connect/{instance.id}/s/{'x' * 43}/{SLOT}").status_code == 403
    # a config slot is not an auth slot
    assert http.get(f"/connect/{instance.id}/s/{sid}/external_channel").status_code == 404
    # Fred's session cannot read Ada's status
    fred_sid = wizard_session(fred.id, fred_inst.id)
    assert http.get(f"/connect/{instance.id}/s/{fred_sid}/{SLOT}/status").status_code == 403


def test_reconnect_reauthorises_the_same_authentication(live_server, start_path, user, fred):
    _, msg = connect_sandbox(live_server, start_path)
    auth = accounts.get(msg["authId"])
    old = accounts.credentials_of(auth)["access_token"]
    _, again = connect_sandbox(live_server, start_path + f"?auth={auth.id}")
    assert again["authId"] == auth.id
    db.session.expire_all()
    assert accounts.credentials_of(accounts.get(auth.id))["access_token"] != old
    assert len(accounts.list_accounts(user.id)) == 1
    # someone else's authentication cannot be re-authorised through Ada's session
    freds = accounts.create(fred.id, "sandbox", "oauth2", {"access_token": "x"})
    assert Dance(live_server).get(start_path + f"?auth={freds.id}").status_code == 404


def test_reconnecting_with_another_account_is_refused(live_server, start_path, user):
    """Reconnect "Acme Corp" but sign in to Globex: refused, or every integration using the
    authentication would quietly post to another workspace."""
    _, msg = connect_sandbox(live_server, start_path)
    auth = accounts.get(msg["authId"])
    before = accounts.credentials_of(auth)["access_token"]
    resp = Dance(live_server).run(start_path + f"?auth={auth.id}", workspace="globex")
    result = message_of(resp.text)
    assert result["authId"] is None
    assert "another Sandbox account (Globex) than the one being reconnected (Acme Corp)" in result["error"]
    db.session.expire_all()
    assert accounts.credentials_of(accounts.get(auth.id))["access_token"] == before
    assert len(accounts.list_accounts(user.id)) == 1


def test_withheld_scopes_are_refused_at_the_callback(live_server, start_path, user):
    resp = Dance(live_server).run(start_path, granted=["profile", "chat:write"])  # channels:read unticked
    result = message_of(resp.text)
    assert result["authId"] is None and "did not give this integration everything" in result["error"]
    # the permission in the consent page's words, beside its name (issue 27)
    assert "\u201cList the workspace's channels\u201d (channels:read)" in result["error"]
    assert accounts.list_accounts(user.id) == []


@pytest.mark.parametrize("lang, words", [
    ("de", "\u201eDie Kan\u00e4le des Arbeitsbereichs auflisten\u201c (channels:read), \u201eNachrichten"),
    ("ar", "(channels:read)\u060c \u00ab"),
])
def test_withheld_scopes_are_named_in_the_users_language(live_server, start_path, user, lang, words):
    """Issue 27: in every language, the permissions in the consent page's words; the page shows
    the failure as an error."""
    http = requests.Session()
    http.headers["Accept-Language"] = lang
    resp = Dance(live_server, http).run(start_path, granted=["profile"])
    result = message_of(resp.text)
    assert words in result["error"], result["error"]
    assert "alert--error" in resp.text.split('id="connect-error"')[0].rsplit("<", 1)[1]


def test_scopes_are_not_checked_for_providers_that_rename_them(live_server, start_path, user, monkeypatch):
    """Google answers "email" with ".../auth/userinfo.email": a service without check_scopes
    (every preset but Slack, and YAML services unless they ask) keeps what it was granted."""
    import dataclasses

    from wizard.connect import views

    real = views.service_or_error
    monkeypatch.setattr(views, "service_or_error", lambda name: dataclasses.replace(real(name), check_scopes=False))
    resp = Dance(live_server).run(start_path, granted=["profile", "chat:write"])
    result = message_of(resp.text)
    assert result["authId"] and not result["error"]
    assert sorted(accounts.get(result["authId"]).scopes) == ["chat:write", "profile"]


def test_a_service_declared_by_its_metadata_url_alone(app, live_server, tmp_path, sandbox_config, core, user,
                                                      monkeypatch):
    """An ISV's YAML service with `server_metadata_url` and no endpoints: Authlib reads the
    sandbox's RFC 8414 metadata over HTTP and the whole dance runs through it."""
    from wizard.sandbox import CLIENT_ID
    from wizard.sandbox.provider import client_secret

    monkeypatch.setenv("META_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("META_CLIENT_SECRET", client_secret(app.config))
    services = tmp_path / "services.yaml"
    services.write_text(f"""
services:
  - name: sandbox-meta
    title: Sandbox by metadata
    auth: oauth2
    server_metadata_url: {live_server}/sandbox/.well-known/oauth-authorization-server
    scopes: [profile]
    client_id_env: META_CLIENT_ID
    client_secret_env: META_CLIENT_SECRET
    api_base: {live_server}/sandbox/api
    test: {{method: GET, path: /me}}
""")
    sandbox_config(WIZARD_SERVICES_FILE=str(services))
    core.publish("id: meta\ntitle: Meta\nauth:\n  - {externalId: acct, service: sandbox-meta, title: Workspace}\n")
    inst = core.create_instance(user.id, "meta")
    sid = wizard_session(user.id, inst.id)
    dance = Dance(live_server)
    authorize_url = dance.start(f"/connect/{inst.id}/s/{sid}/acct")
    assert authorize_url.startswith(f"{live_server}/sandbox/oauth/authorize?")  # from the metadata
    result = message_of(dance.finish(dance.consent(authorize_url, workspace="initech")).text)
    auth = accounts.get(result["authId"], owner_id=user.id)
    assert (auth.service, auth.name) == ("sandbox-meta", "Initech")


def test_rename_needs_csrf_and_only_renames_ones_own(app, client, instance, sid, user, fred):
    mine = accounts.create(user.id, "sandbox", "oauth2", {"access_token": "a"}, name="old")
    theirs = accounts.create(fred.id, "sandbox", "oauth2", {"access_token": "b"}, name="fred's")
    base = f"/connect/{instance.id}/s/{sid}/auth"
    assert client.post(f"{base}/{mine.id}/rename", data={"name": "Work"}).status_code == 400  # no CSRF token
    token = csrf_for(app, sid)
    resp = client.post(f"{base}/{mine.id}/rename", data={"name": " Work ", "csrf_token": token})
    assert resp.status_code == 200 and resp.get_json() == {"authId": mine.id, "name": "Work"}
    assert client.post(f"{base}/{theirs.id}/rename", data={"name": "mine now", "csrf_token": token}).status_code == 404
    assert client.post(f"{base}/{mine.id}/rename", data={"name": "  ", "csrf_token": token}).status_code == 400
    db.session.expire_all()
    assert accounts.get(theirs.id).name == "fred's"


def test_a_forged_error_link_neither_ends_the_real_attempt_nor_shows_its_text(live_server, start_path, dance, user):
    callback = dance.consent(dance.start(start_path))
    base = callback.split("?")[0]
    forged = base + "?" + urlencode({"error": "access_denied", "state": "not-the-real-one",
                                     "error_description": "Your account is locked. Call +1-555-0100"})
    resp = dance.finish(forged)
    assert resp.status_code == 400 and "555-0100" not in resp.text
    assert _status(live_server, start_path)["status"] == "pending"
    resp = dance.finish(callback)  # the provider's real answer still completes the connection
    assert message_of(resp.text)["authId"] and len(accounts.list_accounts(user.id)) == 1
