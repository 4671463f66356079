"""Helpers for the connect, sandbox and options tests: a wizard session for an instance, and the
OAuth dance driven over real HTTP with `requests` (the popup's redirects, the consent form)."""
from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
import requests

from wizard.crypto import hash_secret, new_secret
from wizard.extensions import db
from wizard.models import BrowserSession, utcnow

SLOT = "external_sandbox_authentication"

# The ISV's own services (WIZARD_SERVICES_FILE) for API-key and basic tests: the sandbox's API.
KEY_SERVICES = """
services:
  - name: sandbox-key
    title: Sandbox Key
    auth: api_key
    api_base: {live}/sandbox/api
    header: {{X-Api-Key: "{{api_key}}"}}
    test: {{method: GET, path: /me}}
    options:
      channels: {{path: /channels, items: data, value: id, text: name}}
  - name: sandbox-basic
    title: Sandbox Basic
    auth: basic
    api_base: {live}/sandbox/api
    test: {{method: GET, path: /me}}
"""


def sandbox_as_service(live: str, name: str, title: str, env: str, extra: str = "") -> str:
    """A services-file entry (services.md) declaring the sandbox as an ISV's own OAuth 2 service,
    its client credentials in the environment variables {env}_ID and {env}_SECRET. `extra`:
    more lines of the entry, indented by four spaces."""
    return f"""  - name: {name}
    title: {title}
    auth: oauth2
    authorize_url: {live}/sandbox/oauth/authorize
    token_url: {live}/sandbox/oauth/token
    scopes: [profile]
    client_id_env: {env}_ID
    client_secret_env: {env}_SECRET
    api_base: {live}/sandbox/api
    test: {{method: GET, path: /me}}
    options:
      channels: {{path: /channels, items: data, value: id, text: name, scopes: [channels:read]}}
{extra}"""


def sandbox_credentials(app, monkeypatch, env: str) -> None:
    """Put the sandbox's client credentials where sandbox_as_service(..., env) reads them."""
    from wizard.sandbox import CLIENT_ID
    from wizard.sandbox.provider import client_secret

    monkeypatch.setenv(f"{env}_ID", CLIENT_ID)
    monkeypatch.setenv(f"{env}_SECRET", client_secret(app.config))


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
MESSAGE = re.compile(r'data-message="([^"]*)"')


def wizard_session(user_id: str, instance_id: str, **extra) -> str:
    """A wizard session as the wizard makes it on entry: bound to one user and one instance."""
    sid = new_secret()
    db.session.add(BrowserSession(sid_hash=hash_secret(sid), expires_at=utcnow() + timedelta(hours=1),
                                  data={"wizard": {"user_id": user_id, "instance_id": instance_id}, **extra}))
    db.session.commit()
    return sid


def csrf_for(app, sid: str) -> str:
    """A CSRF token of the wizard session, as a wizard page would carry it."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    with app.test_request_context(f"/page/s/{sid}"):
        token = generate_csrf()
        app.session_interface.save_session(app, session._get_current_object(), app.response_class())
    return token


def session_data(sid: str) -> dict:
    db.session.expire_all()
    return dict(db.session.get(BrowserSession, hash_secret(sid)).data)


def csrf_of(page: str) -> str:
    m = CSRF.search(page)
    assert m, "no CSRF token in the page"
    return m.group(1)


def message_of(page: str) -> dict:
    """The {type: wizard.connect.done, ...} message the finish page posts to its opener."""
    m = MESSAGE.search(page)
    assert m, "not a finish page"
    return json.loads(html.unescape(m.group(1)))


class Dance:
    """The popup's journey, one step at a time, so that tests can tamper between steps."""

    def __init__(self, live: str, http: requests.Session | None = None):
        self.live = live
        self.http = http or requests.Session()
        self.pages: list[str] = []

    def get(self, url, **kw):
        resp = self.http.get(url if url.startswith("http") else self.live + url, allow_redirects=False,
                             timeout=15, **kw)
        self.pages.append(resp.text)
        return resp

    def start(self, path: str) -> str:
        """Open the connect popup; return the provider's authorization URL."""
        resp = self.get(path)
        assert resp.status_code == 302, resp.text
        return resp.headers["Location"]

    def consent(self, authorize_url: str, *, allow=True, workspace="acme", granted=None) -> str:
        """Answer the consent page; return the redirect back to the client (callback URL)."""
        page = self.get(authorize_url)
        assert page.status_code == 200, page.text
        form = {"csrf_token": csrf_of(page.text), "workspace": workspace}
        if granted is None:
            granted = re.findall(r'name="granted" type="checkbox" value="([^"]+)"', page.text)
        form["granted"] = granted
        form["allow" if allow else "deny"] = "Allow" if allow else "Deny"
        resp = self.http.post(authorize_url, data=form, allow_redirects=False, timeout=15)
        self.pages.append(resp.text)
        assert resp.status_code == 302, resp.text
        return resp.headers["Location"]

    def finish(self, callback_url: str) -> requests.Response:
        return self.get(callback_url)

    def run(self, path: str, **consent) -> requests.Response:
        return self.finish(self.consent(self.start(path), **consent))


@pytest.fixture
def sandbox_config(app):
    """Set SANDBOX_* / timeout switches for one test; always put them back."""
    keys = ("SANDBOX_FAULT", "SANDBOX_CONSENT_COOP", "SANDBOX_SLOW_SECONDS", "WIZARD_API_TIMEOUT",
            "WIZARD_SANDBOX", "WIZARD_SERVICES_FILE", "WIZARD_EMBEDDED_ID")
    saved = {k: app.config.get(k) for k in keys}
    present = {k for k in keys if k in app.config}

    def set_(**values):
        app.config.update(values)

    yield set_
    for k in keys:
        if k in present:
            app.config[k] = saved[k]
        else:
            app.config.pop(k, None)
    app.extensions.pop("wizard_options_cache", None)


@pytest.fixture
def instance(core, demo_solution, user):
    return core.create_instance(user.id, "slack-alerts", "Alerts")


@pytest.fixture
def sid(user, instance):
    return wizard_session(user.id, instance.id)


@pytest.fixture
def start_path(instance, sid):
    return f"/connect/{instance.id}/s/{sid}/{SLOT}"


@pytest.fixture
def dance(live_server):
    return Dance(live_server)


def connect_sandbox(live_server, path: str, **consent):
    """A whole successful connection; returns (finish response, message)."""
    d = Dance(live_server)
    resp = d.run(path, **consent)
    assert resp.status_code == 200, resp.text
    msg = message_of(resp.text)
    assert msg["authId"], msg
    return d, msg
