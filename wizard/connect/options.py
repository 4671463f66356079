"""Dynamic options for config slots (`options: {source: "service.name", auth: <slot>}`).

Fetched on the server with the user's token (refreshed first when it is about to expire), with a
short timeout, and cached briefly in the process per authentication and source. The token never
reaches the browser; failures become OptionsUnavailable with a message for people.
"""
from __future__ import annotations

import threading
import time

from flask import current_app

from ..texts import T
from .. import accounts
from ..core import CoreError, CoreUnavailable, NotFound, get_core
from ..i18n import _
from ..extensions import per_app
from ..services import UnknownService, registry
from .tokens import ApiError, NeedsReconnect, Refused, call_api

CACHE_SECONDS = 60
_lock = threading.Lock()


class OptionsUnavailable(Exception):
    """The options cannot be listed right now; str(exc) / .message is for people. Code
    "missing_scope": the account has not allowed what the list needs (`missing`, when known);
    reconnecting and allowing it is the cure, not a retry."""

    def __init__(self, message: str, *, code: str = "options_unavailable", missing: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.missing = list(missing or [])


def missing_scope(service, auth, missing) -> OptionsUnavailable:
    """The message for an account that lacks the scopes a list needs, in the service's words."""
    if not missing:
        return OptionsUnavailable(
            T("%(service)s refused to list these choices for %(account)s: the account has not allowed what this list needs. Reconnect it and allow everything it asks for.", service=service.title, account=auth.name), code="missing_scope")
    words = service.scope_list(missing)
    if len(missing) == 1:
        text = T("Your %(service)s account %(account)s has not given the permission %(permissions)s, which this list "
                 "needs. Reconnect the account and allow it.", service=service.title, account=auth.name, permissions=words)
    else:
        text = T("Your %(service)s account %(account)s has not given the permissions %(permissions)s, which this list "
                 "needs. Reconnect the account and allow them.", service=service.title, account=auth.name,
                 permissions=words)
    return OptionsUnavailable(text, code="missing_scope", missing=missing)


def _from_core(core, source: str, *, owner_id: str, auth_id: str) -> list[dict]:
    """The options as the remote core lists them, after checking the account is the owner's."""
    try:
        core.get_account(auth_id, owner_id)
        options, error = core.account_options(auth_id, source)
    except NotFound:
        raise OptionsUnavailable(_("The connected account was not found. Connect it again."),
                                 code="needs_reconnect") from None
    except CoreUnavailable:
        raise OptionsUnavailable(_("The choices could not be loaded: the service is not reachable right now. "
                                   "Try again in a moment.")) from None
    except CoreError as exc:
        raise OptionsUnavailable(exc.message) from None
    if error:
        raise OptionsUnavailable(error["message"], code=error["code"], missing=error["missing"])
    return options


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
    their authentication `auth_id`. Raises OptionsUnavailable. With a remote core the core makes
    the call (the token never leaves it: authenticationOptions, docs/api.md "Front ends")."""
    core = get_core()
    if core.remote:
        return _from_core(core, source, owner_id=owner_id, auth_id=auth_id)
    service_name, _, name = (source or "").partition(".")
    try:
        service = registry().get(service_name)
    except UnknownService:
        raise OptionsUnavailable(T("The service %(service)s is not available on this server.", service=repr(service_name)),
                                 code="unknown_service") from None
    spec = service.options.get(name)
    if spec is None:
        raise OptionsUnavailable(T("%(service)s has no list called %(name)s.", service=service.title, name=repr(name)), code="unknown_options")
    try:
        auth = accounts.get(auth_id, owner_id=owner_id)
    except NotFound:
        raise OptionsUnavailable(T("The connected account was not found. Connect it again."),
                                 code="needs_reconnect") from None
    if auth.service != service.name:
        raise OptionsUnavailable(T("The chosen account is not a %(service)s account.", service=service.title), code="wrong_service")

    needed = service.scopes_for(name)
    if service.check_scopes and auth.auth_type == "oauth2" and auth.scopes:
        # A provider that echoes scopes as asked: its granted list is the truth, no need to ask.
        lacking = [s for s in needed if s not in auth.scopes]
        if lacking:
            raise missing_scope(service, auth, lacking)

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
    except Refused:  # 401/403 (a 401 survived a refresh): the token does not allow this list
        raise missing_scope(service, auth, [s for s in needed if s not in (auth.scopes or [])] or list(needed)) \
            from None
    except ApiError as exc:
        raise OptionsUnavailable(T("Could not load the choices from %(service)s: %(reason)s Try again in a moment.", service=service.title, reason=exc.message)) from None
    items = _items(body, spec["items"])
    if not isinstance(items, list):
        raise OptionsUnavailable(T("%(service)s answered in an unexpected shape; the choices cannot be shown.", service=service.title))
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
