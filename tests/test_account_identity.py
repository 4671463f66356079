"""Accounts that know who they are (docs/services.md, "Account identity") and OAuth 2 client
credentials, over real HTTP against the sandbox."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from sqlalchemy import update

from _connect_support import (  # noqa: F401  (fixtures)
    SLOT, Dance, connect_sandbox, csrf_of, instance, message_of, sandbox_config, sid, start_path, wizard_session,
)
from wizard import accounts
from wizard.connect.options import fetch_options
from wizard.connect.tokens import identity_of
from wizard.extensions import db
from wizard.models import Authentication, utcnow
from wizard.sandbox import api_key_for
from wizard.services import parse_services


def test_identity_is_read_where_the_service_says():
    slack = parse_services("services:\n  - name: slack\n", "svc.yaml", {})["slack"]
    token = {"access_token": "x", "team": {"id": "T123", "name": "Acme HQ"}}
    checked = identity_of(slack, {"ok": True, "user_id": "U1", "user": "ann"}, token, "Slack")
    assert (checked.account, checked.name) == ("team.id:T123", "Acme HQ")
    google = parse_services("services:\n  - name: google\n", "svc.yaml", {})["google"]
    checked = identity_of(google, {"sub": "1078", "email": "ann@example.com"}, {}, "Google")
    assert (checked.account, checked.name) == ("sub:1078", "ann@example.com")


def test_the_same_identity_connected_again_updates_its_account(live_server, start_path, user):
    _, first = connect_sandbox(live_server, start_path)
    auth = accounts.get(first["authId"])
    first_connected, first_token = auth.connected_at, accounts.credentials_of(auth)["access_token"]
    assert (auth.identity_id, auth.identity_name) == ("id:acme", "Acme Corp")
    auth.scopes = ["profile"]  # as if first connected with less
    db.session.commit()
    d, again = connect_sandbox(live_server, start_path)
    assert again["authId"] == first["authId"]
    assert "already connected" in again["notice"] and "Acme Corp" in again["notice"]
    assert "already connected" in d.pages[-1]
    db.session.expire_all()
    auth = accounts.get(first["authId"])
    assert accounts.credentials_of(auth)["access_token"] != first_token   # new tokens
    assert set(auth.scopes) == {"profile", "channels:read", "chat:write"}   # as granted now
    assert auth.connected_at >= first_connected
    assert [a.id for a in accounts.list_accounts(user.id)] == [auth.id]
    # another identity is another account
    _, other = connect_sandbox(live_server, start_path, workspace="globex")
    assert other["authId"] != first["authId"] and other["notice"] is None
    assert sorted(a.identity_name for a in accounts.list_accounts(user.id)) == ["Acme Corp", "Globex"]


def test_scopes_a_provider_does_not_name_are_merged(user):
    auth = accounts.create(user.id, "sandbox", "oauth2", {"access_token": "a"}, name="Acme Corp",
                           scopes=["profile"], account="id:acme")
    accounts.connected_again(auth, {"access_token": "b"}, name="Acme Corp", scopes=["channels:read"], granted=False)
    assert auth.scopes == ["profile", "channels:read"]
    accounts.connected_again(auth, {"access_token": "c"}, name="Acme Inc", scopes=["profile"], granted=True)
    assert (auth.scopes, auth.name, auth.identity_name) == (["profile"], "Acme Inc", "Acme Inc")
    accounts.rename(auth, "Ops workspace")
    accounts.connected_again(auth, {"access_token": "d"}, name="Acme Corp", scopes=["profile"], granted=True)
    assert (auth.name, auth.identity_name) == ("Ops workspace", "Acme Corp")  # the user's label is kept


def test_existing_duplicates_are_left_as_they_are(live_server, start_path, user):
    # two accounts stored before identities were read (no identity_id)
    old = [accounts.create(user.id, "sandbox", "oauth2", {"access_token": "a"}, name="Acme Corp") for _ in range(2)]
    for a in old:
        a.identity_id = None
    db.session.commit()
    _, msg = connect_sandbox(live_server, start_path)
    assert msg["authId"] not in {a.id for a in old}
    assert len(accounts.list_accounts(user.id)) == 3


def test_a_hidden_account_of_the_same_identity_is_not_updated(live_server, start_path, user):
    hidden = accounts.create(user.id, "sandbox", "oauth2", {"access_token": "a"}, name="Acme Corp",
                             account="id:acme", hidden=True)
    _, msg = connect_sandbox(live_server, start_path)
    assert msg["authId"] != hidden.id


def test_the_api_lists_the_identity_fields(api, live_server, start_path, user):
    _, msg = connect_sandbox(live_server, start_path)
    body = api("{ authentications { edges { node { id name identityId identityName connectedAt } } } }")
    node = body["data"]["authentications"]["edges"][0]["node"]
    assert node["id"] == msg["authId"] and node["identityName"] == "Acme Corp" and node["identityId"] == "id:acme"
    assert node["connectedAt"].endswith("Z") or "+00:00" in node["connectedAt"]


# -- OAuth 2 client credentials ----------------------------------------------------------------

CLIENT_SERVICE = """
services:
  - name: sandbox-app
    title: Sandbox App
    auth: client_credentials
    token_url: {live}/sandbox/oauth/token
    token_auth: {token_auth}
    scopes: [profile, channels:read]
    api_base: {live}/sandbox/api
    test: {{method: GET, path: /me}}
    options:
      channels: {{path: /channels, items: data, value: id, text: name}}
"""
CLIENT_DEFINITION = {"id": "app", "title": "App", "auth": [
    {"externalId": "app", "service": "sandbox-app", "title": "Your Sandbox app"}],
    "screens": [{"title": "Connect", "slots": ["app"]}]}


@pytest.fixture(params=["client_secret_basic", "client_secret_post"])
def client_app(request, app, live_server, core, user, tmp_path, sandbox_config):
    path = tmp_path / "services.yaml"
    path.write_text(CLIENT_SERVICE.format(live=live_server, token_auth=request.param))
    sandbox_config(WIZARD_SERVICES_FILE=str(path))
    core.publish(CLIENT_DEFINITION)
    inst = core.create_instance(user.id, "app", "")
    return f"/connect/{inst.id}/s/{wizard_session(user.id, inst.id)}/app"


def _submit(d: Dance, path: str, data: dict):
    page = d.get(path)
    assert page.status_code == 200 and 'type="password"' in page.text and 'name="client_secret"' in page.text
    resp = d.http.post(d.live + path, data={"csrf_token": csrf_of(page.text), **data}, allow_redirects=False,
                       timeout=15)
    d.pages.append(resp.text)
    return resp


def test_client_credentials_connect_refresh_and_load_options(live_server, client_app, user):
    d = Dance(live_server)
    wrong = _submit(d, client_app, {"client_id": "app-acme", "client_secret": "nope"})
    assert wrong.status_code == 400 and "did not accept this client ID and secret" in wrong.text
    secret = api_key_for("acme")
    ok = _submit(d, client_app, {"client_id": "app-acme", "client_secret": secret})
    assert ok.status_code == 200, ok.text
    auth = accounts.get(message_of(ok.text)["authId"], owner_id=user.id)
    creds = accounts.credentials_of(auth)
    assert (auth.auth_type, auth.name, auth.identity_id) == ("client_credentials", "Acme Corp", "id:acme")
    assert creds["client_secret"] == secret and creds["access_token"] and auth.expires_at is not None
    assert not any(secret in p for p in d.pages)
    assert [o["text"] for o in fetch_options("sandbox-app.channels", owner_id=user.id, auth_id=auth.id)][0] == "#general"
    # expiring: asked again with the user's client (there is no refresh token)
    db.session.execute(update(Authentication).where(Authentication.id == auth.id)
                       .values(expires_at=utcnow() + timedelta(seconds=10)))
    db.session.commit()
    from flask import current_app
    current_app.extensions.pop("wizard_options_cache", None)
    assert fetch_options("sandbox-app.channels", owner_id=user.id, auth_id=auth.id)
    db.session.expire_all()
    auth = accounts.get(auth.id)
    assert accounts.credentials_of(auth)["access_token"] != creds["access_token"]
    assert auth.expires_at > utcnow() + timedelta(minutes=30)


def test_the_sandbox_refuses_the_built_in_clients_basic_auth_when_it_wants_post(live_server, app, sandbox_config):
    from wizard.sandbox import CLIENT_ID
    from wizard.sandbox.provider import client_secret

    sandbox_config(SANDBOX_TOKEN_AUTH="client_secret_post")
    try:
        basic = requests.post(live_server + "/sandbox/oauth/token", auth=(CLIENT_ID, client_secret(app.config)),
                              data={"grant_type": "refresh_token", "refresh_token": "x"}, timeout=10)
        assert basic.status_code == 401 and basic.json()["error"] == "invalid_client"
    finally:
        app.config.pop("SANDBOX_TOKEN_AUTH", None)
