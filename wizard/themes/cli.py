"""`flask themes ...`: an ISV's look per embeddedId, the same rules as the API's updateTheme
(wizard.themes.rules). A theme whose colours fail WCAG 2.2 AA contrast is refused, naming the pair."""
from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from . import store
from .rules import ThemeError

themes_cli = AppGroup("themes", help="Themes per embeddedId: product name, logo, colours, corner radius, custom CSS.")

COLOR_OPTIONS = (("primary", "primary"), ("text-on-primary", "textOnPrimary"), ("background", "background"),
                 ("surface", "surface"), ("text", "text"), ("error", "error"))


def _fail(message: str):
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _update(embedded_id: str, **changes):
    try:
        store.update(embedded_id, **changes)
    except ThemeError as exc:
        _fail(str(exc))
    click.echo(json.dumps(store.describe(embedded_id), indent=2))


@themes_cli.command("list")
def list_themes():
    """The embeddedIds that have a theme."""
    for row in store.all_themes():
        click.echo(f"{row.embedded_id}\t{row.product_name}")


@themes_cli.command("show")
@click.argument("embedded_id")
def show(embedded_id: str):
    """The theme of EMBEDDED_ID as JSON (the default look when it has none)."""
    try:
        click.echo(json.dumps(store.describe(embedded_id), indent=2))
    except ThemeError as exc:
        _fail(str(exc))


def _color_options(fn):
    for option, name in reversed(COLOR_OPTIONS):
        fn = click.option(f"--{option}", name, metavar="#RRGGBB", help=f"The {name} colour.")(fn)
    return fn


@themes_cli.command("set")
@click.argument("embedded_id")
@click.option("--name", "product_name", help="The product name shown to the user.")
@_color_options
@click.option("--radius", "corner_radius", type=int, help="Corner radius in pixels (0-24).")
@click.option("--reset", is_flag=True, help="Start from the default look.")
def set_theme(embedded_id: str, product_name, corner_radius, reset, **colors):
    """Change the theme of EMBEDDED_ID; colours are checked for contrast together."""
    given = {k: v for k, v in colors.items() if v is not None}
    _update(embedded_id, reset=reset, product_name=product_name, colors=given or None, corner_radius=corner_radius)


@themes_cli.command("logo")
@click.argument("embedded_id")
@click.argument("file", type=click.File("rb"), required=False)
@click.option("--remove", is_flag=True, help="Show no logo.")
def logo(embedded_id: str, file, remove: bool):
    """Set the logo of EMBEDDED_ID from FILE (PNG or JPEG), or --remove it."""
    if (file is None) == (not remove):
        _fail("give a FILE or --remove")
    _update(embedded_id, logo=file.read() if file else None, remove_logo=remove)


@themes_cli.command("css")
@click.argument("embedded_id")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def css(embedded_id: str, file):
    """Set the custom CSS of EMBEDDED_ID from FILE ('-' for standard input; an empty file removes it)."""
    _update(embedded_id, custom_css=file.read())


@themes_cli.command("reset")
@click.argument("embedded_id")
def reset(embedded_id: str):
    """Remove the theme of EMBEDDED_ID: its pages get the default look."""
    try:
        removed = store.remove(embedded_id)
    except ThemeError as exc:
        _fail(str(exc))
    click.echo("removed" if removed else "it had no theme")
