"""Operator commands: `flask --app app <group> <command>`. The database itself is created and
migrated with Flask-Migrate: `flask --app app db upgrade`."""
from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import delete, or_

from . import identity, manage
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
accounts_cli = AppGroup("accounts", help="End users' connected accounts.")
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
    for group in (solutions_cli, tokens_cli, users_cli, instances_cli, accounts_cli, keys_cli, maintenance_cli):
        app.cli.add_command(group)


# -- operator commands on the operations layer (wizard.manage): the console's lists and actions --

def _default(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _emit(as_json: bool, page_or_item, columns=None):
    """A page (wizard.manage.Page) or one item: JSON with --json, else tab-separated lines."""
    if as_json:
        if isinstance(page_or_item, manage.Page):
            click.echo(json.dumps({"items": page_or_item.items, "next": page_or_item.next_cursor},
                                  default=_default, indent=2))
        else:
            click.echo(json.dumps(page_or_item, default=_default, indent=2))
        return
    if isinstance(page_or_item, manage.Page):
        click.echo("\t".join(columns))
        for item in page_or_item.items:
            click.echo("\t".join("" if item.get(c) is None else _default(item.get(c)) for c in columns))
        if page_or_item.next_cursor:
            click.echo(f"more: --after {page_or_item.next_cursor}")
    else:
        for key, value in page_or_item.items():
            click.echo(f"{key}: {json.dumps(value, default=_default) if isinstance(value, (list, dict)) else _default(value)}")


def _paging(fn):
    fn = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(fn)
    fn = click.option("--limit", type=click.IntRange(1, manage.MAX_PAGE), default=manage.PAGE_SIZE)(fn)
    return click.option("--after", help="The cursor printed after the previous page.")(fn)


def _tristate(name: str, help: str):
    return click.option(f"--{name}/--not-{name}", default=None, help=help)


def _act(fn, *args):
    try:
        return fn(*args)
    except CoreError as exc:
        _fail(exc.message)


@users_cli.command("list")
@_paging
@click.option("--external-user-id")
@click.option("--name")
@click.option("--id", "user_id")
def list_users(after, limit, as_json, external_user_id, name, user_id):
    """Users, oldest first (id, externalUserId, name, instances)."""
    page = _act(lambda: manage.list_users(after=after, size=limit, external_user_id=external_user_id,
                                          name=name, user_id=user_id))
    _emit(as_json, page, ["id", "external_user_id", "name", "instances", "created"])


@users_cli.command("show")
@click.argument("user_id")
@click.option("--json", "as_json", is_flag=True)
def show_user(user_id, as_json):
    _emit(as_json, _act(manage.show_user, user_id))


@users_cli.command("remove")
@click.argument("user_id")
@click.option("--yes", is_flag=True, help="Do not ask.")
def remove_user(user_id, yes):
    """Remove the user with their instances, accounts and tokens."""
    what = _act(manage.removal_of_user, user_id)
    if not yes:
        click.confirm(f"remove {what['user'].external_user_id} with {len(what['instances'])} instance(s), "
                      f"{len(what['accounts'])} account(s) and {what['tokens']} token(s)?", abort=True)
    _act(manage.remove_user, user_id)
    click.echo(f"removed user {user_id}")


@instances_cli.command("list")
@_paging
@click.option("--solution")
@click.option("--user", "owner_id", help="Only this user's (user id).")
@_tristate("enabled", "Only enabled (or disabled) instances.")
@_tristate("needs-upgrade", "Only those whose newest version differs from the running one.")
@_tristate("user-specific", "Only those with a user-specific version.")
def list_instances(after, limit, as_json, solution, owner_id, enabled, needs_upgrade, user_specific):
    """Instances, oldest first."""
    page = _act(lambda: manage.list_instances(after=after, size=limit, solution_id=solution, owner_id=owner_id,
                                              enabled=enabled, needs_upgrade=needs_upgrade,
                                              user_specific=user_specific))
    _emit(as_json, page, ["id", "solution_id", "external_user_id", "name", "enabled", "version", "newest_version",
                          "user_specific"])


@instances_cli.command("show")
@click.argument("instance_id")
@click.option("--json", "as_json", is_flag=True)
def show_instance(instance_id, as_json):
    """The instance (secret values masked)."""
    data = _act(manage.show_instance, instance_id)
    data.pop("definition")
    _emit(as_json, data)


@instances_cli.command("enable")
@click.argument("instance_id")
def enable_instance(instance_id):
    _act(manage.set_enabled, instance_id, True)
    click.echo(f"enabled {instance_id}")


@instances_cli.command("disable")
@click.argument("instance_id")
def disable_instance(instance_id):
    _act(manage.set_enabled, instance_id, False)
    click.echo(f"disabled {instance_id}")


@instances_cli.command("remove")
@click.argument("instance_id")
def remove_instance(instance_id):
    _act(manage.remove_instance, instance_id)
    click.echo(f"removed {instance_id}")


@instances_cli.command("upgrade")
@click.argument("instance_id")
def upgrade_instance(instance_id):
    """Move the instance to its newest version, when that needs no input."""
    data = _act(manage.upgrade, instance_id)
    click.echo(f"upgraded {instance_id} to version {data.version}")


@accounts_cli.command("list")
@_paging
@click.option("--user", "owner_id")
@click.option("--service")
@click.option("--status", type=click.Choice(["ok", "needs_reconnect"]))
def list_accounts(after, limit, as_json, owner_id, service, status):
    """Connected accounts (never their credentials)."""
    page = _act(lambda: manage.list_accounts(after=after, size=limit, owner_id=owner_id, service=service,
                                             status=status))
    _emit(as_json, page, ["id", "external_user_id", "service", "name", "status", "created"])


@accounts_cli.command("remove")
@click.argument("auth_id")
def remove_account(auth_id):
    _act(manage.remove_account, auth_id)
    click.echo(f"removed {auth_id}")


@tokens_cli.command("list")
@_paging
@click.option("--user", "user_id")
@click.option("--kind", type=click.Choice(["master", "user"]))
@click.option("--include-expired", is_flag=True)
def list_tokens(after, limit, as_json, user_id, kind, include_expired):
    """API tokens (never the tokens themselves: they are stored hashed)."""
    page = _act(lambda: manage.list_tokens(after=after, size=limit, user_id=user_id, kind=kind,
                                           include_expired=include_expired))
    _emit(as_json, page, ["id", "kind", "user_id", "name", "expires_at", "created"])


@tokens_cli.command("revoke")
@click.argument("token_id")
def revoke_token(token_id):
    _act(manage.revoke_token, token_id)
    click.echo(f"revoked {token_id}")
