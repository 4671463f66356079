"""Issue 25, step 1: the operations layer (wizard.manage) and the CLI parity commands on it.
Every list is one keyset-paged statement per page whatever the table size (counted exactly)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from support import StatementCounter
from wizard_support import simple_solution

from wizard import identity, manage
from wizard.extensions import db
from wizard.models import ApiToken, Authentication
from wizard.crypto import encrypt
from wizard.webhooks.models import WebhookDelivery, WebhookEvent




def _notes(core):
    return core.publish(json.dumps(simple_solution()))


def _fill(core, users: int, *, per_user: int = 2, start: int = 0):
    """`users` users with `per_user` instances, one account and one user token each."""
    made = []
    for n in range(start, start + users):
        u = identity.create_user(f"ext-{n:04d}", f"User {n}")
        db.session.add(Authentication(owner_id=u.id, service="sandbox", name=f"acct {n}", auth_type="oauth2",
                                      credentials=encrypt("{}"), status="needs_reconnect" if n % 3 == 0 else "ok"))
        for i in range(per_user):
            made.append(core.create_instance(u.id, "notes", f"inst {n}.{i}", config_values={"channel": "#x"}))
        identity.issue_user_token(u.id)
    db.session.commit()
    return made


@pytest.mark.parametrize("lister", ["users", "instances", "accounts", "tokens"])
def test_every_list_is_one_statement_per_page_at_any_size(core, lister):
    _notes(core)
    fn = {"users": manage.list_users, "instances": manage.list_instances,
          "accounts": manage.list_accounts, "tokens": manage.list_tokens}[lister]
    count = StatementCounter()
    seen_counts = []
    for start, more in ((0, 6), (6, 34)):  # 6 users, then 40: the same statements per page
        _fill(core, more, per_user=2, start=start)
        page, seen = count.run(lambda: fn(size=5))
        assert len(page.items) == 5 and page.next_cursor
        seen_counts.append(len(seen))
        page2, seen = count.run(lambda: fn(size=5, after=page.next_cursor))
        seen_counts.append(len(seen))
        assert {i["id"] for i in page2.items}.isdisjoint({i["id"] for i in page.items})
    assert seen_counts == [1, 1, 1, 1], seen_counts


def test_instance_filters_and_overview_count(core, user):
    _notes(core)
    a = core.create_instance(user.id, "notes", "a", config_values={"channel": "#a"})
    b = core.create_instance(user.id, "notes", "b", config_values={"channel": "#b"})
    manage.set_enabled(a.id, True)
    # a user-specific version for b with a new required field: b waits for an upgrade
    spec = simple_solution()
    spec["screens"][0]["slots"].append({"externalId": "team", "title": "Team", "type": "string", "required": True})
    core.publish(json.dumps(spec), for_instance_id=b.id)
    ids = lambda **kw: [i["id"] for i in manage.list_instances(**kw).items]  # noqa: E731
    assert ids(enabled=True) == [a.id] and ids(enabled=False) == [b.id]
    assert ids(needs_upgrade=True) == [b.id] and ids(needs_upgrade=False) == [a.id]
    assert ids(user_specific=True) == [b.id] and ids(user_specific=False) == [a.id]
    assert ids(solution_id="nope") == []
    item = manage.list_instances(instance_id=b.id).items[0]
    assert item["version"] == 1 and item["newest_version"] == 2 and item["needs_upgrade"]
    counts, seen = StatementCounter().run(manage.overview)
    assert len(seen) == 1
    assert counts["users"] == 1 and counts["instances"] == 2 and counts["enabled"] == 1
    assert counts["disabled"] == 1 and counts["waiting_upgrade"] == 1


def test_users_search_by_external_id_name_or_id(core, user, fred):
    assert [u["id"] for u in manage.list_users(q="acme-42").items] == [user.id]
    assert [u["id"] for u in manage.list_users(q="Fred").items] == [fred.id]
    assert [u["id"] for u in manage.list_users(q=user.id).items] == [user.id]
    assert manage.list_users(q="nobody").items == []


def test_disable_goes_through_the_core_and_emits_the_event(core, user):
    _notes(core)
    inst = core.create_instance(user.id, "notes", "a", config_values={"channel": "#a", "api_key": "s3cret"})
    manage.set_enabled(inst.id, True)
    manage.set_enabled(inst.id, False)
    types = db.session.scalars(select(WebhookEvent.type).where(WebhookEvent.subject == f"instance:{inst.id}")
                               .order_by(WebhookEvent.created)).all()
    assert types[-2:] == ["instance.enabled", "instance.disabled"]
    shown = manage.show_instance(inst.id)
    assert {v["id"]: v["value"] for v in shown["values"]}["api_key"] == manage.MASK
    assert "s3cret" not in json.dumps(manage.show_instance(inst.id), default=str)
    assert [e["type"] for e in manage.instance_timeline(inst.id)][:2] == ["instance.disabled", "instance.enabled"]


def test_bad_cursor_is_refused(core):
    with pytest.raises(manage.BadCursor):
        manage.list_users(after="not-a-cursor")


# -- the CLI ---------------------------------------------------------------------------------

def test_cli_users_list_shows_ids_and_pages(runner, core):
    _notes(core)
    _fill(core, 3, per_user=1)
    out = runner.invoke(args=["users", "list", "--limit", "2"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].split("\t")[:3] == ["id", "external_user_id", "name"]
    first_ids = [line.split("\t")[0] for line in lines[1:3]]
    assert all(len(i) == 32 for i in first_ids)
    assert lines[-1].startswith("more: --after ")
    cursor = lines[-1].split()[-1]
    data = json.loads(runner.invoke(args=["users", "list", "--json", "--after", cursor]).output)
    assert [u["external_user_id"] for u in data["items"]] == ["ext-0002"] and data["next"] is None
    data = json.loads(runner.invoke(args=["users", "list", "--json", "--external-user-id", "ext-0001"]).output)
    assert [u["name"] for u in data["items"]] == ["User 1"]


def test_cli_users_show_and_remove(runner, core, user):
    _notes(core)
    core.create_instance(user.id, "notes", "mine")
    data = json.loads(runner.invoke(args=["users", "show", user.id, "--json"]).output)
    assert data["external_user_id"] == "acme-42" and [i["name"] for i in data["instances"]] == ["mine"]
    out = runner.invoke(args=["users", "remove", user.id], input="n\n")
    assert out.exit_code != 0 and "1 instance(s)" in out.output
    out = runner.invoke(args=["users", "remove", user.id, "--yes"])
    assert out.exit_code == 0 and manage.list_users().items == []
    out = runner.invoke(args=["users", "show", user.id])
    assert out.exit_code == 1 and "no user" in out.output


def test_cli_instances_list_show_enable_disable_upgrade_remove(runner, core, user):
    _notes(core)
    inst = core.create_instance(user.id, "notes", "mine", config_values={"api_key": "hunter2"})
    out = runner.invoke(args=["instances", "enable", inst.id])
    assert out.exit_code == 1 and "channel" in out.output  # required value missing: refused, named
    core.save_values(inst.id, config_values={"channel": "#c"})
    assert runner.invoke(args=["instances", "enable", inst.id]).exit_code == 0
    data = json.loads(runner.invoke(args=["instances", "list", "--json", "--enabled"]).output)
    assert [i["id"] for i in data["items"]] == [inst.id]
    assert json.loads(runner.invoke(args=["instances", "list", "--json", "--not-enabled"]).output)["items"] == []
    shown = runner.invoke(args=["instances", "show", inst.id, "--json"]).output
    assert "hunter2" not in shown and manage.MASK in shown
    assert runner.invoke(args=["instances", "disable", inst.id]).exit_code == 0
    assert json.loads(runner.invoke(args=["instances", "show", inst.id, "--json"]).output)["enabled"] is False
    out = runner.invoke(args=["instances", "upgrade", inst.id])
    assert out.exit_code == 1 and "newest version" in out.output
    spec = simple_solution()  # a version whose upgrade needs input: not at once
    spec["screens"][0]["slots"].append({"externalId": "team", "title": "Team", "type": "string", "required": True})
    core.publish(json.dumps(spec), for_instance_id=inst.id)
    out = runner.invoke(args=["instances", "upgrade", inst.id])
    assert out.exit_code == 1 and "team" in out.output
    assert json.loads(runner.invoke(args=["instances", "list", "--json", "--needs-upgrade"]).output)["items"]
    assert runner.invoke(args=["instances", "remove", inst.id]).exit_code == 0
    assert manage.list_instances().items == []


def test_cli_accounts_and_tokens(runner, core, user):
    auth = Authentication(owner_id=user.id, service="sandbox", name="Acme", auth_type="oauth2",
                          credentials=encrypt(json.dumps({"access_token": "tok-secret"})))
    db.session.add(auth)
    db.session.commit()
    user_token = identity.issue_user_token(user.id)
    out = runner.invoke(args=["accounts", "list", "--json", "--user", user.id])
    assert "tok-secret" not in out.output and json.loads(out.output)["items"][0]["id"] == auth.id
    assert runner.invoke(args=["accounts", "remove", auth.id]).exit_code == 0
    assert json.loads(runner.invoke(args=["accounts", "list", "--json"]).output)["items"] == []
    out = runner.invoke(args=["tokens", "list", "--json", "--kind", "user"])
    assert user_token not in out.output and "token_hash" not in out.output
    token_id = json.loads(out.output)["items"][0]["id"]
    assert runner.invoke(args=["tokens", "revoke", str(token_id)]).exit_code == 0
    assert identity.resolve_token(user_token) is None
    assert db.session.scalar(select(ApiToken).where(ApiToken.id == token_id)) is None
    assert runner.invoke(args=["tokens", "revoke", str(token_id)]).exit_code == 1


def test_timeline_shows_each_delivery_status(core, user):
    from wizard.webhooks import endpoints

    endpoints.create("http://127.0.0.1:9/events")
    _notes(core)
    inst = core.create_instance(user.id, "notes", "a")
    timeline = manage.instance_timeline(inst.id)
    assert timeline[0]["type"] == "instance.created"
    assert [d["status"] for d in timeline[0]["deliveries"]] == ["pending"]
    assert db.session.scalar(select(WebhookDelivery.status)) == "pending"
