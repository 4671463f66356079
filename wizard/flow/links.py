"""The one builder of wizard URLs: what an ISV page opens (docs/api.md, "From a user to a wizard
URL"). Used by the CLI and the demo page; the ISV's backend builds the same from the API."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app

from .. import identity


def wizard_url(owner_id: str, instance_id: str, **params) -> str:
    """`<public origin>/configure/<instance>?code=...`, with a fresh single-use code for the
    instance's owner and the given entry options (customValidation, start, ...; None or "" left out)."""
    code = identity.generate_code(owner_id)
    query = urlencode({"code": code, **{k: v for k, v in params.items() if v}})
    return f"{current_app.config['WIZARD_PUBLIC_URL']}/configure/{instance_id}?{query}"
