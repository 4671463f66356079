"""Authoring that fails early: publishing checks each dynamic options source against the service
it comes from (the list exists, it is the auth slot's service, the slot asks for the scopes it
needs), and a solution may declare its own services (a `services:` block, services.md)."""
from __future__ import annotations

import copy

import pytest
import yaml

from _connect_support import sandbox_config  # noqa: F401  (fixture)
from wizard.cli import known_services
from wizard.services import UnknownService, registry
from wizard.solutions import DefinitionError

CHANNELS = """
id: scoped
title: Scoped
auth:
  - externalId: ws
    service: sandbox
    title: Your workspace
screens:
  - title: Connect
    slots: [ws]
  - title: Channel
    slots:
      - externalId: channel
        title: Channel
        type: select
        options: {source: sandbox.channels, auth: ws}
"""


def refusal(core, text) -> str:
    with pytest.raises(DefinitionError) as exc:
        core.publish(text, known_services=known_services())
    return str(exc.value)


def test_options_through_a_slot_without_their_scope_are_refused_naming_slot_source_and_scope(core):
    message = refusal(core, CHANNELS)
    assert "slot 'channel'" in message and "'sandbox.channels'" in message and "'channels:read'" in message
    assert "auth slot 'ws'" in message
    assert "line 16" in message  # the options line of the definition
    # asked by the slot: published
    fixed = CHANNELS.replace("title: Your workspace", "title: Your workspace\n    scopes: [channels:read]")
    assert core.publish(fixed, known_services=known_services()).version == 1


def test_the_same_check_runs_on_every_publishing_path(core, runner, api, tmp_path):
    path = tmp_path / "scoped.yaml"
    path.write_text(CHANNELS)
    result = runner.invoke(args=["solutions", "publish", str(path)])
    assert result.exit_code == 1 and "channels:read" in result.output and "'ws'" in result.output
    answer = api("mutation($d: String!) { publishSolutionVersion(input: {definition: $d}) "
                        "{ solution { id } } }", {"d": CHANNELS})
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "channels:read" in answer["errors"][0]["message"]


def test_scopes_asked_by_the_services_defaults_count(core, app, tmp_path, sandbox_config, monkeypatch):
    # A YAML service whose default scopes already include what its list needs.
    services = tmp_path / "services.yaml"
    services.write_text(yaml.safe_dump({"services": [{
        "name": "crm", "title": "CRM", "auth": "api_key", "api_base": "https://crm.example",
        "options": {"deals": {"path": "/deals", "scopes": ["deals:read"]}}}]}))
    sandbox_config(WIZARD_SERVICES_FILE=str(services))
    text = CHANNELS.replace("sandbox.channels", "crm.deals").replace("service: sandbox", "service: crm")
    assert "'deals:read'" in refusal(core, text)
    services.write_text(services.read_text().replace("auth: api_key", "auth: api_key\n  scopes: [deals:read]"))
    assert core.publish(text, known_services=known_services()).version == 1


def test_a_source_of_another_service_or_a_list_the_service_lacks_is_refused(core):
    other = CHANNELS.replace("source: sandbox.channels", "source: slack.channels")
    assert "'slack.channels' is a list of 'slack', but auth slot 'ws' connects 'sandbox'" in refusal(core, other)
    unknown = CHANNELS.replace("sandbox.channels", "sandbox.users")
    assert "Sandbox has no options list 'users' (its lists: channels)" in refusal(core, unknown)


def test_a_mapping_side_is_checked_too(core):
    data = yaml.safe_load(CHANNELS)
    data["screens"][1]["slots"][0] = {"externalId": "map", "title": "Map", "type": "mapping",
                                      "lhs": {"title": "From", "options": [{"value": "a"}]},
                                      "rhs": {"title": "To", "options": {"source": "sandbox.channels", "auth": "ws"}}}
    with pytest.raises(DefinitionError, match="slot 'map'.*channels:read"):
        core.publish(data, known_services=known_services())


# -- services beside a solution ----------------------------------------------------------------

OWN = """
id: own-crm
title: Own CRM
services:
  - name: crm
    title: Own CRM
    auth: oauth2
    authorize_url: https://login.crm.example/authorize
    token_url: https://login.crm.example/token
    scopes: [profile]
    scope_titles: {deals:read: Read your deals}
    client_id_env: OWN_CRM_ID
    client_secret_env: OWN_CRM_SECRET
    api_base: https://api.crm.example
    options:
      deals: {path: /deals, items: data, value: id, text: name, scopes: [deals:read]}
auth:
  - externalId: crm_auth
    service: crm
    title: Your CRM
    scopes: [deals:read]
screens:
  - title: Connect
    slots: [crm_auth]
  - title: Deal
    slots:
      - externalId: deal
        title: Deal
        type: select
        options: {source: crm.deals, auth: crm_auth}
"""


def test_a_solutions_own_service_is_published_under_its_qualified_name(core, monkeypatch):
    monkeypatch.setenv("OWN_CRM_ID", "id-1")
    monkeypatch.setenv("OWN_CRM_SECRET", "secret-1")
    version = core.publish(OWN, known_services=known_services())
    d = version.definition
    assert d["auth"][0]["service"] == "own-crm:crm"
    assert d["config"][0]["options"] == {"source": "own-crm:crm.deals", "auth": "crm_auth"}
    assert d["services"][0]["client_secret_env"] == "OWN_CRM_SECRET"
    service = registry().get("own-crm:crm")
    assert (service.title, service.client_id, service.client_secret) == ("Own CRM", "id-1", "secret-1")
    assert service.configured and service.origin == "solution own-crm"
    assert service.scope_words("deals:read") == "\u201cRead your deals\u201d (deals:read)"
    # known to that solution only: under its own name it is nothing to the server or to others
    assert "crm" not in registry()
    with pytest.raises(UnknownService):
        registry().get("other:crm")
    other = OWN.replace("id: own-crm", "id: other").split("services:")[0] + "auth:" + OWN.split("\nauth:")[1]
    with pytest.raises(DefinitionError, match="unknown service 'crm'"):
        core.publish(other, known_services=known_services())


def test_the_newest_version_declares_the_service(core, monkeypatch):
    core.publish(OWN, known_services=known_services())
    core.publish(OWN.replace("title: Own CRM\n    auth", "title: Our CRM\n    auth"), known_services=known_services())
    assert registry().get("own-crm:crm").title == "Our CRM"


@pytest.mark.parametrize("change, expected", [
    (("client_secret_env: OWN_CRM_SECRET", "client_secret: s3cret"), "put client credentials in the environment"),
    (("name: crm", "name: sandbox"), "this server already has a service of that name"),
    (("name: crm", "name: slack"), "this server already has a service of that name"),
    (("api_base: https://api.crm.example", "api_base: nope"), "field 'api_base': must be an http(s) URL"),
    (("text: name, scopes: [deals:read]", "text: name, scopes: deals"), "options.deals"),
    (("scope_titles: {deals:read: Read your deals}", "scope_titles: [x]"), "field 'scope_titles'"),
    (("    pkce_typo: 1\n", ""), None),
])
def test_a_solutions_own_services_are_validated_like_the_services_file(core, change, expected):
    old, new = change
    if expected is None:  # an unknown field
        text = OWN.replace("    scopes: [profile]\n", "    scopes: [profile]\n    colour: blue\n")
        expected = "field 'colour': unknown field"
    else:
        assert old in OWN
        text = OWN.replace(old, new)
    message = refusal(core, text)
    assert expected in message
    assert "line " in message and "service " in message  # where in the definition


def test_an_own_services_list_scopes_are_checked_at_publish(core):
    text = OWN.replace("    scopes: [deals:read]\n", "")
    message = refusal(core, text)
    assert "options from 'crm.deals' need the scope 'deals:read'" in message and "'crm_auth'" in message


def test_a_solution_without_services_is_unchanged(core, demo_solution):
    assert "services" not in demo_solution.definition
    assert demo_solution.definition["auth"][0]["service"] == "sandbox"


def test_the_definition_keeps_what_was_declared(core):
    data = yaml.safe_load(OWN)
    before = copy.deepcopy(data)
    core.publish(data, known_services=known_services())
    assert data == before  # the input is not changed in place
