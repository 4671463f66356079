"""The app shape: configuration, production refusals, health, sessions, headers, logs, CLI."""
import logging
import os
import re
import sys
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from flask import request, session

from support import free_port
from wizard import create_app, identity
from wizard.config import check_production, load_config
from wizard.crypto import decrypt, encrypt, hash_secret
from wizard.extensions import db
from wizard.logging_setup import redact
from wizard.models import BrowserSession, utcnow


def test_development_defaults_work_on_a_fresh_clone(tmp_path):
    cfg = load_config(str(tmp_path), env={})
    assert cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///") and cfg["SECRET_KEY"]
    assert (tmp_path / "dev-secret-key").exists()
    # kept: a restart keeps the same secret and key
    assert load_config(str(tmp_path), env={})["SECRET_KEY"] == cfg["SECRET_KEY"]
    assert "http://localhost:5000" in cfg["WIZARD_ALLOWED_ORIGINS"]
    assert load_config(str(tmp_path), env={"PORT": "8123"})["WIZARD_PUBLIC_URL"] == "http://127.0.0.1:8123"


def test_production_refuses_development_defaults_and_names_them(tmp_path):
    cfg = load_config(str(tmp_path), env={"WIZARD_ENV": "production", "SECRET_KEY": "x"})
    with pytest.raises(RuntimeError) as exc:
        check_production(cfg)
    for name in ("DATABASE_URL", "WIZARD_ENCRYPTION_KEYS", "WIZARD_ALLOWED_ORIGINS"):
        assert name in str(exc.value)
    assert "SECRET_KEY" not in str(exc.value)
    env = {"WIZARD_ENV": "production", "SECRET_KEY": "x", "DATABASE_URL": "postgresql://db/x",
           "WIZARD_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "WIZARD_ALLOWED_ORIGINS": "https://app.acme.com",
           "WIZARD_PUBLIC_URL": "https://wizard.acme.com"}  # a master token may come from the CLI
    cfg = load_config(str(tmp_path), env=env)
    check_production(cfg)  # complete: starts
    assert cfg["WIZARD_SANDBOX"] is False and cfg["WIZARD_DEMO"] is False
    assert not (tmp_path / "dev-secret-key").exists()


def test_a_front_end_of_a_remote_core_is_configured_as_one(tmp_path):
    """WIZARD_CORE_URL makes this server a front end: no demo page of its own by default, and in
    production the core's token is required (README, "Deploying the front end apart from the core")."""
    cfg = load_config(str(tmp_path), env={"WIZARD_CORE_URL": "http://core:8000/graphql", "WIZARD_CORE_TOKEN": "mt_x",
                                          "WIZARD_CORE_TIMEOUT": "4", "WIZARD_SANDBOX_URL": "http://core:8000/"})
    assert cfg["WIZARD_DEMO"] is False and cfg["WIZARD_CORE_TIMEOUT"] == 4.0
    assert cfg["WIZARD_SANDBOX_URL"] == "http://core:8000"
    env = {"WIZARD_ENV": "production", "SECRET_KEY": "x", "DATABASE_URL": "postgresql://db/x",
           "WIZARD_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "WIZARD_ALLOWED_ORIGINS": "https://app.acme.com",
           "WIZARD_PUBLIC_URL": "https://wizard.acme.com", "WIZARD_CORE_URL": "https://core/graphql"}
    with pytest.raises(RuntimeError, match="WIZARD_CORE_TOKEN"):
        check_production(load_config(str(tmp_path), env=env))
    check_production(load_config(str(tmp_path), env={**env, "WIZARD_CORE_TOKEN": "mt_x"}))


def test_an_encryption_key_that_is_not_a_fernet_key_stops_the_start(tmp_path):
    good = Fernet.generate_key().decode()
    with pytest.raises(RuntimeError) as exc:
        load_config(str(tmp_path), env={"WIZARD_ENCRYPTION_KEYS": f"{good},not-a-key"})
    assert "key 2 is not a Fernet key" in str(exc.value) and "not-a-key" not in str(exc.value)
    assert load_config(str(tmp_path), env={"WIZARD_ENCRYPTION_KEYS": good})["WIZARD_ENCRYPTION_KEYS"] == [good]


@pytest.mark.parametrize("value", ["*", "https://app.acme.com; script-src *", "app.acme.com", "https://a.com/path"])
def test_allowed_origins_must_be_exact_origins(tmp_path, value):
    with pytest.raises(RuntimeError, match="WIZARD_ALLOWED_ORIGINS takes origins"):
        load_config(str(tmp_path), env={"WIZARD_ALLOWED_ORIGINS": value})
    ok = load_config(str(tmp_path), env={"WIZARD_ALLOWED_ORIGINS": "https://app.acme.com, http://localhost:3000/"})
    assert ok["WIZARD_ALLOWED_ORIGINS"] == ["https://app.acme.com", "http://localhost:3000"]


def test_health_and_readiness(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").get_json() == {"status": "ready", "database": "ok", "redis": "not configured",
                                                "core": "embedded"}


def test_readiness_fails_while_the_database_does_not_answer(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:9/none",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}}})
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503 and resp.get_json()["status"] == "unavailable"
    assert resp.get_json()["database"] == "unavailable"
    assert app.test_client().get("/healthz").status_code == 200


def test_security_headers_on_pages(client):
    resp = client.get("/this-page-does-not-exist")
    assert resp.status_code == 404
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self' 'nonce-" in csp and "*" not in csp
    assert resp.headers["Referrer-Policy"] == "same-origin"  # no URL leaves this origin
    assert client.get("/nowhere?code=abc").headers["Referrer-Policy"] == "no-referrer"


@pytest.fixture
def echo_app(tmp_path):
    """A separate app with two tiny session routes (added before its first request)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/echo.sqlite"})

    @app.route("/_t/s/<sid>/echo", methods=["GET", "POST"])
    def echo(sid):
        session["n"] = session.get("n", 0) + 1
        return {"n": session["n"], "form": len(request.form.get("a", ""))}

    @app.route("/_t/start")
    def start():
        session["n"] = 0
        return {"sid": session.regenerate()}

    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_body_over_the_limit_is_413(echo_app):
    c = echo_app.test_client()
    big = "x" * (echo_app.config["MAX_CONTENT_LENGTH"] + 1)
    assert c.post("/_t/s/" + "A" * 43 + "/echo", data={"a": big}).status_code == 413


def test_session_travels_in_the_path_without_cookies(echo_app):
    c = echo_app.test_client(use_cookies=False)
    sid = c.get("/_t/start").get_json()["sid"]
    assert c.get(f"/_t/s/{sid}/echo").get_json()["n"] == 1
    assert c.post(f"/_t/s/{sid}/echo").get_json()["n"] == 2
    with echo_app.app_context():
        # the server keeps only a hash of the id
        assert db.session.get(BrowserSession, hash_secret(sid)) is not None
        assert db.session.get(BrowserSession, sid) is None


def test_a_forged_or_expired_session_id_is_not_adopted(echo_app):
    c = echo_app.test_client(use_cookies=False)
    forged = "A" * 43
    assert c.get(f"/_t/s/{forged}/echo").get_json()["n"] == 1
    sid = c.get("/_t/start").get_json()["sid"]
    with echo_app.app_context():
        assert db.session.get(BrowserSession, hash_secret(forged)) is None  # stored under a fresh id instead
        row = db.session.get(BrowserSession, hash_secret(sid))
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert c.get(f"/_t/s/{sid}/echo").get_json()["n"] == 1  # starts over


def test_a_session_dies_after_its_absolute_lifetime_even_when_used(echo_app):
    c = echo_app.test_client(use_cookies=False)
    sid = c.get("/_t/start").get_json()["sid"]
    assert c.get(f"/_t/s/{sid}/echo").get_json()["n"] == 1
    with echo_app.app_context():
        row = db.session.get(BrowserSession, hash_secret(sid))
        row.created = utcnow() - timedelta(seconds=echo_app.config["WIZARD_SESSION_MAX_AGE"] + 1)
        db.session.commit()
    assert c.get(f"/_t/s/{sid}/echo").get_json()["n"] == 1  # starts over: a forwarded link is dead


# -- secrets --------------------------------------------------------------------------------

def test_encryption_round_trip_and_rotation(app):
    from cryptography.fernet import Fernet

    token = encrypt({"access_token": "abc"})
    assert "abc" not in token and decrypt(token) == {"access_token": "abc"}
    old = app.config["WIZARD_ENCRYPTION_KEYS"]
    new_key = Fernet.generate_key().decode()
    try:
        app.config["WIZARD_ENCRYPTION_KEYS"] = [new_key] + old
        assert decrypt(token) == {"access_token": "abc"}  # old key still reads
        from wizard.crypto import rotate

        rotated = rotate(token)
        app.config["WIZARD_ENCRYPTION_KEYS"] = [new_key]
        assert decrypt(rotated) == {"access_token": "abc"}
    finally:
        app.config["WIZARD_ENCRYPTION_KEYS"] = old


def test_logs_redact_session_ids_codes_and_tokens(caplog):
    line = 'GET /configure/abc/s/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd/ HTTP/1.1 code=s3cr3tc0de Bearer mt_xyz'
    out = redact(line)
    assert "AbCdEf" not in out and "s3cr3tc0de" not in out and "mt_xyz" not in out
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info("GET /x?code=%s HTTP/1.1", "topsecret")
    assert "topsecret" not in caplog.text


def test_a_handler_added_later_gets_child_logger_records_redacted(app):
    """Authlib logs issued tokens at DEBUG on its own child loggers; an operator's handler added
    after start-up (Sentry, a dictConfig) must not receive them in clear."""
    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(self.format(record))

    handler = Keep(level=logging.DEBUG)
    logger = logging.getLogger("authlib.integrations.requests_client.oauth2_session")
    root = logging.getLogger("authlib")  # its handlers run before the root logger's
    root.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("fetched token %s", {"access_token": "at-9f8e7d6c5b4a39281706", "refresh_token": "rt-0a1b2c3d4e5f6a7b8c9d"})
    finally:
        root.removeHandler(handler)
        logger.setLevel(old_level)
    assert seen and "fetched token" in seen[0]
    assert "at-9f8e7d6c5b4a39281706" not in seen[0] and "rt-0a1b2c3d4e5f6a7b8c9d" not in seen[0]


def test_the_apps_handler_redacts_tracebacks_too():
    from wizard.logging_setup import RedactingFormatter

    logger = logging.getLogger("wizard.test.traceback")
    try:
        raise RuntimeError("GET https://x/configure/i?code=c0de-in-a-traceback failed")
    except RuntimeError:
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "request failed", None, sys.exc_info())
    line = RedactingFormatter("%(message)s").format(record)
    assert "request failed" in line and "RuntimeError" in line and "c0de-in-a-traceback" not in line


# -- CLI ------------------------------------------------------------------------------------

DEF = "id: cli-demo\ntitle: CLI demo\nconfig:\n  - {externalId: n, type: integer, required: true}\n"


def test_cli_publish_user_instance_and_wizard_url(runner, tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(DEF)
    out = runner.invoke(args=["solutions", "publish", str(f)])
    assert out.exit_code == 0 and "published cli-demo version 1" in out.output
    out = runner.invoke(args=["solutions", "publish", str(f)])
    assert "version 2" in out.output
    user_id = runner.invoke(args=["users", "create", "ops-1", "--name", "Ops"]).output.strip()
    assert runner.invoke(args=["users", "create", "ops-1"]).exit_code == 1
    inst = runner.invoke(args=["instances", "create", user_id, "cli-demo"]).output.strip()
    url = runner.invoke(args=["instances", "wizard-url", inst]).output.strip()
    m = re.match(rf"^http://127\.0\.0\.1:\d+/configure/{inst}\?code=(\S+)$", url)
    assert m, url
    assert identity.consume_code(m.group(1)) == user_id


def test_cli_publish_invalid_file_says_why(runner, tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("id: cli-demo\ntitle: x\nconfig:\n  - {externalId: n, type: wrong}\n")
    out = runner.invoke(args=["solutions", "publish", str(f)])
    assert out.exit_code == 1 and "line 4" in out.output and "unknown type 'wrong'" in out.output


def test_cli_master_token_is_printed_once_and_stored_hashed(runner):
    from wizard.models import ApiToken

    token = runner.invoke(args=["tokens", "create-master"]).output.strip()
    assert identity.resolve_token(token).is_master
    assert db.session.query(ApiToken).filter_by(token_hash=token).count() == 0


def test_cli_keys_rotate(runner, app, core, user):
    from cryptography.fernet import Fernet

    core.publish("id: k\ntitle: K\nconfig:\n  - {externalId: pw, type: secret}\n")
    inst = core.create_instance(user.id, "k", config_values={"pw": "hunter22"})
    old = app.config["WIZARD_ENCRYPTION_KEYS"]
    try:
        app.config["WIZARD_ENCRYPTION_KEYS"] = [Fernet.generate_key().decode()] + old
        out = runner.invoke(args=["keys", "rotate"])
        assert out.exit_code == 0 and "re-encrypted 1" in out.output
        app.config["WIZARD_ENCRYPTION_KEYS"] = app.config["WIZARD_ENCRYPTION_KEYS"][:1]
        assert core.get_instance(inst.id).config_values == {"pw": "hunter22"}
    finally:
        app.config["WIZARD_ENCRYPTION_KEYS"] = old


# -- production server ----------------------------------------------------------------------

def test_gunicorn_serves_the_app_and_production_refuses_missing_settings(tmp_path):
    import subprocess
    import sys
    import time

    import requests

    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    port = free_port()
    env = {**os.environ, "WIZARD_INSTANCE_PATH": str(tmp_path), "PORT": str(port)}
    env.pop("WIZARD_ENV", None)
    proc = subprocess.Popen([gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "app:app"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
                break
            except (requests.ConnectionError, requests.Timeout):  # booting, or busy on a loaded machine
                assert time.time() < deadline and proc.poll() is None, proc.stdout.read().decode()
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(10)
    prod = subprocess.run([gunicorn, "-b", f"127.0.0.1:{port}", "app:app"], capture_output=True, text=True,
                          env={**env, "WIZARD_ENV": "production"}, timeout=60)
    assert prod.returncode != 0
    assert "refuses development defaults; set: SECRET_KEY, DATABASE_URL" in prod.stdout + prod.stderr


def test_wizard_forms_work_over_https(app, core, user):
    """Flask-WTF demands a same-origin Referer on HTTPS posts: pages must let the browser send it."""
    from wizard_support import Wizard, simple_solution

    client = app.test_client()
    plain_open = client.open

    def https_open(*args, **kw):
        if args and isinstance(args[0], str):
            kw.setdefault("base_url", "https://localhost")
        return plain_open(*args, **kw)

    client.open = https_open
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    inst = wiz.instance("notes")
    page = wiz.open(inst.id)
    assert page.headers["Referrer-Policy"] == "same-origin"
    url = f"https://localhost{wiz.path}"
    assert wiz.post({"channel": "#ops"}, follow=False).status_code == 400  # no Referer: refused
    client.environ_base["HTTP_REFERER"] = url  # what the browser sends under same-origin
    wiz.get(wiz.base + "/screen/1")
    assert wiz.post({"channel": "#ops"}, follow=False).status_code == 303


def test_cli_purge_deletes_only_what_can_no_longer_be_used(runner, user):
    from wizard.models import AuthorizationCode

    live = identity.generate_code(user.id)
    used = identity.generate_code(user.id)
    identity.consume_code(used)
    expired = identity.generate_code(user.id)
    row = db.session.query(AuthorizationCode).filter_by(code_hash=hash_secret(expired)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    out = runner.invoke(args=["maintenance", "purge"])
    assert out.exit_code == 0 and "2 codes" in out.output, out.output
    assert identity.consume_code(live) == user.id


def test_readiness_names_a_remote_core_that_does_not_answer(app):
    """A front end whose core (WIZARD_CORE_URL) does not answer is `degraded`, not down: its
    database still serves, and the operator sees which dependency is missing."""
    port = _closed_port()
    front = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "WIZARD_CORE_URL": f"http://127.0.0.1:{port}/graphql", "WIZARD_CORE_TOKEN": "mt_x",
                        "SECRET_KEY": "test-secret", "WIZARD_ENCRYPTION_KEYS": app.config["WIZARD_ENCRYPTION_KEYS"]})
    resp = front.test_client().get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "degraded", "database": "ok", "redis": "not configured", "core": "unavailable"}


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
