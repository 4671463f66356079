"""`flask --app app demo setup` (called by `make run`)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..cli import known_services
from . import isv

demo_cli = AppGroup("demo", help="The demo ISV page's data.")


@demo_cli.command("setup")
def setup():
    """Publish solutions/slack-alerts.yaml (unless unchanged) and create the demo user."""
    for line in isv.setup(known_services=known_services()):
        click.echo(line)
