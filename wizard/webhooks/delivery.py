"""Delivering the outbox: claim due deliveries, POST them signed, record what happened.

At least once, in order: a delivery waits while an earlier delivery of the same subject (an
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


def _due(now, limit: int):
    d, earlier = WebhookDelivery, aliased(WebhookDelivery)
    waits = (select(earlier.id).where(earlier.endpoint_id == d.endpoint_id, earlier.subject == d.subject,
                                      earlier.id < d.id, earlier.status.in_((PENDING, DELIVERING)))
             .exists())
    due = or_(and_(d.status == PENDING, d.next_attempt_at <= now),
              and_(d.status == DELIVERING, d.lease_until < now))  # a claim whose worker went away
    return (select(d.id, d.attempts)
            .join(WebhookEndpoint, WebhookEndpoint.id == d.endpoint_id)
            .where(due, WebhookEndpoint.enabled.is_(True), ~waits)
            .order_by(d.id).limit(limit))


def lease_seconds() -> float:
    """How long a claim lasts: WIZARD_WEBHOOK_LEASE, but always longer than one request may take."""
    cfg = current_app.config
    return max(float(cfg["WIZARD_WEBHOOK_LEASE"]), float(cfg["WIZARD_WEBHOOK_TIMEOUT"]) + 1)


def _take(delivery_id: int, seen_attempts: int, worker: str, now) -> Claim | None:
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
    return Claim(delivery_id, seen_attempts + 1)


def claim(worker: str, limit: int) -> list[Claim]:
    """Claim up to `limit` due deliveries for `worker` and commit the claims."""
    now = clock.now()
    claims: list[Claim] = []
    try:
        if db.engine.dialect.name == "postgresql":
            rows = db.session.execute(_due(now, limit).with_for_update(skip_locked=True, of=WebhookDelivery)).all()
            claims = [c for delivery_id, seen in rows if (c := _take(delivery_id, seen, worker, now))]
            db.session.commit()
            return claims
        rows = db.session.execute(_due(now, limit)).all()
        db.session.commit()  # end the read: each claim below is a write transaction of its own
        for delivery_id, seen in rows:
            try:
                c = _take(delivery_id, seen, worker, now)
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


def run_once(worker: str | None = None, limit: int | None = None) -> int:
    """One batch: claim what is due and send it. Returns how many attempts were made."""
    worker = worker or worker_name()
    claims = claim(worker, int(limit or current_app.config["WIZARD_WEBHOOK_BATCH"]))
    for c in claims:
        send(c, worker)
    return len(claims)


def drain(worker: str | None = None, rounds: int = 100) -> int:
    """Batches until nothing is due (tests and `flask webhooks worker --until-empty`)."""
    total = 0
    for _ in range(rounds):
        n = run_once(worker)
        if not n:
            break
        total += n
    return total
