"""`flask webhooks worker` processes against the suite's database (SQLite, or PostgreSQL with
TEST_DATABASE_URL): a worker killed mid-batch loses nothing (its claims expire and another worker
makes the next attempt), and workers running side by side never make the same attempt twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from wizard.extensions import db
from wizard.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent

from wizard_support import simple_solution
from webhook_support import endpoint, receiver  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[1]
def start_worker(app, *args, lease: float = 60, timeout: float = 30):
    """A worker process; its claims last `lease` seconds (at least `timeout` + 1)."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "WIZARD_INSTANCE_PATH": app.instance_path, "SECRET_KEY": "test-secret",
           "WIZARD_ENCRYPTION_KEYS": ",".join(app.config["WIZARD_ENCRYPTION_KEYS"]),
           "WIZARD_WEBHOOK_LEASE": str(lease), "WIZARD_WEBHOOK_POLL": "0.1", "WIZARD_WEBHOOK_BATCH": "5",
           "WIZARD_WEBHOOK_TIMEOUT": str(timeout), "WIZARD_WEBHOOK_RETRY_BASE": "1", "WIZARD_SANDBOX": "0", "WIZARD_DEMO": "0"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "webhooks", "worker", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(*workers):
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(15)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait()


def wait_all_delivered(timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # a fresh read each time (and no lock held between reads)
        left = db.session.scalar(select(func.count()).select_from(WebhookDelivery)
                                 .where(WebhookDelivery.status != "delivered"))
        if left == 0:
            return
        assert time.monotonic() < deadline, f"{left} deliveries still not delivered"
        time.sleep(0.2)


def make_events(core, user, instances: int) -> list[str]:
    """created, enabled, disabled for each of `instances` instances; their ids."""
    core.publish(simple_solution())
    ids = []
    for i in range(instances):
        inst = core.create_instance(user.id, "notes", f"n{i}", config_values={"channel": f"#c{i}"})
        core.set_enabled(inst.id, True)
        core.set_enabled(inst.id, False)
        ids.append(inst.id)
    db.session.commit()
    return ids


def check_order(receiver, ids):
    """Per instance, the events were first taken in the order they happened."""
    for iid in ids:
        seen = list(dict.fromkeys(receiver.types_for(iid)))
        assert seen == ["instance.created", "instance.enabled", "instance.disabled"], (iid, seen)


def test_a_worker_killed_mid_batch_loses_nothing(app, core, user, receiver, endpoint):
    ids = make_events(core, user, 4)
    receiver.hold_type = "instance.created"  # the first delivery hangs inside the receiver
    first = start_worker(app, lease=2, timeout=5)  # its claims expire 6 s after they were made
    try:
        assert receiver.held.wait(30), "the first worker delivered nothing"
        first.send_signal(signal.SIGKILL)  # mid-batch: it holds a claim on every instance's head
        first.wait(10)
    finally:
        stop(first)
    receiver.release.set()
    db.session.rollback()
    claimed = db.session.scalar(select(func.count()).select_from(WebhookDelivery)
                                .where(WebhookDelivery.status == "delivering"))
    assert claimed == 4  # one per instance: the others of each instance wait behind it
    others = [start_worker(app, lease=2, timeout=5), start_worker(app, lease=2, timeout=5)]
    try:
        wait_all_delivered()
    finally:
        stop(*others)

    assert receiver.rejected == []
    events = set(db.session.scalars(select(WebhookEvent.id)))
    assert {e["id"] for e in receiver.taken()} == events  # nothing lost
    tries = Counter((e["id"], e["attempt"]) for e in receiver.received)
    assert max(tries.values()) == 1  # no attempt made twice
    held = next(e for e in receiver.received if e["type"] == "instance.created")
    assert [e["attempt"] for e in receiver.received if e["id"] == held["id"]] == [1, 2]  # at least once
    check_order(receiver, ids)
    abandoned = db.session.scalars(select(WebhookAttempt).where(WebhookAttempt.number == 1)
                                   .where(WebhookAttempt.error.like("no result%"))).all()
    assert len(abandoned) == 4  # the killed worker's claims, each closed by the attempt that followed


def test_workers_side_by_side_never_make_the_same_attempt_twice(app, core, user, receiver, endpoint):
    # The worker that makes the first delivery waits inside it (a worker sends one at a time),
    # so a delivery that arrives meanwhile is the other's: both share the work, however far
    # apart the two processes came up (one alone could otherwise deliver everything).
    receiver.hold_type = "instance.created"
    ids = make_events(core, user, 10)
    workers = [start_worker(app), start_worker(app)]
    try:
        assert receiver.held.wait(60)
        deadline = time.monotonic() + 60
        while len(receiver.received) < 2:
            assert time.monotonic() < deadline, "the second worker delivered nothing"
            time.sleep(0.05)
        receiver.release.set()
        wait_all_delivered()
    finally:
        receiver.release.set()
        stop(*workers)
    assert receiver.rejected == []
    counts = Counter(e["id"] for e in receiver.received)
    assert len(counts) == 30 and set(counts.values()) == {1}  # each event exactly once, first try
    check_order(receiver, ids)
    workers_used = set(db.session.scalars(select(WebhookAttempt.worker)))
    assert len(workers_used) >= 2, workers_used  # they did share the work
