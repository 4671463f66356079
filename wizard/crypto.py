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

from .extensions import per_app


SEALED = "$enc"  # a value stored encrypted: {"$enc": "<Fernet token>"}


class DecryptionError(Exception):
    pass


def _fernet() -> MultiFernet:
    keys = tuple(current_app.config["WIZARD_ENCRYPTION_KEYS"])
    return per_app("wizard_fernet", lambda: MultiFernet([Fernet(k.encode() if isinstance(k, str) else k)
                                                         for k in keys]), key=keys)


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


# -- sealed values: secrets among JSON values ({"$enc": token}) ---------------------------------

def is_sealed(value) -> bool:
    return isinstance(value, dict) and set(value) == {SEALED}


def seal(values: dict, secret_ids: set[str]) -> dict:
    """`values` with those of `secret_ids` encrypted (None stays None)."""
    return {k: ({SEALED: encrypt(v)} if k in secret_ids and v is not None else v) for k, v in values.items()}


def unseal(values: dict | None, *, skip_unreadable: bool = False) -> dict:
    """`values` with sealed ones decrypted. With `skip_unreadable`, a value under a retired key is
    left out (the user types it again) instead of raising DecryptionError."""
    out = {}
    for k, v in (values or {}).items():
        if not is_sealed(v):
            out[k] = v
            continue
        try:
            out[k] = decrypt(v[SEALED])
        except DecryptionError:
            if not skip_unreadable:
                raise
    return out


def reseal(values: dict) -> tuple[dict, int]:
    """`values` with every sealed value re-encrypted under the first key; and how many."""
    out = {k: ({SEALED: rotate(v[SEALED])} if is_sealed(v) else v) for k, v in values.items()}
    return out, sum(1 for v in values.values() if is_sealed(v))
