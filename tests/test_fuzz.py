"""Property-based fuzzing within a bounded budget (derandomized, so CI is reproducible):

- hypothesis-graphql writes valid and invalid operations of the whole schema and sends them to
  /graphql with a master and a user token;
- Hypothesis writes values of every slot type (hostile text, huge and non-finite numbers, deep
  JSON) through the API's configValues and through the wizard's form.

Whatever is sent: no 5xx, no INTERNAL_SERVER_ERROR, and a refused request stores nothing.
FUZZ_SCALE (default 1) multiplies the number of examples; each test prints how many ran.
"""
from __future__ import annotations

import hashlib
import json
import os
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes
from sqlalchemy import func, select
from support import MASTER
from werkzeug.datastructures import MultiDict

from wizard import identity
from wizard.api import SCHEMA_FILE
from wizard.extensions import db
from wizard.models import WizardProgress
from wizard_support import Wizard, csrf_of

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
FUZZ = settings(derandomize=True, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])

TYPES = {
    "string": {"type": "string", "maxLength": 50, "pattern": "[a-z#]*"},
    "text": {"type": "text"},
    "secret": {"type": "secret", "minLength": 2},
    "email": {"type": "email"},
    "url": {"type": "url"},
    "number": {"type": "number", "min": -5, "max": 1e6},
    "integer": {"type": "integer", "min": 0},
    "boolean": {"type": "boolean"},
    "date": {"type": "date"},
    "select": {"type": "select", "options": [{"value": "a"}, {"value": 2}, {"value": True}]},
    "multiselect": {"type": "multiselect", "options": [{"value": "a"}, {"value": "b"}]},
    "json": {"type": "json", "schema": {"type": "object", "properties": {"n": {"type": "integer"},
                                                                       "s": {"type": "string", "pattern": "^(a+)+$"}}}},
    "mapping": {"type": "mapping", "lhs": {"title": "Ours"}, "rhs": {"title": "Theirs", "options": [{"value": "x"}]}},
}

# Text with every kind of character, lone surrogates and NUL included.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
NUMBERS = st.one_of(st.integers(), st.integers(min_value=-(10 ** 500), max_value=10 ** 500),
                    st.floats(allow_nan=True, allow_infinity=True))
JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), NUMBERS, ANY_TEXT),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
                           max_leaves=12)
# What a client may put in configValues[].value: JSON text of any value, or any text at all.
VALUE_TEXT = st.one_of(JSON_VALUES.map(lambda v: json.dumps(v)), ANY_TEXT,
                       st.sampled_from(["NaN", "-Infinity", "1e999", "9" * 5000, "[" * 2000, '"2026-W01-1"',
                                        '"20260101  "', '{"s": "' + "a" * 40 + '!"}']))


def snapshot() -> str:
    """A digest of everything a request could store."""
    db.session.expire_all()
    parts = []
    for table in db.metadata.sorted_tables:
        if table.name == "browser_sessions":
            continue  # a page view refreshes its session's expiry; not a stored value
        rows = db.session.execute(select(table)).all()
        parts.append(f"{table.name}:{sorted(repr(tuple(r)) for r in rows)}")
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def post(client, query, token, variables=None):
    return client.post("/graphql", json={"query": query, "variables": variables or {}},
                       headers={"Authorization": f"Bearer {token}"})


def assert_sound(resp):
    assert resp.status_code < 500, resp.data[:500]
    body = resp.get_json()
    assert body is not None, resp.data[:300]
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    assert "INTERNAL_SERVER_ERROR" not in codes, body
    return body


def refused(resp, query: str | None = None) -> bool:
    """True when nothing of the request ran: it never executed (400), or every root field of
    the operation answered an error (`data` alone cannot tell: a non-null field's error nulls it
    all, also for mutations that did run)."""
    if resp.status_code == 400:
        return True
    body = resp.get_json()
    failed = {e["path"][0] for e in body.get("errors") or [] if e.get("path")}
    if query is None:
        return bool(failed)
    from graphql import OperationDefinitionNode, parse

    operations = [d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode)]
    roots = {(f.alias or f.name).value for op in operations for f in op.selection_set.selections
             if hasattr(f, "name")}
    return bool(roots) and roots <= failed


# -- the GraphQL API as a whole --------------------------------------------------------------------

# Tray's custom scalars (wizard/api/scalars.py), as GraphQL literals: any JSON text or text at
# all for Json, date-times and anything else for DateTime.
SCALARS = {
    "Json": st.one_of(VALUE_TEXT.map(nodes.String), NUMBERS.filter(lambda n: isinstance(n, int)).map(nodes.Int),
                      st.booleans().map(nodes.Boolean)),
    "DateTime": st.one_of(st.datetimes().map(lambda d: d.isoformat() + "Z"), ANY_TEXT).map(nodes.String),
}

@pytest.fixture
def seeded(core, user, demo_solution):
    inst = core.create_instance(user.id, "slack-alerts")
    return {"master": MASTER, "user": identity.issue_user_token(user.id), "instance": inst.id}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("who", ["master", "user"])
@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE])
def test_fuzz_graphql_operations(client, seeded, who, mode):
    with open(SCHEMA_FILE) as f:
        sdl = f.read()
    ran = []

    @settings(FUZZ, max_examples=int(60 * SCALE))
    @given(query=from_schema(sdl, mode=mode, codec=None, custom_scalars=SCALARS))
    def run(query):
        ran.append(1)
        before = snapshot()
        resp = post(client, query, seeded[who])
        assert_sound(resp)
        if refused(resp, query):
            assert snapshot() == before, f"a refused request stored something: {query[:300]}"

    run()
    print(f"\nfuzz graphql {who} {mode.name}: {len(ran)} operations")
    assert len(ran) >= int(30 * SCALE)


# -- every slot type through the API ---------------------------------------------------------------

UPDATE = ("mutation($i: UpdateSolutionInstanceInput!) { updateSolutionInstance(input: $i) "
          "{ solutionInstance { configValues { externalId value } } } }")


@pytest.fixture
def typed(core, user):
    core.publish({"id": "fuzz", "title": "Every type", "config": [
        {"externalId": f"s_{t}", "title": t.title(), **slot} for t, slot in TYPES.items()]})
    return core.create_instance(user.id, "fuzz").id


@pytest.mark.timeout(300)
def test_fuzz_every_slot_type_through_the_api(client, user, typed):
    token = identity.issue_user_token(user.id)
    ran = []

    @settings(FUZZ, max_examples=int(200 * SCALE))
    @given(slot=st.sampled_from(sorted(TYPES)), text=VALUE_TEXT)
    def run(slot, text):
        ran.append(1)
        before = snapshot()
        resp = client.post("/graphql", data=json.dumps({"query": UPDATE, "variables": {"i": {
            "solutionInstanceId": typed, "configValues": [{"externalId": f"s_{slot}", "value": text}]}}}),
            content_type="application/json", headers={"Authorization": f"Bearer {token}"})
        body = assert_sound(resp)
        if refused(resp):
            assert snapshot() == before
        else:  # what was stored can be answered and shown
            values = body["data"]["updateSolutionInstance"]["solutionInstance"]["configValues"]
            assert all(json.loads(v["value"]) is not None for v in values)

    run()
    print(f"\nfuzz values through the API: {len(ran)} values")
    assert len(ran) >= int(100 * SCALE)


# -- every slot type through the wizard's form ------------------------------------------------------

FORM_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)  # a form cannot carry lone surrogates


@pytest.mark.timeout(300)
def test_fuzz_every_slot_type_through_the_wizard(client, core, user, typed):
    wiz = Wizard(client, core, user)
    wiz.open(typed)
    screen = f"{wiz.base}/screen/1"
    csrf = csrf_of(wiz.page)
    ran = []

    def progress_digest():
        db.session.expire_all()
        row = db.session.get(WizardProgress, typed)
        config = dict((row.data or {}).get("config") or {}) if row else {}
        config.pop("s_secret", None)  # sealed anew on every save (a fresh nonce), same secret
        return json.dumps(config, sort_keys=True, default=str)

    @settings(FUZZ, max_examples=int(200 * SCALE))
    @given(fields=st.dictionaries(st.sampled_from(sorted(TYPES)), st.one_of(FORM_TEXT, st.sampled_from(
        ["9" * 400, "9" * 5000, "NaN", "1e999", "2026-W01-1", "20260101", '{"s": "' + "a" * 40 + '!"}',
         "[" * 3000, "a\x00b"])), min_size=1), rows=st.lists(st.tuples(FORM_TEXT, FORM_TEXT), max_size=3),
           index=st.one_of(st.integers(0, 3).map(str), st.sampled_from(["²", "9" * 5000, "-1", "٣"])))
    def run(fields, rows, index):
        ran.append(1)
        before_instance, before_progress = snapshot_instance(), progress_digest()
        form = [("csrf_token", csrf), ("wizard_screen", "1"), ("wizard_action", "next")]
        form += [(f"s_{t}", v) for t, v in fields.items() if t != "mapping"]
        form += [(f"s_mapping-{index if i == 0 else i}-{side}", v) for i, row in enumerate(rows)
                 for side, v in zip(("lhs", "rhs"), row)]
        resp = client.post(screen, data=MultiDict(form))
        assert resp.status_code < 500, resp.data[:500]
        assert resp.status_code in (200, 303, 400, 422), resp.status_code
        if resp.status_code in (400, 422):
            assert snapshot_instance() == before_instance
            assert progress_digest() == before_progress, fields

    def snapshot_instance():
        db.session.expire_all()
        return db.session.execute(select(func.count()).select_from(WizardProgress)).scalar(), \
            repr(db.session.execute(select(db.metadata.tables["solution_instances"])).all())

    run()
    assert wiz.get(f"{wiz.base}/review").status_code == 200  # whatever was stored can be shown
    print(f"\nfuzz values through the wizard: {len(ran)} forms")
    assert len(ran) >= int(100 * SCALE)


# -- what a webhook receiver answers ---------------------------------------------------------------

# The validation webhook's and an event endpoint's answers, as a hostile or broken receiver gives
# them: any status, JSON of any shape (and near-misses of the one shape that counts), text that is
# not JSON, bodies past the byte cap, a Content-Length that lies, no HTTP at all, drips.
SHAPES = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries({"errors": JSON_VALUES}),
    st.fixed_dictionaries({"errors": st.dictionaries(st.sampled_from(["channel", "threshold", "nope", ""]),
                                                     JSON_VALUES, max_size=3)}),
    st.just({}), st.just({"errors": {}}), st.just({"errors": {"channel": "No such channel."}}),
)
ANSWER_BODY = st.one_of(
    SHAPES.map(lambda v: json.dumps(v, allow_nan=True).encode()),
    st.binary(max_size=64),
    st.sampled_from([b"", b"{", b"null", b'"OK"', b"\xff\xfe", b'{"errors": {}}' + b" " * 20000]),
)


@pytest.mark.timeout(600)
def test_fuzz_webhook_receiver_answers(app, client, core, user):
    """Whatever the receiver answers, how big and how slowly: no 5xx but the wizard's 503 (could
    not be checked), no INTERNAL_SERVER_ERROR, a Next goes on only on an answer of the one shape
    (a JSON object with `errors` at most), and every delivery attempt ends recorded."""
    from webhook_support import Answerer
    from wizard.webhooks import delivery, endpoints
    from wizard.webhooks.models import DELIVERING, WebhookDelivery
    from wizard_support import simple_solution

    answerer = Answerer()
    saved = {k: app.config.get(k) for k in ("WIZARD_VALIDATION_WEBHOOK_URL", "WIZARD_VALIDATION_WEBHOOK_TIMEOUT_MS",
                                        "WIZARD_WEBHOOK_TIMEOUT", "WIZARD_OUTBOUND_MAX_BYTES")}
    app.config.update(WIZARD_VALIDATION_WEBHOOK_URL=answerer.url + "/validate", WIZARD_VALIDATION_WEBHOOK_TIMEOUT_MS=300,
                      WIZARD_WEBHOOK_TIMEOUT=0.3, WIZARD_OUTBOUND_MAX_BYTES=8192)
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    inst = wiz.instance("notes")
    wiz.open(inst.id)
    screen, csrf = f"{wiz.base}/screen/1", csrf_of(wiz.page)
    endpoints.create(answerer.url + "/events")
    token = identity.issue_user_token(user.id)
    ran, outcomes = [], {}

    @settings(FUZZ, max_examples=int(40 * SCALE))
    @given(status=st.one_of(st.sampled_from([200, 204, 302, 400, 500, 503]), st.integers(100, 599)),
           body=ANSWER_BODY, repeat=st.sampled_from([1, 1, 1, 500]), every=st.sampled_from([0.0, 0.0, 0.05]),
           lie=st.sampled_from([0, 0, 0, 10]), raw=st.sampled_from([False, False, False, True]))
    def run(status, body, repeat, every, lie, raw):
        ran.append(1)
        answerer.status, answerer.chunks = status, [body] * repeat if repeat > 1 else [body]
        answerer.every, answerer.extra_length, answerer.raw = every, lie, raw
        # the wizard's Next
        resp = client.post(screen, data=MultiDict([("csrf_token", csrf), ("wizard_screen", "1"),
                                                  ("wizard_action", "next"), ("channel", "#ops")]))
        # post/redirect/get: a Next that goes on and one shown again both answer 303; the one
        # shown again redirects to its own screen, whose GET then says 422 (refused) or 503
        # (could not be checked)
        assert resp.status_code == 303, (resp.status_code, status, body[:100])
        outcome = 303
        if urlsplit(resp.headers["Location"]).path == urlsplit(screen).path:
            outcome = client.get(resp.headers["Location"]).status_code
            assert outcome in (422, 503), (outcome, status, body[:100])
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome != 503:  # the answer counted: it was the one shape, whole and in time
            answer = json.loads(body * repeat)
            assert 200 <= status < 300 and not lie and not raw and isinstance(answer, dict)
            assert set(answer) <= {"errors"}
        # the API's write of values (and its event for the endpoint)
        before = snapshot()
        api = post(client, UPDATE_NAME, token, {"i": {"solutionInstanceId": inst.id,
                                                      "configValues": [{"externalId": "channel", "value": '"#dev"'}]}})
        assert_sound(api)
        if refused(api):
            assert snapshot() == before
        # every delivery due is attempted and its outcome recorded
        delivery.run_once("fuzz")
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)
                                 .where(WebhookDelivery.status == DELIVERING)) == 0

    def next_with(status, body):
        answerer.status, answerer.chunks, answerer.every, answerer.extra_length, answerer.raw = \
            status, [body], 0.0, 0, False
        resp = client.post(screen, data=MultiDict([("csrf_token", csrf), ("wizard_screen", "1"),
                                                  ("wizard_action", "next"), ("channel", "#ops")]))
        assert resp.status_code == 303
        if urlsplit(resp.headers["Location"]).path == urlsplit(screen).path:
            return client.get(resp.headers["Location"]).status_code
        return 303

    # controls: the harness can tell the three outcomes apart
    assert next_with(200, b'{"errors": {}}') == 303
    assert next_with(200, b'{"errors": {"channel": "No such channel."}}') == 422
    assert next_with(200, b"null") == 503
    try:
        run()
    finally:
        app.config.update(saved)
        answerer.stop()
    print(f"\nfuzz webhook receiver answers: {len(ran)} answers, wizard outcomes {outcomes}")
    assert len(ran) >= int(20 * SCALE)


UPDATE_NAME = ("mutation($i: UpdateSolutionInstanceInput!) { updateSolutionInstance(input: $i) "
               "{ solutionInstance { id } } }")
