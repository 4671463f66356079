"""Calling a service's API with a user's credentials, on the server only.

`ensure_fresh` runs before every call: an OAuth 2 token that expires within a minute is refreshed
first; a refresh the provider refuses marks the authentication as needing a reconnect. Errors
carry a message for people and never a credential.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from ..texts import T
from .. import accounts
from ..extensions import db
from ..models import Authentication, utcnow
from ..services import UnknownService, registry
from ..services.params import ParamError, check_value
from .oauth import api_timeout, token_endpoint

REFRESH_MARGIN = timedelta(seconds=60)


class ApiError(Exception):
    """A call to a service failed; `message` is for people."""

    code = "service_error"

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class Refused(ApiError):
    """The service refused the credentials (401/403)."""

    code = "refused"


class NeedsReconnect(ApiError):
    """The account must be connected again (its refresh was refused, or it has none)."""

    code = "needs_reconnect"


def _service(name: str):
    try:
        return registry().get(name)
    except UnknownService:
        raise ApiError(T("The service %(name)s is not configured on this server any more.", name=repr(name))) from None


def service_of(auth: Authentication):
    """The service of an authentication, its URLs built from the account's own parameters
    (docs/services.md, "Connection parameters"): refresh, test calls and options all use them."""
    service = _service(auth.service)
    try:
        return service.with_params(auth.params or {})
    except ParamError:  # values stored before the service's pattern changed: never called
        raise ApiError(T("Your %(service)s account's address is no longer valid here. Connect it again.",
                         service=service.title)) from None


def token_credentials(token: dict, previous: dict | None = None, service=None) -> dict:
    """What is kept of a token response (encrypted by wizard.accounts). A refresh that does not
    rotate the refresh token keeps the previous one; the same for the account's API host
    (`api_base_from`, see provider_api_base)."""
    creds = {"access_token": token["access_token"], "token_type": token.get("token_type", "Bearer")}
    refresh = token.get("refresh_token") or (previous or {}).get("refresh_token")
    if refresh:
        creds["refresh_token"] = refresh
    if service is not None:
        creds.update(provider_api_base(service, token, previous))
    return creds


# The account's own API host, kept with its credentials. Credential field names cannot start with
# "_" (services.md), so no typed field of an api_key or basic service can set it.
API_BASE_KEY = "_api_base"


def provider_api_base(service, token: dict, previous: dict | None = None) -> dict:
    """{API_BASE_KEY: url} when the service's token response names the account's API host
    (`api_base_from`, e.g. Salesforce's instance_url), or the one the account had when a refresh
    does not repeat it; {} for other services. ApiError when the provider's answer is not an
    address to call (https, or http when the token endpoint is itself http, as a local provider)."""
    if service.auth != "oauth2" or not service.api_base_from:
        return {}
    value = token.get(service.api_base_from)
    if value is None:
        kept = (previous or {}).get(API_BASE_KEY)
        return {API_BASE_KEY: kept} if kept else {}
    parts = urlsplit(value) if isinstance(value, str) else None
    schemes = ("https", "http") if str(service.token_url or "").startswith("http://") else ("https",)
    if parts is None or parts.scheme not in schemes or not parts.hostname or parts.username or parts.password \
            or parts.query or parts.fragment:
        raise ApiError(T("%(service)s named an API address for the account (%(address)s) that cannot be used.", service=service.title, address=service.api_base_from))
    return {API_BASE_KEY: value.rstrip("/")}


def expires_at_of(token: dict) -> datetime | None:
    if token.get("expires_at"):
        return datetime.fromtimestamp(int(token["expires_at"]), tz=timezone.utc)
    return None


def _expiring(auth: Authentication) -> bool:
    return auth.expires_at is not None and auth.expires_at <= utcnow() + REFRESH_MARGIN


def ensure_fresh(auth: Authentication) -> dict:
    """The authentication's credentials, refreshed first when an OAuth 2 token is about to expire.
    Raises NeedsReconnect (and marks the authentication) when that cannot be done."""
    service = service_of(auth)
    if auth.status == "needs_reconnect":
        raise NeedsReconnect(T("Your %(service)s account needs reconnecting.", service=service.title))
    creds = accounts.credentials_of(auth)
    if auth.auth_type not in ("oauth2", "client_credentials") or not _expiring(auth):
        return creds
    # Lock the row (PostgreSQL) so that two requests do not both spend a rotating refresh token.
    db.session.refresh(auth, with_for_update=True)
    if not _expiring(auth):
        db.session.commit()
        return accounts.credentials_of(auth)
    return refresh(auth, accounts.credentials_of(auth))


def _refresh_request(service, refresh_token: str) -> dict:
    """Ask the provider for a new token (Authlib's OAuth2Session); OAuthError or RequestException."""
    session = OAuth2Session(service.client_id, service.client_secret, token_endpoint_auth_method=service.token_auth,
                            default_timeout=api_timeout())
    return session.refresh_token(token_endpoint(service), refresh_token=refresh_token)


def client_credentials_token(service, creds: dict) -> dict:
    """A token for the user's own client (OAuth 2 client credentials grant, RFC 6749 4.4): asked
    at connecting and again instead of a refresh. ApiError with a message for people."""
    session = OAuth2Session(creds.get("client_id"), creds.get("client_secret"),
                            token_endpoint_auth_method=service.token_auth, default_timeout=api_timeout(),
                            scope=" ".join(service.scopes) or None)
    try:
        return dict(session.fetch_token(service.token_url, grant_type="client_credentials"))
    except OAuthError as exc:
        if exc.error in ("invalid_client", "unauthorized_client"):
            raise Refused(T("%(service)s did not accept this client ID and secret.", service=service.title)) from None
        raise ApiError(T("%(service)s refused to hand out an access (error: %(code)s).", service=service.title,
                         code=str(exc.error)[:40])) from None
    except requests.RequestException:
        raise ApiError(T("%(service)s could not be reached.", service=service.title)) from None


def client_credentials(creds: dict, token: dict) -> dict:
    """What is kept of a client credentials account: the user's client and its current token."""
    return {"client_id": creds["client_id"], "client_secret": creds["client_secret"],
            "access_token": token["access_token"], "token_type": token.get("token_type", "Bearer")}


def refresh(auth: Authentication, creds: dict) -> dict:
    service = service_of(auth)
    if auth.auth_type == "client_credentials":  # no refresh token: ask again with the client
        try:
            token = client_credentials_token(service, creds)
        except Refused:
            accounts.mark_needs_reconnect(auth)
            raise NeedsReconnect(T("Your %(service)s account needs reconnecting: %(service)s no longer accepts its "
                                   "client.", service=service.title)) from None
        except ApiError:
            db.session.rollback()
            raise
        new = client_credentials(creds, token)
        accounts.update_credentials(auth, new, expires_at=expires_at_of(token))
        return new
    if not creds.get("refresh_token"):
        accounts.mark_needs_reconnect(auth)
        raise NeedsReconnect(T("Your %(service)s account needs reconnecting: its access has expired.", service=service.title))
    try:
        token = _refresh_request(service, creds["refresh_token"])
    except OAuthError:
        accounts.mark_needs_reconnect(auth)
        raise NeedsReconnect(T("Your %(service)s account needs reconnecting: %(service)s no longer accepts its access.", service=service.title)) from None
    except requests.RequestException:
        db.session.rollback()  # release the row lock; try again later
        raise ApiError(T("%(service)s did not answer when its access was renewed. Try again.", service=service.title)) from None
    try:
        new = token_credentials(token, previous=creds, service=service)
    except ApiError:  # a renewed token naming an unusable API host: the account's own stays
        new = token_credentials(token, previous=creds)
        if creds.get(API_BASE_KEY):
            new[API_BASE_KEY] = creds[API_BASE_KEY]
    accounts.update_credentials(auth, new, expires_at=expires_at_of(token),
                                scopes=token["scope"].split() if token.get("scope") else None)
    return new


def fresh_new_token(service, token: dict) -> dict:
    """A token just received at the callback, renewed at once if it is already about to expire
    (the first API call, the test, must not use a dead token)."""
    expires_at = expires_at_of(token)
    if expires_at is None or expires_at > utcnow() + REFRESH_MARGIN or not token.get("refresh_token"):
        return token
    try:
        renewed = dict(_refresh_request(service, token["refresh_token"]))
    except (OAuthError, requests.RequestException):
        raise ApiError(T("%(service)s handed out an expired access and did not renew it.", service=service.title)) from None
    renewed.setdefault("refresh_token", token["refresh_token"])
    if service.api_base_from and service.api_base_from in token:
        renewed.setdefault(service.api_base_from, token[service.api_base_from])
    return renewed


def request_with(service, auth_type: str, creds: dict, method: str, path: str):
    """One API call with these credentials; the decoded JSON answer, or ApiError."""
    base = (creds.get(API_BASE_KEY) if auth_type == "oauth2" else None) or service.api_base or ""
    url = path if path.startswith(("https://", "http://")) else base + path
    if "{" in url:  # a parameter the account has not got (found after connecting): never sent
        raise ApiError(T("%(service)s: the account's address is not known yet. Connect it again.",
                         service=service.title))
    headers = {"Accept": "application/json"}
    basic = None
    if auth_type in ("oauth2", "client_credentials"):
        # fixed headers an API wants (Notion-Version) or the account's parameters (xero-tenant-id)
        try:
            headers.update({h: t.format_map(service.param_values) for h, t in service.header.items()})
        except KeyError:
            raise ApiError(T("%(service)s: the account's address is not known yet. Connect it again.",
                             service=service.title)) from None
        headers["Authorization"] = f"Bearer {creds.get('access_token', '')}"
    elif auth_type == "api_key":
        headers.update({h: t.format(**creds) for h, t in service.header.items()})
    elif auth_type == "basic":
        basic = (creds.get("username", ""), creds.get("password", ""))
    try:
        resp = requests.request(method, url, headers=headers, auth=basic, timeout=api_timeout(),
                                allow_redirects=False)
    except requests.Timeout:
        raise ApiError(T("%(service)s did not answer in time.", service=service.title)) from None
    except requests.RequestException:
        raise ApiError(T("%(service)s could not be reached.", service=service.title)) from None
    if resp.status_code in (401, 403):
        raise Refused(T("%(service)s refused the credentials (HTTP %(status)s).", service=service.title,
                        status=resp.status_code), resp.status_code)
    if resp.status_code >= 400:
        raise ApiError(T("%(service)s answered with an error (HTTP %(status)s).", service=service.title, status=resp.status_code), resp.status_code)
    if not resp.content:
        return {}
    try:
        body = resp.json()
    except ValueError:
        raise ApiError(T("%(service)s sent an answer that is not JSON.", service=service.title)) from None
    if isinstance(body, dict) and body.get("ok") is False:  # Slack-style errors with a 200
        raise ApiError(T("%(service)s refused the request (%(error)s).", service=service.title, error=body.get('error', 'error')))
    return body


def call_api(auth: Authentication, method: str, path: str):
    """Call the API of the authentication's service as its owner (refreshing first if needed)."""
    service = service_of(auth)
    creds = ensure_fresh(auth)
    try:
        return request_with(service, auth.auth_type, creds, method, path)
    except Refused as exc:
        # Only a 401 says "this token is dead"; a 403 (a scope not granted) is not cured by renewing.
        renewable = auth.auth_type == "client_credentials" or (auth.auth_type == "oauth2" and creds.get("refresh_token"))
        if not renewable or exc.status != 401:
            raise
    # A token the provider dropped before its time: renew once and try again.
    creds = refresh(auth, creds)
    return request_with(service, auth.auth_type, creds, method, path)


NAME_KEYS = ("name", "email", "login", "team", "user", "username")
ID_KEYS = ("id", "user_id", "account_id", "team_id", "workspace", "email", "login")


def _first_field(body, keys, types) -> tuple[str, object] | None:
    """The first of `keys` with a non-empty value of `types` in a test call's answer, or in its
    `data` object (APIs wrap it either way)."""
    for obj in (body, body.get("data") if isinstance(body, dict) else None):
        if isinstance(obj, dict):
            for key in keys:
                value = obj.get(key)
                if isinstance(value, types) and not isinstance(value, bool) and str(value).strip():
                    return key, value
    return None


def account_name(body, fallback: str) -> str:
    """A label for a new connection from its test call's answer (e.g. /me)."""
    found = _first_field(body, NAME_KEYS, str)
    return found[1].strip()[:200] if found else fallback


def account_id(body) -> str | None:
    """The account's id at the service from its test call's answer, when it says one."""
    found = _first_field(body, ID_KEYS, (str, int))
    return f"{found[0]}:{found[1]}" if found else None


def _at(body, path: str | None):
    """The value at a dotted path of an answer (`team.id`, `0.id`), as text; None if absent."""
    node = body
    for part in (path or "").split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    if isinstance(node, bool) or not isinstance(node, (str, int)) or not str(node).strip():
        return None
    return str(node).strip()[:200]


@dataclass
class Checked:
    name: str               # a label for the account: who it is, as the service names it
    account: str | None     # its id at the service, when the service tells


def identity_of(service, body, token: dict | None, fallback: str) -> Checked:
    """Who an account is, as the service's `identity` says to read it (from the test call's
    answer or the token response), or from the usual keys of the test call's answer."""
    spec = service.identity
    if spec is None:
        return Checked(account_name(body, fallback), account_id(body))
    source = token if spec["from"] == "token" else body
    ident = _at(source, spec["id"]) if spec["id"] else None
    name = _at(source, spec["name"]) if spec["name"] else None
    return Checked(name or fallback, f"{spec['id']}:{ident}" if ident else None)


def check_connection(service, auth_type: str, creds: dict, token: dict | None = None) -> Checked:
    """Run the service's test call with new credentials; return who the account is (its name
    and id). Raises ApiError with a message for people when the test fails."""
    body = None
    if service.test:
        body = request_with(service, auth_type, creds, service.test["method"], service.test["path"])
    fallback = creds.get("username") or service.title
    return identity_of(service, body, token, fallback)


def found_params(service, creds: dict, callback: dict | None = None) -> dict[str, list[tuple[str, str]]]:
    """The values of the parameters found after connecting (`from`: a call with the new token,
    e.g. Mailchimp's metadata naming the data centre, Atlassian's sites; or a query parameter of
    the provider's redirect, QuickBooks' realmId): name -> [(value, text)], each value checked
    like a typed one (ApiError when none is usable)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for p in service.found_params:
        spec = p["from"]
        if spec.get("callback"):
            items = [{"id": (callback or {}).get(spec["callback"])}]
            spec = {"value": "id"}
        else:
            body = request_with(service, service.auth, creds, "GET", spec["url"])
            items = _items_at(body, spec.get("items"))
        found = []
        for item in items:
            value, text = _at(item, spec.get("value") or "id"), _at(item, spec.get("text") or spec.get("value") or "id")
            try:
                found.append((check_value(p, value), text or value))
            except ParamError:
                continue  # a value that could not build a safe address is never offered
        if not found:
            raise ApiError(T("%(service)s did not name a %(field)s this account can use.", service=service.title,
                             field=p["title"]))
        out[p["name"]] = found
    return out


def _items_at(body, path: str | None) -> list:
    """The list at `items` of an answer; the answer itself as one item when `items` is absent."""
    if path is None:
        return [body]
    node = body
    for part in [x for x in path.split(".") if x]:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, list) else []
