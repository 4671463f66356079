"""Issue 11: SQL statements per request, counted exactly with a `before_cursor_execute` listener
(speeds live in `make bench`; counts are exact, so they are tests). Each request starts with an
empty SQLAlchemy session, as a request in its own worker does."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from support import MASTER, StatementCounter
from wizard_support import Wizard, csrf_of, simple_solution

from wizard.extensions import db

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import wizard_journey as journey  # noqa: E402  (the bench's journey and queries)




def show(statements) -> str:
    return "\n".join(f"{i + 1}. {s[:300]}" for i, s in enumerate(statements))


@pytest.fixture
def count():
    return StatementCounter()


def test_a_journey_runs_few_statements_per_request(client, core, user, count):
    """Screen GET 1 (the session with its instance, versions and progress), Next 2 (that and the
    progress UPDATE; the session is not written when it did not change), Finish at most 8."""
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    iid = wiz.instance("notes").id
    wiz.open(iid)  # entry, index and the first screen (the session learns its CSRF secret)
    _, seen = count.run(lambda: wiz.get(f"{wiz.base}/screen/1"))
    assert wiz.resp.status_code == 200 and len(seen) == 1, show(seen)
    resp, seen = count.run(lambda: wiz.post({"channel": "#ops"}, follow=False))
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/screen/2"), wiz.page[:500]
    assert len(seen) == 2, show(seen)
    _, seen = count.run(lambda: wiz.get(f"{wiz.base}/screen/2"))
    assert len(seen) == 1, show(seen)
    resp, seen = count.run(lambda: wiz.post({"threshold": "7", "api_key": "k-1"}, follow=False))
    assert resp.headers["Location"].endswith("/review") and len(seen) == 2, show(seen)
    _, seen = count.run(lambda: wiz.get(f"{wiz.base}/review"))
    assert wiz.resp.status_code == 200 and len(seen) == 1, show(seen)
    token = csrf_of(wiz.page)
    resp, seen = count.run(lambda: client.post(f"{wiz.base}/finish", data={"csrf_token": token,
                                                                          "wizard_screen": "review"}))
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/done"), resp.get_data(as_text=True)[:500]
    assert len(seen) <= 8, show(seen)
    db.session.remove()
    done = core.get_instance(iid)
    assert done.enabled and done.config_values["channel"] == "#ops" and done.config_values["api_key"] == "k-1"


INSTANCES, SOLUTIONS = journey.INSTANCES_QUERY, journey.SOLUTIONS_QUERY


def _graphql(client, query, variables):
    resp = client.post("/graphql", json={"query": query, "variables": variables},
                       headers={"Authorization": f"Bearer {MASTER}"})
    body = resp.get_json()
    assert resp.status_code == 200 and not body.get("errors"), body
    return body["data"]


def _needing_input(**over) -> dict:
    """A newer version the instances cannot move to by themselves (a new required slot)."""
    d = simple_solution(**over)
    d["screens"][1]["slots"].append({"externalId": "region", "title": "Region", "type": "string", "required": True})
    return d


def test_an_instances_page_with_every_field_runs_the_same_statements_whatever_its_size(client, core, user, count):
    """Pages of 1, 10 and 100 instances of several solutions, some with a newer version (user
    specific, or shared): the same statements, at most 5, and the right values."""
    for k in range(3):
        core.publish(simple_solution(id=f"s{k}", title=f"S {k}"))
    ids = [core.create_instance(user.id, f"s{i % 3}", f"i{i}", config_values={"channel": f"#{i}", "api_key": "x"}).id
           for i in range(100)]
    core.publish(_needing_input(id="s1", title="S 1 v2"))   # a newer shared version for a third of them
    core.publish(_needing_input(id="s2", title="S 2 mine"), for_instance_id=ids[2])  # one user-specific
    counts = {}
    for size in (1, 10, 100):
        data, seen = count.run(lambda: _graphql(client, INSTANCES, {"first": size}))
        counts[size] = len(seen)
        assert counts[size] <= 5, show(seen)
        edges = data["solutionInstances"]["edges"]
        assert len(edges) == size
        for i, edge in enumerate(edges):
            node = edge["node"]
            values = {v["externalId"]: v["value"] for v in node["configValues"]}
            assert node["name"] == f"i{i}" and json.loads(values["channel"]) == f"#{i}"
            assert node["solution"]["id"] == f"s{i % 3}"
            newer = i % 3 == 1 or i == 2
            assert node["solutionVersionFlags"]["hasNewerVersion"] is newer, (i, node)
            assert node["newestVersion"] == (2 if newer else 1)
    # a page whose instances have a newer version reads those versions too: once, whatever its size
    assert counts[1] == 3 and counts[10] == counts[100] == 4, counts
    # the next page, by keyset
    _, seen = count.run(lambda: _graphql(client, INSTANCES, {"first": 10, "after": edges[49]["cursor"]}))
    assert len(seen) <= counts[10], show(seen)


def test_a_solutions_page_runs_the_same_statements_whatever_its_size(client, core, count):
    for k in range(30):
        core.publish(simple_solution(id=f"s{k}", title=f"S {k}", tags=[f"t{k}"]))
    core.publish(simple_solution(id="s3", title="S 3", tags=["newer"]))
    counts = {}
    for size in (1, 10, 30):
        data, seen = count.run(lambda: _graphql(client, SOLUTIONS, {"first": size}))
        counts[size] = len(seen)
        assert counts[size] <= 5, show(seen)
        nodes = [e["node"] for e in data["solutions"]["edges"]]
        assert len(nodes) == size
        assert all(n["tags"] == (["newer"] if n["id"] == "s3" else [f"t{n['id'][1:]}"]) for n in nodes)
    assert len(set(counts.values())) == 1, counts
