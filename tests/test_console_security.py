"""Issue 25 from the attacker's side: the console's session, roles, CSRF, sign-in links and the
OpenID Connect sign-in (state and nonce). Routes are enumerated from the app's URL map, so a new
console route cannot be forgotten."""
from __future__ import annotations

import json
import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from console_support import console_token, sign_in
from sqlalchemy import select, update
from wizard_support import csrf_of, simple_solution

from wizard import identity
from wizard.console.auth import SignInError, create_sign_in_link
from wizard.console.models import AuditEntry, ConsoleSession, Operator, SignInLink
from wizard.extensions import db
from wizard.models import utcnow

# Routes anyone may reach: the ways of signing in.
PUBLIC = {"console.sign_in", "console.sign_in_start", "console.sign_in_callback", "console.sign_in_link",
          "console.sign_in_link_use"}
SAMPLE_ARGS = {"int": 1, "any": "disable"}


def _url(rule) -> str:
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__.lower()
        values[arg] = 1 if "integer" in converter else ("disable" if "any" in converter else "x0")
    _, path = rule.build(values, append_unknown=False)
    return path


def console_rules(app, method: str):
    return [r for r in app.url_map.iter_rules()
            if r.endpoint.startswith("console.") and method in r.methods and r.endpoint not in PUBLIC]


@pytest.fixture
def notes(core, user):
    core.publish(json.dumps(simple_solution()))
    return core.create_instance(user.id, "notes", "Ada's notes", config_values={"channel": "#c", "api_key": "hunter2-secret"})


def test_the_console_has_its_mutating_routes(app):
    """The enumeration below is not empty by mistake: it finds the console's actions."""
    names = {r.endpoint for r in console_rules(app, "POST")}
    assert {"console.instance_disable", "console.instance_enable", "console.user_remove", "console.delivery_retry",
            "console.endpoint_add", "console.theme_save", "console.operator_add", "console.instance_version"} <= names


def test_every_mutating_route_answers_403_to_a_viewer(app, client, notes):
    sign_in(client, "val@acme.test", "viewer")
    token = console_token(client)
    rules = [r for r in console_rules(app, "POST") if r.endpoint != "console.sign_out"]
    for rule in rules:
        resp = client.post(_url(rule), data={"csrf_token": token})
        assert resp.status_code == 403, (rule.endpoint, resp.status_code)
    assert db.session.scalar(select(Operator.role).where(Operator.email == "val@acme.test")) == "viewer"
    assert identity.get_user(notes.owner_id) and not any(
        e.action.startswith(("instance.", "user.")) for e in db.session.scalars(select(AuditEntry)))


def test_support_may_disable_but_not_publish_or_remove(client, notes, core):
    sign_in(client, "sam@acme.test", "support")
    token = console_token(client)
    assert client.post(f"/console/instances/{notes.id}/disable", data={"csrf_token": token}).status_code == 303
    assert client.post(f"/console/instances/{notes.id}/remove", data={"csrf_token": token}).status_code == 403
    assert client.post("/console/solutions", data={"csrf_token": token, "release": "1",
                                                   "definition": "id: x"}).status_code == 403
    assert client.get("/console/operators").status_code == 403


@pytest.mark.parametrize("how", ["nothing", "wizard session", "user token", "master token", "forged cookie"])
def test_no_console_page_opens_without_a_console_sign_in(app, client, notes, user, how):
    headers = {}
    if how == "wizard session":  # a real wizard session of the end user, in its cookie
        from wizard_support import Wizard

        from wizard.core import embedded_core

        wiz = Wizard(client, embedded_core(), user)
        wiz.open(notes.id)
        sid = wiz.base.rsplit("/s/", 1)[1].strip("/")
        headers = {"X-Wizard-Session": sid}  # as the wizard's script sends it, and as its cookie
        client.set_cookie("wizard_sid", sid)
    elif how == "user token":
        headers = {"Authorization": "Bearer " + identity.issue_user_token(user.id)}
    elif how == "master token":
        headers = {"Authorization": "Bearer mt_test_master_token_0123456789abcdef"}
    elif how == "forged cookie":
        client.set_cookie("wizard_console", "not-a-session", path="/console")
    for rule in console_rules(app, "GET"):
        resp = client.get(_url(rule), headers=headers)
        assert resp.status_code == 303 and resp.headers["Location"].endswith("/console/sign-in"), \
            (rule.endpoint, resp.status_code)
    for rule in console_rules(app, "POST"):  # refused (CSRF first, or the sign-in), never done
        resp = client.post(_url(rule), headers=headers, data={})
        assert resp.status_code in (303, 400), (rule.endpoint, resp.status_code)
    from wizard.core import embedded_core

    assert embedded_core().get_instance(notes.id).name == "Ada's notes"


def test_csrf_is_refused(client, notes):
    sign_in(client)
    assert client.post(f"/console/instances/{notes.id}/enable", data={}).status_code == 400
    assert client.post(f"/console/instances/{notes.id}/enable", data={"csrf_token": "x" * 64}).status_code == 400
    other = client.application.test_client()
    sign_in(other, "other@acme.test", "admin")
    foreign = console_token(other)  # another operator's token does not fit this session
    assert client.post(f"/console/instances/{notes.id}/enable", data={"csrf_token": foreign}).status_code == 400
    assert client.post(f"/console/instances/{notes.id}/enable",
                       data={"csrf_token": console_token(client)}).status_code == 303


def test_session_cookie_flags_and_sign_out(app, client, notes):
    before = app.config["WIZARD_PUBLIC_URL"]
    app.config["WIZARD_PUBLIC_URL"] = before.replace("http://", "https://")
    try:
        path = urlsplit(create_sign_in_link("ops@acme.test", "admin")).path
        page = client.get(path)
        resp = client.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    finally:
        app.config["WIZARD_PUBLIC_URL"] = before
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("wizard_console="))
    for flag in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/console"):
        assert flag in cookie, cookie
    assert "wizard_sid" not in " ".join(resp.headers.getlist("Set-Cookie"))  # no wizard session made
    page = client.get("/console/")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    resp = client.post("/console/sign-out", data={"csrf_token": console_token(client)})
    assert resp.status_code == 303 and db.session.scalar(select(ConsoleSession)) is None
    assert client.get("/console/").status_code == 303


def test_session_lifetime_idle_and_absolute(app, client):
    sign_in(client)
    assert client.get("/console/").status_code == 200
    db.session.execute(update(ConsoleSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get("/console/").status_code == 303
    sign_in(client)
    db.session.execute(update(ConsoleSession).values(created=utcnow() - timedelta(hours=9)))
    db.session.commit()
    assert client.get("/console/").status_code == 303


def test_a_refused_operator_is_signed_out_at_once(client):
    sign_in(client)
    db.session.execute(update(Operator).values(disabled=True))
    db.session.commit()
    assert client.get("/console/").status_code == 303


def test_a_sign_in_link_works_once(client):
    url = create_sign_in_link("ops@acme.test", "admin")
    stored = db.session.scalar(select(SignInLink))
    assert url.split("/")[-1] not in (stored.token_hash, stored.email)  # only its hash is kept
    path = urlsplit(url).path
    page = client.get(path)
    assert client.get(path).status_code == 200  # opening it twice does not use it up (mail scanners)
    token = csrf_of(page.get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token}).status_code == 200
    again = client.application.test_client()
    page = again.get(path)
    assert page.status_code == 403 and "not valid" in page.get_data(as_text=True)
    assert again.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True))}).status_code == 403
    assert again.get("/console/").status_code == 303


def test_a_sign_in_link_expires(client):
    path = urlsplit(create_sign_in_link("ops@acme.test", "admin")).path
    link = db.session.scalar(select(SignInLink))
    assert timedelta(minutes=9) < link.expires_at - utcnow() <= timedelta(minutes=10)
    page = client.get(path)
    db.session.execute(update(SignInLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    resp = client.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert resp.status_code == 403 and client.get("/console/").status_code == 303


def test_a_link_for_someone_without_a_role_is_not_made(runner):
    with pytest.raises(SignInError):
        create_sign_in_link("stranger@elsewhere.test")
    out = runner.invoke(args=["console", "sign-in-link", "stranger@elsewhere.test"])
    assert out.exit_code == 1 and "not an operator" in out.output
    out = runner.invoke(args=["console", "sign-in-link", "new@acme.test", "--role", "support"])
    assert out.exit_code == 0 and "/console/sign-in/link/" in out.output
    assert "new@acme.test\tsupport" in runner.invoke(args=["console", "operators"]).output


def test_the_audit_log_holds_one_row_per_action_and_is_append_only(client, notes):
    sign_in(client)
    token = console_token(client)
    client.post(f"/console/instances/{notes.id}/enable", data={"csrf_token": token})
    client.post(f"/console/instances/{notes.id}/disable", data={"csrf_token": token})
    rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(r.action, r.object_id, r.operator_email) for r in rows] == [
        ("sign_in_link", rows[0].object_id, "ops@acme.test"),
        ("instance.enable", notes.id, "ops@acme.test"), ("instance.disable", notes.id, "ops@acme.test")]
    rows[1].action = "nothing"
    with pytest.raises(RuntimeError):
        db.session.commit()
    db.session.rollback()
    page = client.get("/console/audit?action=instance.disable").get_data(as_text=True)
    assert "instance.disable" in page and "instance.enable</code>" not in page


def test_no_secret_on_any_page_or_in_the_log(client, notes, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(client)
    page = client.get(f"/console/instances/{notes.id}").get_data(as_text=True)
    assert "hunter2-secret" not in page and "********" in page
    token = console_token(client)
    made = client.post("/console/webhooks/endpoints", data={"csrf_token": token, "url": "https://hooks.acme.test/in"})
    secret = made.get_data(as_text=True).split('id="secret" class="code" readonly value="')[1].split('"')[0]
    assert secret.startswith("whsec_")
    assert secret not in client.get("/console/webhooks").get_data(as_text=True)
    assert all(secret not in json.dumps(e.detail) for e in db.session.scalars(select(AuditEntry)))
    assert "hunter2-secret" not in caplog.text and secret not in caplog.text


# -- OpenID Connect, with the sandbox as the IdP -----------------------------------------------

def _to_idp(client):
    page = client.get("/console/sign-in")
    assert "Sign in with the Sandbox" in page.get_data(as_text=True)
    resp = client.post("/console/sign-in", data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert resp.status_code == 302, resp.data[:300]
    return resp.headers["Location"]


def _consent(client, authorize_url: str, who: str = "admin@sandbox.example") -> str:
    parts = urlsplit(authorize_url)
    page = client.get(parts.path + "?" + parts.query)
    assert page.status_code == 200, page.data[:500]
    assert "Sign in as" in page.get_data(as_text=True)
    resp = client.post(parts.path + "?" + parts.query, data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "workspace": who, "allow": "Allow"})
    assert resp.status_code == 302, resp.data[:500]
    back = urlsplit(resp.headers["Location"])
    return back.path + "?" + back.query


def test_oidc_sign_in_through_the_sandbox(live_server, client):
    authorize = _to_idp(client)
    query = parse_qs(urlsplit(authorize).query)
    assert query["nonce"] and query["state"] and query["code_challenge_method"] == ["S256"]
    resp = client.get(_consent(client, authorize, "support@sandbox.example"))
    assert resp.status_code == 200, resp.data[:500]
    page = client.get("/console/").get_data(as_text=True)
    assert "support@sandbox.example (support)" in page
    assert db.session.scalar(select(Operator.role).where(Operator.email == "support@sandbox.example")) == "support"


def test_oidc_state_is_checked(live_server, client, caplog):
    callback = _consent(client, _to_idp(client))
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    query["state"] = ["forged-state"]
    resp = client.get(parts.path + "?" + urlencode(query, doseq=True))
    assert resp.status_code == 403 and "could not be checked" in resp.get_data(as_text=True)
    assert "MismatchingStateError" in caplog.text
    other = client.application.test_client()  # the right state, in another browser
    resp = other.get(callback)
    assert resp.status_code == 403 and other.get("/console/").status_code == 303
    assert client.get("/console/").status_code == 303


def test_oidc_nonce_is_checked(live_server, client, caplog):
    authorize = _to_idp(client)
    parts = urlsplit(authorize)
    query = parse_qs(parts.query)
    query["nonce"] = ["a-nonce-of-the-attackers"]
    tampered = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    resp = client.get(_consent(client, tampered))
    assert resp.status_code == 403 and "could not be checked" in resp.get_data(as_text=True)
    assert "InvalidClaimError" in caplog.text  # the id_token's nonce is not the one this sign-in sent
    assert client.get("/console/").status_code == 303


def test_oidc_someone_without_a_role_is_refused(live_server, app, client):
    before = app.config["WIZARD_CONSOLE_ROLES"]
    app.config["WIZARD_CONSOLE_ROLES"] = "admin=admin@sandbox.example"
    try:
        resp = client.get(_consent(client, _to_idp(client), "viewer@sandbox.example"))
    finally:
        app.config["WIZARD_CONSOLE_ROLES"] = before
    assert resp.status_code == 403 and "not an operator" in resp.get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry.action)) == "sign_in_refused"


def test_the_demo_page_links_to_the_console(client):
    page = client.get("/demo").get_data(as_text=True)
    assert 'href="http://127.0.0.1:' in page and '/console/" id="console-link"' in page
    assert client.get("/console/").headers["Location"].endswith("/console/sign-in")


def test_signing_in_is_rate_limited(app):
    from test_limits import limited_app

    limited = limited_app(app, WIZARD_RATE_LIMIT_CONSOLE_SIGN_IN="2 per minute")
    client = limited.test_client()
    with limited.app_context():
        statuses = [client.post(f"/console/sign-in/link/guess{i}").status_code for i in range(3)]
        assert statuses[:2] != [429, 429] and statuses[2] == 429, statuses
        assert client.get("/console/sign-in/callback?code=x&state=y").status_code == 429  # one counter for every way
        assert client.get("/console/sign-in").status_code == 200  # the page itself is not counted


def test_sign_in_links_and_oidc_parameters_are_redacted_from_logs():
    from wizard.logging_setup import redact

    line = redact("GET /console/sign-in/link/AbC_12-xyz?x=1 and /console/sign-in/callback?code=c0de&state=s7&nonce=n0")
    assert "AbC_12-xyz" not in line and "c0de" not in line and "s7" not in line and "n0" not in line


def test_the_console_is_off_on_a_front_end_and_when_switched_off(app, client, tmp_path):
    from wizard.config import load_config

    assert load_config(str(tmp_path), {"WIZARD_CORE_URL": "http://core.test/graphql"})["WIZARD_CONSOLE"] is False
    assert load_config(str(tmp_path), {})["WIZARD_CONSOLE"] is True
    app.config["WIZARD_CONSOLE"] = False
    try:
        assert client.get("/console/sign-in").status_code == 404
    finally:
        app.config["WIZARD_CONSOLE"] = True


def test_an_idp_that_does_not_answer_is_said_so(app, client):
    before = app.config.get("WIZARD_CONSOLE_OIDC_METADATA_URL")
    app.config.update(WIZARD_CONSOLE_OIDC_METADATA_URL="http://127.0.0.1:1/.well-known/openid-configuration",
                      WIZARD_CONSOLE_OIDC_CLIENT_ID="c", WIZARD_CONSOLE_OIDC_CLIENT_SECRET="s")
    try:
        page = client.get("/console/sign-in")
        resp = client.post("/console/sign-in", data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    finally:
        app.config["WIZARD_CONSOLE_OIDC_METADATA_URL"] = before
    assert resp.status_code == 403 and "did not answer" in resp.get_data(as_text=True)


def test_oidc_an_email_the_idp_does_not_say_it_verified_is_refused_unless_trusted(live_server, app, client,
                                                                                  monkeypatch):
    """An IdP that lets people set their own address and sends no email_verified (review finding):
    a missing claim is not a yes, so no mapped role is handed out; an operator who trusts such an
    IdP says so with WIZARD_CONSOLE_OIDC_TRUST_EMAIL."""
    from wizard.sandbox import provider, views as sandbox_views

    def no_claim(user_id, scope):
        info = provider.UserInfo(sub=user_id, name=user_id)
        info["email"] = user_id
        return info

    monkeypatch.setattr(provider, "user_info", no_claim)
    monkeypatch.setattr(sandbox_views, "user_info", no_claim)
    resp = client.get(_consent(client, _to_idp(client), "admin@sandbox.example"))
    assert resp.status_code == 403 and "not verified" in resp.get_data(as_text=True)
    assert client.get("/console/").status_code == 303
    monkeypatch.setitem(app.config, "WIZARD_CONSOLE_OIDC_TRUST_EMAIL", True)
    resp = client.get(_consent(client, _to_idp(client), "admin@sandbox.example"))
    assert resp.status_code == 200, resp.data[:300]
    assert client.get("/console/").status_code == 200
