"""The time the delivery schedule reads. Tests put a clock they can move under
`app.extensions["wizard_webhooks_clock"]` (a callable returning an aware datetime), so that a day of
backoff passes without sleeping. Signatures always carry the wall clock (signing.headers)."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context

from ..models._base import utcnow

KEY = "wizard_webhooks_clock"


def now() -> datetime:
    clock = current_app.extensions.get(KEY) if has_app_context() else None
    return clock() if clock is not None else utcnow()
