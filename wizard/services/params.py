"""Connection parameters of a service (docs/services.md, "Connection parameters"): values an
account has that its URLs are built from (`{subdomain}.zendesk.com`, `{shop}.myshopify.com`,
Mailchimp's data centre), asked of the user before the OAuth popup or inside the credential form,
or found after connecting (`from`: a call with the new token).

The one place that checks such a value and builds a URL from it. A value is refused before any
request unless it is plain ASCII letters, digits, `-` and `_` (at most 63 characters, never `.`,
`/`, `#`, `%`, `..`), matches the service's `pattern` or is one of its `choices`; and a URL built
from values must keep the scheme, the host and the path prefix that the service declares, so that
`https://{subdomain}.zendesk.com` can never become `https://evil.example/#.zendesk.com`.
"""
from __future__ import annotations

import re
from string import Formatter
from urllib.parse import urlsplit

from ..texts import T

# What any typed value may be: one DNS label (and `_`), ASCII only. A service's own `pattern`
# narrows it further; it can never widen it.
SAFE_VALUE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?", re.ASCII)
# A declared choice may hold dots (a regional domain such as `com.au`), never anything else.
SAFE_CHOICE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]|\.(?!\.)){0,61}[A-Za-z0-9]|[A-Za-z0-9]", re.ASCII)
PARAM_KEYS = {"name", "title", "pattern", "choices", "help", "from"}
FROM_KEYS = {"url", "items", "value", "text", "callback"}
URL_KEYS = ("authorize_url", "token_url", "api_base")


class ParamError(ValueError):
    """A parameter value that cannot be used; `message` is for people, `param` names it."""

    def __init__(self, message, param: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.param = param


def placeholders(template: str) -> list[str]:
    """The `{name}` placeholders of a template, in order."""
    return [name for _, name, _, _ in Formatter().parse(template) if name]


def _sample(template: str) -> str:
    return re.sub(r"\{[^{}]*\}", "x", template)


def check_declared(raw, err) -> tuple:
    """Validate a service's `params` list, reporting with err(key, message); the clean tuple of
    {name, title, pattern, choices, help, from}."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        err("params", "must be a list of {name, title, pattern | choices, help}")
        return ()
    out = []
    for i, p in enumerate(raw):
        where = f"params[{i}]"
        if not isinstance(p, dict) or not isinstance(p.get("name"), str) \
                or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", p["name"]):
            err(where, "each parameter needs a name (lowercase letters, digits, _)")
            continue
        for key in sorted(set(p) - PARAM_KEYS):
            err(where, f"unknown key {key!r} (known: {', '.join(sorted(PARAM_KEYS))})")
        pattern = p.get("pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except (re.error, TypeError):
                err(where, f"pattern of {p['name']!r} is not a regular expression")
                pattern = None
        choices = p.get("choices")
        if choices is not None:
            if not isinstance(choices, list) or not choices \
                    or not all(isinstance(c, str) and SAFE_CHOICE.fullmatch(c) for c in choices):
                err(where, f"choices of {p['name']!r} must be a list of letters, digits, - and . (no ..)")
                choices = None
        source = p.get("from")
        if source is not None:
            by_call = isinstance(source, dict) and isinstance(source.get("url"), str) \
                and urlsplit(source["url"]).scheme in ("http", "https") and "callback" not in source
            by_callback = isinstance(source, dict) and isinstance(source.get("callback"), str) \
                and set(source) == {"callback"}
            if not (by_call or by_callback) or set(source) - FROM_KEYS \
                    or not isinstance(source.get("value", ""), str):
                err(where, f"from of {p['name']!r} must be {{url, items, value, text}} (a call with the new "
                           "token) or {callback: <query parameter of the provider's redirect>}")
                source = None
        out.append({"name": p["name"], "title": str(p.get("title") or p["name"]), "pattern": pattern,
                    "choices": tuple(choices) if choices else None, "help": str(p.get("help") or ""),
                    "from": dict(source) if source else None})
    names = [p["name"] for p in out]
    for name in sorted({n for n in names if names.count(n) > 1}):
        err("params", f"{name!r} is declared twice")
    return tuple(out)


def check_templates(raw: dict, params: tuple, err) -> None:
    """Every placeholder of a URL or path names a declared parameter; a URL's host may hold
    placeholders only beside a fixed part (`{shop}.myshopify.com`, never a bare `{host}`); the
    authorization and token URLs cannot use a parameter found after connecting (`from`)."""
    if "{" in str(raw.get("server_metadata_url") or ""):
        err("server_metadata_url", "cannot hold parameters: give authorize_url and token_url instead")
    known = {p["name"] for p in params}
    found_later = {p["name"] for p in params if p["from"]}
    templates = [(k, raw.get(k)) for k in URL_KEYS]
    templates.append(("test", (raw.get("test") or {}).get("path") if isinstance(raw.get("test"), dict) else None))
    for oname, spec in (raw.get("options") or {}).items() if isinstance(raw.get("options"), dict) else ():
        templates.append((f"options.{oname}", spec.get("path") if isinstance(spec, dict) else None))
    for key, template in templates:
        if not isinstance(template, str):
            continue
        try:
            names = placeholders(template)
        except ValueError:
            err(key, "is not a valid template (a lone { or })")
            continue
        unknown = sorted(set(names) - known)
        if unknown:
            err(key, f"uses {', '.join('{' + n + '}' for n in unknown)}, which params does not declare")
        if key in ("authorize_url", "token_url") and set(names) & found_later:
            err(key, "cannot use a parameter found after connecting (from)")
        if key in URL_KEYS and names:
            host = urlsplit(_sample(template)).netloc
            fixed = re.sub(r"\{[^{}]*\}", "", urlsplit(template).netloc)
            if not host or "." not in fixed.strip(".") and ":" not in fixed:
                err(key, "a parameter in the host needs a fixed domain beside it, e.g. https://{shop}.myshopify.com")


def check_value(param: dict, value) -> str:
    """The value of one parameter as typed (or found), or ParamError saying why not."""
    title = param["title"]
    if not isinstance(value, str) or not value.strip():
        raise ParamError(T("Enter the %(field)s.", field=title), param["name"])
    value = value.strip()
    if param["choices"]:
        if value not in param["choices"]:
            raise ParamError(T("Choose one of the offered values for %(field)s.", field=title), param["name"])
        return value
    if not SAFE_VALUE.fullmatch(value) or (param["pattern"] and not re.fullmatch(param["pattern"], value)):
        raise ParamError(T("%(field)s is not valid here: use only letters, digits and - (as in the address "
                           "you sign in at).", field=title), param["name"])
    return value


def check_values(params: tuple, values: dict | None, *, typed_only: bool = False) -> dict:
    """All parameter values of an account, checked ({} for a service without params).
    `typed_only`: only those the user types (not those found after connecting)."""
    values = values or {}
    out = {}
    for p in params:
        if typed_only and p["from"]:
            continue
        out[p["name"]] = check_value(p, values.get(p["name"]))
    return out


def _value_pattern(param: dict) -> str:
    if param["choices"]:
        return "(?:" + "|".join(re.escape(c) for c in param["choices"]) + ")"
    return SAFE_VALUE.pattern


def build(template: str | None, params: tuple, values: dict) -> str | None:
    """The template with the values in place, checked to keep the declared scheme, host and
    fixed path prefix; ParamError otherwise (and for a placeholder without a value)."""
    if template is None or "{" not in template:
        return template
    by_name = {p["name"]: p for p in params}
    names = placeholders(template)
    missing = [n for n in names if n not in values]
    if missing:
        raise ParamError(T("The account has no %(field)s.", field=missing[0]), missing[0])
    built = template.format_map({n: check_value(by_name[n], values[n]) for n in names})
    # the shape the template promises: literal parts as written, each placeholder one safe value
    shape = "".join(re.escape(text) + (f"(?:{_value_pattern(by_name[name])})" if name else "")
                    for text, name, _, _ in Formatter().parse(template))
    if not re.fullmatch(shape, built, re.ASCII):
        raise ParamError(T("These values would lead somewhere else than the service's address."))
    if template.startswith(("http://", "https://")):
        want, got = urlsplit(_sample(template)), urlsplit(built)
        host_shape = "".join(re.escape(text) + (f"(?:{_value_pattern(by_name[name])})" if name else "")
                             for text, name, _, _ in Formatter().parse(urlsplit(template).netloc))
        if got.scheme != want.scheme or not re.fullmatch(host_shape, got.netloc, re.ASCII) \
                or got.username or got.password or got.fragment or got.query != want.query:
            raise ParamError(T("These values would lead somewhere else than the service's address."))
    return built
