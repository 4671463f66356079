"""Themes (themes.graphql): master token only. Thin: the rules live in wizard.themes.rules,
which the CLI calls too."""
from __future__ import annotations

import base64
import binascii

from ariadne import ObjectType

from ..themes import store
from ..themes.rules import ThemeError
from ..themes.views import theme_of
from .access import operation
from .errors import bad_input, field_errors
from .root import mutation, query

theme_type = ObjectType("Theme")


_call = field_errors(ThemeError)


@theme_type.field("logoUrl")
def resolve_logo_url(theme, _info):
    return theme["urls"].logo_url


@theme_type.field("stylesheetUrl")
def resolve_stylesheet_url(theme, _info):
    return theme["urls"].stylesheet_url


def _theme(embedded_id: str) -> dict:
    return {**_call(store.describe, embedded_id), "urls": theme_of(store.get(embedded_id))}


def _logo(value: str | None) -> tuple[bytes | None, bool]:
    """(bytes, remove) from the input's base64 text."""
    if value is None:
        return None, False
    if value == "":
        return None, True
    try:
        return base64.b64decode(value, validate=True), False
    except (binascii.Error, ValueError):
        raise bad_input("logo", "must be base64 of a PNG or JPEG file") from None


@query.field("theme")
@operation(master_only=True)
def resolve_theme(_, info, embeddedId: str):
    return _theme(embeddedId)


@mutation.field("updateTheme")
@operation(master_only=True)
def update_theme(_, info, input: dict):
    logo, remove_logo = _logo(input.get("logo"))
    _call(store.update, input["embeddedId"], reset=bool(input.get("reset")), product_name=input.get("productName"),
          colors=input.get("colors"), corner_radius=input.get("cornerRadius"), custom_css=input.get("customCss"),
          logo=logo, remove_logo=remove_logo)
    return {"theme": _theme(input["embeddedId"]), "clientMutationId": input.get("clientMutationId")}


bindables = [theme_type]
