"""The service registry: built-ins, presets, the ISV's YAML file and its validation."""
from __future__ import annotations

import pytest

from wizard import create_app
from wizard.services import ServicesError, UnknownService, load_registry, parse_services, registry

SPEC_EXAMPLE = """
services:
  - name: acme-crm
    title: Acme CRM
    icon: /static/icons/acme-crm.svg
    auth: oauth2
    server_metadata_url: https://login.acme-crm.example/.well-known/openid-configuration
    scopes: [read]
    pkce: true
    client_id_env: ACME_CRM_CLIENT_ID
    client_secret_env: ACME_CRM_CLIENT_SECRET
    api_base: https://api.acme-crm.example
    test: {method: GET, path: /me}
    options:
      pipelines: {path: /pipelines, items: data, value: id, text: name}

  - name: weather-api
    title: Weather API
    auth: api_key
    fields: [{name: api_key, title: API key}]
    api_base: https://api.weather.example
    header: {X-Api-Key: "{api_key}"}
    test: {method: GET, path: /ping}
"""

CONFIG = {"WIZARD_SANDBOX": True, "WIZARD_PUBLIC_URL": "https://wizard.example", "SECRET_KEY": "k"}


def errors_of(text: str, env=None) -> list[str]:
    with pytest.raises(ServicesError) as exc:
        parse_services(text, "svc.yaml", env or {}, reserved={"sandbox"})
    return exc.value.errors


def test_builtins_presets_and_sandbox():
    reg = load_registry(CONFIG, env={})
    assert {"sandbox", "slack", "google", "github", "salesforce", "hubspot"} <= set(reg.names())
    sandbox = reg.get("sandbox")
    assert sandbox.configured and sandbox.pkce and sandbox.auth_type == "oauth"
    assert sandbox.authorize_url == "https://wizard.example/sandbox/oauth/authorize"
    assert sandbox.token_url == "https://wizard.example/sandbox/oauth/token"
    assert sandbox.options["channels"] == {"path": "/channels", "items": "data", "value": "id", "text": "name",
                                           "scopes": ["channels:read"]}
    # a preset without its client credentials is listed, as not configured
    assert not reg.get("slack").configured
    assert reg.get("google").server_metadata_url.startswith("https://accounts.google.com/")
    with pytest.raises(UnknownService):
        reg.get("nope")
    assert "sandbox" not in load_registry({**CONFIG, "WIZARD_SANDBOX": False}, env={}).names()


def test_a_preset_is_configured_by_its_environment_variables():
    reg = load_registry(CONFIG, env={"SLACK_CLIENT_ID": "id-1", "SLACK_CLIENT_SECRET": "shh"})
    slack = reg.get("slack")
    assert slack.configured and slack.client_id == "id-1"
    assert "shh" not in repr(slack) and "shh" not in str(slack.public())


def test_the_spec_example_loads():
    services = parse_services(SPEC_EXAMPLE, "svc.yaml", {"ACME_CRM_CLIENT_ID": "a", "ACME_CRM_CLIENT_SECRET": "b"})
    crm, weather = services["acme-crm"], services["weather-api"]
    assert crm.configured and crm.scopes == ("read",) and crm.test == {"method": "GET", "path": "/me"}
    assert crm.options["pipelines"]["items"] == "data"
    assert weather.auth == "api_key" and weather.header == {"X-Api-Key": "{api_key}"}
    assert weather.fields == ({"name": "api_key", "title": "API key", "secret": True},)
    assert not parse_services(SPEC_EXAMPLE, "svc.yaml", {})["acme-crm"].configured


def test_a_yaml_entry_extends_a_preset():
    services = parse_services("services:\n  - name: github\n    scopes: [repo]\n", "svc.yaml",
                              {"GITHUB_CLIENT_ID": "i", "GITHUB_CLIENT_SECRET": "s"})
    assert services["github"].scopes == ("repo",) and services["github"].token_url.startswith("https://github.com/")


def test_every_error_names_the_service_and_the_field_at_once():
    errs = errors_of("""
services:
  - name: crm
    auth: oauth3
  - name: half
    auth: oauth2
    authorize_url: https://x.example/a
    client_id_env: A
    client_secret_env: B
  - name: keyed
    auth: api_key
    header: {X-Key: "{token}"}
    api_base: not-a-url
    colour: blue
  - name: listy
    auth: basic
    options: {things: {items: data}}
    test: {method: DELETE, path: /x}
  - name: Bad Name
    auth: basic
  - name: sandbox
    auth: basic
  - name: dup
    auth: basic
  - name: dup
    auth: basic
""")
    text = "\n".join(errs)
    assert "service 'crm': field 'auth': must be one of oauth2, api_key, basic" in text
    assert "service 'half': field 'authorize_url'" in text and "token_url" in text
    assert "service 'keyed': field 'header': X-Key: unknown field(s) token" in text
    assert "service 'keyed': field 'api_base': must be an http(s) URL" in text
    assert "service 'keyed': field 'colour': unknown field" in text
    assert "service 'listy': field 'options.things': needs at least a path" in text
    assert "service 'listy': field 'test'" in text
    assert "services[4]: field 'name'" in text
    assert "service 'sandbox': the name is reserved" in text
    assert "service 'dup': declared twice" in text
    assert all(e.startswith("svc.yaml: ") for e in errs)


def test_client_secrets_stay_out_of_the_file_and_the_shape_is_checked():
    errs = errors_of("services:\n  - name: x\n    auth: oauth2\n    authorize_url: https://a.example\n"
                     "    token_url: https://a.example/t\n    client_id: abc\n")
    assert any("field 'client_id': put client credentials in the environment" in e for e in errs)
    assert any("field 'client_id_env'" in e for e in errs)
    assert errors_of("services: {a: 1}") == ["svc.yaml: must be a mapping with a 'services' list"]
    assert "not valid YAML" in errors_of("services: [")[0]
    assert any("api_base" in e for e in errors_of("services:\n  - name: k\n    auth: api_key\n"
                                                   "    test: {path: /ping}\n"))


def test_a_wrong_services_file_stops_the_app_at_start(tmp_path):
    bad = tmp_path / "services.yaml"
    bad.write_text("services:\n  - name: crm\n    auth: magic\n")
    with pytest.raises(ServicesError) as exc:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "WIZARD_SERVICES_FILE": str(bad),
                    "SECRET_KEY": "x"})
    assert "service 'crm': field 'auth'" in str(exc.value)
    with pytest.raises(ServicesError, match="cannot be read"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "WIZARD_SERVICES_FILE": str(tmp_path / "missing.yaml"), "SECRET_KEY": "x"})


def test_each_app_has_its_own_registry_and_it_follows_the_file(app, tmp_path):
    path = tmp_path / "services.yaml"
    path.write_text("services:\n  - name: weather\n    auth: api_key\n")
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "WIZARD_SERVICES_FILE": str(path),
                        "SECRET_KEY": "x"})
    assert "weather" in registry(other).names()
    assert "weather" not in registry(app).names()
    path.write_text("services:\n  - name: weather2\n    auth: api_key\n")
    import os

    os.utime(path, (1, 1))  # a changed file is picked up (mtime is part of the cache key)
    assert "weather2" in registry(other).names()
