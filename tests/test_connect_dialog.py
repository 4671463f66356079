"""The auth-only dialog (docs/events.md): code entry, the connect journey, events' origins."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from _connect_support import SLOT, Dance, instance, message_of, sandbox_config  # noqa: F401  (fixtures)
from wizard import accounts, identity

JS = Path(__file__).resolve().parent.parent / "static" / "connect.js"


def _attr(page: str, name: str) -> str:
    m = re.search(rf'{name}="([^"]*)"', page)
    assert m, f"no {name}"
    return html.unescape(m.group(1))


def _enter(d: Dance, path: str) -> tuple[str, str]:
    """Open the dialog URL; return the dialog page and its session id."""
    resp = d.get(path)
    assert resp.status_code == 302, resp.text
    location = resp.headers["Location"]
    assert "code=" not in location
    sid = re.fullmatch(r"/external/auth/s/([A-Za-z0-9_-]+)", location).group(1)
    page = d.get(location)
    assert page.status_code == 200
    return page.text, sid


def test_connect_for_an_instance_slot(app, live_server, user, instance, core):
    d = Dance(live_server)
    page, sid = _enter(d, f"/external/auth/create/emb-1/{instance.id}/{SLOT}?code={identity.generate_code(user.id)}")
    assert json.loads(_attr(page, "data-allowed-origins")) == app.config["WIZARD_ALLOWED_ORIGINS"]
    assert _attr(page, "data-auth-type") == "oauth"
    frame = d.http.get(live_server + f"/external/auth/s/{sid}").headers["Content-Security-Policy"]
    assert all(o in frame for o in app.config["WIZARD_ALLOWED_ORIGINS"])  # the dialog may be framed by the ISV
    start = _attr(page, "data-start-url")
    assert start == f"/connect/dialog/s/{sid}?lang=en"  # the popup speaks the dialog's language

    authorize = d.start(start)
    assert "chat%3Awrite" in authorize or "chat:write" in authorize  # the slot's scopes
    done = d.finish(d.consent(authorize))
    msg = message_of(done.text)
    assert msg["authId"]
    assert core.get_instance(instance.id).auth_values == {SLOT: msg["authId"]}
    status = d.http.get(live_server + _attr(page, "data-status-url")).json()
    assert status.pop("attempt") and status == {"status": "done", "authId": msg["authId"], "message": ""}


def test_a_code_is_used_once_and_errors_go_to_the_allowed_origins_only(app, live_server, user, instance):
    d = Dance(live_server)
    path = f"/external/auth/create/emb-1/{instance.id}/{SLOT}?code={identity.generate_code(user.id)}"
    _enter(d, path)
    again = Dance(live_server).get(path)
    assert again.status_code == 403
    assert _attr(again.text, "data-connect-page") == "dialog-error"
    assert "already been used" in _attr(again.text, "data-error-message")
    assert json.loads(_attr(again.text, "data-allowed-origins")) == app.config["WIZARD_ALLOWED_ORIGINS"]
    assert Dance(live_server).get("/external/auth/create/emb-1?serviceId=sandbox").status_code == 403  # no code


def test_the_script_never_posts_to_any_origin():
    """Every postMessage in connect.js targets an allowed origin or our own, never "*"."""
    source = re.sub(r"/\*.*?\*/", "", JS.read_text(), flags=re.S)  # code, not comments
    targets = re.findall(r"postMessage\([^,]+,\s*([^)]+)\)", source)
    assert targets and set(targets) == {"origin", "window.location.origin"}
    assert '"*"' not in source and "'*'" not in source
    for event in ("tray.authpopup.finish", "tray.authpopup.close", "tray.authPopup.error", "wizard.connect.done"):
        assert event in source
    # a message is only taken from our own origin and from the popup this page opened
    assert "event.origin !== window.location.origin" in source and "event.source !== popup" in source


def test_connect_a_service_with_extra_scopes_not_tied_to_an_instance(live_server, user, sandbox_config):
    d = Dance(live_server)
    code = identity.generate_code(user.id)
    page, sid = _enter(d, f"/external/auth/create/emb-1?code={code}&serviceId=sandbox&scopes[]=channels:read")
    authorize = d.start(_attr(page, "data-start-url"))
    scope = re.search(r"scope=([^&]+)", authorize).group(1).replace("%3A", ":").split("+")
    assert scope == ["profile", "channels:read"]
    msg = message_of(d.finish(d.consent(authorize)).text)
    auth = accounts.get(msg["authId"], owner_id=user.id)
    assert auth.scopes == ["profile", "channels:read"]


def test_edit_reauthorises_ones_own_authentication_only(live_server, user, fred):
    mine = accounts.create(user.id, "sandbox", "oauth2", {"access_token": "old"}, name="Work", scopes=["profile"])
    d = Dance(live_server)
    page, _ = _enter(d, f"/external/auth/edit/emb-1/{mine.id}?code={identity.generate_code(user.id)}")
    assert "Reconnect" in page
    msg = message_of(d.run(_attr(page, "data-start-url")).text)
    assert msg["authId"] == mine.id
    from wizard.extensions import db

    db.session.expire_all()
    assert accounts.credentials_of(accounts.get(mine.id))["access_token"] != "old"
    # Fred's code cannot open Ada's authentication
    resp = Dance(live_server).get(f"/external/auth/edit/emb-1/{mine.id}?code={identity.generate_code(fred.id)}")
    assert resp.status_code == 404 and _attr(resp.text, "data-connect-page") == "dialog-error"


@pytest.mark.parametrize("query, status", [("serviceId=nope", 404), ("serviceId=slack", 503)])
def test_unknown_or_unconfigured_services(live_server, user, query, status):
    resp = Dance(live_server).get(f"/external/auth/create/emb-1?code={identity.generate_code(user.id)}&{query}")
    assert resp.status_code == status and _attr(resp.text, "data-connect-page") == "dialog-error"


def test_another_users_instance_and_a_foreign_embedded_id(live_server, fred, instance, sandbox_config):
    resp = Dance(live_server).get(f"/external/auth/create/emb-1/{instance.id}/{SLOT}?code={identity.generate_code(fred.id)}")
    assert resp.status_code == 403
    sandbox_config(WIZARD_EMBEDDED_ID="emb-1")
    wrong = Dance(live_server).get(f"/external/auth/create/other?code={identity.generate_code(fred.id)}&serviceId=sandbox")
    assert wrong.status_code == 404


def test_the_dialog_session_is_not_a_wizard_session(live_server, user, instance):
    d = Dance(live_server)
    _, sid = _enter(d, f"/external/auth/create/emb-1/{instance.id}/{SLOT}?code={identity.generate_code(user.id)}")
    # its sid opens neither the wizard's connect routes nor another dialog's
    assert d.get(f"/connect/{instance.id}/s/{sid}/{SLOT}").status_code == 403
    assert d.get(f"/connect/dialog/s/{'y' * 43}").status_code == 403
