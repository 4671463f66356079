"""Connection parameters (docs/services.md, "Connection parameters"): declared and checked like
every other key, a URL built from them keeps the host the service declares, hostile values are
refused before any request, and a `{tenant}` service connects, calls and refreshes at its
tenant's URLs (the sandbox's /sandbox/t/<tenant>/, over real HTTP)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from _connect_support import (  # noqa: F401  (fixtures)
    Dance, csrf_of, message_of, sandbox_config, sandbox_credentials, wizard_session,
)
from wizard import accounts
from wizard.connect.options import fetch_options
from wizard.extensions import db
from wizard.models import Authentication, ConnectFlow, utcnow
from wizard.sandbox.models import SandboxToken
from wizard.services import ServicesError, parse_services
from wizard.services.params import ParamError, build, check_declared

ZENDESK = """
services:
  - name: desk
    title: Desk
    auth: oauth2
    params: [{name: subdomain, title: Subdomain, help: "as in https://<subdomain>.zendesk.com"}]
    authorize_url: https://{subdomain}.zendesk.com/oauth/authorizations/new
    token_url: https://{subdomain}.zendesk.com/oauth/tokens
    client_id_env: DESK_ID
    client_secret_env: DESK_SECRET
    api_base: https://{subdomain}.zendesk.com/api/v2
    test: {method: GET, path: /users/me}
    options:
      groups: {path: /groups, items: groups}
"""
HOSTILE = ["evil.example/#", "a.b", "..", "%2F", "x" * 300, "caf\u00e9", "évil", "acme/../x", "a b", "acme@evil",
           "acme:80", "-acme", "acme#", "acme?x=1", "", "   "]


@pytest.fixture
def desk():
    return parse_services(ZENDESK, "svc.yaml", {"DESK_ID": "i", "DESK_SECRET": "s"})["desk"]


def test_a_url_built_from_a_parameter_keeps_the_declared_host(desk):
    bound = desk.with_params({"subdomain": "acme-eu"})
    assert bound.authorize_url == "https://acme-eu.zendesk.com/oauth/authorizations/new"
    assert bound.token_url == "https://acme-eu.zendesk.com/oauth/tokens"
    assert bound.api_base == "https://acme-eu.zendesk.com/api/v2"
    assert bound.client_key != desk.with_params({"subdomain": "other"}).client_key != desk.client_key


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_refused(desk, value):
    with pytest.raises(ParamError):
        desk.with_params({"subdomain": value})


def test_a_lax_pattern_cannot_widen_what_a_value_may_be():
    params = check_declared([{"name": "host", "pattern": ".*"}], lambda *a: pytest.fail(a))
    for value in ["evil.example/#", "a.b", "%2F", "x" * 300]:
        with pytest.raises(ParamError):
            build("https://{host}.zendesk.com/api", params, {"host": value})
    # choices may hold dots (a regional domain), and only those choices are accepted
    regions = check_declared([{"name": "dc", "choices": ["com", "com.au"]}], lambda *a: pytest.fail(a))
    assert build("https://accounts.zoho.{dc}/oauth", regions, {"dc": "com.au"}) == "https://accounts.zoho.com.au/oauth"
    with pytest.raises(ParamError):
        build("https://accounts.zoho.{dc}/oauth", regions, {"dc": "evil.example/#"})


def test_the_declaration_is_checked_like_every_other_key():
    def errors(entry: str) -> list[str]:
        with pytest.raises(ServicesError) as exc:
            parse_services("services:\n" + entry, "svc.yaml", {})
        return exc.value.errors

    base = ("  - name: x\n    auth: api_key\n    fields: [{name: api_key}]\n")
    assert any("{tenant}" in e and "params does not declare" in e
               for e in errors(base + "    api_base: https://{tenant}.x.example\n"))
    assert any("fixed domain" in e for e in errors(
        base + "    params: [{name: host}]\n    api_base: https://{host}/api\n"))
    assert any("not a regular expression" in e for e in errors(
        base + "    params: [{name: t, pattern: '(('}]\n    api_base: https://{t}.x.example\n"))
    assert any("choices" in e for e in errors(
        base + "    params: [{name: t, choices: ['a/b']}]\n    api_base: https://{t}.x.example\n"))
    assert any("found after connecting" in e for e in errors(
        "  - name: x\n    auth: oauth2\n    client_id_env: A\n    client_secret_env: B\n"
        "    params: [{name: dc, from: {url: 'https://login.x.example/meta', value: dc}}]\n"
        "    authorize_url: https://{dc}.x.example/auth\n    token_url: https://x.example/token\n"))


# -- a {tenant} service over real HTTP ----------------------------------------------------------

TENANT_SERVICE = """
services:
  - name: tenanted
    title: Tenanted
    auth: oauth2
    params: [{{name: tenant, title: Tenant, pattern: "[a-z0-9-]+", help: Your company's name at Tenanted}}]
    authorize_url: {live}/sandbox/t/{{tenant}}/oauth/authorize
    token_url: {live}/sandbox/t/{{tenant}}/oauth/token
    scopes: [profile]
    client_id_env: TENANTED_ID
    client_secret_env: TENANTED_SECRET
    api_base: {live}/sandbox/t/{{tenant}}/api
    identity: {{from: test, id: id, name: name}}
    test: {{method: GET, path: /me}}
    options:
      channels: {{path: /channels, items: data, value: id, text: name, scopes: [channels:read]}}
"""
TENANT_DEFINITION = {"id": "tenanted", "title": "Tenanted alerts", "auth": [
    {"externalId": "ws", "service": "tenanted", "title": "Your Tenanted account", "scopes": ["channels:read"]}],
    "screens": [{"title": "Connect", "slots": ["ws"]}]}


@pytest.fixture
def tenanted(app, live_server, core, user, tmp_path, sandbox_config, monkeypatch):
    sandbox_credentials(app, monkeypatch, "TENANTED")
    path = tmp_path / "services.yaml"
    path.write_text(TENANT_SERVICE.format(live=live_server))
    sandbox_config(WIZARD_SERVICES_FILE=str(path))
    core.publish(TENANT_DEFINITION)
    inst = core.create_instance(user.id, "tenanted", "")
    return f"/connect/{inst.id}/s/{wizard_session(user.id, inst.id)}/ws"


def _type_params(d: Dance, path: str, **values):
    page = d.get(path)
    assert page.status_code == 200 and 'name="param_tenant"' in page.text, page.text
    resp = d.http.post(d.live + path, data={"csrf_token": csrf_of(page.text),
                                            **{"param_" + k: v for k, v in values.items()}},
                       allow_redirects=False, timeout=15)
    d.pages.append(resp.text)
    return resp


def test_a_tenant_is_asked_first_and_used_for_the_popup_the_options_and_refreshes(live_server, tenanted, user):
    d = Dance(live_server)
    resp = _type_params(d, tenanted, tenant="acme-eu")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(live_server + "/sandbox/t/acme-eu/oauth/authorize?")
    finish = d.finish(d.consent(resp.headers["Location"]))
    assert finish.status_code == 200, finish.text
    auth = accounts.get(message_of(finish.text)["authId"], owner_id=user.id)
    assert auth.params == {"tenant": "acme-eu"}
    assert (auth.identity_id, auth.name) == ("id:acme-eu/acme", "Acme Corp @ acme-eu")
    # the options come from the tenant's API host (its channels say which tenant answered)
    texts = [o["text"] for o in fetch_options("tenanted.channels", owner_id=user.id, auth_id=auth.id)]
    assert texts == ["#general @ acme-eu", "#alerts @ acme-eu", "#deploys @ acme-eu"]
    # a refresh goes to the tenant's token URL (the sandbox refreshes a tenant's token nowhere else)
    old = accounts.credentials_of(auth)["access_token"]
    db.session.execute(update(Authentication).where(Authentication.id == auth.id)
                       .values(expires_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    from flask import current_app
    current_app.extensions.pop("wizard_options_cache", None)
    assert fetch_options("tenanted.channels", owner_id=user.id, auth_id=auth.id)[0]["text"] == "#general @ acme-eu"
    db.session.expire_all()
    auth = accounts.get(auth.id)
    assert auth.status == "ok" and accounts.credentials_of(auth)["access_token"] != old
    assert db.session.scalar(select(func.count()).select_from(SandboxToken)
                             .where(SandboxToken.tenant == "acme-eu")) == 2


def test_a_token_of_one_tenant_is_refused_at_another(live_server, tenanted, user):
    import requests

    d = Dance(live_server)
    resp = _type_params(d, tenanted, tenant="acme-eu")
    finish = d.finish(d.consent(resp.headers["Location"]))
    auth = accounts.get(message_of(finish.text)["authId"], owner_id=user.id)
    token = accounts.credentials_of(auth)["access_token"]
    other = requests.get(live_server + "/sandbox/t/globex-us/api/me", headers={"Authorization": f"Bearer {token}"},
                         timeout=10)
    assert other.status_code == 401


@pytest.mark.parametrize("value", ["evil.example/#", "a.b", "..", "%2F", "x" * 300, "caf\u00e9"])
def test_hostile_tenants_are_refused_before_any_request(live_server, tenanted, user, value):
    d = Dance(live_server)
    resp = _type_params(d, tenanted, tenant=value)
    assert resp.status_code == 400 and "Location" not in resp.headers
    assert 'class="field-error"' in resp.text
    # no attempt was begun: nothing went to a provider, nothing is waiting for a callback
    assert db.session.scalar(select(func.count()).select_from(ConnectFlow)) == 0
    assert accounts.list_accounts(user.id) == []


def test_header_values_are_built_from_the_accounts_parameters(monkeypatch):
    """Xero names the organisation in a header (xero-tenant-id), Notion its API version."""
    from wizard.connect import tokens
    from wizard.services import load_registry

    sent = {}

    class Answer:
        status_code, content = 200, b"{}"

        @staticmethod
        def json():
            return {}

    def fake_request(method, url, headers=None, **kw):
        sent.update(url=url, headers=headers)
        return Answer()

    monkeypatch.setattr(tokens.requests, "request", fake_request)
    monkeypatch.setattr(tokens, "api_timeout", lambda: 5)
    reg = load_registry({"WIZARD_SANDBOX": False, "WIZARD_PUBLIC_URL": "https://w.example", "SECRET_KEY": "k"}, env={})
    xero = reg.get("xero").with_params({"tenant": "8a7c1e9b-5f0d-4c3a-9e1b-2d3f4a5b6c7d"})
    tokens.request_with(xero, "oauth2", {"access_token": "t"}, "GET", xero.test["path"])
    assert sent["headers"]["xero-tenant-id"] == "8a7c1e9b-5f0d-4c3a-9e1b-2d3f4a5b6c7d"
    assert sent["headers"]["Authorization"] == "Bearer t"
    tokens.request_with(reg.get("notion"), "oauth2", {"access_token": "t"}, "GET", "/users/me")
    assert sent["headers"]["Notion-Version"] == "2022-06-28" and sent["url"] == "https://api.notion.com/v1/users/me"
    with pytest.raises(ParamError):
        reg.get("xero").with_params({"tenant": "x\r\nX-Evil: 1"})


def test_the_api_imports_an_account_with_its_parameters(api, user, app, live_server, tenanted):
    """createUserAuthentication's `params` (an addition): checked like typed ones, the test call
    made at the tenant's host, kept with the account."""
    import json

    from wizard.sandbox import api_key_for  # noqa: F401
    from wizard.sandbox.provider import CLIENT_ID  # noqa: F401

    d = Dance(live_server)
    resp = _type_params(d, tenanted, tenant="acme-eu")
    finish = d.finish(d.consent(resp.headers["Location"]))
    token = accounts.credentials_of(accounts.get(message_of(finish.text)["authId"]))["access_token"]
    create = """mutation($i: CreateUserAuthenticationInput!) { createUserAuthentication(input: $i) { authenticationId } }"""
    base = {"name": "", "serviceId": "tenanted", "serviceEnvironmentId": "tenanted", "userId": user.id,
            "data": json.dumps({"access_token": token})}
    for hostile in ('{"tenant": "evil.example/#"}', '{"tenant": "a.b"}', '{}', '"acme"'):
        body = api(create, {"i": {**base, "params": hostile}})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    # the wrong tenant: its API refuses a token of another tenant, so the import is refused
    assert api(create, {"i": {**base, "params": '{"tenant": "globex"}'}})["errors"]
    ok = api(create, {"i": {**base, "params": '{"tenant": "acme-eu"}'}})
    auth = accounts.get(ok["data"]["createUserAuthentication"]["authenticationId"])
    assert auth.params == {"tenant": "acme-eu"} and auth.name == "Acme Corp @ acme-eu"
    listed = api("{ authentications { edges { node { id params identityName } } } }")
    node = next(e["node"] for e in listed["data"]["authentications"]["edges"] if e["node"]["id"] == auth.id)
    assert json.loads(node["params"]) == {"tenant": "acme-eu"} and node["identityName"] == "Acme Corp @ acme-eu"


def test_the_params_form_needs_its_csrf_token(live_server, tenanted):
    import requests

    resp = requests.post(live_server + tenanted, data={"param_tenant": "acme"}, allow_redirects=False, timeout=10)
    assert resp.status_code == 400 and "Location" not in resp.headers
    assert db.session.scalar(select(func.count()).select_from(ConnectFlow)) == 0


KEY_TENANT = """
services:
  - name: keyed-tenant
    title: Keyed Tenant
    auth: api_key
    params: [{{name: tenant, title: Tenant}}]
    api_base: {live}/sandbox/t/{{tenant}}/api
    header: {{X-Api-Key: "{{api_key}}"}}
    test: {{method: GET, path: /me}}
    options:
      channels: {{path: /channels, items: data, value: id, text: name}}
"""


def test_the_credential_form_asks_the_parameters_too(live_server, core, user, tmp_path, sandbox_config):
    from wizard.sandbox import api_key_for

    path = tmp_path / "services.yaml"
    path.write_text(KEY_TENANT.format(live=live_server))
    sandbox_config(WIZARD_SERVICES_FILE=str(path))
    core.publish({"id": "keyed-tenant", "title": "K", "auth": [
        {"externalId": "k", "service": "keyed-tenant", "title": "Key"}], "screens": [{"title": "C", "slots": ["k"]}]})
    inst = core.create_instance(user.id, "keyed-tenant", "")
    start = f"/connect/{inst.id}/s/{wizard_session(user.id, inst.id)}/k"
    d = Dance(live_server)
    key = api_key_for("globex")

    def post(tenant):
        page = d.get(start)
        assert 'name="param_tenant"' in page.text and 'type="password"' in page.text
        return d.http.post(live_server + start, data={"csrf_token": csrf_of(page.text), "param_tenant": tenant,
                                                      "api_key": key}, allow_redirects=False, timeout=15)

    for hostile in ("evil.example/#", "a.b", "%2F"):
        resp = post(hostile)  # the form again, the field's error beside it (as for any field of the form)
        assert "Location" not in resp.headers and 'id="param_tenant-error"' in resp.text and key not in resp.text
        assert accounts.list_accounts(user.id) == []
    ok = post("globex-eu")
    assert ok.status_code == 200, ok.text
    auth = accounts.get(message_of(ok.text)["authId"], owner_id=user.id)
    assert auth.params == {"tenant": "globex-eu"} and auth.name == "Globex @ globex-eu"
    assert fetch_options("keyed-tenant.channels", owner_id=user.id, auth_id=auth.id)[0]["text"] == "#general @ globex-eu"
