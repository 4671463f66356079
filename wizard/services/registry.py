"""The registry of connectable services: built-ins, presets and the ISV's YAML file.

Everything is validated when it is loaded, and every problem is reported at once with the service
and the field it is about, so that an operator fixes a services file in one go.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from string import Formatter
from typing import Callable
from urllib.parse import urlsplit

import yaml
from flask import Flask, current_app

from ..texts import T, Text
from ..extensions import per_app
from ..solutions.format import QUALIFIER
from .params import check_declared, check_templates
from .presets import PRESETS

AUTH_KINDS = ("oauth2", "api_key", "basic", "client_credentials")
# auth kinds whose calls carry an OAuth 2 bearer token (from a token endpoint)
TOKEN_KINDS = ("oauth2", "client_credentials")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
KEYS = {
    "name", "title", "icon", "auth", "server_metadata_url", "authorize_url", "token_url", "scopes",
    "pkce", "client_id_env", "client_secret_env", "api_base", "test", "options", "fields", "header",
    "authorize_params", "token_auth", "check_scopes", "scope_titles", "api_base_from", "identity", "params",
    "quirk",
}
IDENTITY_KEYS = {"from", "id", "name"}
OPTION_KEYS = {"path", "items", "value", "text", "scopes"}
DEFAULT_FIELDS = {
    "api_key": [{"name": "api_key", "title": T("API key"), "secret": True}],
    "basic": [{"name": "username", "title": T("Username"), "secret": False},
              {"name": "password", "title": T("Password"), "secret": True}],
    "client_credentials": [{"name": "client_id", "title": T("Client ID"), "secret": False},
                           {"name": "client_secret", "title": T("Client secret"), "secret": True}],
}


class ServicesError(Exception):
    """The services configuration is wrong; `errors` lists every problem, one line each."""

    def __init__(self, errors: list[str]):
        super().__init__("invalid services configuration:\n  " + "\n  ".join(errors))
        self.errors = errors


class UnknownService(KeyError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self):
        return f"no service named {self.name!r} is configured"


@dataclass(frozen=True)
class Service:
    name: str
    title: str
    auth: str  # oauth2 | api_key | basic
    icon: str | None = None
    server_metadata_url: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    scopes: tuple[str, ...] = ()
    # Refuse a connection whose token response grants fewer scopes than asked. Only for providers
    # that echo scope names as asked (Google answers "email" with a URL, GitHub with broader ones).
    check_scopes: bool = False
    pkce: bool = True
    token_auth: str = "client_secret_basic"
    authorize_params: dict = field(default_factory=dict)
    client_id_env: str | None = None
    client_secret_env: str | None = None
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    api_base: str | None = None
    test: dict | None = None  # {"method", "path"}
    options: dict = field(default_factory=dict)  # name -> {"path", "items", "value", "text"}
    fields: tuple = ()  # api_key / basic: ({"name", "title", "secret"}, ...)
    header: dict = field(default_factory=dict)  # api_key: header -> template over the fields
    # scope -> what it allows, in the service's own words (shown when a permission is missing)
    scope_titles: dict = field(default_factory=dict)
    # The token response's field naming the API host of this account (Salesforce: instance_url);
    # when it is there, it is stored with the account and used instead of api_base.
    api_base_from: str | None = None
    # How to read who an account is: {"from": "test"|"token", "id": dotted path, "name": dotted
    # path}; None: the test call's answer is searched for usual keys (id, name, email...).
    identity: dict | None = None
    # Connection parameters ({name, title, pattern, choices, help, from}, see params.py) and, on a
    # service bound to one account's values (with_params), those values.
    params: tuple = ()
    param_values: dict = field(default_factory=dict)
    quirk: str | None = None  # what is particular about the provider (documentation only)
    origin: str = "file"  # builtin | preset | <file path> | solution <id>

    @property
    def configured(self) -> bool:
        """OAuth 2 services need the ISV's client credentials; the others need nothing (a client
        credentials service's client is the user's own, typed in the credential form)."""
        return self.auth != "oauth2" or bool(self.client_id and self.client_secret)

    @property
    def uses_token(self) -> bool:
        """Its calls carry a bearer token from its token endpoint (oauth2, client_credentials)."""
        return self.auth in TOKEN_KINDS

    @property
    def typed_params(self) -> tuple:
        """The parameters the user types before connecting (not those found after)."""
        return tuple(p for p in self.params if not p["from"])

    @property
    def found_params(self) -> tuple:
        """The parameters found after connecting, by a call with the new token (`from`)."""
        return tuple(p for p in self.params if p["from"])

    def with_params(self, values: dict | None) -> "Service":
        """This service for one account: every URL and path built from its parameter values and
        checked to keep the declared host (ParamError otherwise). Values of parameters found
        after connecting may be missing: URLs that need them are then left as templates."""
        if not self.params:
            return self
        from dataclasses import replace

        from .params import build, check_value

        by_name = {p["name"]: p for p in self.params}
        values = {k: check_value(by_name[k], v) for k, v in (values or {}).items() if k in by_name}

        def made(template):
            if template is None or any(n not in values for n in _placeholders(template)):
                return template
            return build(template, self.params, values)

        options = {k: {**spec, "path": made(spec["path"])} for k, spec in self.options.items()}
        test = {**self.test, "path": made(self.test["path"])} if self.test else None
        return replace(self, authorize_url=made(self.authorize_url), token_url=made(self.token_url),
                       api_base=made(self.api_base), test=test, options=options, param_values=dict(values))

    @property
    def auth_type(self) -> str:
        """The `authType` of the auth-only dialog's events (docs/events.md)."""
        return "oauth" if self.auth == "oauth2" else self.auth

    def scopes_for(self, options_name: str) -> tuple[str, ...]:
        """The scopes the options list `options_name` needs (declared with the list)."""
        return tuple((self.options.get(options_name) or {}).get("scopes") or ())

    def scope_words(self, scope: str) -> Text:
        """A scope as people read it: its title in the service's scope list (the consent page's
        words: a Text for the built-in ones, so translated), and its name."""
        title = self.scope_titles.get(scope)
        return T("\u201c%(title)s\u201d (%(scope)s)", title=title, scope=scope) if title else T("\u201c%(scope)s\u201d", scope=scope)

    def scope_list(self, scopes) -> Text:
        """Several scopes as people read them, listed the way the user's language lists."""
        words = [self.scope_words(s) for s in scopes]
        out = words[0] if words else T("\u201c%(scope)s\u201d", scope="")
        for more in words[1:]:
            out = T("%(first)s, %(then)s", first=out, then=more)
        return out

    @property
    def client_key(self) -> str:
        """The name of this service's OAuth client (wizard.connect.oauth). A solution's own service
        also names its settings, so that publishing changed endpoints takes effect at once."""
        import hashlib

        if self.param_values:  # one account's endpoints: a client of their own
            values = repr(sorted(self.param_values.items()))
            return f"{self.name}#{hashlib.sha256(values.encode()).hexdigest()[:16]}"
        if not self.origin.startswith("solution "):
            return self.name

        settings = repr((self.server_metadata_url, self.authorize_url, self.token_url, self.scopes, self.pkce,
                         self.token_auth, sorted(self.authorize_params.items()), self.client_id_env,
                         self.client_secret_env))
        return f"{self.name}@{hashlib.sha256(settings.encode()).hexdigest()[:12]}"

    def public(self) -> dict:
        """What may be shown in a page or an API answer (no client secret)."""
        return {"name": self.name, "title": self.title, "icon": self.icon, "auth": self.auth,
                "scopes": list(self.scopes), "configured": self.configured,
                "options": sorted(self.options),
                "params": [{k: p[k] for k in ("name", "title", "help")} for p in self.typed_params]}


class Registry:
    #: How a service declared beside a solution ("<solution id>:<name>") is found; wizard.services
    #: sets it to services.local.resolve (which builds on this module: it is not imported here).
    resolve_local: Callable[[str], Service | None] = staticmethod(lambda _name: None)

    def __init__(self, services: dict[str, Service]):
        self._services = dict(services)

    def names(self) -> list[str]:
        return sorted(self._services)

    def get(self, name: str) -> Service:
        try:
            return self._services[name]
        except KeyError:
            pass
        if isinstance(name, str) and QUALIFIER in name:  # a service declared beside a solution
            found = self.resolve_local(name)
            if found is not None:
                return found
        raise UnknownService(name)

    def __contains__(self, name) -> bool:
        return name in self._services

    def all(self) -> list[Service]:
        return [self._services[n] for n in self.names()]


# -- validation --------------------------------------------------------------------------------

def _is_url(value) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _sampled(value):
    """A URL template with each {placeholder} filled by a sample label, to check its shape."""
    return re.sub(r"\{[^{}]*\}", "x", value) if isinstance(value, str) else value


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def _check(raw: dict, where: str, env) -> tuple[dict | None, list[str]]:
    """Validate one merged entry; return the Service kwargs or the errors (each naming the
    service and the field)."""
    errs: list[str] = []

    def err(key, message):
        errs.append(f"{where}: field {key!r}: {message}")

    auth = raw.get("auth")
    title, scopes = _check_common(raw, err)
    client_id, client_secret = _check_oauth(raw, err, env) if auth == "oauth2" else (None, None)
    if auth == "client_credentials" and not raw.get("token_url"):
        err("token_url", "a client_credentials service needs the token_url its client asks")
    params = check_declared(raw.get("params"), err)
    check_templates(raw, params, err)
    identity = _check_identity(raw, err)
    fields = _check_fields(raw, auth, err)
    header = _check_header(raw, auth, fields, err)
    test = _check_test(raw, err)
    options = _check_options(raw, err)
    scope_titles, api_base_from = _check_provider_words(raw, err)
    if (test or options) and not raw.get("api_base"):
        err("api_base", "is required for a service with a test call or options")
    if errs:
        return None, errs
    return dict(
        name=raw.get("name"), title=title.strip(), auth=auth, icon=raw.get("icon"),
        server_metadata_url=raw.get("server_metadata_url"), authorize_url=raw.get("authorize_url"),
        token_url=raw.get("token_url"), scopes=tuple(scopes), pkce=raw.get("pkce", True),
        check_scopes=raw.get("check_scopes", False),
        token_auth=raw.get("token_auth", "client_secret_basic"),
        authorize_params=dict(raw.get("authorize_params") or {}),
        client_id_env=raw.get("client_id_env"), client_secret_env=raw.get("client_secret_env"),
        client_id=client_id, client_secret=client_secret,
        api_base=(raw.get("api_base") or "").rstrip("/") or None, test=test, options=options,
        fields=tuple(fields), header=dict(header or {}), scope_titles=scope_titles,
        api_base_from=api_base_from, identity=identity, params=params,
        quirk=str(raw["quirk"]).strip() if raw.get("quirk") else None,
    ), []


def _check_common(raw: dict, err) -> tuple:
    """Keys every service has: known keys, auth kind, title, scopes, URLs, flags. Returns
    (title, scopes)."""
    for key in sorted(set(raw) - KEYS):
        err(key, "unknown field (known: " + ", ".join(sorted(KEYS)) + ")")
    if raw.get("auth") not in AUTH_KINDS:
        err("auth", "must be one of " + ", ".join(AUTH_KINDS))
    title = raw.get("title", raw.get("name"))
    if not isinstance(title, str) or not title.strip():
        err("title", "must be a non-empty string")
    scopes = raw.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s and " " not in s for s in scopes):
        err("scopes", "must be a list of scope names (no spaces)")
        scopes = []
    for key in ("server_metadata_url", "authorize_url", "token_url", "api_base"):
        if raw.get(key) is not None and not _is_url(_sampled(raw[key])):
            err(key, "must be an http(s) URL")
    for key in ("pkce", "check_scopes"):
        if not isinstance(raw.get(key, False), bool):
            err(key, "must be true or false")
    if raw.get("token_auth", "client_secret_basic") not in ("client_secret_basic", "client_secret_post"):
        err("token_auth", "must be client_secret_basic or client_secret_post")
    if not isinstance(raw.get("authorize_params", {}), dict):
        err("authorize_params", "must be a mapping")
    return title, scopes


def _check_oauth(raw: dict, err, env) -> tuple:
    """An oauth2 service's endpoints and the environment variables of its client credentials.
    Returns (client_id, client_secret) from the environment (None when unset)."""
    if not raw.get("server_metadata_url") and not (raw.get("authorize_url") and raw.get("token_url")):
        err("authorize_url", "an oauth2 service needs server_metadata_url, or authorize_url and token_url")
    for key in ("client_id_env", "client_secret_env"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            err(key, "names the environment variable holding the client credential")
    if "client_id" in raw or "client_secret" in raw:
        err("client_id", "put client credentials in the environment, not in the file")
    return env.get(raw.get("client_id_env") or "") or None, env.get(raw.get("client_secret_env") or "") or None


def _check_fields(raw: dict, auth, err) -> list[dict]:
    """The credential form of an api_key, basic or client_credentials service:
    [{name, title, secret}]."""
    if auth not in ("api_key", "basic", "client_credentials"):
        return []
    fields = raw.get("fields", DEFAULT_FIELDS.get(auth, []))
    clean_fields = []
    if not isinstance(fields, list) or not fields:
        err("fields", "must be a non-empty list of {name, title}")
        fields = []
    for i, f in enumerate(fields):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not NAME.match(f["name"]):
            err(f"fields[{i}]", "each field needs a name (letters, digits, _ or -)")
            continue
        title = f.get("title") or f["name"]
        clean_fields.append({"name": f["name"], "title": title if isinstance(title, Text) else str(title),
                             "secret": bool(f.get("secret", auth == "api_key" or f["name"] == "password"))})
    if auth == "basic" and {f["name"] for f in clean_fields} != {"username", "password"}:
        err("fields", "a basic service has the fields username and password")
    if auth == "client_credentials" and {f["name"] for f in clean_fields} != {"client_id", "client_secret"}:
        err("fields", "a client_credentials service has the fields client_id and client_secret")
    return clean_fields


def _check_header(raw: dict, auth, fields: list[dict], err) -> dict | None:
    """How an api_key service sends its key (header -> template over the fields), or the extra
    headers of an oauth2 / client_credentials service's calls (templates over its params)."""
    header = raw.get("header")
    if auth in TOKEN_KINDS:
        if header is None:
            return {}
        known = {p.get("name") for p in raw.get("params") or [] if isinstance(p, dict)}
        if not isinstance(header, dict) or not all(isinstance(v, str) for v in header.values()) \
                or any(h.lower() == "authorization" for h in header):
            err("header", "must map header names (not Authorization) to values or templates over params")
            return {}
    elif auth != "api_key":
        if header is not None:
            err("header", "only api_key, oauth2 and client_credentials services send headers")
            return {}
        return header
    else:
        if header is None:
            header = {"Authorization": "Bearer {" + (fields[0]["name"] if fields else "api_key") + "}"}
        if not isinstance(header, dict) or not header or not all(isinstance(v, str) for v in header.values()):
            err("header", "must map header names to templates such as \"{api_key}\"")
            header = {}
        known = {f["name"] for f in fields}
    for h, template in header.items():
        try:
            unknown = _placeholders(template) - known
        except ValueError:
            err("header", f"{h}: not a valid template")
            continue
        if unknown:
            err("header", f"{h}: unknown field(s) {', '.join(sorted(unknown))} (fields: {', '.join(sorted(known))})")
    return header


def _check_test(raw: dict, err) -> dict | None:
    """The call that checks a new connection: {method, path}."""
    test = raw.get("test")
    if test is None:
        return None
    if not isinstance(test, dict) or not isinstance(test.get("path"), str) \
            or str(test.get("method", "GET")).upper() not in ("GET", "POST", "HEAD"):
        err("test", "must be {method: GET|POST|HEAD, path: /...}")
        return None
    return {"method": str(test.get("method", "GET")).upper(), "path": test["path"]}


def _check_options(raw: dict, err) -> dict:
    """The lists for dynamic options: name -> {path, items, value, text, scopes} (the scopes the
    list needs)."""
    options = raw.get("options") or {}
    clean_options = {}
    if not isinstance(options, dict):
        err("options", "must map option names to {path, items, value, text}")
        options = {}
    for oname, spec in options.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            err(f"options.{oname}", "needs at least a path")
            continue
        extra = set(spec) - OPTION_KEYS
        if extra:
            err(f"options.{oname}", "unknown key(s) " + ", ".join(sorted(extra)))
        needs = spec.get("scopes", [])
        if not isinstance(needs, list) or not all(isinstance(s, str) and s and " " not in s for s in needs):
            err(f"options.{oname}", "scopes must be a list of scope names (no spaces)")
            needs = []
        clean_options[str(oname)] = {"path": spec["path"], "items": str(spec.get("items", "data") or ""),
                                     "value": str(spec.get("value", "id")),
                                     "text": str(spec.get("text", spec.get("value", "name"))),
                                     "scopes": list(needs)}
    return clean_options


def _check_provider_words(raw: dict, err) -> tuple[dict, str | None]:
    """What each scope allows, in the service's words (`scope_titles`), and the token response's
    field naming the account's API host (`api_base_from`). Returns (scope_titles, api_base_from)."""
    titles = raw.get("scope_titles") or {}
    if not isinstance(titles, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                               for k, v in titles.items()):
        err("scope_titles", "must map scope names to what they allow, e.g. {read: Read your pipelines}")
        titles = {}
    api_base_from = raw.get("api_base_from")
    if api_base_from is not None and raw.get("params"):
        err("api_base_from", "use either api_base_from or params for the account's host, not both")
    if api_base_from is not None:
        if raw.get("auth") != "oauth2":
            err("api_base_from", "only oauth2 services get an API host in their token response")
        elif not isinstance(api_base_from, str) or not NAME.match(api_base_from):
            err("api_base_from", "names a field of the token response, e.g. instance_url")
    return {str(k): v.strip() for k, v in titles.items()}, api_base_from


def _check_identity(raw: dict, err) -> dict | None:
    """How to read who an account is: {from: test | token, id: dotted path, name: dotted path}."""
    identity = raw.get("identity")
    if identity is None:
        return None
    if not isinstance(identity, dict) or set(identity) - IDENTITY_KEYS \
            or identity.get("from", "test") not in ("test", "token") \
            or not (identity.get("id") or identity.get("name")) \
            or not all(isinstance(identity.get(k, ""), str) for k in ("id", "name")):
        err("identity", "must be {from: test | token, id: <path in the answer>, name: <path in the answer>}")
        return None
    source = identity.get("from", "test")
    if source == "test" and not raw.get("test"):
        err("identity", "reads the test call's answer: declare a test call, or use from: token")
    if source == "token" and raw.get("auth") not in TOKEN_KINDS:
        err("identity", "from: token is for oauth2 and client_credentials services")
    return {"from": source, "id": identity.get("id") or None, "name": identity.get("name") or None}


def parse_services(text: str, source: str = "services file", env=os.environ,
                   reserved: set[str] = frozenset()) -> dict[str, Service]:
    """Services declared in YAML (docs/services.md). A name of a preset extends that preset."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ServicesError([f"{source}: not valid YAML: {exc}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        raise ServicesError([f"{source}: must be a mapping with a 'services' list"])
    errors: list[str] = []
    out: dict[str, Service] = {}
    for i, raw in enumerate(data["services"]):
        if not isinstance(raw, dict):
            errors.append(f"{source}: services[{i}]: must be a mapping")
            continue
        name = raw.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            errors.append(f"{source}: services[{i}]: field 'name': required, lowercase letters, digits, - or _")
            continue
        where = f"{source}: service {name!r}"
        if name in reserved:
            errors.append(f"{where}: the name is reserved for a built-in service")
            continue
        if name in out:
            errors.append(f"{where}: declared twice")
            continue
        merged = {**PRESETS.get(name, {}), **raw}
        kwargs, errs = _check(merged, where, env)
        errors.extend(errs)
        if kwargs:
            out[name] = Service(**kwargs, origin="preset" if name in PRESETS else source)
    if errors:
        raise ServicesError(errors)
    return out


# Built-in services that other areas bring: name -> factory(config) -> Service, or None while
# the area is switched off. Filled through `provide` (wizard.sandbox provides "sandbox").
_PROVIDED: dict[str, Callable[[dict], Service | None]] = {}


def provide(name: str, factory: Callable[[dict], Service | None]) -> None:
    """Hook: called by an area that brings a built-in service, when it is imported (before any
    registry is built). `factory(config)` is called for every registry built, so the area can
    switch itself off by configuration."""
    _PROVIDED[name] = factory


def builtin_services(config: dict, env=os.environ) -> dict[str, Service]:
    """The presets (configured or not) and the services other areas provide (the sandbox, when
    WIZARD_SANDBOX is on)."""
    out = {}
    for name, preset in PRESETS.items():
        kwargs, errs = _check({"name": name, **preset}, f"preset {name!r}", env)
        assert not errs, errs  # presets are ours: a failing one is a bug caught by the tests
        out[name] = Service(**kwargs, origin="preset")
    for name, factory in _PROVIDED.items():
        service = factory(config)
        if service is not None:
            out[name] = service
    return out


def load_registry(config: dict, env=os.environ) -> Registry:
    services = builtin_services(config, env)
    path = config.get("WIZARD_SERVICES_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise ServicesError([f"WIZARD_SERVICES_FILE {path}: cannot be read ({exc.strerror})"]) from None
        services.update(parse_services(text, path, env, reserved=set(_PROVIDED)))
    return Registry(services)


def _cache_key(app: Flask):
    path = app.config.get("WIZARD_SERVICES_FILE")
    mtime = os.path.getmtime(path) if path and os.path.exists(path) else None
    return (path, mtime, app.config.get("WIZARD_SANDBOX"), app.config.get("WIZARD_PUBLIC_URL"),
            app.config.get("WIZARD_SANDBOX_URL"), app.config.get("SECRET_KEY"))


def registry(app: Flask | None = None) -> Registry:
    """The app's registry, built once per app and rebuilt when the services file changes."""
    app = app or current_app._get_current_object()
    return per_app("wizard_services", lambda: load_registry(app.config), key=_cache_key(app), app=app)
