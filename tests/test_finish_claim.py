"""A Finish claim dies with its holder (issue 26, fault 8): gunicorn's worker is killed (SIGKILL)
while it is in the middle of a Finish, and the user's first retry finishes at once, instead of
waiting for a claim whose holder is gone. Runs on the suite's database (SQLite, or PostgreSQL
with TEST_DATABASE_URL)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from support import MASTER, free_port, wait_until_ready

from wizard.extensions import db
from wizard.models import SolutionInstance

from wizard_support import Wizard, csrf_of
from webhook_support import Receiver

ROOT = Path(__file__).resolve().parent.parent
ONE_SCREEN = {"id": "one", "title": "One", "screens": [{"title": "Only", "slots": [
    {"externalId": "channel", "title": "Channel", "type": "string", "required": True}]}]}




def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


@pytest.fixture
def holding_validator(app):
    """The validation webhook: the first Finish's request is held until the test lets it go."""
    receiver = Receiver().start()
    receiver.validation_secret = app.config["WIZARD_VALIDATION_WEBHOOK_SECRET"][0]
    arrived, let_go = threading.Event(), threading.Event()

    def answer(data):
        if data["trigger"] == "finish" and not arrived.is_set():
            arrived.set()
            let_go.wait(60)
        return {"errors": {}}
    receiver.validation_answer = answer
    receiver.arrived, receiver.let_go = arrived, let_go
    yield receiver
    let_go.set()
    receiver.stop()


@pytest.fixture
def one_worker(app, tmp_path, holding_validator):
    """gunicorn with one sync worker on the suite's database, asking holding_validator."""
    port = free_port()
    env = {**os.environ,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "WIZARD_INSTANCE_PATH": app.instance_path,
           "WIZARD_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "WIZARD_MASTER_TOKEN": MASTER, "SECRET_KEY": "test-secret",
           "WIZARD_ENCRYPTION_KEYS": ",".join(app.config["WIZARD_ENCRYPTION_KEYS"]),
           "WIZARD_VALIDATION_WEBHOOK_URL": holding_validator.url + "/validate",
           "WIZARD_VALIDATION_WEBHOOK_SECRET": holding_validator.validation_secret,
           "WIZARD_VALIDATION_WEBHOOK_TIMEOUT_MS": "60000",
           "WIZARD_RATE_LIMITS": "0", "WIZARD_WEBHOOKS_THREAD": "0", "WIZARD_DEMO": "0", "WIZARD_SANDBOX": "0"}
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
                                 "--timeout", "120", "app:app"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(proc, base, log)
        yield base, proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.timeout(180)
def test_a_worker_killed_mid_finish_leaves_no_claim_behind(client, core, user, one_worker, holding_validator):
    base, master, log = one_worker
    wiz = Wizard(client, core, user)
    wiz.publish(ONE_SCREEN)
    iid = wiz.instance("one").id
    wiz.open(iid)
    wiz.post({"channel": "#ops"})
    wiz.get(f"{wiz.base}/review")
    finish = {"csrf_token": csrf_of(wiz.page), "wizard_screen": "review"}

    first: list = []
    thread = threading.Thread(target=lambda: first.append(_post(base + wiz.base + "/finish", finish)), daemon=True)
    thread.start()
    assert holding_validator.arrived.wait(60), log.read_text()[-3000:]  # the worker is inside Finish
    [worker] = _children(master.pid)
    os.kill(worker, signal.SIGKILL)
    thread.join(30)
    assert isinstance(first[0], requests.RequestException)  # the browser saw the connection drop
    holding_validator.let_go.set()
    deadline = time.monotonic() + 60
    while not (_children(master.pid) and set(_children(master.pid)) != {worker}):
        assert time.monotonic() < deadline, "gunicorn started no new worker"
        time.sleep(0.1)
    wait_until_ready(master, base, log)

    retry = _post(base + wiz.base + "/finish", finish)  # the user's first retry
    assert retry.status_code == 303, retry.text[:500]
    assert urlsplit(retry.headers["Location"]).path == f"{wiz.base}/done"
    db.session.expire_all()
    done = db.session.get(SolutionInstance, iid)
    assert done.enabled and done.config_values["channel"] == "#ops"


def _post(url, data):
    try:
        return requests.post(url, data=data, allow_redirects=False, timeout=60)
    except requests.RequestException as exc:
        return exc
