"""Delivering the outbox: claim due deliveries, POST them signed, record what happened.

Each endpoint's deliveries go out in a lane (a thread) of their own (`Lanes`): a slow or failing
endpoint holds only its own. At least once, in order: a delivery waits while an earlier delivery of the same subject (an
instance, an authentication) to the same endpoint is pending or being delivered. A claim is a
lease (`WIZARD_WEBHOOK_LEASE` seconds): a worker that dies mid-batch leaves its claims to expire
and another worker takes them again as the next attempt. Claims are safe with several workers:
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional UPDATE (status and attempt
number unchanged) on SQLite, and the unique (delivery, attempt number) of the attempt log on both.

Retry schedule: after the n-th failed attempt the next one is due
`min(WIZARD_WEBHOOK_RETRY_BASE * 2**(n-1), WIZARD_WEBHOOK_RETRY_MAX)` seconds later; a delivery
whose next attempt would fall more than `WIZARD_WEBHOOK_GIVE_UP` seconds after the event is
dead-lettered (status `dead`; `flask webhooks retry` or the API's retryWebhookDelivery sends it again).
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased

from .. import outbound
from ..crypto import decrypt
from ..extensions import db
from . import clock, signing
from .models import DEAD, DELIVERED, DELIVERING, PENDING, WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger("wizard.webhooks")
USER_AGENT = "config-wizard-webhooks/1"
ANSWER_BYTES = 64 * 1024  # of a delivery's answer, read and dropped


def worker_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def retry_delay(failed_attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt (n >= 1)."""
    cfg = current_app.config
    base, most = float(cfg["WIZARD_WEBHOOK_RETRY_BASE"]), float(cfg["WIZARD_WEBHOOK_RETRY_MAX"])
    return timedelta(seconds=min(base * 2 ** max(failed_attempts - 1, 0), most))


def schedule() -> list[float]:
    """The delays between attempts that fit in WIZARD_WEBHOOK_GIVE_UP (for docs and the CLI)."""
    out, total, n = [], 0.0, 1
    give_up = float(current_app.config["WIZARD_WEBHOOK_GIVE_UP"])
    while True:
        delay = retry_delay(n).total_seconds()
        if total + delay > give_up:
            return out
        out.append(delay)
        total += delay
        n += 1


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The endpoint's secret, and during a rotation its previous one too."""
    out = [decrypt(endpoint.secret)]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > clock.now():
        out.append(decrypt(endpoint.previous_secret))
    return out


# -- claiming --------------------------------------------------------------------------------------

@dataclass
class Claim:
    delivery_id: int
    number: int  # the attempt this claim makes (1-based)
    endpoint_id: str = ""


def _due(now, limit: int, skip=()):
    d, earlier = WebhookDelivery, aliased(WebhookDelivery)
    waits = (select(earlier.id).where(earlier.endpoint_id == d.endpoint_id, earlier.subject == d.subject,
                                      earlier.id < d.id, earlier.status.in_((PENDING, DELIVERING)))
             .exists())
    due = or_(and_(d.status == PENDING, d.next_attempt_at <= now),
              and_(d.status == DELIVERING, d.lease_until < now))  # a claim whose worker went away
    stmt = (select(d.id, d.attempts, d.endpoint_id)
            .join(WebhookEndpoint, WebhookEndpoint.id == d.endpoint_id)
            .where(due, WebhookEndpoint.enabled.is_(True), ~waits))
    if skip:  # endpoints whose lane is still busy (Lanes): their deliveries wait for it
        stmt = stmt.where(d.endpoint_id.not_in(list(skip)))
    return stmt.order_by(d.id).limit(limit)


def lease_seconds() -> float:
    """How long a claim lasts: WIZARD_WEBHOOK_LEASE, but always longer than one request may take."""
    cfg = current_app.config
    return max(float(cfg["WIZARD_WEBHOOK_LEASE"]), float(cfg["WIZARD_WEBHOOK_TIMEOUT"]) + 1)


def _take(delivery_id: int, seen_attempts: int, worker: str, now, endpoint_id: str = "") -> Claim | None:
    """The conditional UPDATE that makes a claim: it changes the row only if nobody claimed or
    finished it since it was read (same attempt count, still due)."""
    d = WebhookDelivery
    lease = now + timedelta(seconds=lease_seconds())
    result = db.session.execute(
        update(d).where(d.id == delivery_id, d.attempts == seen_attempts,
                        or_(and_(d.status == PENDING, d.next_attempt_at <= now),
                            and_(d.status == DELIVERING, d.lease_until < now)))
        .values(status=DELIVERING, attempts=seen_attempts + 1, claimed_by=worker, lease_until=lease)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    # an attempt left without a result by a worker that stopped
    db.session.execute(update(WebhookAttempt)
                       .where(WebhookAttempt.delivery_id == delivery_id, WebhookAttempt.finished.is_(None))
                       .values(finished=now, error="no result: the worker stopped before it recorded one")
                       .execution_options(synchronize_session=False))
    db.session.add(WebhookAttempt(delivery_id=delivery_id, number=seen_attempts + 1, worker=worker, started=now))
    return Claim(delivery_id, seen_attempts + 1, endpoint_id)


def claim(worker: str, limit: int, skip=()) -> list[Claim]:
    """Claim up to `limit` due deliveries for `worker` (none of the endpoints in `skip`) and
    commit the claims."""
    now = clock.now()
    claims: list[Claim] = []
    try:
        if db.engine.dialect.name == "postgresql":
            rows = db.session.execute(_due(now, limit, skip).with_for_update(skip_locked=True, of=WebhookDelivery)).all()
            claims = [c for delivery_id, seen, ep in rows if (c := _take(delivery_id, seen, worker, now, ep))]
            db.session.commit()
            return claims
        rows = db.session.execute(_due(now, limit, skip)).all()
        db.session.commit()  # end the read: each claim below is a write transaction of its own
        for delivery_id, seen, ep in rows:
            try:
                c = _take(delivery_id, seen, worker, now, ep)
                db.session.commit()
            except IntegrityError:  # the attempt number is someone else's: not ours to make
                db.session.rollback()
                continue
            if c:
                claims.append(c)
    except OperationalError as exc:  # e.g. SQLite busy: leave the rest for the next round
        db.session.rollback()
        log.warning("webhook claim interrupted: %s", exc.__class__.__name__)
    return claims


# -- sending -----------------------------------------------------------------------------------

def body_of(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _renew(claim_: Claim, worker: str) -> bool:
    """Just before sending: extend the lease while the claim is still this worker's (no one made
    the next attempt since). A batch that outlived its lease sends nothing another worker took."""
    d = WebhookDelivery
    now = clock.now()
    result = db.session.execute(
        update(d).where(d.id == claim_.delivery_id, d.status == DELIVERING, d.attempts == claim_.number,
                        d.claimed_by == worker)
        .values(lease_until=now + timedelta(seconds=lease_seconds()))
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def send(claim_: Claim, worker: str) -> bool:
    """Make the claimed attempt and record it. True when the endpoint took the event (2xx)."""
    if not _renew(claim_, worker):
        log.info("webhook delivery %s: the claim for attempt %d expired before it was sent", claim_.delivery_id,
                 claim_.number)
        return False
    delivery = db.session.get(WebhookDelivery, claim_.delivery_id)
    if delivery is None or delivery.endpoint is None:  # its endpoint was removed meanwhile
        db.session.commit()
        log.info("webhook delivery %s: its endpoint was removed; nothing sent", claim_.delivery_id)
        return False
    endpoint, event = delivery.endpoint, delivery.event
    body = body_of(event.payload)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "webhook-attempt": str(claim_.number),
               **signing.headers(event.id, body, signing_secrets(endpoint))}
    url = endpoint.url
    db.session.commit()  # no transaction stays open while the endpoint takes its time
    started = time.monotonic()
    status_code, error = None, ""
    try:
        # the answer is not kept: a few bytes are enough to see it is there
        resp = outbound.request("POST", url, data=body.encode(), headers=headers, max_bytes=ANSWER_BYTES,
                                deadline=float(current_app.config["WIZARD_WEBHOOK_TIMEOUT"]))
        status_code = resp.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except outbound.DeadlineExceeded:
        error = "timed out"
    except outbound.OutboundRefused as exc:
        error = f"refused: {exc.reason}"
    except outbound.TooLarge as exc:
        error = exc.reason
    except outbound.OutboundError as exc:
        error = f"could not reach the endpoint ({exc.reason})"
    record(claim_, worker, status_code=status_code, error=error,
           duration_ms=int((time.monotonic() - started) * 1000))
    return not error


def record(claim_: Claim, worker: str, *, status_code: int | None, error: str, duration_ms: int) -> None:
    """Store an attempt's outcome: delivered, retry later, or dead after WIZARD_WEBHOOK_GIVE_UP.
    The delivery changes only if this worker still holds the claim for this attempt."""
    now = clock.now()
    d = WebhookDelivery
    delivery = db.session.get(d, claim_.delivery_id)
    if delivery is None:  # removed with its endpoint while the attempt was in flight
        db.session.commit()
        log.info("webhook delivery %s: its endpoint was removed during the attempt", claim_.delivery_id)
        return
    if not error:
        values = {"status": DELIVERED, "delivered_at": now, "lease_until": None, "last_status": status_code,
                  "last_error": ""}
    else:
        due = now + retry_delay(claim_.number)
        give_up = delivery.created + timedelta(seconds=float(current_app.config["WIZARD_WEBHOOK_GIVE_UP"]))
        values = {"status": DEAD if due > give_up else PENDING, "next_attempt_at": due, "lease_until": None,
                  "last_status": status_code, "last_error": error[:500]}
        log.warning("webhook delivery %s of %s to endpoint %s: attempt %d failed (%s)%s", delivery.id,
                    delivery.event_id, delivery.endpoint_id, claim_.number, error,
                    "; dead-lettered" if values["status"] == DEAD else "")
    db.session.execute(update(d).where(d.id == claim_.delivery_id, d.status == DELIVERING,
                                       d.attempts == claim_.number, d.claimed_by == worker)
                       .values(**values).execution_options(synchronize_session=False))
    db.session.execute(update(WebhookAttempt)
                       .where(WebhookAttempt.delivery_id == claim_.delivery_id,
                              WebhookAttempt.number == claim_.number, WebhookAttempt.finished.is_(None))
                       .values(finished=now, status_code=status_code, error=error[:500], duration_ms=duration_ms)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    db.session.expire_all()


# -- lanes: each endpoint's deliveries apart from the others' ---------------------------------------

def send_all(claims: list[Claim], worker: str) -> None:
    """One endpoint's claims, in order. A fault in one attempt (its endpoint removed, the
    database gone for a moment) ends that attempt only; its claim expires and is taken again."""
    for c in claims:
        try:
            send(c, worker)
        except Exception:
            log.exception("webhook delivery %s: attempt %d failed inside the server", c.delivery_id, c.number)
            db.session.rollback()


class Lanes:
    """A thread per endpoint with deliveries in flight: one endpoint's slowness (each attempt is
    bounded by WIZARD_WEBHOOK_TIMEOUT in all) never holds another's deliveries. While an
    endpoint's lane is busy its further deliveries are not claimed; at most
    WIZARD_WEBHOOK_LANES lanes run at once."""

    def __init__(self, app, worker: str):
        self.app, self.worker = app, worker
        self.busy: dict[str, threading.Thread] = {}
        self.lock = threading.Lock()

    def fill(self, limit: int) -> int:
        """Claim what is due for endpoints without a busy lane and start their lanes (called in
        an app context). Returns how many attempts were started."""
        with self.lock:
            skip = set(self.busy)
        if len(skip) >= int(self.app.config["WIZARD_WEBHOOK_LANES"]):
            return 0
        claims = claim(self.worker, limit, skip)
        groups: dict[str, list[Claim]] = {}
        for c in claims:
            groups.setdefault(c.endpoint_id, []).append(c)
        for endpoint_id, group in groups.items():
            thread = threading.Thread(target=self._run, args=(endpoint_id, group), daemon=True,
                                      name=f"webhooks:{endpoint_id}")
            with self.lock:
                self.busy[endpoint_id] = thread
            thread.start()
        return len(claims)

    def _run(self, endpoint_id: str, group: list[Claim]) -> None:
        with self.app.app_context():
            try:
                send_all(group, self.worker)
            finally:
                db.session.remove()
                with self.lock:
                    self.busy.pop(endpoint_id, None)

    def idle(self) -> bool:
        with self.lock:
            return not self.busy

    def join(self) -> None:
        """Wait for every lane (a batch in flight is finished before stopping)."""
        while True:
            with self.lock:
                threads = list(self.busy.values())
            if not threads:
                return
            for t in threads:
                t.join()


def run_once(worker: str | None = None, limit: int | None = None) -> int:
    """One batch: claim what is due and send it, each endpoint in its lane, and wait for them.
    Returns how many attempts were made."""
    worker = worker or worker_name()
    lanes = Lanes(current_app._get_current_object(), worker)
    n = lanes.fill(int(limit or current_app.config["WIZARD_WEBHOOK_BATCH"]))
    lanes.join()
    db.session.expire_all()  # the lanes wrote with sessions of their own
    return n


def drain(worker: str | None = None, rounds: int = 100) -> int:
    """Batches until nothing is due (tests and `flask webhooks worker --until-empty`)."""
    total = 0
    for _ in range(rounds):
        n = run_once(worker)
        if not n:
            break
        total += n
    return total
