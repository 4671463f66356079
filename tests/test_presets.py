"""The presets (wizard/services/presets.yaml): all load and pass the services-file validation, each
is named with its quirk in docs/services.md, and each distinct quirk is exercised against the
sandbox configured to behave that way (over real HTTP): a per-account host, a post-connect tenant
choice, a data-centre lookup, PKCE-only, client_secret_post, a company id on the redirect."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from _connect_support import (  # noqa: F401  (fixtures)
    Dance, csrf_of, message_of, sandbox_config, sandbox_credentials, wizard_session,
)
from wizard import accounts
from wizard.connect.options import fetch_options
from wizard.services import load_registry, parse_services
from wizard.services.presets import PRESETS, PRESETS_FILE

DOCS = Path(__file__).resolve().parents[1] / "docs" / "services.md"


def test_every_preset_loads_and_validates():
    names = [e["name"] for e in yaml.safe_load(PRESETS_FILE.read_text())["services"]]
    assert len(names) == len(set(names)) == len(PRESETS)
    # the same validation as an ISV's services file (every entry, as if written there)
    text = yaml.safe_dump({"services": [{"name": n, **PRESETS[n]} for n in names]})
    services = parse_services(text, "presets.yaml", {})
    registry = load_registry({"WIZARD_SANDBOX": False, "WIZARD_PUBLIC_URL": "https://w.example", "SECRET_KEY": "k"},
                             env={})
    assert set(services) == set(names) <= set(registry.names())
    print(f"\n{len(names)} presets load and validate")
    assert len(names) >= 30
    for name in ("microsoft", "zendesk", "shopify", "jira", "confluence", "notion", "asana", "dropbox", "box",
                 "quickbooks", "xero", "stripe", "intercom", "pipedrive", "zoom", "mailchimp", "airtable", "gitlab",
                 "linear", "monday", "slack", "google", "github", "salesforce", "hubspot"):
        assert name in services, name
    assert all(services[n].quirk for n in names), [n for n in names if not services[n].quirk]
    assert services["airtable"].pkce and services["zendesk"].typed_params
    assert services["mailchimp"].found_params and services["jira"].found_params


def test_the_docs_table_names_every_preset_with_its_quirk():
    table = DOCS.read_text()
    rows = dict(re.findall(r"^\| `([a-z0-9-]+)` \| [^|]+ \| ([^|]+) \|$", table, re.M))
    assert set(rows) == set(PRESETS), set(PRESETS) ^ set(rows)
    for name, preset in PRESETS.items():
        assert rows[name].strip() == preset["quirk"].replace("|", "\\|"), name


# -- each quirk against the sandbox ---------------------------------------------------------------

def _at_sandbox(name: str, live: str, **overrides) -> str:
    """A services-file entry extending the preset `name`, its endpoints on the sandbox."""
    base = live + "/sandbox"
    entry = {"name": name, "authorize_url": base + "/oauth/authorize", "token_url": base + "/oauth/token",
             "scopes": ["profile", "channels:read"], "api_base": base + "/api", "test": {"method": "GET", "path": "/me"},
             "identity": {"from": "test", "id": "id", "name": "name"},
             "options": {"channels": {"path": "/channels", "items": "data", "value": "id", "text": "name"}},
             "client_id_env": "PRESET_ID", "client_secret_env": "PRESET_SECRET", **overrides}
    return yaml.safe_dump({"services": [entry]})


@pytest.fixture
def preset(app, live_server, core, user, tmp_path, sandbox_config, monkeypatch):
    """preset(name, **overrides) -> the connect popup's path for an instance using it."""
    sandbox_credentials(app, monkeypatch, "PRESET")

    def make(name: str, **overrides) -> str:
        path = tmp_path / "services.yaml"
        path.write_text(_at_sandbox(name, live_server, **overrides))
        sandbox_config(WIZARD_SERVICES_FILE=str(path))
        core.publish({"id": f"uses-{name}", "title": name, "auth": [
            {"externalId": "acct", "service": name, "title": "Your account"}],
            "screens": [{"title": "Connect", "slots": ["acct"]}]})
        inst = core.create_instance(user.id, f"uses-{name}", "")
        return f"/connect/{inst.id}/s/{wizard_session(user.id, inst.id)}/acct"

    yield make
    for key in ("SANDBOX_TOKEN_AUTH", "SANDBOX_SITES", "SANDBOX_DC", "SANDBOX_REALM"):
        app.config.pop(key, None)


def _typed(d: Dance, path: str, **values):
    page = d.get(path)
    assert page.status_code == 200, page.text
    resp = d.http.post(d.live + path, data={"csrf_token": csrf_of(page.text),
                                            **{"param_" + k: v for k, v in values.items()}},
                       allow_redirects=False, timeout=15)
    assert resp.status_code == 302, resp.text
    return resp.headers["Location"]


def test_per_account_host_zendesk(live_server, preset, user, app):
    app.config["SANDBOX_TOKEN_AUTH"] = "client_secret_post"  # Zendesk's preset posts its secret
    base = live_server + "/sandbox/t/{subdomain}"
    path = preset("zendesk", authorize_url=base + "/oauth/authorize", token_url=base + "/oauth/token",
                  api_base=base + "/api")
    d = Dance(live_server)
    authorize = _typed(d, path, subdomain="acme-support")
    assert authorize.startswith(live_server + "/sandbox/t/acme-support/oauth/authorize?")
    msg = message_of(d.finish(d.consent(authorize)).text)
    auth = accounts.get(msg["authId"], owner_id=user.id)
    assert auth.params == {"subdomain": "acme-support"} and auth.name == "Acme Corp @ acme-support"
    assert fetch_options("zendesk.channels", owner_id=user.id, auth_id=auth.id)[0]["text"] == "#general @ acme-support"


def test_post_connect_tenant_choice_jira(live_server, preset, user, app):
    app.config.update(SANDBOX_TOKEN_AUTH="client_secret_post", SANDBOX_SITES=["alpha", "beta"])
    path = preset("jira", params=[{"name": "cloudid", "title": "Jira site", "from": {
        "url": live_server + "/sandbox/api/sites", "items": "", "value": "id", "text": "name"}}],
        api_base=live_server + "/sandbox/t/{cloudid}/api")
    d = Dance(live_server)
    choice = d.finish(d.consent(d.start(path)))
    assert choice.status_code == 200 and "Alpha site" in choice.text and "Beta site" in choice.text
    # a value the page did not offer is refused; the offered one connects
    forged = d.http.post(live_server + "/connect/choose", data={"csrf_token": csrf_of(choice.text), "cloudid": "evil"},
                         timeout=15)
    assert forged.status_code == 400
    chosen = d.http.post(live_server + "/connect/choose", data={"csrf_token": csrf_of(choice.text), "cloudid": "beta"},
                         timeout=15)
    assert chosen.status_code == 200, chosen.text
    auth = accounts.get(message_of(chosen.text)["authId"], owner_id=user.id)
    assert auth.params == {"cloudid": "beta"} and auth.name == "Acme Corp @ beta"
    assert fetch_options("jira.channels", owner_id=user.id, auth_id=auth.id)[0]["text"] == "#general @ beta"


def test_a_single_site_needs_no_choice(live_server, preset, user, app):
    app.config.update(SANDBOX_TOKEN_AUTH="client_secret_post", SANDBOX_SITES=["alpha"])
    path = preset("confluence", params=[{"name": "cloudid", "title": "Site", "from": {
        "url": live_server + "/sandbox/api/sites", "items": "", "value": "id", "text": "name"}}],
        api_base=live_server + "/sandbox/t/{cloudid}/api")
    msg = message_of(Dance(live_server).run(path).text)
    assert accounts.get(msg["authId"]).params == {"cloudid": "alpha"}


def test_data_centre_lookup_mailchimp(live_server, preset, user, app):
    app.config.update(SANDBOX_TOKEN_AUTH="client_secret_post", SANDBOX_DC="us6")
    path = preset("mailchimp", params=[{"name": "dc", "title": "Data centre", "pattern": "[a-z]{2}[0-9]{1,3}",
                                        "from": {"url": live_server + "/sandbox/api/metadata", "value": "dc"}}],
                  api_base=live_server + "/sandbox/t/{dc}/api")
    msg = message_of(Dance(live_server).run(path).text)
    auth = accounts.get(msg["authId"], owner_id=user.id)
    assert auth.params == {"dc": "us6"}
    assert fetch_options("mailchimp.channels", owner_id=user.id, auth_id=auth.id)[0]["text"] == "#general @ us6"


def test_pkce_only_airtable(live_server, preset, user):
    ok = Dance(live_server).run(preset("airtable"))
    assert ok.status_code == 200 and message_of(ok.text)["authId"]
    # the same provider refuses an authorization request without a code challenge
    d = Dance(live_server)
    answer = d.get(d.start(preset("airtable", pkce=False)))
    assert answer.status_code == 302 and "error=invalid_request" in answer.headers["Location"]
    refused = d.finish(answer.headers["Location"])
    assert refused.status_code == 400 and "error: invalid_request" in message_of(refused.text)["error"]


def test_client_secret_post_hubspot(live_server, preset, user, app):
    app.config["SANDBOX_TOKEN_AUTH"] = "client_secret_post"
    ok = Dance(live_server).run(preset("hubspot"))
    assert ok.status_code == 200 and message_of(ok.text)["authId"]
    # sent the other way, the token endpoint refuses it: the preset's token_auth is what works
    refused = Dance(live_server).run(preset("hubspot", token_auth="client_secret_basic"))
    assert refused.status_code == 400 and message_of(refused.text)["authId"] is None


def test_company_on_the_redirect_quickbooks(live_server, preset, user, app):
    app.config["SANDBOX_REALM"] = "4620816365"
    path = preset("quickbooks", api_base=live_server + "/sandbox/t/c{realm}/api")
    msg = message_of(Dance(live_server).run(path).text)
    auth = accounts.get(msg["authId"], owner_id=user.id)
    assert auth.params == {"realm": "4620816365"} and auth.name == "Acme Corp @ c4620816365"


def test_reconnecting_keeps_the_chosen_site(live_server, preset, user, app):
    app.config.update(SANDBOX_TOKEN_AUTH="client_secret_post", SANDBOX_SITES=["alpha", "beta"])
    path = preset("jira", params=[{"name": "cloudid", "title": "Jira site", "from": {
        "url": live_server + "/sandbox/api/sites", "items": "", "value": "id", "text": "name"}}],
        api_base=live_server + "/sandbox/t/{cloudid}/api")
    d = Dance(live_server)
    choice = d.finish(d.consent(d.start(path)))
    chosen = d.http.post(live_server + "/connect/choose", data={"csrf_token": csrf_of(choice.text), "cloudid": "beta"},
                         timeout=15)
    auth_id = message_of(chosen.text)["authId"]
    again = Dance(live_server).run(path + f"?auth={auth_id}")  # Reconnect: no choice asked again
    assert again.status_code == 200 and message_of(again.text)["authId"] == auth_id
    assert accounts.get(auth_id).params == {"cloudid": "beta"}


def test_a_choice_without_the_popups_binding_is_refused(live_server):
    import requests

    resp = requests.post(live_server + "/connect/choose", data={"cloudid": "beta"}, timeout=10)
    assert resp.status_code == 400
