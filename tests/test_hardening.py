"""The twelve findings of issue 10, each tried from the attacker's side: hostile input and
concurrency must neither lose an acknowledged write nor crash (no 500, no INTERNAL)."""
from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from support import MASTER, gql_errors

from wizard import identity
from wizard.extensions import db
from wizard.models import ExternalUser, SolutionInstance

from wizard_support import Wizard, csrf_of, simple_solution

UPDATE = ("mutation($input: UpdateSolutionInstanceInput!) { updateSolutionInstance(input: $input) "
          "{ solutionInstance { id configValues { externalId value } } } }")
PUBLISH = "mutation($d: String!) { publishSolutionVersion(input: {definition: $d}) { solution { id version } } }"
CREATE_USER = ("mutation($e: String!, $n: String) { createExternalUser(input: {externalUserId: $e, name: $n}) "
               "{ userId } }")


def many_slots(n: int) -> dict:
    return {"id": "many", "title": "Many slots", "config": [
        {"externalId": f"s{i}", "title": f"Slot {i}", "type": "string"} for i in range(n)]}


def one_slot(**slot) -> dict:
    return {"id": "one", "title": "One slot", "config": [{"externalId": "v", "title": "Value", **slot}]}


def update(api, token, iid, **values):
    return api(UPDATE, {"input": {"solutionInstanceId": iid, "configValues": [
        {"externalId": k, "value": v if isinstance(v, str) else json.dumps(v)} for k, v in values.items()]}},
        token=token)


def stored(iid) -> dict:
    db.session.expire_all()
    return dict(db.session.get(SolutionInstance, iid).config_values)


# 1. Acknowledged writes are lost on SQLite --------------------------------------------------------

def test_1_parallel_updates_of_one_instance_lose_no_acknowledged_value(live_server, core, user):
    core.publish(many_slots(50))
    iid = core.create_instance(user.id, "many").id
    token = identity.issue_user_token(user.id)
    acknowledged, failures = [], []
    start = threading.Barrier(25)

    def write(i):
        if i < 25:
            start.wait()
        body = {"query": UPDATE, "variables": {"input": {"solutionInstanceId": iid, "configValues": [
            {"externalId": f"s{i}", "value": json.dumps(f"value {i}")}]}}}
        resp = requests.post(f"{live_server}/graphql", json=body, headers={"Authorization": f"Bearer {token}"},
                             timeout=120)
        if resp.status_code == 200 and not resp.json().get("errors"):
            acknowledged.append(i)
        else:
            failures.append((resp.status_code, resp.text[:200]))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    values = stored(iid)
    lost = [i for i in acknowledged if values.get(f"s{i}") != f"value {i}"]
    assert lost == [], f"{len(lost)} of {len(acknowledged)} acknowledged writes lost"


# 3. A lone surrogate --------------------------------------------------------------------------------

@pytest.fixture
def ada_token(user):
    return identity.issue_user_token(user.id)


@pytest.fixture
def one(core, user):
    core.publish(one_slot(type="string"))
    return core.create_instance(user.id, "one").id


def raw_post(client, body: str, token=MASTER):
    """A body sent as the attacker writes it (json.dumps would refuse some of it)."""
    return client.post("/graphql", data=body.encode("utf-8", "surrogatepass"), content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("body", [
    '{"query": "mutation { createExternalUser(input: {externalUserId: \\"x\\", name: \\"\\\\ud800\\"}) { userId } }"}',
    '{"query": "mutation($n: String) { createExternalUser(input: {externalUserId: \\"x\\", name: $n}) { userId } }",'
    ' "variables": {"n": "\\ud800"}}',
    '{"query": "mutation($e: String!) { createExternalUser(input: {externalUserId: $e}) { userId } }",'
    ' "variables": {"e": "a\\udfffb"}}',
    '{"query": "mutation($u: ID!) { authorize(input: {userId: $u}) { accessToken } }", "variables": {"u": "\\ud800"}}',
    '{"query": "query($c: SolutionInstanceCriteria) { solutionInstances(criteria: $c) { edges { cursor } } }",'
    ' "variables": {"c": {"id": "\\ud800"}}}',
    '{"query": "mutation($d: String!) { publishSolutionVersion(input: {definition: $d}) { solution { id } } }",'
    ' "variables": {"d": "id: x\\ntitle: \\"\\\\ud800\\"\\n"}}',
])
def test_3_lone_surrogates_are_refused_at_the_api_boundary(client, body):
    resp = raw_post(client, body)
    assert resp.status_code < 500
    data = resp.get_json()
    assert "INTERNAL_SERVER_ERROR" not in gql_errors(data), data
    assert gql_errors(data), data  # refused, not stored
    assert db.session.query(ExternalUser).count() == 0


def test_3_a_lone_surrogate_value_is_refused_and_the_wizard_still_opens(client, core, user, ada_token, one):
    resp = raw_post(client, json.dumps({"query": UPDATE, "variables": {"input": {
        "solutionInstanceId": one, "configValues": [{"externalId": "v", "value": '"\\ud800"'}]}}}), ada_token)
    assert resp.status_code < 500 and gql_errors(resp.get_json()) == ["BAD_USER_INPUT"]
    assert stored(one) == {}
    wiz = Wizard(client, core, user)
    assert wiz.open(one).status_code == 200


def test_3_a_definition_with_a_lone_surrogate_is_refused(api):
    definition = json.dumps(one_slot(type="string", default="x")).replace('"x"', '"\\ud800"')
    errors = gql_errors(api(PUBLISH, {"d": definition}))
    assert errors == ["BAD_USER_INPUT"]


# 4. Long numbers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("slot,value", [
    ({"type": "integer"}, "4" * 400),
    ({"type": "number"}, "4" * 400),
    ({"type": "json"}, "5" * 5000),
    ({"type": "json"}, '{"a": [' + "9" * 5000 + "]}"),
    ({"type": "number"}, "1e999"),
])
def test_4_long_numbers_in_api_values_are_bad_input(api, core, user, ada_token, slot, value):
    core.publish(one_slot(**slot))
    iid = core.create_instance(user.id, "one").id
    body = update(api, ada_token, iid, v=value)
    assert gql_errors(body) == ["BAD_USER_INPUT"], body
    assert stored(iid) == {}


@pytest.mark.parametrize("definition", [
    '{"id": "one", "title": "T", "config": [{"externalId": "v", "type": "integer", "default": ' + "4" * 400 + "}]}",
    '{"id": "one", "title": "T", "config": [{"externalId": "v", "type": "json", "default": ' + "5" * 5000 + "}]}",
    "id: one\ntitle: T\nconfig:\n  - {externalId: v, type: json, default: " + "5" * 5000 + "}\n",
    "id: one\ntitle: T\nconfig:\n  - {externalId: v, type: number, default: .nan}\n",
])
def test_4_long_numbers_in_a_definition_are_refused(api, definition):
    assert gql_errors(api(PUBLISH, {"d": definition})) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("slot,typed", [
    ({"type": "integer"}, "4" * 400),
    ({"type": "number"}, "4" * 400),
    ({"type": "json"}, "5" * 5000),
    ({"type": "json"}, "NaN"),
])
def test_4_long_numbers_typed_in_the_wizard_stay_on_the_screen(client, core, user, slot, typed):
    core.publish(one_slot(**slot))
    iid = core.create_instance(user.id, "one").id
    wiz = Wizard(client, core, user)
    wiz.open(iid)
    resp = wiz.post({"v": typed})
    assert resp.status_code == 422, resp.status_code
    assert stored(iid) == {}


# 5. NUL bytes, over-long strings, NaN -----------------------------------------------------------------

@pytest.mark.parametrize("variables", [
    {"e": "a\x00b", "n": "Ada"},
    {"e": "acme-1", "n": "A\x00da"},
    {"e": "acme-1", "n": "A" * 201},
    {"e": "x" * 201, "n": "Ada"},
])
def test_5_create_external_user_refuses_nul_and_over_long_text(api, variables):
    body = api(CREATE_USER, variables)
    assert gql_errors(body) == ["BAD_USER_INPUT"], body
    assert db.session.query(ExternalUser).count() == 0


def test_5_nul_in_a_query_literal_is_refused(api):
    body = api('mutation { createExternalUser(input: {externalUserId: "a\\u0000b"}) { userId } }')
    assert gql_errors(body) == ["BAD_USER_INPUT"], body


def test_5_a_title_over_300_characters_is_refused(api):
    body = api(PUBLISH, {"d": json.dumps({**one_slot(type="string"), "title": "T" * 301})})
    assert gql_errors(body) == ["BAD_USER_INPUT"], body
    # the request's session is clean again: the next operation works
    assert api(PUBLISH, {"d": json.dumps(one_slot(type="string"))})["data"]["publishSolutionVersion"]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "[NaN]", '{"a": Infinity}', '"a\\u0000b"'])
def test_5_json_values_nan_infinity_and_nul_are_bad_input(api, core, user, ada_token, value):
    core.publish(one_slot(type="json"))
    iid = core.create_instance(user.id, "one").id
    assert gql_errors(update(api, ada_token, iid, v=value)) == ["BAD_USER_INPUT"]
    assert stored(iid) == {}


def test_5_nul_in_the_wizard_url_does_not_use_up_the_code(client, user, one):
    code = identity.generate_code(user.id)
    resp = client.get(f"/configure/a%00b?code={code}")
    assert resp.status_code == 400
    assert client.get(f"/configure/{one}?code={code}").status_code == 303  # the code still works


def test_5_a_wizard_name_with_nul_is_refused_and_finish_works(client, core, user, one):
    wiz = Wizard(client, core, user)
    wiz.open(one)
    assert wiz.post({"wizard_name": "My\x00name", "v": "x"}).status_code == 400
    wiz.open(one)
    wiz.post({"wizard_name": "My name", "v": "x"})
    assert wiz.finish().status_code == 200 and "/done" in wiz.path
    assert db.session.get(SolutionInstance, one).name == "My name"


# 6. A hostile mapping row index ----------------------------------------------------------------------

MAPPING = {"type": "mapping", "lhs": {"title": "Ours"}, "rhs": {"title": "Theirs"}}


@pytest.mark.parametrize("fields,action", [
    ({"v-²-lhs": "a", "v-²-rhs": "b"}, "next"),
    ({"v-" + "9" * 5000 + "-lhs": "a"}, "next"),
    ({"v-0-lhs": "a", "v-٣-rhs": "b"}, "add_row:v"),
    ({"v-0-lhs": "a", "v-0-rhs": "b"}, "remove_row:v:²"),
    ({"v-0-lhs": "a", "v-0-rhs": "b"}, "remove_row:v:" + "9" * 5000),
])
def test_6_a_mapping_row_index_that_is_not_a_small_number_is_a_400(client, core, user, fields, action):
    core.publish(one_slot(**MAPPING))
    iid = core.create_instance(user.id, "one").id
    wiz = Wizard(client, core, user)
    wiz.open(iid)
    resp = wiz.post(fields, action=action)
    assert resp.status_code == 400
    assert stored(iid) == {}


# 12. Dates -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["20260101  ", "2026-W01-1", "20260101", "2026-001", "２０２６-01-01",
                                   "2026-01-01T00:00", " 2026-01-01", "2026-02-30"])
def test_12_only_strict_iso_dates_are_stored(api, core, user, ada_token, value):
    core.publish(one_slot(type="date"))
    iid = core.create_instance(user.id, "one").id
    assert gql_errors(update(api, ada_token, iid, v=json.dumps(value))) == ["BAD_USER_INPUT"]
    assert stored(iid) == {}
    assert not gql_errors(update(api, ada_token, iid, v=json.dumps("2026-01-01")))


# 2. JSON-Schema $ref: never fetched ----------------------------------------------------------------

@pytest.fixture
def listener():
    """A local HTTP server that counts every request it gets (the server must send none)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"type": "string"}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_2_a_remote_ref_is_refused_at_publish_naming_the_slot(api, listener):
    url, hits = listener
    for ref in (f"{url}/internal", f"{url}/x#/defs/a", "other.json"):
        body = api(PUBLISH, {"d": json.dumps(one_slot(type="json", schema={"$ref": ref}))})
        assert gql_errors(body) == ["BAD_USER_INPUT"], body
        assert "'v'" in body["errors"][0]["message"] and "outside the schema" in body["errors"][0]["message"]
    assert hits == []


def test_2_a_local_ref_to_nothing_is_refused_at_publish(api):
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}
    body = api(PUBLISH, {"d": json.dumps(one_slot(type="json", schema=schema))})
    assert gql_errors(body) == ["BAD_USER_INPUT"] and "refers to nothing" in body["errors"][0]["message"]
    good = {"$defs": {"n": {"type": "integer"}}, "type": "object", "properties": {"a": {"$ref": "#/$defs/n"}}}
    assert not gql_errors(api(PUBLISH, {"d": json.dumps(one_slot(type="json", schema=good))}))


@pytest.mark.timeout(30)
def test_2_a_stored_schema_with_a_remote_ref_is_checked_without_fetching(api, core, user, ada_token, listener):
    """A definition stored before publish refused remote references is never a fetch nor a fault."""
    from wizard.models import SolutionVersion

    url, hits = listener
    core.publish(one_slot(type="json", schema={"type": "object"}))
    iid = core.create_instance(user.id, "one").id
    version = db.session.query(SolutionVersion).one()
    definition = json.loads(json.dumps(version.definition))
    for ref in (f"{url}/internal", "#/$defs/nothing"):
        definition["config"][0]["schema"] = {"$ref": ref}
        version.definition = dict(definition)
        db.session.commit()
        body = update(api, ada_token, iid, v={"a": 1})
        assert gql_errors(body) == ["BAD_USER_INPUT"], body
    assert hits == [] and stored(iid) == {}


# 8. ISV regexes: no catastrophic backtracking ------------------------------------------------------

@pytest.mark.timeout(30)  # with a backtracking engine these take hours (doubling per character)
def test_8_a_slot_pattern_cannot_be_made_to_backtrack(api, core, user, ada_token):
    core.publish(one_slot(type="string", pattern="(a+)+$"))
    iid = core.create_instance(user.id, "one").id
    for n in (24, 40, 60):
        assert gql_errors(update(api, ada_token, iid, v=json.dumps("a" * n + "!"))) == ["BAD_USER_INPUT"]
    assert not gql_errors(update(api, ada_token, iid, v=json.dumps("aaaa")))


@pytest.mark.timeout(30)
def test_8_a_json_schema_pattern_cannot_be_made_to_backtrack(api, core, user, ada_token):
    schema = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a|aa)+$"}},
              "patternProperties": {"^(b+)+$": {"type": "integer"}}}
    core.publish(one_slot(type="json", schema=schema))
    iid = core.create_instance(user.id, "one").id
    assert gql_errors(update(api, ada_token, iid, v={"a": "a" * 60 + "!"})) == ["BAD_USER_INPUT"]
    assert gql_errors(update(api, ada_token, iid, v={"b" * 60 + "!": 1, "bb": "x"})) == ["BAD_USER_INPUT"]
    assert not gql_errors(update(api, ada_token, iid, v={"a": "aaa", "bb": 2}))


def test_8_a_wizard_field_with_a_hostile_pattern_answers_at_once(client, core, user):
    core.publish(one_slot(type="string", pattern="(x+x+)+y"))
    iid = core.create_instance(user.id, "one").id
    wiz = Wizard(client, core, user)
    wiz.open(iid)
    assert wiz.post({"v": "x" * 50}).status_code == 422


@pytest.mark.parametrize("slot", [
    {"type": "string", "pattern": "(?=a)b"},
    {"type": "string", "pattern": r"(a)\1"},
    {"type": "json", "schema": {"type": "string", "pattern": "(?<!a)b"}},
    {"type": "json", "schema": {"type": "object", "patternProperties": {"(?=x)": {}}}},
])
def test_8_a_pattern_re2_cannot_run_is_refused_at_publish_naming_the_slot(api, slot):
    body = api(PUBLISH, {"d": json.dumps(one_slot(**slot))})
    assert gql_errors(body) == ["BAD_USER_INPUT"], body
    assert "slot 'v'" in body["errors"][0]["message"] and "RE2" in body["errors"][0]["message"]


# 9. Cache-Control: no-store on every page that carries a session ------------------------------------

def test_9_every_page_of_a_session_is_no_store(client, core, user, one):
    wiz = Wizard(client, core, user)
    seen = {"screen": wiz.open(one)}
    wiz.post({"v": "x"})
    seen["review"] = wiz.resp
    seen["cancel"] = client.get(f"{wiz.base}/cancel")
    seen["done"] = wiz.finish()
    seen["entry redirect"] = client.get(f"/configure/{one}?code={identity.generate_code(user.id)}")
    seen["sandbox keys"] = client.get("/sandbox/keys")
    for name, resp in seen.items():
        assert resp.status_code in (200, 303), name
        assert resp.headers.get("Cache-Control") == "no-store", name


def test_9_the_consent_page_is_no_store(client):
    resp = client.get("/sandbox/oauth/authorize?response_type=code&client_id=x&redirect_uri=http://127.0.0.1/cb")
    assert resp.headers.get("Cache-Control") == "no-store"


# 10. Sessions end at Finish and when a newer session of the instance starts ----------------------------

def test_10_a_finished_session_opens_only_its_outcome(client, core, user, one):
    wiz = Wizard(client, core, user)
    wiz.open(one)
    wiz.post({"v": "x"})
    first = wiz.page
    wiz.finish()
    assert "/done" in wiz.path
    for url in (f"{wiz.base}/screen/1", f"{wiz.base}/review", f"{wiz.base}/", f"{wiz.base}/cancel"):
        resp = client.get(url)
        assert resp.status_code == 403 and b"session_expired" in resp.data, url
    resp = client.post(f"{wiz.base}/screen/1", data={"csrf_token": csrf_of(first), "wizard_screen": "1", "v": "y"})
    assert resp.status_code in (400, 403)
    assert client.get(f"{wiz.base}/done").status_code == 200
    assert stored(one) == {"v": "x"}


def test_10_a_newer_session_of_the_instance_ends_the_older(client, core, user, one):
    old = Wizard(client, core, user)
    old.open(one)
    old_page, old_base = old.page, old.base
    new = Wizard(client, core, user)
    new.open(one)
    assert client.get(f"{old_base}/screen/1").status_code == 403
    resp = client.post(f"{old_base}/screen/1", data={"csrf_token": csrf_of(old_page), "wizard_screen": "1",
                                                     "v": "from the old tab"})
    assert resp.status_code in (400, 403)
    assert new.post({"v": "x"}).status_code == 200 and new.finish().status_code == 200
    assert stored(one) == {"v": "x"}


def test_10_after_finish_and_a_new_entry_the_first_session_stays_ended(client, core, user, one):
    first = Wizard(client, core, user)
    first.open(one)
    first.post({"v": "x"})
    first.finish()
    Wizard(client, core, user).open(one)  # progress starts again from the instance's values
    assert client.get(f"{first.base}/screen/1").status_code == 403
    assert client.get(f"{first.base}/done").status_code == 403


# 11. No Host header reflected ----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/configure/abc/s/" + "x" * 43, "/healthz", "/demo", "/configure/x?code=y"])
def test_11_a_forged_host_is_never_reflected(client, path):
    resp = client.get(path, headers={"Host": "evil.example"})
    assert "evil.example" not in resp.headers.get("Location", "")
    assert b"evil.example" not in resp.data
    assert resp.status_code == 400


def test_11_the_trailing_slash_redirect_stays_on_the_public_host(client, app):
    resp = client.get("/configure/abc/s/" + "x" * 43, headers={"Host": "127.0.0.1"})
    assert resp.status_code == 308
    assert resp.headers["Location"].startswith(("/", "http://127.0.0.1/"))


# 7. GraphQL cost -----------------------------------------------------------------------------------

@pytest.mark.timeout(60)
@pytest.mark.parametrize("query", [
    "{" + " ".join(f"a{i}:solutionInstances{{edges{{cursor}}}}" for i in range(20000)) + "}",
    "{ " + " ".join(f"a{i}: users {{ edges {{ cursor }} }}" for i in range(31)) + " }",
    "query { solutionInstances { edges { node { ...F } } } } fragment F on SolutionInstance { "
    + " ".join(f"f{i}: id" for i in range(600)) + " }",
    "{ solutionInstances { edges { node { configValues { " + "externalId " * 600 + "} } } } }",
    "{ __schema { types { " + "fields { type { " * 12 + "name" + " } }" * 12 + " } } }",
])
def test_7_a_query_over_the_cost_limits_is_refused_before_it_runs(client, query, demo_solution, user, core):
    core.create_instance(user.id, "slack-alerts")
    resp = client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {MASTER}"})
    assert resp.status_code == 400
    assert gql_errors(resp.get_json()) == ["QUERY_TOO_COMPLEX"], resp.get_json()
    assert len(resp.data) < 2000


def test_7_introspection_and_ordinary_queries_stay_within_the_limits(client):
    from graphql import get_introspection_query

    query = get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                                    schema_description=True, input_value_deprecation=True)
    resp = client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {MASTER}"})
    assert resp.status_code == 200 and resp.get_json()["data"]["__schema"]["queryType"]["name"] == "Query"
    aliased = "{ " + " ".join(f"a{i}: users(first: 1) {{ edges {{ cursor }} }}" for i in range(30)) + " }"
    resp = client.post("/graphql", json={"query": aliased}, headers={"Authorization": f"Bearer {MASTER}"})
    assert resp.status_code == 200 and not resp.get_json().get("errors")


def test_7_the_limits_are_configurable(app, client):
    query = "{ " + " ".join(f"a{i}: users {{ edges {{ cursor }} }}" for i in range(40)) + " }"
    app.config["WIZARD_GRAPHQL_MAX_ALIASES"] = 50
    try:
        resp = client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {MASTER}"})
    finally:
        app.config["WIZARD_GRAPHQL_MAX_ALIASES"] = 30
    assert resp.status_code == 200


def test_5_the_cli_refuses_a_title_over_300_characters_with_a_message(runner, tmp_path):
    path = tmp_path / "long.json"
    path.write_text(json.dumps({**one_slot(type="string"), "title": "T" * 301}))
    result = runner.invoke(args=["solutions", "publish", str(path)])
    assert result.exit_code != 0 and "at most 300 characters" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
