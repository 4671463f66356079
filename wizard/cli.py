"""Operator commands: `flask --app app <group> <command>`. The database itself is created and
migrated with Flask-Migrate: `flask --app app db upgrade`."""
from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlencode

import click
from flask import current_app
from flask.cli import AppGroup

from . import identity
from .core import CoreError, embedded_core
from .solutions import DefinitionError

solutions_cli = AppGroup("solutions", help="Publish and list solutions.")
tokens_cli = AppGroup("tokens", help="API tokens for ISV backends.")
users_cli = AppGroup("users", help="End users.")
instances_cli = AppGroup("instances", help="Solution instances.")
keys_cli = AppGroup("keys", help="Encryption keys for secrets at rest.")
maintenance_cli = AppGroup("maintenance", help="Housekeeping for operators.")


def _fail(message: str):
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def known_services():
    """Service names for validating definitions, once the registry exists."""
    try:
        from .services import registry
    except ModuleNotFoundError:
        return None
    return set(registry().names())


@solutions_cli.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--instance", "instance_id", help="Publish as a user-specific version of this instance.")
def publish(file: Path, instance_id: str | None):
    """Validate FILE (YAML or JSON) and publish it as the solution's next version."""
    try:
        version = embedded_core().publish(file.read_text(), for_instance_id=instance_id,
                                          known_services=known_services())
    except DefinitionError as exc:
        _fail(f"{file}: {exc}")
    except CoreError as exc:
        _fail(exc.message)
    click.echo(f"published {version.solution_id} version {version.version}"
               + (f" for instance {instance_id}" if instance_id else ""))


@solutions_cli.command("list")
def list_solutions():
    from .extensions import db
    from .models import Solution

    for s in db.session.scalars(db.select(Solution).order_by(Solution.id)):
        latest = max((v.version for v in s.versions if v.for_instance_id is None), default=0)
        click.echo(f"{s.id}\tv{latest}\t{s.title}")


@tokens_cli.command("create-master")
@click.option("--name", default="cli", help="A label to recognise the token by.")
def create_master(name: str):
    """Create a master token. It is printed once and stored hashed."""
    click.echo(identity.create_master_token(name))


@users_cli.command("create")
@click.argument("external_user_id")
@click.option("--name", default="")
def create_user(external_user_id: str, name: str):
    try:
        user = identity.create_user(external_user_id, name)
    except CoreError as exc:
        _fail(exc.message)
    click.echo(user.id)


@instances_cli.command("create")
@click.argument("user_id")
@click.argument("solution_id")
@click.option("--name", default="")
def create_instance(user_id: str, solution_id: str, name: str):
    try:
        inst = embedded_core().create_instance(user_id, solution_id, name)
    except CoreError as exc:
        _fail(exc.message)
    click.echo(inst.id)


def wizard_url(instance_id: str, **params) -> str:
    """A ready wizard URL with a fresh authorization code for the instance's owner."""
    inst = embedded_core().get_instance(instance_id)
    code = identity.generate_code(inst.owner_id)
    query = urlencode({"code": code, **{k: v for k, v in params.items() if v}})
    return f"{current_app.config['WIZARD_PUBLIC_URL']}/configure/{inst.id}?{query}"


@instances_cli.command("wizard-url")
@click.argument("instance_id")
@click.option("--custom-validation", is_flag=True)
def print_wizard_url(instance_id: str, custom_validation: bool):
    """Print a wizard URL for INSTANCE_ID with a fresh code (valid 5 minutes, single use)."""
    try:
        click.echo(wizard_url(instance_id, customValidation="true" if custom_validation else None))
    except CoreError as exc:
        _fail(exc.message)


@keys_cli.command("rotate")
def rotate_keys():
    """Re-encrypt every stored secret with the first key of WIZARD_ENCRYPTION_KEYS."""
    from .crypto import rotate
    from .extensions import db
    from .models import Authentication, SolutionInstance

    count = 0
    for auth in db.session.scalars(db.select(Authentication)):
        auth.credentials = rotate(auth.credentials)
        count += 1
    for inst in db.session.scalars(db.select(SolutionInstance)):
        values = dict(inst.config_values or {})
        for k, v in values.items():
            if isinstance(v, dict) and "$enc" in v:
                values[k] = {"$enc": rotate(v["$enc"])}
                count += 1
        inst.config_values = values
    db.session.commit()
    click.echo(f"re-encrypted {count} secrets")


@maintenance_cli.command("purge")
def purge():
    """Delete what can no longer be used: expired sessions, used or expired codes, expired user
    tokens, finished OAuth attempts. Safe to run at any time (e.g. hourly from cron)."""
    from datetime import timedelta

    from sqlalchemy import delete, or_

    from .connect.models import ConnectFlow, OAuthCacheEntry
    from .extensions import db
    from .models import ApiToken, AuthorizationCode, BrowserSession, utcnow

    now = utcnow()
    counts = {}
    for label, stmt in [
        ("sessions", delete(BrowserSession).where(BrowserSession.expires_at <= now)),
        ("codes", delete(AuthorizationCode).where(or_(AuthorizationCode.expires_at <= now,
                                                      AuthorizationCode.used_at.is_not(None)))),
        ("user tokens", delete(ApiToken).where(ApiToken.expires_at <= now)),
        ("oauth attempts", delete(ConnectFlow).where(ConnectFlow.expires_at <= now - timedelta(hours=1))),
        ("oauth state", delete(OAuthCacheEntry).where(OAuthCacheEntry.expires_at <= now)),
    ]:
        counts[label] = db.session.execute(stmt).rowcount
    db.session.commit()
    click.echo(", ".join(f"{n} {label}" for label, n in counts.items()) + " deleted")


def register(app) -> None:
    for group in (solutions_cli, tokens_cli, users_cli, instances_cli, keys_cli, maintenance_cli):
        app.cli.add_command(group)
