"""Event endpoints apart from each other (issue 26, faults 3 and 6): a slow endpoint holds only its
own deliveries, and an endpoint removed while its delivery is in flight ends that delivery cleanly
without stopping anyone else's."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from wizard.extensions import db
from wizard.webhooks import delivery, endpoints
from wizard.webhooks.models import WebhookDelivery
from wizard.webhooks.worker import work

from wizard_support import simple_solution
from webhook_support import Receiver


@pytest.fixture
def two():
    slow, healthy = Receiver().start(), Receiver().start()
    yield slow, healthy
    for r in (slow, healthy):
        r.release.set()
        r.stop()


def _endpoint(receiver: Receiver):
    ep, receiver.secret = endpoints.create(receiver.url + "/events")
    return ep


def test_a_slow_endpoint_does_not_hold_another(app, core, user, two):
    slow, healthy = two
    _endpoint(slow)  # first: its delivery is claimed first
    _endpoint(healthy)
    slow.hold_type = "instance.created"  # its receiver takes the request and does not answer
    app.config["WIZARD_WEBHOOK_TIMEOUT"], before = 30, app.config["WIZARD_WEBHOOK_TIMEOUT"]
    stop = threading.Event()
    worker = threading.Thread(target=work, args=(app, stop), kwargs={"worker": "lanes"}, daemon=True)
    try:
        core.publish(simple_solution())
        core.create_instance(user.id, "notes")
        db.session.commit()
        worker.start()
        assert slow.held.wait(10)
        for _ in range(50):  # the healthy endpoint gets its event while the slow one still holds
            if healthy.taken():
                break
            threading.Event().wait(0.1)
        assert [e["type"] for e in healthy.taken()] == ["instance.created"]
        assert slow.taken() == [] and not slow.release.is_set()
    finally:
        slow.release.set()
        stop.set()
        worker.join(40)
        app.config["WIZARD_WEBHOOK_TIMEOUT"] = before


def test_an_endpoint_removed_while_its_delivery_is_in_flight_ends_it_cleanly(app, core, user, two):
    doomed, healthy = two
    gone = _endpoint(doomed)  # first in the batch
    _endpoint(healthy)
    doomed.hold_type, doomed.fail_first = "instance.created", 1  # held, then answered 500
    core.publish(simple_solution())
    core.create_instance(user.id, "notes")
    db.session.commit()
    faults = []

    def round_():
        with app.app_context():
            try:
                delivery.run_once("t")
            except Exception as exc:  # noqa: BLE001  (what the test looks for)
                faults.append(exc)
            finally:
                db.session.remove()
    runner = threading.Thread(target=round_, daemon=True)
    runner.start()
    assert doomed.held.wait(10)
    endpoints.remove(gone.id)  # while the attempt is in flight
    doomed.release.set()
    runner.join(30)
    assert not runner.is_alive() and faults == []
    db.session.expire_all()
    rows = db.session.scalars(select(WebhookDelivery)).all()
    assert [(r.endpoint_id, r.status) for r in rows] == [(rows[0].endpoint_id, "delivered")]
    assert [e["type"] for e in healthy.taken()] == ["instance.created"]


def test_an_endpoint_removed_before_its_turn_sends_nothing(app, core, user, two):
    doomed, _healthy = two
    gone = _endpoint(doomed)
    core.publish(simple_solution())
    core.create_instance(user.id, "notes")
    db.session.commit()
    claims = delivery.claim("t", 10)
    endpoints.remove(gone.id)
    assert [delivery.send(c, "t") for c in claims] == [False]
    assert doomed.received == []
