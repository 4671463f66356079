"""`flask webhooks ...`: the delivery worker and what an operator needs around it."""
from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import AppGroup


from ..extensions import db
from . import endpoints
from .delivery import schedule, worker_name
from .endpoints import EndpointError
from .models import WebhookDelivery

webhooks_cli = AppGroup("webhooks", help="Instance events to the ISV's endpoints: worker, endpoints, delivery log.")


def _fail(message: str):
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@webhooks_cli.command("worker")
@click.option("--until-empty", is_flag=True, help="Stop when nothing is due (instead of polling).")
@click.option("--batch", type=int, help="Deliveries claimed per round (WIZARD_WEBHOOK_BATCH).")
def worker(until_empty: bool, batch: int | None):
    """Deliver events. Run as many as you like: they never make the same attempt twice.
    SIGTERM or Ctrl-C finishes the batch in flight, then stops."""
    from .worker import work

    app = current_app._get_current_object()
    if batch:
        app.config["WIZARD_WEBHOOK_BATCH"] = batch
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    name = worker_name()
    click.echo(f"webhooks worker {name} started", err=True)
    total = work(app, stop, worker=name, until_empty=until_empty)
    click.echo(f"webhooks worker {name} stopped after {total} attempts", err=True)


@webhooks_cli.command("add")
@click.argument("url")
@click.option("--description", default="")
@click.option("--event", "event_types", multiple=True, help="An event type to receive (repeat; default: all).")
def add(url: str, description: str, event_types: tuple[str, ...]):
    """Add an endpoint; prints its id and its signing secret (shown this once)."""
    try:
        endpoint, secret = endpoints.create(url, description=description, event_types=list(event_types))
    except EndpointError as exc:
        _fail(str(exc))
    click.echo(f"{endpoint.id}\t{secret}")


@webhooks_cli.command("rotate")
@click.argument("endpoint_id")
@click.option("--grace", type=int, default=endpoints.DEFAULT_ROTATION_GRACE, show_default=True,
              help="Seconds the old secret still signs beside the new one.")
def rotate_secret(endpoint_id: str, grace: int):
    """A new signing secret for ENDPOINT_ID; prints it (shown this once)."""
    try:
        _, secret = endpoints.rotate_secret(endpoint_id, grace_seconds=grace)
    except EndpointError as exc:
        _fail(str(exc))
    click.echo(secret)


def _on_endpoint(endpoint_id: str, change, done: str):
    try:
        change(endpoint_id)
    except EndpointError as exc:
        _fail(str(exc))
    click.echo(f"{endpoint_id} {done}")


@webhooks_cli.command("disable")
@click.argument("endpoint_id")
def disable(endpoint_id: str):
    """Stop sending to ENDPOINT_ID (events meanwhile are not queued for it; replay them)."""
    _on_endpoint(endpoint_id, lambda e: endpoints.update(e, enabled=False), "disabled")


@webhooks_cli.command("enable")
@click.argument("endpoint_id")
def enable(endpoint_id: str):
    _on_endpoint(endpoint_id, lambda e: endpoints.update(e, enabled=True), "enabled")


@webhooks_cli.command("remove")
@click.argument("endpoint_id")
def remove(endpoint_id: str):
    """Delete ENDPOINT_ID with its deliveries and their log."""
    _on_endpoint(endpoint_id, endpoints.remove, "removed")


@webhooks_cli.command("list")
@click.option("--status", type=click.Choice(["pending", "delivering", "delivered", "dead"]))
@click.option("--endpoint", "endpoint_id")
@click.option("--limit", type=int, default=50, show_default=True)
def list_(status: str | None, endpoint_id: str | None, limit: int):
    """Endpoints, then the newest deliveries (filtered), with their attempts."""
    for e in endpoints.list_endpoints():
        types = ",".join(e.event_types) or "all events"
        click.echo(f"endpoint {e.id}\t{'enabled' if e.enabled else 'disabled'}\t{e.url}\t{types}")
    counts = endpoints.stats()
    click.echo("deliveries: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"))
    click.echo("retry schedule (s): " + ", ".join(f"{d:g}" for d in schedule()) + ", then dead")
    stmt = endpoints.deliveries_query(endpoint_id=endpoint_id, status=status)
    rows = db.session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit)).all()
    for d in reversed(rows):
        due = d.next_attempt_at.isoformat(timespec="seconds") if d.status == "pending" else ""
        click.echo(f"delivery {d.id}\t{d.status}\t{d.event.type}\t{d.event_id}\t{d.endpoint_id}\t"
                   f"attempts={d.attempts}\t{d.last_error or ''}\t{due}".rstrip())


@webhooks_cli.command("retry")
@click.argument("delivery_ids", nargs=-1)
@click.option("--all-dead", is_flag=True, help="Every dead-lettered delivery.")
@click.option("--endpoint", "endpoint_id", help="With --all-dead: only this endpoint's.")
def retry(delivery_ids: tuple[str, ...], all_dead: bool, endpoint_id: str | None):
    """Send dead (or waiting) deliveries again now."""
    if not delivery_ids and not all_dead:
        _fail("name deliveries, or pass --all-dead")
    try:
        for delivery_id in delivery_ids:
            endpoints.retry(delivery_id)
        count = len(delivery_ids) + (endpoints.retry_dead(endpoint_id) if all_dead else 0)
    except EndpointError as exc:
        _fail(str(exc))
    click.echo(f"{count} deliveries due now")


@webhooks_cli.command("replay")
@click.argument("event_ids", nargs=-1)
@click.option("--since", help="Every event since this ISO 8601 time (UTC when no zone is given).")
@click.option("--endpoint", "endpoint_id", help="Only to this endpoint (default: every enabled one).")
def replay(event_ids: tuple[str, ...], since: str | None, endpoint_id: str | None):
    """Send events again as new deliveries (same webhook-id)."""
    when = None
    if since:
        try:
            when = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            _fail(f"--since {since!r} is not an ISO 8601 time")
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    try:
        out = endpoints.replay(list(event_ids), endpoint_id=endpoint_id, since=when)
    except EndpointError as exc:
        _fail(str(exc))
    click.echo(f"{len(out)} deliveries queued")


@webhooks_cli.command("validation-secret")
def validation_secret():
    """The secret(s) that sign validation webhook requests (WIZARD_VALIDATION_WEBHOOK_SECRET;
    in development one kept in instance/)."""
    for secret in current_app.config.get("WIZARD_VALIDATION_WEBHOOK_SECRET") or []:
        click.echo(secret)



