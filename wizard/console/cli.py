"""`flask console`: sign-in links for installations without an IdP, and the operators."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from .auth import SignInError, create_sign_in_link
from .models import ROLES, Operator

console_cli = AppGroup("console", help="The operator console.")


@console_cli.command("sign-in-link")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), help="Make EMAIL an operator with this role first.")
def sign_in_link(email: str, role: str | None):
    """Print a single-use sign-in link for EMAIL, valid 10 minutes (stored hashed)."""
    try:
        click.echo(create_sign_in_link(email, role))
    except SignInError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@console_cli.command("operators")
def list_operators():
    """The operators: e-mail, role, whether disabled, last sign-in."""
    for op in db.session.scalars(select(Operator).order_by(Operator.email)):
        click.echo(f"{op.email}\t{op.role}\t{'disabled' if op.disabled else 'active'}\t"
                   f"{op.last_sign_in.isoformat() if op.last_sign_in else '-'}")
