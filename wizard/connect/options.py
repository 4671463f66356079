"""Dynamic options for config slots (`options: {source: "service.name", auth: <slot>}`).

Fetched on the server with the user's token (refreshed first when it is about to expire), with a
short timeout, and cached briefly in the process per authentication and source. The token never
reaches the browser; failures become OptionsUnavailable with a message for people.
"""
from __future__ import annotations

import threading
import time

from flask import current_app

from .. import accounts
from ..core import NotFound
from ..extensions import per_app
from ..services import UnknownService, registry
from .tokens import ApiError, NeedsReconnect, call_api

CACHE_SECONDS = 60
_lock = threading.Lock()


class OptionsUnavailable(Exception):
    """The options cannot be listed right now; str(exc) / .message is for people."""

    def __init__(self, message: str, *, code: str = "options_unavailable"):
        super().__init__(message)
        self.message = message
        self.code = code


def _items(body, path: str):
    """The list at a dotted path of the answer ('' = the answer itself)."""
    node = body
    for part in [p for p in path.split(".") if p]:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _cache() -> dict:
    return per_app("wizard_options_cache", dict)


def fetch_options(source: str, *, owner_id: str, auth_id: str) -> list[dict]:
    """[{"value", "text"}, ...] from the service's `options[name]` endpoint, as `owner_id` through
    their authentication `auth_id`. Raises OptionsUnavailable."""
    service_name, _, name = (source or "").partition(".")
    try:
        service = registry().get(service_name)
    except UnknownService:
        raise OptionsUnavailable(f"The service {service_name!r} is not available on this server.",
                                 code="unknown_service") from None
    spec = service.options.get(name)
    if spec is None:
        raise OptionsUnavailable(f"{service.title} has no list called {name!r}.", code="unknown_options")
    try:
        auth = accounts.get(auth_id, owner_id=owner_id)
    except NotFound:
        raise OptionsUnavailable("The connected account was not found. Connect it again.",
                                 code="needs_reconnect") from None
    if auth.service != service.name:
        raise OptionsUnavailable(f"The chosen account is not a {service.title} account.", code="wrong_service")

    # The key includes when the account last changed, so a reconnect is never served stale data.
    key = (auth.id, auth.updated.isoformat() if auth.updated else "", source)
    with _lock:
        hit = _cache().get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    try:
        body = call_api(auth, "GET", spec["path"])
    except NeedsReconnect as exc:
        raise OptionsUnavailable(exc.message, code="needs_reconnect") from None
    except ApiError as exc:
        raise OptionsUnavailable(f"Could not load the choices from {service.title}: {exc.message} "
                                 "Try again in a moment.") from None
    items = _items(body, spec["items"])
    if not isinstance(items, list):
        raise OptionsUnavailable(f"{service.title} answered in an unexpected shape; the choices cannot be shown.")
    options = []
    for item in items:
        if isinstance(item, dict) and item.get(spec["value"]) is not None:
            value = item[spec["value"]]
            options.append({"value": value if isinstance(value, (str, int, float, bool)) else str(value),
                            "text": str(item.get(spec["text"], value))})
    with _lock:
        cache = _cache()
        now = time.monotonic()
        for k in [k for k, v in cache.items() if v[0] <= now]:
            del cache[k]
        cache[key] = (now + current_app.config.get("WIZARD_OPTIONS_CACHE_SECONDS", CACHE_SECONDS), options)
    return options
