"""The demo ISV page's backend (/demo/api/...) and `flask demo setup`, through the Flask test client."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from wizard import identity
from wizard.demo import isv


def csrf_token(client) -> str:
    page = client.get("/demo")
    assert page.status_code == 200
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)).group(1)


def post(client, path, token, json=None):
    headers = {"Accept": "application/json"}
    if token:
        headers["X-CSRFToken"] = token
    return client.post("/demo/api" + path, json=json or {}, headers=headers)


@pytest.fixture
def token(client):
    return csrf_token(client)


def test_page_has_csrf_meta_and_frames_only_the_wizard(client, app):
    resp = client.get("/demo")
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp  # nobody frames the demo page
    assert f"frame-src 'self' {app.config['WIZARD_PUBLIC_URL']}" in csp
    html = resp.get_data(as_text=True)
    assert 'id="event-log"' in html and "/static/embed.js" in html
    assert "<script>" not in html  # no inline script (CSP)


def test_state_lists_solutions_and_only_the_demo_users_instances(client, core, demo_solution, user):
    core.create_instance(user.id, "slack-alerts", "Ada's, not the demo user's")
    body = client.get("/demo/api/state").get_json()
    assert [s["id"] for s in body["solutions"]] == ["slack-alerts"]
    assert body["user"]["externalUserId"] == "demo-user"
    assert body["instances"] == []


def test_post_without_csrf_token_is_refused_and_creates_nothing(client, core, demo_solution):
    client.get("/demo")
    resp = post(client, "/instances", None, {"solutionId": "slack-alerts"})
    assert resp.status_code == 400
    assert resp.is_json
    resp = post(client, "/instances", "forged-token", {"solutionId": "slack-alerts"})
    assert resp.status_code == 400
    assert core.list_instances()[0] == []


def test_configure_creates_an_instance_and_a_single_use_code_on_the_public_url(client, token, core, demo_solution, app):
    resp = post(client, "/instances", token, {"solutionId": "slack-alerts", "customValidation": True})
    assert resp.status_code == 201
    body = resp.get_json()
    url = urlsplit(body["url"])
    assert f"{url.scheme}://{url.netloc}" == app.config["WIZARD_PUBLIC_URL"]
    assert url.path == f"/configure/{body['instanceId']}"
    query = parse_qs(url.query)
    assert query["customValidation"] == ["true"]
    inst = core.get_instance(body["instanceId"])
    assert identity.consume_code(query["code"][0]) == inst.owner_id == isv.demo_user().id
    assert not inst.enabled

    # Edit: a fresh code each time, without customValidation unless asked.
    again = post(client, f"/instances/{inst.id}/wizard-url", token).get_json()
    assert "customValidation" not in again["url"]
    assert parse_qs(urlsplit(again["url"]).query)["code"] != query["code"]


def test_configure_reopens_the_unfinished_instance_instead_of_piling_up_another(client, token, core, demo_solution):
    """Issue 27: each Configure used to create another "Not enabled" instance of the same name."""
    first = post(client, "/instances", token, {"solutionId": "slack-alerts"})
    assert first.status_code == 201 and first.get_json()["reopened"] is False
    again = post(client, "/instances", token, {"solutionId": "slack-alerts"})
    assert again.status_code == 200 and again.get_json()["reopened"] is True
    assert again.get_json()["instanceId"] == first.get_json()["instanceId"]
    assert parse_qs(urlsplit(again.get_json()["url"]).query)["code"]  # with a fresh code
    assert len(core.list_instances()[0]) == 1

    # A finished one (values saved: Finish saves them) is not reopened, even once disabled.
    from wizard import accounts

    inst_id = first.get_json()["instanceId"]
    auth = accounts.create(isv.demo_user().id, "sandbox", "oauth", {"access_token": "t"})
    core.save_values(inst_id, config_values={"external_channel": "C1"},
                     auth_values={"external_sandbox_authentication": auth.id})
    third = post(client, "/instances", token, {"solutionId": "slack-alerts"})
    assert third.status_code == 201 and third.get_json()["instanceId"] != inst_id
    assert len(core.list_instances()[0]) == 2


def test_unknown_solution_is_a_clear_404(client, token):
    resp = post(client, "/instances", token, {"solutionId": "nope"})
    assert resp.status_code == 404
    assert resp.get_json()["error"] == "not_found"


def test_another_users_instance_cannot_be_touched(client, token, core, demo_solution, fred):
    theirs = core.create_instance(fred.id, "slack-alerts")
    for action in ("wizard-url", "enable", "disable", "delete"):
        resp = post(client, f"/instances/{theirs.id}/{action}", token)
        assert resp.status_code == 404, action
    assert core.get_instance(theirs.id).owner_id == fred.id


def test_enable_disable_delete(client, token, core, demo_solution):
    inst_id = post(client, "/instances", token, {"solutionId": "slack-alerts"}).get_json()["instanceId"]

    refused = post(client, f"/instances/{inst_id}/enable", token)
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "missing_values"
    assert "external_channel" in refused.get_json()["fields"]

    from wizard import accounts

    auth = accounts.create(isv.demo_user().id, "sandbox", "oauth", {"access_token": "t"})
    core.save_values(inst_id, config_values={"external_channel": "C1"},
                     auth_values={"external_sandbox_authentication": auth.id})
    assert post(client, f"/instances/{inst_id}/enable", token).get_json() == {"instanceId": inst_id, "enabled": True}
    assert core.get_instance(inst_id).enabled
    listed = client.get("/demo/api/state").get_json()["instances"]
    assert [(i["id"], i["enabled"]) for i in listed] == [(inst_id, True)]

    assert post(client, f"/instances/{inst_id}/disable", token).get_json()["enabled"] is False
    assert not core.get_instance(inst_id).enabled

    assert post(client, f"/instances/{inst_id}/delete", token).status_code == 200
    assert core.list_instances()[0] == []


def test_demo_off_is_a_404_everywhere(client, app):
    app.config["WIZARD_DEMO"] = False
    try:
        assert client.get("/demo").status_code == 404
        assert client.get("/demo/api/state").status_code == 404
        assert client.post("/demo/api/instances", json={}).status_code in (400, 404)
    finally:
        app.config["WIZARD_DEMO"] = True
    assert client.get("/demo").status_code == 200


def test_setup_is_idempotent(runner, core):
    from wizard.models import ExternalUser, SolutionVersion
    from wizard.extensions import db

    first = runner.invoke(args=["demo", "setup"])
    assert first.exit_code == 0, first.output
    assert "published slack-alerts version 1" in first.output
    assert "created demo user demo-user" in first.output
    second = runner.invoke(args=["demo", "setup"])
    assert second.exit_code == 0, second.output
    assert "up to date (version 1)" in second.output
    assert db.session.query(SolutionVersion).count() == 1
    assert db.session.query(ExternalUser).filter_by(external_user_id="demo-user").count() == 1


def test_setup_publishes_a_changed_definition_as_the_next_version(tmp_path, core):
    path = tmp_path / "demo.yaml"
    path.write_text(isv.DEMO_SOLUTION.read_text())
    isv.setup(path)
    path.write_text(isv.DEMO_SOLUTION.read_text().replace("title: {en: Sandbox alerts,", "title: {en: Sandbox alerts v2,"))
    assert isv.setup(path)[0] == "published slack-alerts version 2"
    assert isv.setup(path)[0] == "solution slack-alerts is up to date (version 2)"
