"""A solution with its own service (a `services:` block, services.md) through the whole journey:
publish, enter the wizard, connect over OAuth 2 (the sandbox's endpoints, declared by the
solution, credentials from the environment), options from that service, refresh, finish."""
from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from sqlalchemy import update

from _connect_support import Dance, message_of, sandbox_as_service, sandbox_credentials
from wizard import accounts
from wizard.cli import known_services
from wizard.connect import ensure_fresh
from wizard.extensions import db
from wizard.models import utcnow
from wizard.sandbox.models import SandboxToken
from wizard.services import UnknownService, registry
from wizard_support import Wizard

DEFINITION = """
id: own-sandbox
title: Our own workspace
services:
{service}auth:
  - externalId: ws
    service: workspace
    title: Your workspace
    scopes: [channels:read]
screens:
  - title: Connect
    slots: [ws]
  - title: Channel
    slots:
      - externalId: channel
        title: Channel
        type: select
        required: true
        options: {{source: workspace.channels, auth: ws}}
"""


def own(live: str) -> str:
    """The solution, its own service being the sandbox under another name."""
    return DEFINITION.format(service=sandbox_as_service(live, "workspace", "Our workspace", "OWN_SBX",
                                                         "    check_scopes: true\n"))


@pytest.fixture
def credentials(app, monkeypatch):
    sandbox_credentials(app, monkeypatch, "OWN_SBX")


def test_a_solutions_own_service_through_a_whole_oauth_journey(live_server, client, core, user, credentials):
    core.publish(own(live_server), known_services=known_services())
    w = Wizard(client, core, user)
    inst = w.instance("own-sandbox")
    w.open(inst.id)
    sid = w.base.split("/s/")[1]
    start = f"/connect/{inst.id}/s/{sid}/ws?lang=en"  # the popup's pages speak the wizard's language
    assert f'href="{start}"' in w.page and "No account connected yet." in w.page

    dance = Dance(live_server)
    resp = dance.run(start)
    msg = message_of(resp.text)
    assert resp.status_code == 200 and msg["authId"] and not msg["error"]
    db.session.expire_all()
    auth = accounts.get(msg["authId"])
    assert auth.service == "own-sandbox:workspace" and auth.owner_id == user.id
    assert auth.scopes == ["profile", "channels:read"] and auth.name == "Acme Corp"

    w.get(f"{w.base}/screen/1")
    assert "Acme Corp" in w.page
    w.post({"ws": auth.id})
    assert w.path.endswith("/screen/2")
    assert "#general" in w.page and "#deploys" in w.page  # listed by the solution's own service
    w.post({"channel": "C2"})
    assert w.path.endswith("/review") and "#alerts" in w.page
    w.finish()
    assert w.path.endswith("/done"), w.page[:300]
    done = core.get_instance(inst.id)
    assert done.enabled and done.config_values == {"channel": "C2"} and done.auth_values == {"ws": auth.id}

    # the account's token is renewed through the solution's service's token endpoint
    before = accounts.credentials_of(auth)
    db.session.execute(update(SandboxToken).values(expires_in=-60))
    auth.expires_at = utcnow() - timedelta(seconds=5)
    db.session.commit()
    assert ensure_fresh(auth)["access_token"] != before["access_token"]


def test_the_service_is_the_solutions_only(live_server, client, core, user, credentials):
    core.publish(own(live_server), known_services=known_services())
    w = Wizard(client, core, user)
    other = {"id": "another", "title": "Another", "auth": [
        {"externalId": "ws", "service": "workspace", "title": "Workspace"}]}
    with pytest.raises(Exception, match="unknown service 'workspace'"):
        core.publish(other, known_services=known_services())
    with pytest.raises(UnknownService):
        registry().get("workspace")
    # an account of it is offered only where that service is used
    accounts.create(user.id, "own-sandbox:workspace", "oauth2", {"access_token": "x"}, name="Ours")
    core.publish({**other, "auth": [{"externalId": "ws", "service": "sandbox", "title": "Workspace"}]})
    w.open(w.instance("another").id)
    assert "Ours" not in w.page


def test_without_its_credentials_in_the_environment_it_is_not_set_up(live_server, client, core, user, monkeypatch):
    monkeypatch.delenv("OWN_SBX_ID", raising=False)
    monkeypatch.delenv("OWN_SBX_SECRET", raising=False)
    core.publish(own(live_server), known_services=known_services())
    assert not registry().get("own-sandbox:workspace").configured
    w = Wizard(client, core, user)
    inst = w.instance("own-sandbox")
    w.open(inst.id)
    resp = client.get(f"/connect/{inst.id}/s/{w.base.split('/s/')[1]}/ws")
    assert resp.status_code == 503 and "Our workspace is not set up on this server yet" in resp.get_data(as_text=True)


def test_a_changed_service_takes_effect_with_the_next_version(live_server, core, credentials):
    text = own(live_server)
    core.publish(text, known_services=known_services())
    first = registry().get("own-sandbox:workspace")
    data = yaml.safe_load(text)
    data["services"][0]["token_url"] = live_server + "/sandbox/oauth/token?v=2"
    core.publish(data, known_services=known_services())
    second = registry().get("own-sandbox:workspace")
    assert second.token_url.endswith("?v=2") and second.client_key != first.client_key
