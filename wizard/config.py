"""Configuration from the environment, with development defaults that work on a fresh clone.

In production (`WIZARD_ENV=production`) `check_production` refuses every development default and
names the setting that is missing.
"""
from __future__ import annotations

import base64
import ipaddress
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

# The languages the wizard speaks unless WIZARD_LANGUAGES says otherwise (catalogues in wizard/translations/).
DEFAULT_LANGUAGES = ("en", "de", "fr", "es", "ar")
DEV_SECRET_FILE = "dev-secret-key"
DEV_ENCRYPTION_FILE = "dev-encryption-key"


def _kept_secret(instance_path: str, name: str, make) -> str:
    """A development secret generated once and kept in the instance folder (so restarts keep
    sessions valid and encrypted tokens readable)."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _csv(value: str | None) -> list[str]:
    return [v.strip().rstrip("/") for v in (value or "").split(",") if v.strip()]


ORIGIN_RE = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


def _origins(value: str | None) -> list[str]:
    """Allowed origins must be exact `scheme://host[:port]`: a `*` would turn postMessage and
    frame-ancestors into "anyone", and a stray `;` would inject CSP directives."""
    origins = _csv(value)
    bad = [o for o in origins if not ORIGIN_RE.match(o)]
    if bad:
        raise RuntimeError("WIZARD_ALLOWED_ORIGINS takes origins like https://app.acme.com; not: " + ", ".join(bad))
    return origins


def _fernet_keys(value: str | None) -> list[str]:
    """Each key must be a Fernet key: found out at start-up, not at the first encryption."""
    keys = _csv(value)
    for i, key in enumerate(keys, 1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise RuntimeError(
                f"WIZARD_ENCRYPTION_KEYS: key {i} is not a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
            ) from None
    return keys


DEV_OUTBOUND_ALLOW = ["127.0.0.0/8", "::1/128", "localhost"]


def _outbound_allow(value: str | None, production: bool) -> list[str]:
    """WIZARD_OUTBOUND_ALLOW: host names and networks an outbound call may reach although they
    are internal. Unset: loopback in development, nothing in production; `none`: nothing."""
    if value is None or not value.strip():
        return [] if production else list(DEV_OUTBOUND_ALLOW)
    entries = _csv(value)
    if [e.lower() for e in entries] == ["none"]:
        return []
    for entry in entries:
        if "/" in entry or entry.replace(".", "").isdigit() or ":" in entry:
            try:
                ipaddress.ip_network(entry.strip("[]"), strict=False)
            except ValueError:
                raise RuntimeError(f"WIZARD_OUTBOUND_ALLOW: {entry!r} is not a host name or a network (CIDR)") from None
    return entries


def load_config(instance_path: str, env=os.environ) -> dict:
    """Build the Flask config dict from `env`. Every key is documented in the README."""
    production = env.get("WIZARD_ENV", "development") == "production"
    port = env.get("PORT", "5000")
    public_url = env.get("WIZARD_PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/")
    default_db = "sqlite:///" + str(Path(instance_path) / "wizard.sqlite")
    origins = _origins(env.get("WIZARD_ALLOWED_ORIGINS"))
    if not production and not origins:
        # The demo page is served by this app: on 127.0.0.1 and on localhost (another *site*).
        origins = [public_url, f"http://localhost:{port}", f"http://127.0.0.1:{port}"]
    cfg = {
        "WIZARD_ENV": "production" if production else "development",
        "SECRET_KEY": env.get("SECRET_KEY")
        or (None if production else _kept_secret(instance_path, DEV_SECRET_FILE, lambda: secrets.token_hex(32))),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL") or (None if production else default_db),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # a pooled connection idle this long is checked before use (dbsafety.ping_when_idle)
        "WIZARD_DB_PING_AFTER": float(env.get("WIZARD_DB_PING_AFTER", "1")),
        "WIZARD_MASTER_TOKEN": env.get("WIZARD_MASTER_TOKEN"),
        "WIZARD_ALLOWED_ORIGINS": origins,
        "WIZARD_PUBLIC_URL": public_url,
        "WIZARD_TRUSTED_HOSTS": _csv(env.get("WIZARD_TRUSTED_HOSTS")),
        "WIZARD_EMBEDDED_ID": env.get("WIZARD_EMBEDDED_ID"),
        "WIZARD_CORE_URL": env.get("WIZARD_CORE_URL"),
        "WIZARD_CORE_TOKEN": env.get("WIZARD_CORE_TOKEN"),
        "WIZARD_CORE_TIMEOUT": float(env.get("WIZARD_CORE_TIMEOUT", "10")),
        # where the built-in sandbox provider is, when not this server (a front end using its core's)
        "WIZARD_SANDBOX_URL": (env.get("WIZARD_SANDBOX_URL") or "").rstrip("/") or None,
        # the public URLs of front ends that use this server's sandbox (their OAuth callbacks)
        "WIZARD_SANDBOX_FRONT_ENDS": [u.rstrip("/") for u in _csv(env.get("WIZARD_SANDBOX_FRONT_ENDS"))],
        "WIZARD_ENCRYPTION_KEYS": _fernet_keys(env.get("WIZARD_ENCRYPTION_KEYS"))
        or ([] if production else [_kept_secret(instance_path, DEV_ENCRYPTION_FILE, lambda: Fernet.generate_key().decode())]),
        "WIZARD_SERVICES_FILE": env.get("WIZARD_SERVICES_FILE"),
        "WIZARD_SANDBOX": env.get("WIZARD_SANDBOX", "0" if production else "1") == "1",
        # off by default on a front end of a remote core: its ISV page would make users here
        "WIZARD_DEMO": env.get("WIZARD_DEMO", "0" if production or env.get("WIZARD_CORE_URL") else "1") == "1",
        "WIZARD_CODE_TTL": int(env.get("WIZARD_CODE_TTL", "300")),
        "WIZARD_USER_TOKEN_TTL": int(env.get("WIZARD_USER_TOKEN_TTL", str(2 * 24 * 3600))),
        "WIZARD_SESSION_TTL": int(env.get("WIZARD_SESSION_TTL", str(4 * 3600))),
        "WIZARD_SESSION_MAX_AGE": int(env.get("WIZARD_SESSION_MAX_AGE", str(12 * 3600))),
        # how long the wizard's script waits for the page's answer to tray.configPopup.validate
        "WIZARD_VALIDATION_TIMEOUT_MS": int(env.get("WIZARD_VALIDATION_TIMEOUT_MS", "10000")),
        "WIZARD_GRAPHQL_MAX_FIELDS": int(env.get("WIZARD_GRAPHQL_MAX_FIELDS", "500")),
        "WIZARD_GRAPHQL_MAX_ALIASES": int(env.get("WIZARD_GRAPHQL_MAX_ALIASES", "30")),
        "WIZARD_GRAPHQL_MAX_DEPTH": int(env.get("WIZARD_GRAPHQL_MAX_DEPTH", "20")),
        "RATELIMIT_ENABLED": env.get("WIZARD_RATE_LIMITS", "1") != "0",
        "REDIS_URL": env.get("REDIS_URL"),
        "WIZARD_RATE_LIMIT_CODES": env.get("WIZARD_RATE_LIMIT_CODES", "20 per minute"),
        "WIZARD_RATE_LIMIT_API": env.get("WIZARD_RATE_LIMIT_API", "300 per minute"),
        # the master token's own limit (front ends of this core call with it for every page)
        "WIZARD_RATE_LIMIT_API_MASTER": env.get("WIZARD_RATE_LIMIT_API_MASTER", "6000 per minute"),
        # outbound calls on someone else's say-so (wizard/outbound.py): hosts and CIDRs that may be
        # internal addresses (development: loopback; production: none; "none": none anywhere)
        "WIZARD_OUTBOUND_ALLOW": _outbound_allow(env.get("WIZARD_OUTBOUND_ALLOW"), production),
        "WIZARD_OUTBOUND_MAX_BYTES": int(env.get("WIZARD_OUTBOUND_MAX_BYTES", str(1024 * 1024))),
        "MAX_CONTENT_LENGTH": int(env.get("WIZARD_MAX_BODY", str(1024 * 1024))),
        "WTF_CSRF_TIME_LIMIT": None,  # the CSRF secret lives as long as the wizard session
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        # operations (wizard/web/operations.py): JSON log lines, one access line per request, /metrics
        "WIZARD_LOG_FORMAT": env.get("WIZARD_LOG_FORMAT", "json" if production else "text"),
        "WIZARD_ACCESS_LOG": env.get("WIZARD_ACCESS_LOG", "1" if production else "0") == "1",
        "WIZARD_METRICS_TOKEN": env.get("WIZARD_METRICS_TOKEN") or None,
        # GET /graphql in a browser: the GraphiQL explorer (wizard/api/explorer.py); never in production
        "WIZARD_GRAPHQL_EXPLORER": not production and env.get("WIZARD_GRAPHQL_EXPLORER", "1") == "1",
        # the languages spoken (wizard/translations), and the one when nothing else chooses
        "WIZARD_LANGUAGES": _csv(env.get("WIZARD_LANGUAGES")) or list(DEFAULT_LANGUAGES),
        "WIZARD_DEFAULT_LANGUAGE": env.get("WIZARD_DEFAULT_LANGUAGE", "en"),
        **webhook_settings(instance_path, env, production),
        **console_settings(env, production),
    }
    return cfg


# The operator console's OpenID Connect callback (wizard.console; the sandbox registers it too).
CONSOLE_CALLBACK_PATH = "/console/sign-in/callback"


def console_settings(env, production: bool) -> dict:
    """The operator console (wizard/console, docs/console.md). Without a metadata URL, in
    development the sandbox is the IdP (its three people map to the three roles)."""
    return {
        # off by default on a front end of a remote core: the console runs beside the core
        "WIZARD_CONSOLE": env.get("WIZARD_CONSOLE", "0" if env.get("WIZARD_CORE_URL") else "1") == "1",
        "WIZARD_CONSOLE_OIDC_METADATA_URL": (env.get("WIZARD_CONSOLE_OIDC_METADATA_URL") or "").strip() or None,
        "WIZARD_CONSOLE_OIDC_CLIENT_ID": env.get("WIZARD_CONSOLE_OIDC_CLIENT_ID") or None,
        "WIZARD_CONSOLE_OIDC_CLIENT_SECRET": env.get("WIZARD_CONSOLE_OIDC_CLIENT_SECRET") or None,
        "WIZARD_CONSOLE_OIDC_TITLE": env.get("WIZARD_CONSOLE_OIDC_TITLE") or None,
        # trust an IdP that sends no email_verified claim (wizard/console/auth.py finish_oidc)
        "WIZARD_CONSOLE_OIDC_TRUST_EMAIL": (env.get("WIZARD_CONSOLE_OIDC_TRUST_EMAIL") or "").strip().lower() in ("1", "true", "yes"),
        # "admin=ops@acme.com,support=@acme.com": who gets which role (an address or @domain)
        "WIZARD_CONSOLE_ROLES": env.get("WIZARD_CONSOLE_ROLES") or (
            "" if production else
            "admin=admin@sandbox.example,support=support@sandbox.example,viewer=viewer@sandbox.example"),
        "WIZARD_CONSOLE_SESSION_TTL": int(env.get("WIZARD_CONSOLE_SESSION_TTL", str(3600))),
        "WIZARD_CONSOLE_SESSION_MAX_AGE": int(env.get("WIZARD_CONSOLE_SESSION_MAX_AGE", str(8 * 3600))),
        "WIZARD_CONSOLE_LINK_TTL": int(env.get("WIZARD_CONSOLE_LINK_TTL", "600")),
        "WIZARD_RATE_LIMIT_CONSOLE_SIGN_IN": env.get("WIZARD_RATE_LIMIT_CONSOLE_SIGN_IN", "10 per minute"),
    }


def webhook_settings(instance_path: str, env, production: bool) -> dict:
    """The ISV's webhooks (wizard/webhooks): the validation webhook and event delivery."""
    validation_secrets = _csv(env.get("WIZARD_VALIDATION_WEBHOOK_SECRET"))
    if not validation_secrets and not production:
        # the Standard Webhooks secret format: whsec_ + base64 of random bytes
        make = lambda: "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()  # noqa: E731
        validation_secrets = [_kept_secret(instance_path, "dev-validation-webhook-secret", make)]
    return {
        "WIZARD_VALIDATION_WEBHOOK_URL": (env.get("WIZARD_VALIDATION_WEBHOOK_URL") or "").strip() or None,
        "WIZARD_VALIDATION_WEBHOOK_SECRET": validation_secrets,
        "WIZARD_VALIDATION_WEBHOOK_TIMEOUT_MS": int(env.get("WIZARD_VALIDATION_WEBHOOK_TIMEOUT_MS", "5000")),
        "WIZARD_WEBHOOK_TIMEOUT": float(env.get("WIZARD_WEBHOOK_TIMEOUT", "10")),
        "WIZARD_WEBHOOK_RETRY_BASE": float(env.get("WIZARD_WEBHOOK_RETRY_BASE", "30")),
        "WIZARD_WEBHOOK_RETRY_MAX": float(env.get("WIZARD_WEBHOOK_RETRY_MAX", str(4 * 3600))),
        "WIZARD_WEBHOOK_GIVE_UP": float(env.get("WIZARD_WEBHOOK_GIVE_UP", str(24 * 3600))),
        "WIZARD_WEBHOOK_LEASE": float(env.get("WIZARD_WEBHOOK_LEASE", "300")),
        "WIZARD_WEBHOOK_BATCH": int(env.get("WIZARD_WEBHOOK_BATCH", "20")),
        "WIZARD_WEBHOOK_POLL": float(env.get("WIZARD_WEBHOOK_POLL", "1")),
        # endpoints delivered to at once by one worker, each in its own lane (delivery.Lanes)
        "WIZARD_WEBHOOK_LANES": int(env.get("WIZARD_WEBHOOK_LANES", "16")),
        "WIZARD_WEBHOOKS_THREAD": env.get("WIZARD_WEBHOOKS_THREAD", "0" if production else "1") == "1",
    }


def trusted_hosts(cfg: dict) -> list[str]:
    """Flask's TRUSTED_HOSTS: the host of WIZARD_PUBLIC_URL, WIZARD_TRUSTED_HOSTS and, in
    development, 127.0.0.1 and localhost. A request for another Host gets 400, so no absolute
    URL (a trailing-slash redirect, an OAuth redirect URI) is ever built from a forged Host."""
    hosts = [urlsplit(cfg["WIZARD_PUBLIC_URL"]).hostname or ""] + list(cfg.get("WIZARD_TRUSTED_HOSTS") or [])
    if cfg.get("WIZARD_ENV") != "production":
        hosts += ["127.0.0.1", "localhost"]
    return list(dict.fromkeys(h for h in hosts if h))


REQUIRED_IN_PRODUCTION = {
    "SECRET_KEY": "SECRET_KEY",
    "SQLALCHEMY_DATABASE_URI": "DATABASE_URL",
    "WIZARD_ENCRYPTION_KEYS": "WIZARD_ENCRYPTION_KEYS",
    "WIZARD_ALLOWED_ORIGINS": "WIZARD_ALLOWED_ORIGINS",
    # not WIZARD_MASTER_TOKEN: it has no development default, and `flask tokens create-master`
    # makes one stored hashed (docs/api.md allows either)
}


def check_production(cfg: dict) -> None:
    """Refuse to start in production on a development default; say which setting is missing."""
    if cfg.get("WIZARD_ENV") != "production" or cfg.get("TESTING"):
        return
    missing = [env for key, env in REQUIRED_IN_PRODUCTION.items() if not cfg.get(key)]
    if missing:
        raise RuntimeError(
            "WIZARD_ENV=production refuses development defaults; set: " + ", ".join(missing)
        )
    if cfg.get("WIZARD_VALIDATION_WEBHOOK_URL") and not cfg.get("WIZARD_VALIDATION_WEBHOOK_SECRET"):
        raise RuntimeError("WIZARD_VALIDATION_WEBHOOK_URL needs WIZARD_VALIDATION_WEBHOOK_SECRET (whsec_...)")
    if cfg.get("WIZARD_CORE_URL") and not cfg.get("WIZARD_CORE_TOKEN"):
        raise RuntimeError("WIZARD_CORE_URL needs WIZARD_CORE_TOKEN (a master token of that core)")
    if not cfg["WIZARD_PUBLIC_URL"].startswith("https://"):
        raise RuntimeError("WIZARD_ENV=production needs WIZARD_PUBLIC_URL on https://")
