"""Instance and authentication events: written to the outbox with the change, delivered signed
(checked by the receiver with the standardwebhooks library), retried on the schedule, dead-lettered
after a day, in order per instance. Time is the test's clock: no test sleeps for a backoff."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from wizard import accounts, identity
from wizard.extensions import db
from wizard.webhooks import delivery, endpoints
from wizard.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent

from wizard_support import Wizard, simple_solution
from webhook_support import clock, endpoint, receiver  # noqa: F401  (fixtures)


def _events():
    return list(db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.created, WebhookEvent.id)))


def test_every_event_type_is_delivered_signed_and_in_order(core, user, clock, receiver, endpoint):
    core.publish(simple_solution())
    inst = core.create_instance(user.id, "notes", "Mine", config_values={"channel": "#ops", "api_key": "s3cret-value"})
    core.set_enabled(inst.id, True)
    core.set_enabled(inst.id, False)
    core.publish(simple_solution(title="Notes sync 2"))  # needs no input: instances move at once
    auth = accounts.create(user.id, "sandbox", "oauth2", {"access_token": "tok-abc", "refresh_token": "ref-xyz"})
    accounts.mark_needs_reconnect(auth)
    accounts.mark_needs_reconnect(auth)  # no change, no second event
    accounts.delete(auth)
    core.delete_instance(inst.id)

    assert delivery.drain("t") == 8  # instance.configured: see the journey below
    assert receiver.rejected == []
    assert receiver.types_for(inst.id) == ["instance.created", "instance.enabled", "instance.disabled",
                                           "instance.upgraded", "instance.removed"]
    assert receiver.types_for(auth.id) == ["authentication.created", "authentication.needs_reconnect",
                                           "authentication.removed"]
    created = receiver.taken()[0]["payload"]
    assert created["data"]["externalUserId"] == "acme-42"
    assert created["data"]["configValues"] == {"channel": "#ops"}
    assert created["data"]["secretsSet"] == ["api_key"]
    upgraded = next(e for e in receiver.taken() if e["type"] == "instance.upgraded")["payload"]["data"]
    assert (upgraded["previousVersion"], upgraded["version"]) == (1, 2)
    everything = " ".join(e["body"] + json.dumps(e["headers"]) for e in receiver.received)
    for secret in ("s3cret-value", "tok-abc", "ref-xyz", receiver.secret):  # nor the signing secret
        assert secret not in everything
    # the same webhook-id for an event wherever it goes: receivers can drop duplicates
    assert {e["id"] for e in receiver.taken()} == {e.id for e in _events()}


def test_a_rollback_drops_the_event_with_the_change(core, user, clock, endpoint):
    core.publish(simple_solution())
    inst = core.create_instance(user.id, "notes")
    row_count = len(_events())
    from wizard.models import SolutionInstance
    from wizard.webhooks import instance_event

    row = db.session.get(SolutionInstance, inst.id)
    row.enabled = True
    instance_event("instance.enabled", row)
    db.session.rollback()
    assert len(_events()) == row_count
    assert db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.status != "pending")) is None


def test_the_receiver_fails_twice_and_gets_it_on_the_third_try(core, user, clock, receiver, endpoint, app):
    receiver.fail_first = 2
    core.publish(simple_solution())
    core.create_instance(user.id, "notes")
    assert delivery.drain("t") == 1  # try 1: 500
    assert delivery.drain("t") == 0  # not due yet
    clock.advance(29)
    assert delivery.drain("t") == 0
    clock.advance(1)  # 30 s after the first failure
    assert delivery.drain("t") == 1  # try 2: 500
    clock.advance(59)
    assert delivery.drain("t") == 0
    clock.advance(1)  # 60 s after the second failure
    assert delivery.drain("t") == 1  # try 3: taken
    d = db.session.scalar(select(WebhookDelivery))
    assert (d.status, d.attempts, d.last_status) == ("delivered", 3, 200)
    log = endpoints.attempts_of(d.id)
    assert [(a.number, a.status_code) for a in log] == [(1, 500), (2, 500), (3, 200)]
    assert [e["attempt"] for e in receiver.received] == [1, 2, 3]
    assert len({e["headers"]["webhook-id"] for e in receiver.received}) == 1
    assert receiver.rejected == []


def test_after_a_day_of_failures_the_delivery_is_dead_and_can_be_retried(core, user, clock, receiver, endpoint, runner):
    receiver.fail_first = 10_000
    core.publish(simple_solution())
    inst = core.create_instance(user.id, "notes", config_values={"channel": "#ops"})
    core.set_enabled(inst.id, True)
    tries, waited = 0, 0.0
    for _ in range(100):
        tries += delivery.run_once("t")
        d = db.session.scalar(select(WebhookDelivery).order_by(WebhookDelivery.id))
        if d.status == "dead":
            break
        wait = (d.next_attempt_at - clock.now).total_seconds()
        clock.advance(wait)
        waited += wait
    assert d.status == "dead"
    assert tries - 1 == len(delivery.schedule())  # every delay of the schedule, then dead
    assert waited <= 24 * 3600
    # the dead one no longer holds back the next event of its instance
    assert delivery.drain("t") == 1
    second = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()[1]
    assert second.status == "pending" and second.attempts == 1
    receiver.fail_first = 0
    result = runner.invoke(args=["webhooks", "retry", "--all-dead"])
    assert result.exit_code == 0, result.output
    assert "1 deliveries due now" in result.output
    clock.advance(30)
    assert delivery.drain("t") == 2
    db.session.expire_all()
    assert {d.status for d in db.session.scalars(select(WebhookDelivery))} == {"delivered"}
    assert [e["type"] for e in receiver.taken()] == ["instance.created", "instance.enabled"]


def test_the_receiver_is_down_while_a_journey_finishes_and_gets_every_event_in_order_after(
        client, core, user, clock, receiver, endpoint):
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    inst = wiz.instance("notes")
    receiver.stop()  # the ISV's backend is down: nothing listens on its port
    wiz.open(inst.id)
    wiz.post({"channel": "#ops"})
    wiz.post({"threshold": "3", "api_key": "typed-secret"})
    assert wiz.finish().status_code == 200 and wiz.path.endswith("/done")
    assert delivery.drain("t") == 1  # only the head of the instance's queue is tried
    d = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).first()
    assert d.status == "pending" and "could not reach" in d.last_error
    assert delivery.drain("t") == 0
    receiver.start()  # back, on the same port
    clock.advance(30)
    assert delivery.drain("t") == 3
    assert receiver.types_for(inst.id) == ["instance.created", "instance.enabled", "instance.configured"]
    configured = receiver.taken()[-1]["payload"]["data"]
    assert configured["configValues"]["channel"] == "#ops" and configured["enabled"] is True
    assert configured["secretsSet"] == ["api_key"] and "typed-secret" not in receiver.taken()[-1]["body"]
    assert receiver.rejected == []


def test_endpoints_filter_event_types_and_disabled_ones_get_nothing(core, user, clock, receiver):
    only, secret = endpoints.create(receiver.url + "/events", event_types=["instance.enabled"])
    receiver.secret = secret
    off, _ = endpoints.create(receiver.url + "/events")
    endpoints.update(off.id, enabled=False)
    core.publish(simple_solution())
    inst = core.create_instance(user.id, "notes", config_values={"channel": "#a"})
    core.set_enabled(inst.id, True)
    assert delivery.drain("t") == 1
    assert [e["type"] for e in receiver.taken()] == ["instance.enabled"]
    with pytest.raises(endpoints.EndpointError):
        endpoints.create("ftp://nope", event_types=[])
    with pytest.raises(endpoints.EndpointError):
        endpoints.create(receiver.url, event_types=["instance.exploded"])


def test_a_rotated_secret_signs_beside_the_old_one_for_the_grace_period(core, user, clock, receiver, endpoint):
    old = receiver.secret
    _, new = endpoints.rotate_secret(endpoint.id, grace_seconds=3600)
    core.publish(simple_solution())
    core.create_instance(user.id, "notes")
    for secret in (old, new):  # a receiver holding either secret verifies the delivery
        receiver.secret = secret
        receiver.received.clear()
        endpoints.replay([e.id for e in _events()], endpoint_id=endpoint.id)
        assert delivery.drain("t") == 1 + (secret is old)  # the first round also sends the original
        assert receiver.rejected == [] and receiver.taken()
    clock.advance(3601)  # the grace period is over: the old secret no longer verifies
    receiver.secret = old
    endpoints.replay([e.id for e in _events()], endpoint_id=endpoint.id)
    delivery.drain("t")
    assert receiver.rejected


def test_removing_a_user_tells_of_each_instance_and_account(core, user, clock, receiver, endpoint):
    core.publish(simple_solution())
    inst = core.create_instance(user.id, "notes")
    auth = accounts.create(user.id, "sandbox", "oauth2", {"access_token": "t"})
    identity.remove_user(user.id)
    delivery.drain("t")
    assert receiver.types_for(inst.id) == ["instance.created", "instance.removed"]
    assert receiver.types_for(auth.id) == ["authentication.created", "authentication.removed"]


def test_attempt_numbers_are_unique_per_delivery(core, user, clock, endpoint):
    core.publish(simple_solution())
    core.create_instance(user.id, "notes")
    first = delivery.claim("w1", 10)
    assert len(first) == 1 and delivery.claim("w2", 10) == []  # claimed: nobody else gets it
    clock.advance(301)  # the lease ran out (its worker died): the next claim is attempt 2
    second = delivery.claim("w2", 10)
    assert [(c.delivery_id, c.number) for c in second] == [(first[0].delivery_id, 2)]
    # the first worker's late result does not change the delivery the second one holds
    delivery.record(first[0], "w1", status_code=200, error="", duration_ms=1)
    d = db.session.get(WebhookDelivery, first[0].delivery_id)
    assert (d.status, d.claimed_by, d.attempts) == ("delivering", "w2", 2)
    numbers = db.session.scalars(select(WebhookAttempt.number).where(WebhookAttempt.delivery_id == d.id)).all()
    assert sorted(numbers) == [1, 2]
