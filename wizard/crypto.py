"""Secrets at rest and secrets in transit.

- `encrypt` / `decrypt`: Fernet with several keys (MultiFernet): the first key encrypts, every key
  decrypts, so keys rotate by putting a new one first and running `flask keys rotate`.
- `new_secret` / `hash_secret`: tokens and codes are handed out once and only their SHA-256 is kept
  (they are long random strings, so a plain hash is enough; no salt or slow hash needed).
"""
from __future__ import annotations

import hashlib
import json
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class DecryptionError(Exception):
    pass


def _fernet() -> MultiFernet:
    keys = current_app.config["WIZARD_ENCRYPTION_KEYS"]
    cache = current_app.extensions.setdefault("wizard_fernet", {})
    key = tuple(keys)
    if key not in cache:
        cache.clear()
        cache[key] = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    return cache[key]


def encrypt(obj) -> str:
    """Encrypt any JSON-serialisable object to a text token."""
    return _fernet().encrypt(json.dumps(obj).encode()).decode()


def decrypt(token: str):
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:  # wrong or missing key: say so without the token
        raise DecryptionError("cannot decrypt with the configured WIZARD_ENCRYPTION_KEYS") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the first (newest) key."""
    return _fernet().rotate(token.encode()).decode()


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
