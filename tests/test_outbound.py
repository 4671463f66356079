"""The one outbound client (wizard/outbound.py), from the side of whoever names the URL: a receiver
that drips, answers without end, redirects, or an address inside the server's network. Issue 26's
faults 1 (validation fails open), 2 (a timeout that is not a deadline), 4 (internal addresses)
and 5 (answers read whole)."""
from __future__ import annotations

import json
import socket

import pytest

from support import dumps, gql_errors
from wizard import outbound
from wizard.config import load_config
from wizard.extensions import db
from wizard.webhooks import delivery, endpoints
from wizard.webhooks.models import WebhookAttempt

from wizard_support import Wizard, simple_solution
from webhook_support import Answerer, drip, receiver, validator  # noqa: F401  (fixtures)

INTERNAL = ["http://127.0.0.1/", "http://localhost:8080/x", "http://0.0.0.0/", "http://2130706433/",
            "http://127.1/", "http://0x7f.1/", "http://[::ffff:127.0.0.1]/", "http://[::1]/",
            "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/", "http://192.168.0.1/",
            "http://[fe80::1]/", "http://100.64.0.1/", "http://0/",
            # IPv6 forms of internal IPv4 (NAT64, IPv4-compatible) and reserved IPv6, which
            # Python 3.11 counts as global (review finding)
            "http://[64:ff9b::a9fe:a9fe]/", "http://[64:ff9b::a00:1]/", "http://[::7f00:1]/", "http://[fec0::1]/"]


@pytest.fixture
def closed(app):
    """Production's guard: nothing internal is allowed."""
    before = app.config.get("WIZARD_OUTBOUND_ALLOW")
    app.config["WIZARD_OUTBOUND_ALLOW"] = []
    yield
    app.config["WIZARD_OUTBOUND_ALLOW"] = before


@pytest.fixture
def small(app):
    before = (app.config.get("WIZARD_OUTBOUND_MAX_BYTES"), app.config["WIZARD_VALIDATION_WEBHOOK_TIMEOUT_MS"],
              app.config["WIZARD_WEBHOOK_TIMEOUT"])
    app.config.update(WIZARD_OUTBOUND_MAX_BYTES=64 * 1024, WIZARD_VALIDATION_WEBHOOK_TIMEOUT_MS=600,
                      WIZARD_WEBHOOK_TIMEOUT=0.6)
    yield
    (app.config["WIZARD_OUTBOUND_MAX_BYTES"], app.config["WIZARD_VALIDATION_WEBHOOK_TIMEOUT_MS"],
     app.config["WIZARD_WEBHOOK_TIMEOUT"]) = before


@pytest.fixture
def wiz(client, core, user):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    return w


def _answering(app, answerer: Answerer):
    app.config["WIZARD_VALIDATION_WEBHOOK_URL"] = answerer.url + "/validate"


@pytest.fixture
def isv(app):
    """The server's validation webhook set to an Answerer the test makes (`isv(answerer)`)."""
    before = app.config["WIZARD_VALIDATION_WEBHOOK_URL"]
    made = []

    def use(answerer: Answerer) -> Answerer:
        made.append(answerer)
        _answering(app, answerer)
        return answerer
    yield use
    app.config["WIZARD_VALIDATION_WEBHOOK_URL"] = before
    for a in made:
        a.stop()


# -- settings --------------------------------------------------------------------------------

def test_development_allows_loopback_production_and_none_allow_nothing(tmp_path):
    assert "127.0.0.0/8" in load_config(str(tmp_path), {})["WIZARD_OUTBOUND_ALLOW"]
    assert load_config(str(tmp_path), {"WIZARD_ENV": "production"})["WIZARD_OUTBOUND_ALLOW"] == []
    assert load_config(str(tmp_path), {"WIZARD_OUTBOUND_ALLOW": "none"})["WIZARD_OUTBOUND_ALLOW"] == []
    cfg = load_config(str(tmp_path), {"WIZARD_OUTBOUND_ALLOW": "hooks.internal, 10.0.0.0/8"})
    assert cfg["WIZARD_OUTBOUND_ALLOW"] == ["hooks.internal", "10.0.0.0/8"]
    assert cfg["WIZARD_OUTBOUND_MAX_BYTES"] == 1024 * 1024
    with pytest.raises(RuntimeError, match="WIZARD_OUTBOUND_ALLOW"):
        load_config(str(tmp_path), {"WIZARD_OUTBOUND_ALLOW": "10.0.0.0/99"})


# -- fault 4: internal addresses ---------------------------------------------------------------

@pytest.mark.parametrize("url", INTERNAL)
def test_every_spelling_of_an_internal_address_is_refused_naming_why(app, closed, url):
    with pytest.raises(outbound.OutboundRefused) as caught:
        outbound.check_url(url)
    assert "WIZARD_OUTBOUND_ALLOW" in caught.value.reason
    with pytest.raises(outbound.OutboundRefused):
        outbound.request("GET", url, deadline=1)


def test_a_user_in_the_url_and_other_schemes_are_refused(app):
    for url in ("http://user@127.0.0.1/", "http://a:b@example.com/", "file:///etc/passwd", "gopher://x/"):
        with pytest.raises(outbound.OutboundRefused):
            outbound.check_url(url)


def test_registering_an_internal_endpoint_is_refused_at_once(api, closed):
    create = """mutation($url: String!) { createWebhookEndpoint(input: {url: $url}) { webhookEndpoint { id } } }"""
    for url in ("http://127.0.0.1:5000/graphql", "http://2130706433/", "http://[::ffff:127.0.0.1]/",
                "http://169.254.169.254/", "http://localhost/"):
        body = api(create, {"url": url})
        assert gql_errors(body) == ["BAD_USER_INPUT"], body
        assert "url" in body["errors"][0]["message"] and "WIZARD_OUTBOUND_ALLOW" in body["errors"][0]["message"]
    assert endpoints.list_endpoints() == []


def test_publishing_an_internal_validation_url_is_refused_naming_it(core, closed):
    from wizard.solutions import DefinitionError
    with pytest.raises(DefinitionError) as caught:
        core.publish(simple_solution(validationUrl="http://169.254.169.254/latest"))
    assert "validationUrl" in str(caught.value) and "link-local" in str(caught.value)


def test_a_delivery_to_an_address_that_became_internal_is_not_made(app, core, user, receiver):
    ep, receiver.secret = endpoints.create(receiver.url + "/events")  # allowed while registering
    core.publish(simple_solution())
    core.create_instance(user.id, "notes")
    app.config["WIZARD_OUTBOUND_ALLOW"], before = [], app.config["WIZARD_OUTBOUND_ALLOW"]
    try:
        delivery.drain("t")
    finally:
        app.config["WIZARD_OUTBOUND_ALLOW"] = before
    assert receiver.received == []  # no connection was made
    attempt = db.session.scalars(db.select(WebhookAttempt)).one()
    assert attempt.status_code is None and attempt.error.startswith("refused: 127.0.0.1 is a loopback address")


def test_the_name_is_resolved_once_and_that_address_is_called(app, monkeypatch):
    """DNS rebinding: the address checked is the address connected to, and a name with any
    internal address among its answers is refused."""
    answerer = Answerer(b'{"ok": true}')
    real, calls = socket.getaddrinfo, []

    def resolver(host, port, *args, **kwargs):
        calls.append(host)
        if host == "mixed.example.com":
            return real("93.184.216.34", port, *args, **kwargs) + real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    app.config["WIZARD_OUTBOUND_ALLOW"], before = ["hooks.internal"], app.config["WIZARD_OUTBOUND_ALLOW"]
    try:
        with pytest.raises(outbound.OutboundRefused):
            outbound.request("GET", f"http://mixed.example.com:{answerer.port}/", deadline=1)
        calls.clear()
        monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: (
            calls.append(host) or real("127.0.0.1", port, *a, **k)))
        resp = outbound.request("GET", f"http://hooks.internal:{answerer.port}/x?y=1", deadline=2)
    finally:
        app.config["WIZARD_OUTBOUND_ALLOW"] = before
        answerer.stop()
    assert resp.json() == {"ok": True}
    # resolved once (the connection then looks up only the address itself)
    assert calls == ["hooks.internal", "127.0.0.1"]
    assert answerer.requests[0]["headers"]["host"] == f"hooks.internal:{answerer.port}"
    assert answerer.requests[0]["line"] == "GET /x?y=1 HTTP/1.1"


def test_a_redirect_is_not_followed(app, core, user):
    target = Answerer(b"{}")
    redirecting = Answerer(b"", status=302, headers={"Location": target.url + "/inside"})
    try:
        resp = outbound.request("POST", redirecting.url, data=b"{}", deadline=2)
        assert resp.status_code == 302
        ep, _ = endpoints.create(redirecting.url + "/events")
        core.publish(simple_solution())
        core.create_instance(user.id, "notes")
        delivery.drain("t")
    finally:
        target.stop()
        redirecting.stop()
    assert target.requests == []
    assert db.session.scalars(db.select(WebhookAttempt)).first().error == "HTTP 302"


def test_token_requests_of_authlib_go_through_the_guard(app, closed):
    from wizard.connect.oauth import GuardedOAuth2Session
    answerer = Answerer(b'{"access_token": "t", "token_type": "Bearer"}')
    try:
        session = GuardedOAuth2Session("id", "secret")
        with pytest.raises(outbound.OutboundRefused):
            session.refresh_token(answerer.url + "/token", refresh_token="r")
    finally:
        answerer.stop()
    assert answerer.requests == []


def test_an_api_host_from_a_token_answer_must_not_be_internal(app, closed):
    from types import SimpleNamespace
    from wizard.connect.tokens import ApiError, provider_api_base
    service = SimpleNamespace(auth="oauth2", api_base_from="instance_url", token_url="https://login.example.com/t",
                              title="Acme")
    with pytest.raises(ApiError):
        provider_api_base(service, {"instance_url": "https://169.254.169.254"})
    assert provider_api_base(service, {"instance_url": "https://acme.example.com"}) == {
        "_api_base": "https://acme.example.com"}


# -- fault 1: validation is closed by default ---------------------------------------------------

NOT_ANSWERS = ["null", "[]", '"OK"', "true", "1", '{"errors": null}', '[{"errors": {"channel": "no"}}]',
               '{"error": {"channel": "no"}}', '{"errors": {"channel": ""}}', '{"errors": {"channel": false}}',
               '{"errors": {"nope": "no such slot"}}', '{"errors": {}, "valid": true}', '{"errors": []}']


@pytest.mark.parametrize("answer", NOT_ANSWERS)
def test_a_200_of_another_shape_is_not_a_pass_on_next(wiz, validator, answer):
    validator.validation_answer = answer  # sent as it is written
    inst = wiz.instance("notes")
    wiz.open(inst.id)
    assert wiz.post({"channel": "#ops"}).status_code == 503
    assert "could not be checked right now" in wiz.page and wiz.screen_number() == 1


@pytest.mark.parametrize("answer", NOT_ANSWERS[:10])
def test_a_200_of_another_shape_is_validation_unavailable_in_the_api(api, core, user, validator, answer):
    validator.validation_answer = answer
    core.publish(simple_solution())
    inst = core.create_instance(user.id, "notes", config_values={"channel": "#ops"})
    body = api("""mutation($id: ID!, $v: [ConfigValue!]) { updateSolutionInstance(input: {solutionInstanceId: $id,
      configValues: $v}) { solutionInstance { id } } }""", {"id": inst.id, "v": [
        {"externalId": "channel", "value": dumps("#dev")}]})
    assert gql_errors(body) == ["VALIDATION_UNAVAILABLE"]
    db.session.expire_all()
    assert core.get_instance(inst.id).config_values["channel"] == "#ops"


@pytest.mark.parametrize("answer, errors", [("{}", {}), ('{"errors": {}}', {}),
                                            ('{"errors": {"channel": " Not that one. "}}', {"channel": "Not that one."})])
def test_the_three_answers_that_are_answers(answer, errors):
    from wizard.webhooks.validation import errors_of
    assert errors_of(json.loads(answer), {"channel", "threshold"}) == errors


# -- fault 2: a deadline, not a timeout per read ------------------------------------------------

@pytest.mark.parametrize("drip_head", [False, True])
def test_a_dripping_validation_webhook_is_cut_at_the_deadline(app, wiz, isv, small, drip_head):
    answer = b'{"errors": {}}' + b" " * 200  # 214 bytes, one every 50 ms: about 11 s
    answerer = isv(drip(answer, every=0.05, drip_head=drip_head))
    inst = wiz.instance("notes")
    wiz.open(inst.id)
    assert wiz.post({"channel": "#ops"}).status_code == 503
    assert answerer.hung_up.wait(5)  # the server stopped reading...
    assert answerer.written < len(answer)  # ...before the answer was whole


def test_a_dripping_event_endpoint_is_cut_at_the_deadline(app, core, user, small):
    answerer = drip(b"{}" + b" " * 200, every=0.05)
    try:
        endpoints.create(answerer.url + "/events")
        core.publish(simple_solution())
        core.create_instance(user.id, "notes")
        delivery.drain("t", rounds=1)
        assert answerer.hung_up.wait(5) and answerer.written < 202
    finally:
        answerer.stop()
    assert db.session.scalars(db.select(WebhookAttempt)).one().error == "timed out"


# -- fault 5: answers are capped ----------------------------------------------------------------

@pytest.mark.parametrize("length", [True, False])
def test_an_endless_validation_answer_is_cut_at_the_byte_cap(app, wiz, isv, small, length):
    chunk = b" " * 65536
    answerer = isv(Answerer([b"{"] + [chunk] * 400 + [b"}"], length=length))  # 26 MB
    inst = wiz.instance("notes")
    wiz.open(inst.id)
    assert wiz.post({"channel": "#ops"}).status_code == 503
    assert answerer.hung_up.wait(5)
    assert answerer.written < 400 * len(chunk)


def test_an_endless_delivery_answer_is_cut(app, core, user, small):
    answerer = Answerer([b" " * 65536] * 400, length=False)
    try:
        endpoints.create(answerer.url + "/events")
        core.publish(simple_solution())
        core.create_instance(user.id, "notes")
        delivery.drain("t", rounds=1)
        assert answerer.hung_up.wait(5) and answerer.written < 400 * 65536
    finally:
        answerer.stop()
    assert "more than the 65536 bytes allowed" in db.session.scalars(db.select(WebhookAttempt)).one().error
