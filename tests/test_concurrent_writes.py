"""Issue 10's first finding, as production runs: gunicorn with 4 worker processes on the test
database (SQLite here, PostgreSQL with TEST_DATABASE_URL), 50 parallel updateSolutionInstance
calls over real HTTP, each setting another slot of one instance. Every call must succeed and
every acknowledged value must be there afterwards."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from support import MASTER, free_port, wait_until_ready

from wizard import identity
from wizard.extensions import db
from wizard.models import SolutionInstance

ROOT = Path(__file__).resolve().parent.parent
UPDATE = ("mutation($input: UpdateSolutionInstanceInput!) { updateSolutionInstance(input: $input) "
          "{ solutionInstance { id } } }")
WRITES = 50




@pytest.fixture
def gunicorn(app, tmp_path):
    """gunicorn -w 4 serving app:app on the suite's database; yields its base URL and log.
    --preload imports the app once, before the workers fork (a quicker start on a busy CI)."""
    port = free_port()
    env = {**os.environ,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "WIZARD_INSTANCE_PATH": str(tmp_path),
           "WIZARD_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "WIZARD_MASTER_TOKEN": MASTER,
           "SECRET_KEY": "test-secret",
           "WIZARD_ENCRYPTION_KEYS": ",".join(app.config["WIZARD_ENCRYPTION_KEYS"]),
           "WIZARD_RATE_LIMITS": "0"}  # this test measures writes, not the limiter
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "4", "-b", f"127.0.0.1:{port}",
                                 "--timeout", "120", "--preload", "app:app"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(proc, base, log)
        yield base, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.timeout(300)
def test_50_parallel_writes_to_one_instance_on_gunicorn_lose_nothing(gunicorn, core, user):
    base, log = gunicorn
    core.publish({"id": "many", "title": "Many", "config": [
        {"externalId": f"s{i}", "title": f"Slot {i}", "type": "string"} for i in range(WRITES)]})
    iid = core.create_instance(user.id, "many").id
    token = identity.issue_user_token(user.id)
    results: dict[int, tuple[int, str]] = {}
    start = threading.Barrier(WRITES)

    def write(i):
        start.wait()
        body = {"query": UPDATE, "variables": {"input": {"solutionInstanceId": iid, "configValues": [
            {"externalId": f"s{i}", "value": json.dumps(f"value {i}")}]}}}
        try:
            resp = requests.post(f"{base}/graphql", json=body, headers={"Authorization": f"Bearer {token}"},
                                 timeout=120)
            results[i] = (resp.status_code, resp.text)
        except requests.RequestException as exc:
            results[i] = (0, repr(exc))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = {i: r for i, r in results.items() if r[0] != 200 or json.loads(r[1]).get("errors")}
    assert not failed, f"{len(failed)} requests failed, e.g. {next(iter(failed.values()))}"
    db.session.expire_all()
    values = db.session.get(SolutionInstance, iid).config_values
    lost = [i for i in range(WRITES) if values.get(f"s{i}") != f"value {i}"]
    assert lost == [], f"{len(lost)} of {WRITES} acknowledged writes lost"
    text = log.read_text()
    assert "database is locked" not in text and "Traceback" not in text, text[-3000:]
