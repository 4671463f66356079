"""The OAuth 2 client side, on Authlib's Flask client.

The callback cannot carry the wizard's session (its `/s/<sid>` cannot ride through the
provider), so Authlib keeps each authorization request (state, PKCE verifier, redirect URI) in a
`cache` backed by the database instead of in the session. What the session marker did for Authlib
(tie the request to the browser that started it) is done by a nonce in a first-party cookie set
on the popup at the start: the cache key contains the nonce's hash, so a callback in another
browser (a victim made to finish an attacker's flow) finds no request and Authlib raises
MismatchingStateError, exactly like a wrong state.
"""
from __future__ import annotations

import json
from datetime import timedelta

from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App, OAuth
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app, g, request
from sqlalchemy import delete

from .. import outbound
from ..crypto import decrypt, encrypt, hash_secret
from ..extensions import db, per_app
from ..models import OAuthCacheEntry, utcnow
from ..services import registry

CALLBACK_PATH = "/connect/callback"
BINDING_COOKIE = "wizard_connect"
FLOW_TTL = 900  # seconds a person has to get through a provider's consent page


class DbCache:
    """The get/set/delete cache Authlib asks for, on the database (works across processes).
    Values hold PKCE verifiers, so they are encrypted."""

    def get(self, key):
        row = db.session.get(OAuthCacheEntry, key)
        if row is None or row.expires_at <= utcnow():
            return None
        return decrypt(row.value)

    def set(self, key, value, expires=None):
        row = db.session.get(OAuthCacheEntry, key) or OAuthCacheEntry(key=key)
        row.value = encrypt(value)
        row.expires_at = utcnow() + timedelta(seconds=expires or FLOW_TTL)
        db.session.add(row)
        db.session.commit()

    def delete(self, key):
        db.session.execute(delete(OAuthCacheEntry).where(OAuthCacheEntry.key == key))
        db.session.commit()

    @staticmethod
    def purge():
        db.session.execute(delete(OAuthCacheEntry).where(OAuthCacheEntry.expires_at <= utcnow()))


def current_binding() -> str | None:
    """The popup's nonce: just made (start) or from its cookie (callback)."""
    return g.get("connect_binding") or request.cookies.get(BINDING_COOKIE)


class BoundStateIntegration(FlaskIntegration):
    """Authlib's Flask integration keeping authorization requests (state, nonce, PKCE verifier) in
    the cache only, under the key `_key(state)` gives: bound to something only the browser that
    started holds, so a callback elsewhere finds nothing. Subclasses give `_key` (None: unbound)."""

    unbound = "an authorization request needs its browser's binding"

    def _key(self, state) -> str | None:
        raise NotImplementedError

    def get_state_data(self, session, state):
        key = self._key(state)
        value = self._get_cache_data(key) if key else None
        return value.get("data") if value else None

    def set_state_data(self, session, state, data):
        key = self._key(state)
        if key is None:
            raise RuntimeError(self.unbound)
        self.cache.set(key, json.dumps({"data": data}), self.expires_in)

    def clear_state_data(self, session, state):
        key = self._key(state)
        if key:
            self.cache.delete(key)


class PopupIntegration(BoundStateIntegration):
    """Authorization requests bound to the popup's nonce (see the module docstring)."""

    unbound = "an authorization request needs the popup's binding nonce"

    expires_in = FLOW_TTL

    def _key(self, state):
        binding = current_binding()
        if not state or not binding:
            return None
        return f"_state_{self.name}_{hash_secret(binding)}_{state}"



class GuardedOAuth2Session(OAuth2Session):
    """Authlib's requests session with the outbound guard on (wizard/outbound.py): token
    exchange, refresh and server metadata go to allowed addresses only, follow no redirect, and
    its timeout is a total deadline."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        outbound.guard_session(self)


class GuardedOAuth2App(FlaskOAuth2App):
    client_cls = GuardedOAuth2Session


class PopupOAuth(OAuth):
    framework_integration_cls = PopupIntegration
    oauth2_client_cls = GuardedOAuth2App


def redirect_uri() -> str:
    return current_app.config["WIZARD_PUBLIC_URL"] + CALLBACK_PATH


def api_timeout() -> float:
    return float(current_app.config.get("WIZARD_API_TIMEOUT", 5))


def oauth_client(service):
    """Authlib's client for an oauth2 service. One PopupOAuth per registry build, so that a
    changed services file re-registers every client."""
    oauth = per_app("wizard_oauth", lambda: PopupOAuth(current_app._get_current_object(), cache=DbCache()),
                    key=registry())
    client = oauth.create_client(service.client_key)
    if client is None:
        client_kwargs = {"scope": " ".join(service.scopes), "token_endpoint_auth_method": service.token_auth,
                         "default_timeout": api_timeout()}
        if service.pkce:
            client_kwargs["code_challenge_method"] = "S256"
        endpoints = ({"server_metadata_url": service.server_metadata_url} if service.server_metadata_url
                     else {"authorize_url": service.authorize_url, "access_token_url": service.token_url})
        client = oauth.register(service.client_key, client_id=service.client_id, client_secret=service.client_secret,
                                client_kwargs=client_kwargs, authorize_params=service.authorize_params or None,
                                **endpoints)
        if service.param_values:
            # One account's endpoints (its tenant): made again when needed, never kept, so that
            # typed values cannot grow the registry. Its name is the same each time, and so is the
            # key of its authorization requests (PopupIntegration).
            oauth._registry.pop(service.client_key, None)
            oauth._clients.pop(service.client_key, None)
    return client


def token_endpoint(service) -> str:
    if service.token_url:
        return service.token_url
    return oauth_client(service).load_server_metadata()["token_endpoint"]
