"""Faults that used to answer 500 (issue 26): a JSON Schema `$ref` loop (fault 7), a `DateTime`
that does not parse (fault 12), and the error page when the database goes away under the session
(fault 13). Each from the side of whoever sends it."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from support import dumps, gql_errors
from wizard.extensions import db
from wizard.models import SolutionVersion
from wizard.solutions import DefinitionError

from wizard_support import Wizard

LOOP = {"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}
LOOP_THROUGH_ALLOF = {"$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]},
                                "b": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/a"}]}},
                      "$ref": "#/$defs/a"}
TREE = {"$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}},
        "$ref": "#/$defs/node"}


def json_solution(schema: dict) -> dict:
    return {"id": "shapes", "title": "Shapes", "screens": [{"title": "Shape", "slots": [
        {"externalId": "shape", "title": "Shape", "type": "json", "schema": schema}]}]}


# -- fault 7: a $ref that points at itself ---------------------------------------------------------

@pytest.mark.parametrize("schema", [LOOP, LOOP_THROUGH_ALLOF, {"$ref": "#"}])
def test_a_ref_loop_is_refused_at_publish_naming_the_slot(core, schema):
    with pytest.raises(DefinitionError) as caught:
        core.publish(json_solution(schema))
    message = str(caught.value)
    assert "shape" in message and "loop" in message


def test_a_recursive_schema_that_descends_into_the_value_still_publishes(core, user):
    core.publish(json_solution(TREE))
    inst = core.create_instance(user.id, "shapes", config_values={"shape": {"child": {"child": {}}}})
    assert core.get_instance(inst.id).config_values["shape"] == {"child": {"child": {}}}


@pytest.fixture
def looped(core, user):
    """An instance of a version whose schema loops: stored before publish refused loops."""
    version = core.publish(json_solution({"type": "object"}))
    broken = copy.deepcopy(version.definition)
    for slot in broken["config"]:
        if slot["externalId"] == "shape":
            slot["schema"] = LOOP
    # a new `created` too: definitions are kept per process by (id, created)
    db.session.execute(update(SolutionVersion).where(SolutionVersion.solution_id == "shapes")
                       .values(stored_definition=broken, created=version.created + timedelta(seconds=1)))
    db.session.commit()
    db.session.expire_all()
    return core.create_instance(user.id, "shapes")


def test_checking_a_value_against_a_stored_loop_is_a_refused_value_on_next(client, core, user, looped):
    wiz = Wizard(client, core, user)
    wiz.open(looped.id)
    resp = wiz.post({"shape": '{"x": 1}'})
    assert resp.status_code == 422
    assert "refers to itself in a loop" in wiz.page


def test_checking_a_value_against_a_stored_loop_is_bad_user_input_in_the_api(api, looped):
    body = api("""mutation($id: ID!, $v: [ConfigValue!]) { updateSolutionInstance(input: {solutionInstanceId: $id,
      configValues: $v}) { solutionInstance { id } } }""", {"id": looped.id, "v": [
        {"externalId": "shape", "value": dumps({"x": 1})}]})
    assert gql_errors(body) == ["BAD_USER_INPUT"], body
    assert "shape" in body["errors"][0]["message"]


# -- fault 12: DateTime that does not parse ---------------------------------------------------------

@pytest.mark.parametrize("since", ["", "yesterday", "2026-13-45T00:00:00Z"])
def test_a_datetime_that_does_not_parse_is_bad_user_input_naming_the_argument(api, since):
    literal = api('mutation { replayWebhookEvents(input: {since: %s}) { deliveries { id } } }' % dumps(since))
    assert gql_errors(literal) == ["BAD_USER_INPUT"], literal
    assert literal["errors"][0]["message"].startswith("replayWebhookEvents.input.since: ")
    variable = api("mutation($s: DateTime) { replayWebhookEvents(input: {since: $s}) { deliveries { id } } }",
                   {"s": since})
    assert gql_errors(variable) == ["BAD_USER_INPUT"], variable
    assert "$s" in variable["errors"][0]["message"]


def test_a_datetime_of_another_type_is_bad_user_input(api):
    body = api("mutation { replayWebhookEvents(input: {since: 5}) { deliveries { id } } }")
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    body = api("mutation($s: DateTime) { replayWebhookEvents(input: {since: $s}) { deliveries { id } } }",
               {"s": {"a": 1}})
    assert gql_errors(body) == ["BAD_USER_INPUT"]


# -- fault 13: the error page with no database and no session ----------------------------------------

@pytest.fixture
def served(app):
    """Errors handled as in production (the test app would raise them into the test)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = None


def test_a_dead_database_connection_under_the_session_gives_an_error_page(client, core, user, served,
                                                                          monkeypatch):
    core.publish(json_solution({"type": "object"}))
    wiz = Wizard(client, core, user)
    inst = core.create_instance(user.id, "shapes")
    wiz.open(inst.id)

    def killed(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))
    monkeypatch.setattr(client.application.session_interface, "read", killed)
    resp = client.get(f"{wiz.base}/screen/1")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert 'data-error-code="core_unavailable"' in page and "try again" in page


def test_the_error_page_renders_when_its_template_cannot(client, served, monkeypatch):
    from wizard.themes import views as theme_views

    def broken():
        raise RuntimeError("no database, no session")
    monkeypatch.setattr(theme_views, "page_theme", broken)
    monkeypatch.setitem(client.application.jinja_env.globals, "theme", broken)
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    assert 'data-error-code="error"' in resp.get_data(as_text=True)
