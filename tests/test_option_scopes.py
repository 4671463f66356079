"""At runtime, an account that lacks the scope an options list needs (its granted list says so, or
the service answers 401/403) gets a message naming the permission in the service's words and a
Reconnect that asks for it, never a bare Retry. Over real HTTP against the sandbox."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from _connect_support import (  # noqa: F401  (fixtures)
    Dance, connect_sandbox, message_of, sandbox_as_service, sandbox_config, sandbox_credentials, wizard_session,
)
from test_connect_dialog import _attr, _enter
from test_wizard_fields import AUTH_SOLUTION
from wizard import accounts, identity
from wizard.connect.options import OptionsUnavailable, fetch_options
from wizard.extensions import db
from wizard_support import Wizard

CHANNELS_WORDS = "\u201cList the workspace's channels\u201d (channels:read)"
# The sandbox again, declared as an ISV's service that does not check granted scopes (as for a
# provider that does not echo them): only the API's 403 tells that a scope is missing.
def loose(live: str) -> str:
    return "services:\n" + sandbox_as_service(
        live, "loose", "Loose Sandbox", "LOOSE",
        "    scope_titles: {channels:read: \"List the workspace's channels\"}\n")


def connect_for_slot(live_server, core, user, definition: dict, slot: str, **consent):
    """Publish `definition`, start a wizard session on a new instance and connect `slot`."""
    core.publish(definition)
    inst = core.create_instance(user.id, definition["id"], "")
    sid = wizard_session(user.id, inst.id)
    d, msg = connect_sandbox(live_server, f"/connect/{inst.id}/s/{sid}/{slot}", **consent)
    db.session.expire_all()
    return accounts.get(msg["authId"])


@pytest.fixture
def profile_only(live_server, core, user):
    """A Sandbox account connected for another solution, which asked for `profile` only."""
    other = {"id": "profile-only", "title": "Profile only",
             "auth": [{"externalId": "ws", "service": "sandbox", "title": "Workspace"}]}
    auth = connect_for_slot(live_server, core, user, other, "ws")
    assert auth.scopes == ["profile"]
    return auth


def test_a_granted_list_without_the_scope_names_the_permission(profile_only, user, sandbox_config):
    sandbox_config(SANDBOX_FAULT="error")  # nothing is asked of the service: the granted list tells
    with pytest.raises(OptionsUnavailable) as exc:
        fetch_options("sandbox.channels", owner_id=user.id, auth_id=profile_only.id)
    assert exc.value.code == "missing_scope" and exc.value.missing == ["channels:read"]
    assert exc.value.message == (f"Your Sandbox account Acme Corp has not given the permission {CHANNELS_WORDS}, "
                                 "which this list needs. Reconnect the account and allow it.")


def test_the_screen_offers_reconnect_asking_for_the_scope_then_the_options_load(
        live_server, client, core, user, profile_only):
    w = Wizard(client, core, user)
    w.publish(AUTH_SOLUTION)  # published as before the check: its auth slot asks for no scope
    inst = w.instance("withauth")
    w.open(inst.id)
    w.post({"acct": profile_only.id})
    assert w.path.endswith("/screen/2")
    sid = w.base.split("/s/")[1]
    reconnect = f"/connect/{inst.id}/s/{sid}/acct?auth={profile_only.id}&lang=en"  # the popup's language
    assert CHANNELS_WORDS.replace("'", "&#39;") in w.page
    assert f'href="{reconnect.replace("&", "&amp;")}"' in w.page and "Reconnect and allow it" in w.page
    assert 'class="button button--small connect-link" id="channel-reconnect"' in w.page
    assert "-retry" not in w.page and "could not be loaded right now" not in w.page
    # Reconnect asks for what the list needs, though the slot does not
    dance = Dance(live_server)
    authorize = dance.start(reconnect)
    assert parse_qs(urlsplit(authorize).query)["scope"] == ["profile channels:read"]
    msg = message_of(dance.finish(dance.consent(authorize)).text)
    assert msg["authId"] == profile_only.id  # the same account, now with the scope
    db.session.expire_all()  # (the live server changed the account under this test's session)
    w.get(f"{w.base}/screen/2")
    assert "#general" in w.page and "#deploys" in w.page and "Reconnect and allow it" not in w.page


def test_a_403_from_the_service_names_the_permission_and_reconnect_cures_it(
        live_server, app, core, user, tmp_path, sandbox_config, monkeypatch):
    sandbox_credentials(app, monkeypatch, "LOOSE")
    services = tmp_path / "services.yaml"
    services.write_text(loose(live_server))
    sandbox_config(WIZARD_SERVICES_FILE=str(services))
    definition = {"id": "loose-alerts", "title": "Loose", "auth": [
        {"externalId": "ws", "service": "loose", "title": "Workspace", "scopes": ["channels:read"]}],
        "screens": [{"title": "Connect", "slots": ["ws"]}, {"title": "Channel", "slots": [
            {"externalId": "channel", "title": "Channel", "type": "select",
             "options": {"source": "loose.channels", "auth": "ws"}}]}]}
    # consent without the scope: the service does not check, so the connection is made
    auth = connect_for_slot(live_server, core, user, definition, "ws", granted=["profile"])
    with pytest.raises(OptionsUnavailable) as exc:
        fetch_options("loose.channels", owner_id=user.id, auth_id=auth.id)
    assert exc.value.code == "missing_scope"
    assert "has not given the permission \u201cList the workspace's channels\u201d (channels:read)" in exc.value.message
    # the same through a 403 alone, when the granted list is not known
    auth.scopes = []
    db.session.commit()
    with pytest.raises(OptionsUnavailable, match="channels:read") as exc:
        fetch_options("loose.channels", owner_id=user.id, auth_id=auth.id)
    assert exc.value.code == "missing_scope"
    # Reconnect, allowing it this time
    inst = core.create_instance(user.id, "loose-alerts", "")
    sid = wizard_session(user.id, inst.id)
    connect_sandbox(live_server, f"/connect/{inst.id}/s/{sid}/ws?auth={auth.id}")
    db.session.expire_all()
    assert [o["text"] for o in fetch_options("loose.channels", owner_id=user.id, auth_id=auth.id)] == \
        ["#general", "#alerts", "#deploys"]


def test_a_first_connection_asks_for_what_the_slots_lists_need(live_server, core, user):
    core.publish(AUTH_SOLUTION)
    inst = core.create_instance(user.id, "withauth", "")
    sid = wizard_session(user.id, inst.id)
    authorize = Dance(live_server).start(f"/connect/{inst.id}/s/{sid}/acct")
    assert parse_qs(urlsplit(authorize).query)["scope"] == ["profile channels:read"]


def test_the_auth_only_dialog_for_an_instance_asks_for_them_too(live_server, core, user):
    core.publish(AUTH_SOLUTION)
    inst = core.create_instance(user.id, "withauth", "")
    d = Dance(live_server)
    page, _ = _enter(d, f"/external/auth/create/emb-1/{inst.id}/acct?code={identity.generate_code(user.id)}")
    authorize = d.start(_attr(page, "data-start-url"))
    assert parse_qs(urlsplit(authorize).query)["scope"] == ["profile channels:read"]
