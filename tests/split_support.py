"""The split deployment in tests (issue 16): a core as a real separate process, with a database
of its own, and the suite's app as its front end (WIZARD_CORE_URL).

The core is gunicorn (`python -m gunicorn app:app`) on a free port, its schema made by `flask db
upgrade` (so the migrations run too). Its database is a SQLite file, or, when TEST_DATABASE_URL
names a PostgreSQL database, the same server's `<that name>_core`, dropped and created afresh.
The core runs the sandbox OAuth provider; the front end's `sandbox` service points at it
(WIZARD_SANDBOX_URL) and the core accepts the front end's callback (WIZARD_SANDBOX_FRONT_ENDS).
The sandbox's client secret derives from SECRET_KEY, so both sides share that one (the
encryption keys and master tokens differ).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from support import free_port

ROOT = Path(__file__).resolve().parent.parent
CORE_MASTER = "mt_core_master_token_fedcba9876543210"
CORE_KEY = "bG9uZy1rZXktZm9yLXRoZS1jb3JlLW9ubHktMDEyMzQ="  # not the front end's




def core_database(tmp: Path) -> str:
    """The core's database URL: a SQLite file, or `<TEST_DATABASE_URL's db>_core`, made empty."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp}/core.sqlite"
    url = make_url(base)
    name = f"{url.database}_core"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


class CoreServer:
    """The core process: start, stop (as an outage), its API with the core's master token."""

    def __init__(self, tmp: Path, front_end_url: str):
        self.tmp = tmp
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = core_database(tmp)
        self.log = tmp / "core.log"
        self.env = {**os.environ,
                    "DATABASE_URL": self.database,
                    "WIZARD_INSTANCE_PATH": str(tmp),
                    "WIZARD_PUBLIC_URL": self.url,
                    "WIZARD_MASTER_TOKEN": CORE_MASTER,
                    "SECRET_KEY": "test-secret",
                    "WIZARD_ENCRYPTION_KEYS": CORE_KEY,
                    "WIZARD_SANDBOX_FRONT_ENDS": front_end_url,
                    "WIZARD_WEBHOOKS_THREAD": "0",
                    "WIZARD_DEMO": "0"}
        self.env.pop("WIZARD_CORE_URL", None)
        self.proc: subprocess.Popen | None = None
        subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=self.env,
                       check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        out = open(self.log, "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}",
                                      "--timeout", "60", "app:app"], cwd=ROOT, env=self.env, stdout=out,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            assert self.proc.poll() is None and time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def api(self, query: str, variables: dict | None = None, token: str = CORE_MASTER) -> dict:
        resp = requests.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}},
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
        return resp.json()

    def ok(self, query: str, variables: dict | None = None) -> dict:
        body = self.api(query, variables)
        assert not body.get("errors"), body
        return body["data"]

    def sql(self, statement: str, **params) -> list:
        """Rows of a query on the core's own database (what the core stored)."""
        engine = create_engine(self.database)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(statement), params))
        finally:
            engine.dispose()

    # -- the ISV's set-up, through the core's API ------------------------------------------------

    def publish(self, source: str) -> None:
        self.ok("mutation($i: PublishSolutionVersionInput!) { publishSolutionVersion(input: $i) { clientMutationId } }",
                {"i": {"definition": source}})

    def user_with_instance(self, external_id: str, solution_id: str = "slack-alerts") -> tuple[str, str]:
        user = self.ok("mutation($i: CreateExternalUserInput!) { createExternalUser(input: $i) { userId } }",
                       {"i": {"externalUserId": external_id, "name": external_id}})["createExternalUser"]["userId"]
        iid = self.ok("mutation($i: CreateSolutionInstanceInput!) { createSolutionInstance(input: $i) "
                      "{ solutionInstance { id } } }",
                      {"i": {"solutionId": solution_id, "instanceName": "Alerts", "userId": user}}
                      )["createSolutionInstance"]["solutionInstance"]["id"]
        return user, iid

    def code(self, user_id: str) -> str:
        return self.ok("mutation($i: GenerateAuthorizationCodeInput!) { generateAuthorizationCode(input: $i) "
                       "{ authorizationCode } }", {"i": {"userId": user_id}}
                       )["generateAuthorizationCode"]["authorizationCode"]

    def instance(self, iid: str) -> dict:
        edges = self.ok("query($id: ID!) { solutionInstances(criteria: {id: $id}) { edges { node { id enabled "
                        "configValues { externalId value } authValues { externalId authId } } } } }",
                        {"id": iid})["solutionInstances"]["edges"]
        node = edges[0]["node"]
        return {"enabled": node["enabled"],
                "config": {v["externalId"]: json.loads(v["value"]) for v in node["configValues"]},
                "auth": {v["externalId"]: v["authId"] for v in node["authValues"]}}


def use_core(app, core: CoreServer) -> dict:
    """Make the suite's app a front end of `core`; returns the settings to restore."""
    keys = ("WIZARD_CORE_URL", "WIZARD_CORE_TOKEN", "WIZARD_SANDBOX_URL", "WIZARD_CORE_TIMEOUT")
    before = {k: app.config.get(k) for k in keys}
    app.config.update(WIZARD_CORE_URL=f"{core.url}/graphql", WIZARD_CORE_TOKEN=CORE_MASTER,
                      WIZARD_SANDBOX_URL=core.url, WIZARD_CORE_TIMEOUT=5)
    app.extensions.pop("wizard_core", None)
    return before


def front_end_rows(db) -> dict[str, list]:
    """Every row of every table of the front end's database, as text."""
    out = {}
    for table in db.metadata.sorted_tables:
        out[table.name] = [" ".join(str(v) for v in row) for row in db.session.execute(table.select())]
    return out
