"""Operator commands: `flask --app app <group> <command>`. The database itself is created and
migrated with Flask-Migrate: `flask --app app db upgrade`."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import delete, or_

from . import identity
from .core import CoreError, embedded_core
from .crypto import reseal, rotate
from .extensions import db
from .flow.links import wizard_url
from .models import (
    ApiToken, Authentication, AuthorizationCode, BrowserSession, ConnectFlow, OAuthCacheEntry, Solution,
    SolutionInstance, utcnow,
)
from .services.authoring import catalog
from .solutions import DefinitionError
from .webhooks.endpoints import reencrypt_secrets
from .textcheck import InputError

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
    """The services, for validating definitions: names, a solution's own services, options
    sources and their scopes (wizard.services.authoring.Catalog)."""
    return catalog()


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
    except InputError as exc:  # refused by the column guard (wizard.dbsafety), e.g. a title too long
        _fail(f"{file}: {exc}")
    click.echo(f"published {version.solution_id} version {version.version}"
               + (f" for instance {instance_id}" if instance_id else ""))


@solutions_cli.command("list")
def list_solutions():
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


@instances_cli.command("wizard-url")
@click.argument("instance_id")
@click.option("--custom-validation", is_flag=True)
def print_wizard_url(instance_id: str, custom_validation: bool):
    """Print a wizard URL for INSTANCE_ID with a fresh code (valid 5 minutes, single use)."""
    try:
        inst = embedded_core().get_instance(instance_id)
        click.echo(wizard_url(inst.owner_id, inst.id, customValidation="true" if custom_validation else None))
    except CoreError as exc:
        _fail(exc.message)


@keys_cli.command("rotate")
def rotate_keys():
    """Re-encrypt every stored secret with the first key of WIZARD_ENCRYPTION_KEYS."""
    count = 0
    for auth in db.session.scalars(db.select(Authentication)):
        auth.credentials = rotate(auth.credentials)
        count += 1
    for inst in db.session.scalars(db.select(SolutionInstance)):
        inst.config_values, n = reseal(dict(inst.config_values or {}))
        count += n
    count += reencrypt_secrets()
    db.session.commit()
    click.echo(f"re-encrypted {count} secrets")


@maintenance_cli.command("purge")
def purge():
    """Delete what can no longer be used: expired sessions, used or expired codes, expired user
    tokens, finished OAuth attempts. Safe to run at any time (e.g. hourly from cron)."""
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
