"""The validation webhook: the ISV's backend checks values before they are kept.

A solution's definition (`validationUrl`) or the server (`WIZARD_VALIDATION_WEBHOOK_URL`) names
the URL. The wizard asks on every Next (the screen's values) and on Finish (all values); the API
asks on createSolutionInstance (with values), updateSolutionInstance and upgradeSolutionInstance
(with values). The request is signed like the events (Standard Webhooks, with
WIZARD_VALIDATION_WEBHOOK_SECRET) and waits at most WIZARD_VALIDATION_WEBHOOK_TIMEOUT_MS in all (wizard/outbound.py: a
total deadline, a byte cap, no redirect, no internal address unless allowed).

The answer: HTTP 2xx with `{"errors": {"<externalId>": "message"}}`; no errors (`{}` or
`{"errors": {}}`) means valid. Closed by default: anything else (a timeout, another status, not
that JSON, `null`, a list, `{"errors": null}`, an id that is no slot, a message that is not a
non-empty string) is `Unavailable`: the caller keeps what was typed and offers a retry, and nothing is saved.
Values of `secret` slots are never sent (their ids are in `secretsSet`), nor any credential.
"""
from __future__ import annotations

import logging
import uuid

from flask import current_app

from .. import outbound
from ..texts import T
from ..extensions import db
from ..models import ExternalUser
from . import clock, signing
from .delivery import USER_AGENT, body_of
from .events import iso, public_config

log = logging.getLogger("wizard.webhooks")
MAX_MESSAGE = 500
UNAVAILABLE_MESSAGE = T("Your settings could not be checked right now, so nothing was saved yet. "
                        "Everything you entered is still here: try again in a moment.")


class Unavailable(Exception):
    """The validation webhook did not give a usable answer in time."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail
        self.message = UNAVAILABLE_MESSAGE


def url_for(definition: dict | None) -> str | None:
    """The solution's validationUrl, else the server's default, else None (no webhook)."""
    return ((definition or {}).get("validationUrl")
            or current_app._get_current_object().config.get("WIZARD_VALIDATION_WEBHOOK_URL"))  # (every Next)


def ask(definition: dict, *, trigger: str, user_id: str, config: dict, auth: dict,
        external_user_id: str | None = None, instance_id: str | None = None, version: int | None = None, screen: dict | None = None,
        changed: list[str] | None = None) -> dict[str, str]:
    """Ask the webhook about these values; {} when valid (or when no webhook is named), else
    externalId -> message. Raises Unavailable. `trigger`: next, finish, or the API mutation.
    `external_user_id` comes from the caller when the user lives elsewhere (a front end's session
    knows it from its core); else it is looked up here."""
    url = url_for(definition)
    if not url:
        return {}
    secrets_ = current_app.config.get("WIZARD_VALIDATION_WEBHOOK_SECRET") or []
    if not secrets_:
        log.error("validation webhook %s is named but WIZARD_VALIDATION_WEBHOOK_SECRET is not set", url)
        raise Unavailable("no signing secret configured")
    if external_user_id is None and user_id:
        user = db.session.get(ExternalUser, user_id)
        external_user_id = user.external_user_id if user else None
    shown, secret_set = public_config(definition, {k: v for k, v in config.items() if v is not None})
    data = {"trigger": trigger, "solutionInstanceId": instance_id, "solutionId": definition.get("id"),
            "version": version, "userId": user_id, "externalUserId": external_user_id,
            "screen": screen, "configValues": shown, "secretsSet": secret_set,
            "authValues": {k: v for k, v in auth.items() if v}}
    if changed is not None:
        data["changed"] = sorted(changed)
    body = body_of({"type": "validation.requested", "timestamp": iso(clock.now()), "data": data})
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               **signing.headers("val_" + uuid.uuid4().hex, body, list(secrets_))}
    timeout = current_app.config["WIZARD_VALIDATION_WEBHOOK_TIMEOUT_MS"] / 1000
    try:
        resp = outbound.request("POST", url, data=body.encode(), headers=headers, deadline=timeout)
    except outbound.DeadlineExceeded:
        raise _unavailable(url, f"no whole answer within {timeout:g} s") from None
    except outbound.OutboundError as exc:
        raise _unavailable(url, exc.reason) from None
    if not 200 <= resp.status_code < 300:
        raise _unavailable(url, f"HTTP {resp.status_code}")
    try:
        answer = resp.json()
    except ValueError:
        raise _unavailable(url, "the answer is not JSON") from None
    errors = errors_of(answer, slot_ids(definition))
    if errors is None:
        raise _unavailable(url, "the answer is not {\"errors\": {externalId: message}}")
    return errors


def slot_ids(definition: dict) -> set[str]:
    """The externalIds an answer may name: the definition's config and auth slots."""
    return {s.get("externalId") for s in (definition.get("config") or []) + (definition.get("auth") or [])
            if isinstance(s, dict)}


def errors_of(answer, known: set[str]) -> dict[str, str] | None:
    """externalId -> message from an answer, or None when the answer is not one (closed by
    default: only `{}`, `{"errors": {}}` or `{"errors": {known id: non-empty string, ...}}`)."""
    if not isinstance(answer, dict) or set(answer) - {"errors"}:
        return None
    errors = answer.get("errors", {})
    if not isinstance(errors, dict):
        return None
    out = {}
    for key, message in errors.items():
        if key not in known or not isinstance(message, str) or not message.strip():
            return None
        out[key] = message.strip()[:MAX_MESSAGE]
    return out


def _unavailable(url: str, detail: str) -> Unavailable:
    log.warning("validation webhook %s failed: %s", url, detail)
    return Unavailable(detail)
