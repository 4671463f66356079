"""Presets that follow what the provider returns: a service whose token response names the
account's API host (`api_base_from`; Salesforce's preset: `instance_url`) calls that host for its
test call and its dynamic options, keeps it through refreshes, and refuses an unusable one. The
provider is the sandbox over real HTTP, answering `instance_url` (SANDBOX_INSTANCE_URL)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from _connect_support import (  # noqa: F401  (fixtures)
    Dance, connect_sandbox, message_of, sandbox_config, sandbox_credentials, wizard_session,
)
from wizard import accounts
from wizard.connect import ensure_fresh
from wizard.connect.options import fetch_options
from wizard.connect.tokens import API_BASE_KEY
from wizard.extensions import db
from wizard.models import utcnow
from wizard.sandbox.models import SandboxToken
from wizard.services import ServicesError, parse_services, registry

# The Salesforce preset, its sign-in pointed at the sandbox (its api_base, test call path and
# api_base_from stay the preset's own, apart from the test path the sandbox serves).
SALESFORCE = """
services:
  - name: salesforce
    authorize_url: {live}/sandbox/oauth/authorize
    token_url: {live}/sandbox/oauth/token
    scopes: [profile, channels:read]
    test: {{method: GET, path: /me}}
    identity: {{from: test, id: id, name: name}}
    options:
      channels: {{path: /channels, items: data, value: id, text: name, scopes: [channels:read]}}
"""
DEFINITION = {"id": "sf", "title": "Salesforce alerts", "auth": [
    {"externalId": "org", "service": "salesforce", "title": "Your org"}],
    "screens": [{"title": "Connect", "slots": ["org"]}, {"title": "Channel", "slots": [
        {"externalId": "channel", "title": "Channel", "type": "select",
         "options": {"source": "salesforce.channels", "auth": "org"}}]}]}


@pytest.fixture
def salesforce(app, live_server, core, user, tmp_path, sandbox_config, monkeypatch):
    sandbox_credentials(app, monkeypatch, "SALESFORCE_CLIENT")
    services = tmp_path / "services.yaml"
    services.write_text(SALESFORCE.format(live=live_server))
    sandbox_config(WIZARD_SERVICES_FILE=str(services))
    service = registry().get("salesforce")
    assert service.api_base == "https://login.salesforce.com" and service.api_base_from == "instance_url"
    core.publish(DEFINITION)
    inst = core.create_instance(user.id, "sf", "")
    return f"/connect/{inst.id}/s/{wizard_session(user.id, inst.id)}/org"


def test_the_token_responses_api_host_is_used_for_the_test_call_and_the_options(
        live_server, salesforce, user, sandbox_config):
    org = live_server + "/sandbox/api"
    sandbox_config(SANDBOX_INSTANCE_URL=org)
    _, msg = connect_sandbox(live_server, salesforce)  # the test call (/me) went to the org's host
    db.session.expire_all()
    auth = accounts.get(msg["authId"])
    assert auth.name == "Acme Corp"
    assert accounts.credentials_of(auth)[API_BASE_KEY] == org  # stored with the account (encrypted)
    assert [o["text"] for o in fetch_options("salesforce.channels", owner_id=user.id, auth_id=auth.id)] == \
        ["#general", "#alerts", "#deploys"]


def test_each_account_keeps_its_own_host_through_refreshes(live_server, salesforce, user, sandbox_config):
    # two orgs: the same sandbox reached by two names
    first_host = live_server + "/sandbox/api"
    second_host = live_server.replace("127.0.0.1", "localhost") + "/sandbox/api"
    sandbox_config(SANDBOX_INSTANCE_URL=first_host)
    _, first = connect_sandbox(live_server, salesforce)
    sandbox_config(SANDBOX_INSTANCE_URL=second_host)
    _, second = connect_sandbox(live_server, salesforce, workspace="globex")
    db.session.expire_all()
    a, b = accounts.get(first["authId"]), accounts.get(second["authId"])
    assert accounts.credentials_of(a)[API_BASE_KEY] == first_host
    assert accounts.credentials_of(b)[API_BASE_KEY] == second_host
    # a refresh that does not name the host keeps the account's own
    sandbox_config(SANDBOX_INSTANCE_URL=None)
    db.session.execute(update(SandboxToken).values(expires_in=-60))
    a.expires_at = utcnow() - timedelta(seconds=5)
    db.session.commit()
    before = accounts.credentials_of(a)["access_token"]
    creds = ensure_fresh(a)
    assert creds["access_token"] != before and creds[API_BASE_KEY] == first_host
    assert [o["text"] for o in fetch_options("salesforce.channels", owner_id=user.id, auth_id=b.id)] == \
        ["#general", "#ops"]


@pytest.mark.parametrize("value", ["ftp://org.example", "not a url", "https://user:pw@org.example",
                                   "https://org.example/?x=1"])
def test_an_unusable_api_host_fails_the_connection(live_server, salesforce, sandbox_config, value):
    sandbox_config(SANDBOX_INSTANCE_URL=value)
    resp = Dance(live_server).run(salesforce)
    msg = message_of(resp.text)
    assert resp.status_code == 400 and msg["authId"] is None
    assert "named an API address for the account (instance_url) that cannot be used" in msg["error"]
    assert accounts.list_accounts(None) == []


def test_without_the_field_the_services_api_base_is_used(live_server, salesforce, sandbox_config, tmp_path):
    sandbox_config(SANDBOX_INSTANCE_URL=None)
    services = tmp_path / "services.yaml"  # an api_base on this machine that serves no /me
    services.write_text(services.read_text() + f"    api_base: {live_server}/sandbox/none\n")
    assert registry().get("salesforce").api_base == live_server + "/sandbox/none"
    resp = Dance(live_server).run(salesforce)
    assert resp.status_code == 400 and "HTTP 404" in message_of(resp.text)["error"]
    sandbox_config(SANDBOX_INSTANCE_URL=live_server + "/sandbox/api")
    assert Dance(live_server).run(salesforce).status_code == 200


def test_api_base_from_is_validated():
    base = "services:\n  - {name: x, auth: %s, api_base: 'https://x.example', api_base_from: %s%s}\n"
    oauth = (", authorize_url: 'https://x.example/a', token_url: 'https://x.example/t', client_id_env: A, "
             "client_secret_env: B")
    assert parse_services(base % ("oauth2", "instance_url", oauth), env={})["x"].api_base_from == "instance_url"
    for auth, field, extra, expected in [("api_key", "instance_url", "", "only oauth2 services"),
                                         ("oauth2", "'Not A Field'", oauth, "names a field of the token response")]:
        with pytest.raises(ServicesError, match=expected):
            parse_services(base % (auth, field, extra), env={})
