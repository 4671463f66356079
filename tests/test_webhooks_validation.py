"""The validation webhook: the server asks the ISV's backend on every Next and Finish and on
API writes of values; the page's script is not involved, so a plain form post cannot skip it.
Its errors show on their fields (BAD_USER_INPUT naming the slot in the API); no answer keeps
everything and offers a retry; nothing refused is stored."""
from __future__ import annotations

import html

import pytest

from support import dumps, gql_errors
from wizard.core import embedded_core
from wizard.extensions import db
from wizard.flow import progress as progress_store
from wizard.solutions import DefinitionError

from wizard_support import Wizard, simple_solution
from webhook_support import receiver, validator  # noqa: F401  (fixtures)

NO_SHORT_CHANNELS = lambda data: (  # noqa: E731
    {"errors": {"channel": "Channel #x does not exist in Acme."}} if data["configValues"].get("channel") == "#x"
    else {"errors": {}})


@pytest.fixture
def wiz(client, core, user):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    return w


def test_a_plain_form_post_is_refused_by_the_webhook_on_the_right_field(wiz, validator):
    validator.validation_answer = NO_SHORT_CHANNELS
    inst = wiz.instance("notes")
    wiz.open(inst.id)
    resp = wiz.post({"channel": "#x"})  # no script ran: a bare POST with the form's fields
    assert resp.status_code == 422
    assert "Channel #x does not exist in Acme." in html.unescape(wiz.page)
    assert 'id="channel-error"' in wiz.page and 'aria-describedby="channel-error"' in wiz.page  # on its field
    assert wiz.screen_number() == 1
    assert 1 not in progress_store.load(inst.id).done  # not accepted, not kept
    sent = validator.validation_requests[-1]["payload"]["data"]
    assert sent["trigger"] == "next" and sent["screen"]["number"] == 1
    assert sent["solutionInstanceId"] == inst.id and sent["externalUserId"] == "acme-42"
    assert sent["configValues"]["channel"] == "#x"
    resp = wiz.post({"channel": "#ops"})
    assert resp.status_code == 200 and wiz.screen_number() == 2


def test_secret_values_never_reach_the_webhook(wiz, validator):
    inst = wiz.instance("notes")
    wiz.open(inst.id)
    wiz.post({"channel": "#ops"})
    wiz.post({"threshold": "3", "api_key": "very-secret-key"})
    wiz.finish()
    bodies = " ".join(r["body"] for r in validator.validation_requests)
    assert "very-secret-key" not in bodies
    assert validator.validation_requests[-1]["payload"]["data"]["secretsSet"] == ["api_key"]
    assert [r["payload"]["data"]["trigger"] for r in validator.validation_requests] == ["next", "next", "finish"]


def test_no_answer_in_time_keeps_what_was_typed_and_next_again_retries(app, wiz, validator):
    app.config["WIZARD_VALIDATION_WEBHOOK_TIMEOUT_MS"] = 300
    validator.validation_delay = 1.0
    try:
        inst = wiz.instance("notes")
        wiz.open(inst.id)
        resp = wiz.post({"channel": "#ops"})
        assert resp.status_code == 503
        assert "could not be checked right now" in wiz.page and 'value="#ops"' in wiz.page
        assert progress_store.load(inst.id).drafts.get("1")  # a reload shows it too
        again = wiz.get(f"{wiz.base}/screen/1")
        assert 'value="#ops"' in again.get_data(as_text=True)
        validator.validation_delay = 0
        resp = wiz.post({"channel": "#ops"})
        assert resp.status_code == 200 and wiz.screen_number() == 2
    finally:
        app.config["WIZARD_VALIDATION_WEBHOOK_TIMEOUT_MS"] = 5000


@pytest.mark.parametrize("status, answer", [(500, {"errors": {}}), (200, "not json"), (200, {"errors": ["x"]})])
def test_an_unusable_answer_is_a_failure_not_a_pass(wiz, validator, status, answer):
    validator.validation_status, validator.validation_answer = status, answer
    inst = wiz.instance("notes")
    wiz.open(inst.id)
    assert wiz.post({"channel": "#ops"}).status_code == 503
    assert wiz.screen_number() == 1


def test_finish_asks_again_and_sends_the_user_to_the_field(core, wiz, validator):
    inst = wiz.instance("notes")
    wiz.open(inst.id)
    wiz.post({"channel": "#ops"})
    wiz.post({"threshold": "3"})
    validator.validation_answer = lambda data: (
        {"errors": {"channel": "#ops is archived since a minute."}} if data["trigger"] == "finish" else {})
    wiz.finish()
    assert wiz.screen_number() == 1
    assert "#ops is archived since a minute." in html.unescape(wiz.page)
    data = core.get_instance(inst.id)
    assert not data.enabled and "channel" not in data.config_values  # nothing saved, nothing enabled


def test_finish_without_an_answer_keeps_everything_and_offers_try_again(core, wiz, validator):
    inst = wiz.instance("notes")
    wiz.open(inst.id)
    wiz.post({"channel": "#ops"})
    wiz.post({"threshold": "3"})
    validator.validation_status = 502
    resp = wiz.finish()
    assert resp.status_code == 503 and "Try again" in wiz.page
    assert 'data-error-code="validation_unavailable"' in wiz.page
    assert not core.get_instance(inst.id).enabled
    validator.validation_status = 200
    resp = wiz.client.post(f"{wiz.base}/finish", data={"csrf_token": _csrf(wiz.page), "wizard_screen": "review"},
                           follow_redirects=True)
    assert resp.request.path.endswith("/done")
    db.session.expire_all()
    assert core.get_instance(inst.id).config_values["channel"] == "#ops"


def _csrf(page):
    from wizard_support import csrf_of

    return csrf_of(page)


# -- the API ------------------------------------------------------------------------------------

UPDATE = """mutation($id: ID!, $v: [ConfigValue!]) { updateSolutionInstance(input: {solutionInstanceId: $id,
  configValues: $v, clientMutationId: "m1"}) { solutionInstance { id configValues { externalId value } } clientMutationId } }"""


def test_api_writes_are_refused_naming_the_slot_and_nothing_is_stored(api, core, user, validator):
    validator.validation_answer = NO_SHORT_CHANNELS
    core.publish(simple_solution())
    inst = core.create_instance(user.id, "notes", config_values={"channel": "#ops"})
    body = api(UPDATE, {"id": inst.id, "v": [{"externalId": "channel", "value": dumps("#x")}]})
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    err = body["errors"][0]
    assert err["message"].startswith("configValues.channel: Channel #x does not exist")
    assert err["extensions"]["fields"] == {"channel": "Channel #x does not exist in Acme."}
    assert err["extensions"]["name"] == "PreconditionError"
    db.session.expire_all()
    assert core.get_instance(inst.id).config_values["channel"] == "#ops"
    sent = validator.validation_requests[-1]["payload"]["data"]
    assert sent["trigger"] == "updateSolutionInstance" and sent["changed"] == ["channel"]
    body = api(UPDATE, {"id": inst.id, "v": [{"externalId": "channel", "value": dumps("#dev")}]})
    assert "errors" not in body, body


def test_api_create_with_values_and_upgrade_ask_too_and_enabling_alone_does_not(api, core, user, validator):
    validator.validation_answer = NO_SHORT_CHANNELS
    core.publish(simple_solution())
    create = """mutation($u: ID!, $v: [ConfigValue!]) { createSolutionInstance(input: {solutionId: "notes",
      userId: $u, configValues: $v}) { solutionInstance { id } } }"""
    body = api(create, {"u": user.id, "v": [{"externalId": "channel", "value": dumps("#x")}]})
    assert gql_errors(body) == ["BAD_USER_INPUT"] and "configValues.channel" in body["errors"][0]["message"]
    assert embedded_core().list_instances(owner_id=user.id)[0] == []
    inst = core.create_instance(user.id, "notes", config_values={"channel": "#ops"})
    asked = len(validator.validation_requests)
    body = api("""mutation($id: ID!) { updateSolutionInstance(input: {solutionInstanceId: $id, enabled: true}) {
      solutionInstance { enabled } } }""", {"id": inst.id})
    assert body["data"]["updateSolutionInstance"]["solutionInstance"]["enabled"] is True
    assert len(validator.validation_requests) == asked
    upgrade = """mutation($id: ID!, $v: [ConfigValue!]) { upgradeSolutionInstance(input: {solutionInstanceId: $id,
      configValues: $v}) { solutionInstance { id } } }"""
    body = api(upgrade, {"id": inst.id, "v": [{"externalId": "channel", "value": dumps("#x")}]})
    assert gql_errors(body) == ["BAD_USER_INPUT"]
    assert validator.validation_requests[-1]["payload"]["data"]["trigger"] == "upgradeSolutionInstance"


def test_api_without_an_answer_is_validation_unavailable(api, core, user, validator):
    validator.validation_status = 503
    core.publish(simple_solution())
    inst = core.create_instance(user.id, "notes", config_values={"channel": "#ops"})
    body = api(UPDATE, {"id": inst.id, "v": [{"externalId": "channel", "value": dumps("#dev")}]})
    assert gql_errors(body) == ["VALIDATION_UNAVAILABLE"]
    assert body["errors"][0]["extensions"]["reason"] == "validation_unavailable"
    assert "try again" in body["errors"][0]["message"]
    db.session.expire_all()
    assert core.get_instance(inst.id).config_values["channel"] == "#ops"


def test_a_solution_names_its_own_validation_url(api, core, user, receiver, app):
    receiver.validation_secret = app.config["WIZARD_VALIDATION_WEBHOOK_SECRET"][0]
    receiver.validation_answer = {"errors": {"channel": "no"}}
    core.publish(simple_solution(validationUrl=receiver.url + "/validate"))
    inst = core.create_instance(user.id, "notes")
    body = api(UPDATE, {"id": inst.id, "v": [{"externalId": "channel", "value": dumps("#a")}]})
    assert gql_errors(body) == ["BAD_USER_INPUT"] and receiver.validation_requests
    with pytest.raises(DefinitionError, match="validationUrl"):
        core.publish(simple_solution(validationUrl="javascript:alert(1)"))
