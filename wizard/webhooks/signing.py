"""Standard Webhooks signatures (https://www.standardwebhooks.com), made by the
`standardwebhooks` library itself so that what we sign is what its `verify` accepts.

Headers: `webhook-id` (the event id, the same on every retry), `webhook-timestamp` (Unix seconds,
the wall clock of this attempt: receivers refuse more than 5 minutes of skew), and
`webhook-signature`: `v1,<base64 HMAC-SHA256>` per secret, separated by spaces, so that during a
rotation the old and the new secret both verify.
"""
from __future__ import annotations

import base64
import secrets
import time
from datetime import datetime, timezone

from standardwebhooks import Webhook

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret in the scheme's format: whsec_ + base64 of 32 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def is_secret(value: str) -> bool:
    """True for a usable whsec_ secret (base64 of at least 24 bytes)."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return False
    try:
        return len(base64.b64decode(value[len(PREFIX):], validate=True)) >= 24
    except ValueError:
        return False


def headers(msg_id: str, body: str, signing_secrets: list[str], *, at: float | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for `body` (the exact bytes sent, as text)."""
    stamp = datetime.fromtimestamp(int(at if at is not None else time.time()), tz=timezone.utc)
    signatures = " ".join(Webhook(s).sign(msg_id, stamp, body) for s in signing_secrets)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(stamp.timestamp())),
            "webhook-signature": signatures}
